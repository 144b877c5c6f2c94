"""Layout builders and readers: what we write parses back, and hostile shapes are refused."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from supplychain.errors import InvalidInputError, LimitExceededError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import DEFAULT_LIMITS, MiB
from supplychain.oci.manifest import ImageManifest, parse_manifest
from supplychain.oci.referrers import fallback_tag
from supplychain.store import media
from supplychain.store.evidence import EvidenceKind, Layout
from supplychain.store.legacy import (
    attestation_layer,
    build_legacy_manifest,
    evidence_from_legacy_manifest,
    legacy_tag,
    signature_layer,
)
from supplychain.store.referrer import build_bundle_referrer, evidence_from_referrer

IMAGE_A = Digest.of(b"image A manifest")
IMAGE_B = Digest.of(b"image B manifest")
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def _manifest(raw: bytes) -> ImageManifest:
    parsed = parse_manifest(raw)
    assert isinstance(parsed, ImageManifest)
    return parsed


def _layer_json(media_type: str, size: int, annotations: dict[str, str]) -> dict[str, object]:
    return {
        "mediaType": media_type,
        "digest": str(Digest.of(b"x")),
        "size": size,
        "annotations": annotations,
    }


def _raw_manifest(layers: list[dict[str, object]], **extra: object) -> bytes:
    doc = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {"mediaType": mt.OCI_CONFIG, "digest": str(Digest.of(b"{}")), "size": 2},
        "layers": layers,
        **extra,
    }
    return json.dumps(doc).encode()


def test_tags_follow_cosign_and_the_referrers_spec() -> None:
    assert legacy_tag(IMAGE_A, ".sig") == f"sha256-{IMAGE_A.hex}.sig"
    assert legacy_tag(IMAGE_A, ".att") == f"sha256-{IMAGE_A.hex}.att"
    assert fallback_tag(IMAGE_A) == f"sha256-{IMAGE_A.hex}"


def test_legacy_manifest_round_trip_keeps_every_signature() -> None:
    first = signature_layer(b'{"payload":1}', b"\x30\x01sig-one")
    second = signature_layer(b'{"payload":2}', b"\x30\x02sig-two")
    built = build_legacy_manifest([], first)
    assert built is not None
    manifest_bytes, config_bytes = built
    manifest = _manifest(manifest_bytes)
    assert manifest.config.digest == Digest.of(config_bytes)
    again = build_legacy_manifest(manifest.layers, second)
    assert again is not None
    manifest2 = _manifest(again[0])
    found = evidence_from_legacy_manifest(manifest2, Layout.LEGACY_SIG, DEFAULT_LIMITS, "t")
    assert [e.signature for e in found] == [b"\x30\x01sig-one", b"\x30\x02sig-two"]
    assert all(e.kind is EvidenceKind.SIMPLE_SIGNING for e in found)
    assert json.loads(config_bytes)["rootfs"]["diff_ids"] == [str(first.digest)]


def test_appending_the_same_signature_twice_is_a_no_op() -> None:
    layer = signature_layer(b"payload", b"sig")
    built = build_legacy_manifest([], layer)
    assert built is not None
    assert build_legacy_manifest(_manifest(built[0]).layers, layer) is None


def test_attestation_layer_carries_the_unsigned_predicate_hint() -> None:
    layer = attestation_layer(b'{"payloadType":"x"}', "https://spdx.dev/Document")
    built = build_legacy_manifest([], layer)
    assert built is not None
    [found] = evidence_from_legacy_manifest(
        _manifest(built[0]), Layout.LEGACY_ATT, DEFAULT_LIMITS, "t"
    )
    assert found.kind is EvidenceKind.DSSE
    assert found.signature is None
    assert found.predicate_type_hint == "https://spdx.dev/Document"


@pytest.mark.parametrize(
    "annotation",
    [
        base64.urlsafe_b64encode(b"\xfb\xff\xfe-signature").decode(),  # URL-safe alphabet
        base64.b64encode(b"abcd1").decode().rstrip("="),  # missing padding
        "not base64 at all!",
        "YWJjZB==",  # non-canonical: stray bits in the padding (decodes to b"abcd" leniently)
    ],
)
def test_signature_annotation_must_be_strict_base64(annotation: str) -> None:
    raw = _raw_manifest(
        [_layer_json(media.SIMPLE_SIGNING_LAYER, 10, {media.ANN_SIGNATURE: annotation})]
    )
    with pytest.raises(InvalidInputError, match="strict base64"):
        evidence_from_legacy_manifest(_manifest(raw), Layout.LEGACY_SIG, DEFAULT_LIMITS, "t")


def test_simple_signing_layer_without_signature_is_an_error_not_unsigned() -> None:
    raw = _raw_manifest([_layer_json(media.SIMPLE_SIGNING_LAYER, 10, {})])
    with pytest.raises(InvalidInputError, match="no signature"):
        evidence_from_legacy_manifest(_manifest(raw), Layout.LEGACY_SIG, DEFAULT_LIMITS, "t")


def test_1001_layers_are_refused_before_anything_is_built() -> None:
    layer = _layer_json(media.SIMPLE_SIGNING_LAYER, 10, {media.ANN_SIGNATURE: "c2ln"})
    raw = _raw_manifest([layer] * 1001)
    with pytest.raises(LimitExceededError, match="1001"):
        parse_manifest(raw)


def test_signature_layer_cap_applies_even_if_the_manifest_cap_is_raised() -> None:
    from dataclasses import replace

    layer = _layer_json(media.SIMPLE_SIGNING_LAYER, 10, {media.ANN_SIGNATURE: "c2ln"})
    limits = replace(DEFAULT_LIMITS, manifest_layers=5000)
    manifest = parse_manifest(_raw_manifest([layer] * 1001), limits=limits)
    assert isinstance(manifest, ImageManifest)
    with pytest.raises(LimitExceededError, match="1001 layers"):
        evidence_from_legacy_manifest(manifest, Layout.LEGACY_SIG, limits, "t")


@pytest.mark.parametrize(
    ("media_type", "size"),
    [(media.SIMPLE_SIGNING_LAYER, 200 * MiB), (media.DSSE_LAYER, 200 * MiB)],
)
def test_declared_oversized_layer_is_refused_from_the_descriptor(
    media_type: str, size: int
) -> None:
    raw = _raw_manifest([_layer_json(media_type, size, {media.ANN_SIGNATURE: ""})])
    with pytest.raises(LimitExceededError, match="over the"):
        evidence_from_legacy_manifest(_manifest(raw), Layout.LEGACY_SIG, DEFAULT_LIMITS, "t")


def test_unknown_layer_types_in_a_sig_manifest_are_ignored() -> None:
    raw = _raw_manifest([_layer_json("text/plain", 10, {})])
    assert (
        evidence_from_legacy_manifest(_manifest(raw), Layout.LEGACY_SIG, DEFAULT_LIMITS, "t") == []
    )


# --- bundle referrers -----------------------------------------------------------------------


def _subject(digest: Digest) -> Descriptor:
    return Descriptor(mt.OCI_MANIFEST, digest, 1234)


def test_bundle_referrer_has_the_cosign_v3_shape() -> None:
    raw, layer = build_bundle_referrer(
        _subject(IMAGE_A), b'{"bundle":1}', media.SIGN_PREDICATE, CREATED
    )
    doc = json.loads(raw)
    assert doc["artifactType"] == media.BUNDLE_V03
    assert doc["config"] == {"mediaType": mt.OCI_EMPTY, "digest": mt.EMPTY_DIGEST, "size": 2}
    assert doc["layers"] == [layer.to_json()]
    assert doc["subject"]["digest"] == str(IMAGE_A)
    assert doc["annotations"] == {
        media.ANN_BUNDLE_CONTENT: "dsse-envelope",
        media.ANN_BUNDLE_PREDICATE_TYPE: media.SIGN_PREDICATE,
        media.ANN_CREATED: "2026-01-02T03:04:05Z",
    }
    [found] = evidence_from_referrer(_manifest(raw), IMAGE_A, Layout.REFERRER, DEFAULT_LIMITS, "r")
    assert found.kind is EvidenceKind.BUNDLE
    assert found.layer.digest == Digest.of(b'{"bundle":1}')


def test_referrer_about_another_image_is_skipped() -> None:
    raw, _ = build_bundle_referrer(_subject(IMAGE_B), b"{}", media.SIGN_PREDICATE, CREATED)
    assert (
        evidence_from_referrer(_manifest(raw), IMAGE_A, Layout.REFERRER, DEFAULT_LIMITS, "r") == []
    )


def test_bundle_referrer_with_two_layers_is_refused() -> None:
    bundle = _layer_json(media.BUNDLE_V03, 10, {})
    raw = _raw_manifest([bundle, bundle], subject=_subject(IMAGE_A).to_json())
    with pytest.raises(InvalidInputError, match="exactly one layer"):
        evidence_from_referrer(_manifest(raw), IMAGE_A, Layout.REFERRER, DEFAULT_LIMITS, "r")


def test_bundle_declared_over_the_envelope_cap_is_refused() -> None:
    raw = _raw_manifest(
        [_layer_json(media.BUNDLE_V03, 200 * MiB, {})], subject=_subject(IMAGE_A).to_json()
    )
    with pytest.raises(LimitExceededError):
        evidence_from_referrer(_manifest(raw), IMAGE_A, Layout.REFERRER, DEFAULT_LIMITS, "r")


def test_non_signature_referrers_carry_no_evidence() -> None:
    raw = _raw_manifest(
        [_layer_json("text/spdx+json", 10, {})],
        subject=_subject(IMAGE_A).to_json(),
        artifactType="application/spdx+json",
    )
    assert (
        evidence_from_referrer(_manifest(raw), IMAGE_A, Layout.REFERRER, DEFAULT_LIMITS, "r") == []
    )


def test_experimental_cosign_signature_referrer_is_read_like_a_sig_manifest() -> None:
    layer = signature_layer(b"payload", b"sig").to_json()
    raw = _raw_manifest(
        [layer], subject=_subject(IMAGE_A).to_json(), artifactType=media.COSIGN_SIG_ARTIFACT
    )
    [found] = evidence_from_referrer(_manifest(raw), IMAGE_A, Layout.REFERRER, DEFAULT_LIMITS, "r")
    assert found.kind is EvidenceKind.SIMPLE_SIGNING
    assert found.signature == b"sig"
