"""What discovery hands to verification: one signed object found on a registry, not yet trusted.

An :class:`Evidence` says where a candidate was found and which blob holds its signed bytes.
Everything in it except ``layer.digest``/``layer.size`` (the bounds the blob is fetched against)
is a hint copied from unsigned annotations; verification decides only on what the signature
covers (SECURITY classes A, B, K).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from supplychain.model import Descriptor, Digest


class EvidenceKind(str, enum.Enum):
    """How the signed bytes in the layer are to be read."""

    SIMPLE_SIGNING = "simple-signing"
    """cosign legacy payload; the signature travels in a layer annotation."""
    DSSE = "dsse"
    """A whole DSSE envelope (legacy ``.att``)."""
    BUNDLE = "bundle"
    """A Sigstore bundle (cosign v3 referrer)."""


class Layout(str, enum.Enum):
    """Where the candidate was found, for reports and round-trip accounting."""

    REFERRER = "referrer"
    """An OCI 1.1 referrer, listed by the referrers API or its tag fallback."""
    LEGACY_SIG = "legacy-sig"
    LEGACY_ATT = "legacy-att"


@dataclass(frozen=True)
class Evidence:
    kind: EvidenceKind
    layout: Layout
    manifest_digest: Digest
    layer: Descriptor
    signature: bytes | None = None
    """Decoded ``dev.cosignproject.cosign/signature`` (simple-signing only)."""
    certificate: str | None = None
    chain: str | None = None
    rekor_bundle: str | None = None
    rfc3161: str | None = None
    predicate_type_hint: str | None = None
    """Unsigned; logged when it disagrees with the signed value, never used to decide."""

    def describe(self) -> str:
        return f"{self.layout.value} {self.kind.value} layer {self.layer.digest.short}"
