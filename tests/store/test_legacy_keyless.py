"""Legacy keyless ``.sig`` manifests on the real registry: found, verified, bound (gap 1)."""

from __future__ import annotations

import base64

import pytest

from supplychain.errors import VerificationError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.signing.identity import Identity
from supplychain.store import media
from supplychain.store.authority import KeylessVerifier
from supplychain.store.client import RegistryStore
from supplychain.store.evidence import EvidenceKind, Layout
from supplychain.store.legacy import build_legacy_manifest, legacy_tag
from supplychain.store.verify import verify_image
from tests.fixtures.registry import RegistryServer
from tests.signing.test_legacy_keyless_sig import IDENTITY, ISSUER, SAN, Pki, Sig, _sig, pki
from tests.store.conftest import push_image

pytestmark = pytest.mark.registry
__all__ = ["pki"]  # the fixture, imported so pytest finds it here


def _push_keyless_sig(store: RegistryStore, repo: str, subject: Digest, sig: Sig) -> None:
    """A cosign-style keyless ``.sig`` manifest: signature, certificate and bundle annotations."""
    layer = Descriptor(
        media_type=media.SIMPLE_SIGNING_LAYER,
        digest=Digest.of(sig.payload),
        size=len(sig.payload),
        annotations={
            media.ANN_SIGNATURE: base64.b64encode(sig.signature).decode(),
            media.ANN_CERTIFICATE: sig.cert_pem.decode(),
            media.ANN_REKOR_BUNDLE: sig.rekor.decode(),
        },
    )
    built = build_legacy_manifest((), layer)
    assert built is not None
    manifest, config = built
    store.put_blob(repo, sig.payload)
    store.put_blob(repo, config)
    store.put_manifest(repo, legacy_tag(subject, ".sig"), manifest, mt.OCI_MANIFEST)


def test_keyless_legacy_sig_verifies_from_the_registry(
    registry: RegistryServer, store: RegistryStore, pki: Pki
) -> None:
    image = push_image(registry, store, seed="keyless-legacy")
    subject = Digest.parse(image.digest)
    _push_keyless_sig(store, image.ref.repository, subject, _sig(pki, subject))
    verdict = verify_image(store, image.ref, KeylessVerifier(IDENTITY, pki.root()))
    [accepted] = verdict.accepted
    assert verdict.image == image.pinned
    assert accepted.evidence.layout is Layout.LEGACY_SIG
    assert accepted.evidence.kind is EvidenceKind.SIMPLE_SIGNING
    assert accepted.statement.signer == SAN
    other = Identity(subject=SAN + "x", issuer=ISSUER)
    with pytest.raises(VerificationError, match="does not match"):
        verify_image(store, image.ref, KeylessVerifier(other, pki.root()))


def test_keyless_legacy_sig_of_b_under_a_is_rejected(
    registry: RegistryServer, store: RegistryStore, pki: Pki
) -> None:
    """NT-A1 in the keyless legacy layout: B's valid signature pushed under A's tag."""
    repo = registry.repo("keyless-bind")
    image_a = push_image(registry, store, seed="KA", repo=repo, tag="a")
    image_b = push_image(registry, store, seed="KB", repo=repo, tag="b")
    digest_a, digest_b = Digest.parse(image_a.digest), Digest.parse(image_b.digest)
    _push_keyless_sig(store, repo, digest_a, _sig(pki, digest_b))
    with pytest.raises(VerificationError, match="not sha256"):
        verify_image(store, image_a.ref, KeylessVerifier(IDENTITY, pki.root()))
