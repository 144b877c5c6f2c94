"""What the store needs from the signing core, stated as two small Protocols.

The store moves bytes between a registry and the signing core; it never does cryptography
itself. Keeping the contract this narrow lets the same store code serve key-based and keyless
authorities, and makes clear that every *decision* (signature valid, subject digest bound,
predicate type signed) comes back from the signing core as verified content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from supplychain.model import Digest
from supplychain.store.evidence import Evidence


@dataclass(frozen=True)
class SignedStatement:
    """Content the signing core has verified: the signed predicate type and predicate, and
    who signed (a key fingerprint or a certificate identity), for reports."""

    predicate_type: str
    predicate: Any
    signer: str
    subject_digests: tuple[Digest, ...]


class ImageSigner(Protocol):
    def signature_bundle(self, subject: Digest) -> bytes:
        """A Sigstore bundle over an in-toto Statement v1 with predicate type
        ``https://sigstore.dev/cosign/sign/v1`` naming ``subject``."""
        ...

    def attestation_bundle(
        self, subject: Digest, name: str, predicate_type: str, predicate: Any
    ) -> bytes:
        """A Sigstore bundle over an in-toto Statement v1 carrying ``predicate``."""
        ...

    def attestation_envelope(
        self, subject: Digest, name: str, predicate_type: str, predicate: Any
    ) -> bytes:
        """A bare DSSE envelope (for the legacy ``.att`` layout)."""
        ...

    def simple_signing(self, docker_reference: str, subject: Digest) -> tuple[bytes, bytes]:
        """The cosign simple-signing payload naming ``subject`` and a signature over it."""
        ...


class EvidenceVerifier(Protocol):
    """Each method raises :class:`~supplychain.errors.VerificationError` when the material does
    not verify under this authority or does not name ``subject`` in its signed content."""

    def verify_bundle(self, bundle: bytes, subject: Digest, expect: str) -> SignedStatement:
        """A Sigstore bundle whose signed statement must have predicate type ``expect``."""
        ...

    def verify_envelope(
        self, envelope: bytes, evidence: Evidence, subject: Digest, expect: str
    ) -> SignedStatement:
        """A legacy ``.att`` DSSE envelope; ``evidence`` carries the annotation material
        (certificate, chain, Rekor bundle, timestamp) that came with it."""
        ...

    def verify_simple_signing(
        self, payload: bytes, evidence: Evidence, subject: Digest
    ) -> SignedStatement:
        """A legacy simple-signing payload with ``evidence.signature`` over it."""
        ...
