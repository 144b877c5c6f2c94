"""Sign, attest and verify against the real registry, and the SECURITY.md attacks on it.

Every negative case builds genuine, valid signatures by the trusted key and then moves them
somewhere they do not belong; the verdict must come from the signed content, never from
where the candidate was found.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from supplychain.errors import LimitExceededError, VerificationError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import MiB
from supplychain.oci.reference import ImageRef
from supplychain.oci.referrers import fallback_tag
from supplychain.signing import intoto
from supplychain.store import media
from supplychain.store.authority import KeySigner, KeyVerifier
from supplychain.store.client import RegistryStore
from supplychain.store.evidence import EvidenceKind, Layout
from supplychain.store.legacy import legacy_tag
from supplychain.store.referrer import build_bundle_referrer
from supplychain.store.sign import attest_image, sign_image
from supplychain.store.verify import Wanted, verify_image
from tests.fixtures.registry import RegistryServer
from tests.store.conftest import CREATED, push_image

pytestmark = pytest.mark.registry

SPDX = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": "tiny",
    "documentNamespace": "https://example.invalid/spdx/tiny-1",
    "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: supplychain"]},
    "packages": [],
}


def test_sign_then_verify_with_the_referrer_layout(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    image = push_image(registry, store, seed="ref")
    attached = sign_image(store, image.ref, signer, created=CREATED)
    assert attached.image == image.pinned
    assert attached.legacy_tag is None
    verdict = verify_image(store, image.ref, verifier)
    assert verdict.image == image.pinned
    [accepted] = verdict.accepted
    assert accepted.evidence.layout is Layout.REFERRER
    assert accepted.evidence.kind is EvidenceKind.BUNDLE
    assert accepted.evidence.manifest_digest == attached.referrer
    assert accepted.statement.predicate_type == media.SIGN_PREDICATE


def test_sign_then_verify_with_the_legacy_layout_only(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    image = push_image(registry, store, seed="legacy")
    attached = sign_image(store, image.ref, signer, created=CREATED, legacy=True, referrer=False)
    assert attached.referrer is None
    assert attached.legacy_tag == legacy_tag(Digest.parse(image.digest), ".sig")
    assert store.referrers(image.ref.repository, Digest.parse(image.digest)) == []
    verdict = verify_image(store, image.ref, verifier)
    [accepted] = verdict.accepted
    assert accepted.evidence.layout is Layout.LEGACY_SIG
    assert accepted.evidence.kind is EvidenceKind.SIMPLE_SIGNING


def test_a_second_legacy_signature_is_appended_not_replacing(
    registry: RegistryServer,
    store: RegistryStore,
    signer: KeySigner,
    other_key: object,
    verifier: KeyVerifier,
) -> None:
    from supplychain.signing import keys

    assert isinstance(other_key, keys.PrivateKey)
    image = push_image(registry, store, seed="append")
    sign_image(store, image.ref, KeySigner(other_key), created=CREATED, legacy=True, referrer=False)
    sign_image(store, image.ref, signer, created=CREATED, legacy=True, referrer=False)
    verdict = verify_image(store, image.ref, verifier)
    assert [s.reason for s in verdict.skipped] != []  # the other key's layer was tried first
    assert verdict.accepted[0].evidence.layout is Layout.LEGACY_SIG


def test_verify_with_another_key_is_rejected(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, other_key: object
) -> None:
    from supplychain.signing import keys

    assert isinstance(other_key, keys.PrivateKey)
    image = push_image(registry, store, seed="otherkey")
    sign_image(store, image.ref, signer, created=CREATED, legacy=True)
    with pytest.raises(VerificationError, match="no valid signature"):
        verify_image(store, image.ref, KeyVerifier(other_key.public_key, require_tlog=False))


def test_unsigned_image_is_rejected(
    registry: RegistryServer, store: RegistryStore, verifier: KeyVerifier
) -> None:
    image = push_image(registry, store, seed="unsigned")
    with pytest.raises(VerificationError, match="no signature found"):
        verify_image(store, image.ref, verifier)


def test_key_signature_without_tlog_is_rejected_unless_waived(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    image = push_image(registry, store, seed="tlog")
    sign_image(store, image.ref, signer, created=CREATED, legacy=True)
    strict = replace(verifier, require_tlog=True)
    with pytest.raises(VerificationError, match="no transparency-log entry") as caught:
        verify_image(store, image.ref, strict)
    # Both layouts (referrer bundle, legacy .sig) fail for the same reason, so the one hint
    # survives into the message: the waiver lives in a policy file, never in a flag.
    assert caught.value.hint is not None and "policies/verify-key-offline.yaml" in caught.value.hint
    assert "transparencyLog: {required: false}" in caught.value.hint
    assert verify_image(store, image.ref, verifier).accepted


# --- attestations (class B) -------------------------------------------------------------------


def test_attest_spdx_then_verify_attestation_returns_the_predicate(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    image = push_image(registry, store, seed="attest")
    attest_image(
        store,
        image.ref,
        signer,
        predicate_type=intoto.PREDICATE_TYPES["spdx"],
        predicate=SPDX,
        created=CREATED,
        legacy=True,
    )
    verdict = verify_image(
        store,
        image.ref,
        verifier,
        wanted=Wanted.ATTESTATION,
        predicate_type=intoto.PREDICATE_TYPES["spdx"],
    )
    assert verdict.accepted[0].statement.predicate == SPDX
    assert verdict.accepted[0].evidence.layout is Layout.REFERRER


def test_legacy_att_alone_verifies_as_an_attestation(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    image = push_image(registry, store, seed="att-only")
    attest_image(
        store,
        image.ref,
        signer,
        predicate_type=intoto.PREDICATE_TYPES["cyclonedx"],
        predicate={"bomFormat": "CycloneDX", "specVersion": "1.6"},
        created=CREATED,
        legacy=True,
        referrer=False,
    )
    verdict = verify_image(
        store,
        image.ref,
        verifier,
        wanted=Wanted.ATTESTATION,
        predicate_type=intoto.PREDICATE_TYPES["cyclonedx"],
    )
    assert verdict.accepted[0].evidence.layout is Layout.LEGACY_ATT
    assert verdict.accepted[0].statement.predicate["bomFormat"] == "CycloneDX"


@pytest.mark.parametrize("legacy", [False, True])
def test_sbom_attestation_is_neither_a_signature_nor_another_type(
    registry: RegistryServer,
    store: RegistryStore,
    signer: KeySigner,
    verifier: KeyVerifier,
    legacy: bool,
) -> None:
    """NT-B1, NT-B2: only an SPDX attestation exists."""
    image = push_image(registry, store, seed=f"sbom-only-{legacy}")
    attest_image(
        store,
        image.ref,
        signer,
        predicate_type=intoto.PREDICATE_TYPES["spdx"],
        predicate=SPDX,
        created=CREATED,
        legacy=legacy,
        referrer=not legacy,
    )
    with pytest.raises(VerificationError, match=r"no (valid )?signature"):
        verify_image(store, image.ref, verifier)
    with pytest.raises(VerificationError, match="slsa"):
        verify_image(
            store,
            image.ref,
            verifier,
            wanted=Wanted.ATTESTATION,
            predicate_type=intoto.PREDICATE_TYPES["slsaprovenance1"],
        )


def _push_referrer(
    store: RegistryStore, repo: str, subject: Descriptor, bundle: bytes, annotation: str
) -> Digest:
    raw, _ = build_bundle_referrer(subject, bundle, annotation, CREATED)
    store.put_blob(repo, mt.EMPTY_JSON)
    store.put_blob(repo, bundle)
    digest = Digest.of(raw)
    store.put_manifest(repo, str(digest), raw, mt.OCI_MANIFEST)
    return digest


def _subject(store: RegistryStore, image_ref: ImageRef) -> Descriptor:
    from supplychain.store.sign import resolve_subject

    return resolve_subject(store, image_ref)


def test_unsigned_annotation_cannot_turn_an_sbom_into_a_signature(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """NT-K1 and NT-B3: the annotation says sign/v1 (or SLSA), the signed statement says SPDX."""
    image = push_image(registry, store, seed="k1")
    subject = _subject(store, image.ref)
    bundle = signer.attestation_bundle(subject.digest, "x", intoto.PREDICATE_TYPES["spdx"], SPDX)
    _push_referrer(store, image.ref.repository, subject, bundle, media.SIGN_PREDICATE)
    _push_referrer(
        store,
        image.ref.repository,
        subject,
        bundle + b" ",
        intoto.PREDICATE_TYPES["slsaprovenance1"],
    )
    with pytest.raises(VerificationError, match="no valid signature"):
        verify_image(store, image.ref, verifier)
    with pytest.raises(VerificationError):
        verify_image(
            store,
            image.ref,
            verifier,
            wanted=Wanted.ATTESTATION,
            predicate_type=intoto.PREDICATE_TYPES["slsaprovenance1"],
        )


# --- subject binding (class A) ------------------------------------------------------------------


def test_referrer_whose_subject_says_a_but_statement_says_b_is_rejected(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """NT-A2, NT-A3: a valid bundle for B, attached to A as a referrer of A."""
    repo = registry.repo("bind")
    image_a = push_image(registry, store, seed="A", repo=repo, tag="a")
    image_b = push_image(registry, store, seed="B", repo=repo, tag="b")
    sign_image(store, image_b.ref, signer, created=CREATED)
    subject_a = _subject(store, image_a.ref)
    bundle_for_b = signer.signature_bundle(Digest.parse(image_b.digest))
    _push_referrer(store, repo, subject_a, bundle_for_b, media.SIGN_PREDICATE)
    with pytest.raises(VerificationError, match="does not name"):
        verify_image(store, image_a.ref, verifier)
    assert verify_image(store, image_b.ref, verifier).image == image_b.pinned


def test_fallback_entry_for_b_listed_under_a_is_skipped(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """B's referrer copied into A's fallback index: its own subject says B, so it is skipped."""
    repo = registry.repo("bind")
    image_a = push_image(registry, store, seed="A2", repo=repo, tag="a")
    image_b = push_image(registry, store, seed="B2", repo=repo, tag="b")
    sign_image(store, image_b.ref, signer, created=CREATED)
    digest_a, digest_b = Digest.parse(image_a.digest), Digest.parse(image_b.digest)
    fallback_b = store.manifest_by_tag(repo, fallback_tag(digest_b))
    assert fallback_b is not None
    store.client.put_manifest(repo, fallback_b.raw, mt.OCI_INDEX, tag=fallback_tag(digest_a))
    with pytest.raises(VerificationError, match="no signature found"):
        verify_image(store, image_a.ref, verifier)


def test_legacy_sig_copied_from_b_to_a_is_rejected(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """NT-A1, NT-A4: B's valid .sig manifest pushed under A's tag."""
    repo = registry.repo("bind")
    image_a = push_image(registry, store, seed="A3", repo=repo, tag="a")
    image_b = push_image(registry, store, seed="B3", repo=repo, tag="b")
    sign_image(store, image_b.ref, signer, created=CREATED, legacy=True, referrer=False)
    digest_a, digest_b = Digest.parse(image_a.digest), Digest.parse(image_b.digest)
    sig_b = store.manifest_by_tag(repo, legacy_tag(digest_b, ".sig"))
    assert sig_b is not None
    store.client.put_manifest(repo, sig_b.raw, mt.OCI_MANIFEST, tag=legacy_tag(digest_a, ".sig"))
    with pytest.raises(VerificationError, match="not sha256"):
        verify_image(store, image_a.ref, verifier)


def test_legacy_att_copied_from_b_to_a_is_rejected(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    repo = registry.repo("bind")
    image_a = push_image(registry, store, seed="A4", repo=repo, tag="a")
    image_b = push_image(registry, store, seed="B4", repo=repo, tag="b")
    spdx = intoto.PREDICATE_TYPES["spdx"]
    attest_image(
        store,
        image_b.ref,
        signer,
        predicate_type=spdx,
        predicate=SPDX,
        created=CREATED,
        legacy=True,
        referrer=False,
    )
    digest_a, digest_b = Digest.parse(image_a.digest), Digest.parse(image_b.digest)
    att_b = store.manifest_by_tag(repo, legacy_tag(digest_b, ".att"))
    assert att_b is not None
    store.client.put_manifest(repo, att_b.raw, mt.OCI_MANIFEST, tag=legacy_tag(digest_a, ".att"))
    with pytest.raises(VerificationError, match="does not name"):
        verify_image(store, image_a.ref, verifier, wanted=Wanted.ATTESTATION, predicate_type=spdx)


def test_fallback_entry_with_cosign_empty_artifact_type_is_still_found(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """NT-K2: cosign 3.0.x writes artifactType = the empty config type and no annotations."""
    image = push_image(registry, store, seed="k2")
    subject = _subject(store, image.ref)
    bundle = signer.signature_bundle(subject.digest)
    raw, _ = build_bundle_referrer(subject, bundle, media.SIGN_PREDICATE, CREATED)
    repo = image.ref.repository
    store.put_blob(repo, mt.EMPTY_JSON)
    store.put_blob(repo, bundle)
    store.client.put_manifest(repo, raw, mt.OCI_MANIFEST)  # no fallback bookkeeping
    entry = {
        "mediaType": mt.OCI_MANIFEST,
        "digest": str(Digest.of(raw)),
        "size": len(raw),
        "artifactType": mt.OCI_EMPTY,
    }
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [entry]}
    store.client.put_manifest(
        repo, json.dumps(index).encode(), mt.OCI_INDEX, tag=fallback_tag(subject.digest)
    )
    assert verify_image(store, image.ref, verifier).accepted[0].evidence.layout is Layout.REFERRER


# --- TOCTOU (class E) ---------------------------------------------------------------------------


class MovesTagAfterResolve:
    """A port that, right after the one resolve, re-points the tag at another image."""

    def __init__(self, inner: RegistryStore, repo: str, tag: str, new_raw: bytes) -> None:
        self.inner = inner
        self.repo, self.tag, self.new_raw = repo, tag, new_raw
        self.resolves = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def resolve(self, repository: str, reference: str) -> Descriptor:
        self.resolves += 1
        found = self.inner.resolve(repository, reference)
        self.inner.client.put_manifest(self.repo, self.new_raw, mt.OCI_MANIFEST, tag=self.tag)
        return found


def test_tag_moved_after_resolve_changes_nothing(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """NT-E6: A signed; the tag moves to signed B mid-way; the verdict is about A only."""
    repo = registry.repo("toctou")
    image_a = push_image(registry, store, seed="tA", repo=repo, tag="app")
    sign_image(store, image_a.ref, signer, created=CREATED)
    image_b = push_image(registry, store, seed="tB", repo=repo, tag="other")
    sign_image(store, image_b.ref, signer, created=CREATED)
    raw_b = store.manifest_by_digest(repo, Digest.parse(image_b.digest)).raw
    port = MovesTagAfterResolve(store, repo, "app", raw_b)
    verdict = verify_image(port, image_a.ref, verifier)  # type: ignore[arg-type]
    assert port.resolves == 1
    assert verdict.image == image_a.pinned
    assert str(store.resolve(repo, "app").digest) == image_b.digest  # the tag really moved


def test_tag_moved_to_a_signed_image_does_not_rescue_an_unsigned_one(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    repo = registry.repo("toctou")
    image_a = push_image(registry, store, seed="uA", repo=repo, tag="app")
    image_b = push_image(registry, store, seed="uB", repo=repo, tag="other")
    sign_image(store, image_b.ref, signer, created=CREATED, legacy=True)
    raw_b = store.manifest_by_digest(repo, Digest.parse(image_b.digest)).raw
    port = MovesTagAfterResolve(store, repo, "app", raw_b)
    with pytest.raises(VerificationError) as caught:
        verify_image(port, image_a.ref, verifier)  # type: ignore[arg-type]
    assert image_a.digest in caught.value.diagnostics()


# --- caps (class F) -----------------------------------------------------------------------------


def test_sig_manifest_with_1001_layers_is_refused_fast(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """NT-F1 (the registry really stores it; every layer is the same small blob)."""
    image = push_image(registry, store, seed="f1")
    digest = Digest.parse(image.digest)
    payload, _signature = signer.simple_signing("x", digest)
    store.put_blob(image.ref.repository, payload)
    config = b"{}"
    store.put_blob(image.ref.repository, config)
    layer = {
        "mediaType": media.SIMPLE_SIGNING_LAYER,
        "digest": str(Digest.of(payload)),
        "size": len(payload),
        "annotations": {media.ANN_SIGNATURE: "c2ln"},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {"mediaType": mt.OCI_CONFIG, "digest": str(Digest.of(config)), "size": 2},
        "layers": [layer] * 1001,
    }
    store.client.put_manifest(
        image.ref.repository,
        json.dumps(manifest).encode(),
        mt.OCI_MANIFEST,
        tag=legacy_tag(digest, ".sig"),
    )
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match="1001"):
        verify_image(store, image.ref, verifier)
    assert time.monotonic() - started < 10


def test_signature_layer_declared_200_mib_is_never_downloaded(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """NT-F2: the declared size alone refuses it; no blob GET is made."""
    image = push_image(registry, store, seed="f2")
    subject = _subject(store, image.ref)
    bundle = signer.signature_bundle(subject.digest)
    repo = image.ref.repository
    store.put_blob(repo, mt.EMPTY_JSON)
    store.put_blob(repo, bundle)
    raw, _layer = build_bundle_referrer(subject, bundle, media.SIGN_PREDICATE, CREATED)
    doc = json.loads(raw)
    doc["layers"][0]["size"] = 200 * MiB
    store.put_manifest(
        repo, str(Digest.of(json.dumps(doc).encode())), json.dumps(doc).encode(), mt.OCI_MANIFEST
    )
    blob_calls_before = store.calls
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match="209715200"):
        verify_image(store, image.ref, verifier)
    assert time.monotonic() - started < 10
    assert store.calls - blob_calls_before <= 4  # resolve, manifest, referrers list, referrer


def test_ten_thousand_referrers_are_refused(
    registry: RegistryServer, store: RegistryStore, verifier: KeyVerifier
) -> None:
    """NT-F4 through the fallback index the real registry serves."""
    image = push_image(registry, store, seed="f4")
    digest = Digest.parse(image.digest)
    entry = {"mediaType": mt.OCI_MANIFEST, "digest": image.digest, "size": 1}
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [entry] * 10_000}
    store.client.put_manifest(
        image.ref.repository, json.dumps(index).encode(), mt.OCI_INDEX, tag=fallback_tag(digest)
    )
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match="10000"):
        verify_image(store, image.ref, verifier)
    assert time.monotonic() - started < 10


def test_docker_media_type_image_signed_by_digest_reference(
    registry: RegistryServer, store: RegistryStore, signer: KeySigner, verifier: KeyVerifier
) -> None:
    """Docker v2 manifests are subjects too, and a digest reference skips the tag resolve."""
    from tests.fixtures.registry import push_tiny_image

    repo = registry.repo("docker")
    pushed = push_tiny_image(store.client, repo, tag=None, docker=True, seed="dock")
    ref = ImageRef.parse(f"{registry.host}/{repo}@{pushed.digest}")
    attached = sign_image(store, ref, signer, created=CREATED, legacy=True)
    assert attached.subject.media_type == mt.DOCKER_MANIFEST
    verdict = verify_image(store, ref, verifier)
    assert str(verdict.digest) == pushed.digest
    referrer = store.manifest_by_digest(repo, attached.referrer or Digest.of(b""))
    assert json.loads(referrer.raw)["subject"]["mediaType"] == mt.DOCKER_MANIFEST


def test_referrer_manifests_opened_per_image_are_capped(
    registry: RegistryServer, store: RegistryStore, other_key: object, verifier: KeyVerifier
) -> None:
    """More candidates than the opening budget: a cap hit (exit 1), not an endless search."""
    from datetime import timedelta

    from supplychain.signing import keys

    assert isinstance(other_key, keys.PrivateKey)
    image = push_image(registry, store, seed="opened")
    for minute in range(3):  # three distinct referrers, none by the trusted key
        sign_image(
            store, image.ref, KeySigner(other_key), created=CREATED + timedelta(minutes=minute)
        )
    assert len(store.referrers(image.ref.repository, Digest.parse(image.digest))) == 3
    limits = replace(store.limits, referrers_opened=2)
    with pytest.raises(LimitExceededError, match="more than 2 referrer manifests"):
        verify_image(store, image.ref, verifier, limits=limits)
    with pytest.raises(VerificationError, match="3 candidate"):
        verify_image(store, image.ref, verifier)


def test_total_signature_bytes_per_image_are_budgeted(
    registry: RegistryServer,
    store: RegistryStore,
    signer: KeySigner,
    other_key: object,
    verifier: KeyVerifier,
) -> None:
    """Each layer under its own cap, together over the per-image budget: refused (class F)."""
    from supplychain.signing import keys

    assert isinstance(other_key, keys.PrivateKey)
    image = push_image(registry, store, seed="budget")
    sign_image(store, image.ref, KeySigner(other_key), created=CREATED, legacy=True, referrer=False)
    sign_image(store, image.ref, signer, created=CREATED, legacy=True, referrer=False)
    name = f"{image.ref.registry}/{image.ref.repository}"
    one_layer = len(signer.simple_signing(name, Digest.parse(image.digest))[0])
    limits = replace(store.limits, attachment=one_layer * 3 // 2)
    with pytest.raises(LimitExceededError, match="in total"):
        verify_image(store, image.ref, verifier, limits=limits)
    assert verify_image(store, image.ref, verifier).accepted
