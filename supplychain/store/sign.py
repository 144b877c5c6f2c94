"""Signing and attesting images on a registry: resolve once, sign the digest, attach.

The digest signed is the hash of manifest bytes we fetched and verified ourselves, never a
``Docker-Content-Digest`` taken on trust. The default output is the cosign v3 shape (a bundle
referrer, plus the fallback index on registries without the referrers API); ``legacy`` adds
cosign's ``.sig``/``.att`` tag so older verifiers find it too (FORMATS §9).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.manifest import parse_manifest
from supplychain.oci.reference import ImageRef
from supplychain.store import media
from supplychain.store.contracts import ImageSigner
from supplychain.store.legacy import (
    ATT_SUFFIX,
    SIG_SUFFIX,
    attestation_layer,
    build_legacy_manifest,
    legacy_tag,
    signature_layer,
)
from supplychain.store.port import RegistryPort
from supplychain.store.referrer import build_bundle_referrer, require_manifest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attached:
    """What was written: the signed image and where its signature/attestation now lives."""

    image: str
    """``registry/repo@sha256:…`` — the digest that was signed."""
    subject: Descriptor
    referrer: Digest | None
    legacy_tag: str | None


def resolve_subject(port: RegistryPort, ref: ImageRef) -> Descriptor:
    """Resolve ``ref`` once and confirm the bytes by a GET by digest (FORMATS §1.5)."""
    reference = str(ref.digest) if ref.digest is not None else (ref.tag or "latest")
    candidate = ref.digest or port.resolve(ref.repository, reference).digest
    fetched = port.manifest_by_digest(ref.repository, candidate)
    return Descriptor(fetched.content_type, fetched.digest, len(fetched.raw))


def _pinned(ref: ImageRef, digest: Digest) -> str:
    return f"{ref.registry}/{ref.repository}@{digest}"


def _push_referrer(
    port: RegistryPort,
    repository: str,
    subject: Descriptor,
    bundle: bytes,
    predicate_type: str,
    created: datetime,
) -> Digest:
    raw, layer = build_bundle_referrer(subject, bundle, predicate_type, created)
    port.put_blob(repository, mt.EMPTY_JSON)
    port.put_blob(repository, bundle)
    digest = Digest.of(raw)
    port.put_manifest(repository, str(digest), raw, mt.OCI_MANIFEST)
    log.info("pushed referrer %s (bundle %s)", digest.short, layer.digest.short)
    return digest


def _push_legacy(
    port: RegistryPort,
    repository: str,
    subject: Digest,
    suffix: str,
    blob: bytes,
    layer: Descriptor,
) -> str:
    tag = legacy_tag(subject, suffix)
    existing: tuple[Descriptor, ...] = ()
    current = port.manifest_by_tag(repository, tag)
    if current is not None:
        what = f"{repository}:{tag}"
        parsed = parse_manifest(
            current.raw, digest=current.digest, content_type=current.content_type, what=what
        )
        existing = require_manifest(parsed, what).layers
    built = build_legacy_manifest(existing, layer)
    if built is None:
        return tag
    manifest, config = built
    port.put_blob(repository, blob)
    port.put_blob(repository, config)
    port.put_manifest(repository, tag, manifest, mt.OCI_MANIFEST)
    return tag


def sign_image(
    port: RegistryPort,
    ref: ImageRef,
    signer: ImageSigner,
    *,
    created: datetime,
    legacy: bool = False,
    referrer: bool = True,
) -> Attached:
    """Sign the image ``ref`` names now; returns the pinned reference that was signed.

    ``referrer`` writes the cosign v3 bundle referrer (the default layout), ``legacy`` the
    ``.sig`` tag; the CLI's ``--legacy`` writes both.
    """
    subject = resolve_subject(port, ref)
    pushed = None
    if referrer:
        bundle = signer.signature_bundle(subject.digest)
        pushed = _push_referrer(
            port, ref.repository, subject, bundle, media.SIGN_PREDICATE, created
        )
    tag = None
    if legacy:
        payload, signature = signer.simple_signing(
            f"{ref.registry}/{ref.repository}", subject.digest
        )
        tag = _push_legacy(
            port,
            ref.repository,
            subject.digest,
            SIG_SUFFIX,
            payload,
            signature_layer(payload, signature),
        )
    return Attached(_pinned(ref, subject.digest), subject, pushed, tag)


def attest_image(
    port: RegistryPort,
    ref: ImageRef,
    signer: ImageSigner,
    *,
    predicate_type: str,
    predicate: Any,
    created: datetime,
    legacy: bool = False,
    referrer: bool = True,
) -> Attached:
    """Attest ``predicate`` about the image ``ref`` names now (in-toto Statement v1)."""
    subject = resolve_subject(port, ref)
    name = f"{ref.registry}/{ref.repository}"
    pushed = None
    if referrer:
        bundle = signer.attestation_bundle(subject.digest, name, predicate_type, predicate)
        pushed = _push_referrer(port, ref.repository, subject, bundle, predicate_type, created)
    tag = None
    if legacy:
        envelope = signer.attestation_envelope(subject.digest, name, predicate_type, predicate)
        tag = _push_legacy(
            port,
            ref.repository,
            subject.digest,
            ATT_SUFFIX,
            envelope,
            attestation_layer(envelope, predicate_type),
        )
    return Attached(_pinned(ref, subject.digest), subject, pushed, tag)
