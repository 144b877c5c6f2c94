"""Verifying an image's signatures or attestations on a registry.

The order of events is the security argument (SECURITY R6, classes A, B, E, K):

1. the reference is resolved to a digest **once** and the manifest bytes are fetched by that
   digest; everything after uses only the digest, so a tag moved mid-way changes nothing;
2. discovery lists candidates from every layout — hints only;
3. each candidate's signed bytes are fetched by digest (size capped first) and handed to the
   signing core, which checks the signature under the given authority *and* that the signed
   content names this digest;
4. only then the **signed** predicate type is compared with what was asked for: a signature
   is a ``https://sigstore.dev/cosign/sign/v1`` statement or a simple-signing payload, an
   attestation is a statement of exactly the requested type.

A candidate that does not verify (another key, another image, another type) is recorded and
skipped; malformed or oversized registry content, a digest mismatch or a cap hit aborts the
whole verification (fail closed). No evidence left = :class:`VerificationError` (exit 1).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from supplychain.errors import LimitExceededError, VerificationError
from supplychain.model import Digest
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.reference import ImageRef
from supplychain.store import media
from supplychain.store.contracts import EvidenceVerifier, SignedStatement
from supplychain.store.discovery import Looking, discover
from supplychain.store.evidence import Evidence, EvidenceKind
from supplychain.store.port import RegistryPort
from supplychain.store.sign import resolve_subject

log = logging.getLogger(__name__)


class Wanted(str, enum.Enum):
    SIGNATURE = "signature"
    ATTESTATION = "attestation"


@dataclass(frozen=True)
class Accepted:
    evidence: Evidence
    statement: SignedStatement


@dataclass(frozen=True)
class Skipped:
    candidate: str
    reason: str
    hint: str | None = None


class FetchBudget:
    """Total signed-blob bytes one verification may download (SECURITY class F).

    Per-layer caps alone still let a hostile ``.att`` with 1000 layers of 32 MiB cost 32 GiB;
    charging every declared size against one attachment-sized budget bounds the whole run.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def charge(self, evidence: Evidence, what: str) -> None:
        self.spent += evidence.layer.size
        if self.spent > self.limit:
            raise LimitExceededError(
                f"signature material over {self.limit} bytes in total for one image",
                subject=what,
            )


@dataclass(frozen=True)
class ImageVerdict:
    """A successful verification: only ever built when ``accepted`` is non-empty."""

    image: str
    """``registry/repo@sha256:…`` — the digest resolved once and verified."""
    digest: Digest
    accepted: tuple[Accepted, ...]
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)


def verify_image(
    port: RegistryPort,
    ref: ImageRef,
    verifier: EvidenceVerifier,
    *,
    wanted: Wanted = Wanted.SIGNATURE,
    predicate_type: str | None = None,
    needed: int = 1,
    limits: Limits = DEFAULT_LIMITS,
) -> ImageVerdict:
    """Verify ``ref``; returns the verdict or raises (VerificationError when nothing counts).

    ``needed`` distinct accepted candidates stop the search early (a quorum of 1 needs no
    more registry round trips than the first good signature).
    """
    if wanted is Wanted.ATTESTATION and not predicate_type:
        raise ValueError("an attestation check needs a predicate type")
    subject = resolve_subject(port, ref).digest
    image = f"{ref.registry}/{ref.repository}@{subject}"
    looking = Looking.SIGNATURES if wanted is Wanted.SIGNATURE else Looking.ATTESTATIONS
    expected_type = media.SIGN_PREDICATE if wanted is Wanted.SIGNATURE else str(predicate_type)
    accepted: list[Accepted] = []
    skipped: list[Skipped] = []
    budget = FetchBudget(limits.attachment)
    for evidence in discover(port, ref.repository, subject, looking, limits):
        reason = _unwanted_kind(evidence, wanted)
        if reason:
            skipped.append(Skipped(evidence.describe(), reason))
            continue
        budget.charge(evidence, image)
        blob = port.blob(ref.repository, evidence.layer)
        try:
            statement = _verify_one(verifier, evidence, blob, subject, expected_type)
        except VerificationError as exc:
            log.info("%s: %s", evidence.describe(), exc.message)
            skipped.append(Skipped(evidence.describe(), exc.message, exc.hint))
            continue
        if (
            evidence.predicate_type_hint
            and evidence.predicate_type_hint != statement.predicate_type
        ):
            log.warning(
                "%s: unsigned annotation says %r, signed statement says %r (annotation ignored)",
                evidence.describe(),
                evidence.predicate_type_hint,
                statement.predicate_type,
            )
        if statement.predicate_type != expected_type:
            skipped.append(
                Skipped(evidence.describe(), f"signed predicate type is {statement.predicate_type}")
            )
            continue
        accepted.append(Accepted(evidence, statement))
        if len(accepted) >= needed:
            return ImageVerdict(image, subject, tuple(accepted), tuple(skipped))
    what = f"{wanted.value} of type {predicate_type}" if predicate_type else wanted.value
    if not skipped and not accepted:
        raise VerificationError(f"no {what} found for {subject}", subject=image)
    shown = "; ".join(f"{s.candidate}: {s.reason}" for s in skipped[:3])
    more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    quorum = f" ({len(accepted)} of {needed} needed)" if accepted else ""
    hints = sorted({s.hint for s in skipped if s.hint})
    raise VerificationError(
        f"no valid {what} for {subject}{quorum}: {len(skipped)} candidate(s) rejected: "
        f"{shown}{more}",
        subject=image,
        hint=hints[0] if len(hints) == 1 else None,
    )


def _unwanted_kind(evidence: Evidence, wanted: Wanted) -> str | None:
    if wanted is Wanted.ATTESTATION and evidence.kind is EvidenceKind.SIMPLE_SIGNING:
        return "a simple-signing signature is not an attestation"
    if wanted is Wanted.SIGNATURE and evidence.kind is EvidenceKind.DSSE:
        return "a bare DSSE attestation is not a signature"
    return None


def _verify_one(
    verifier: EvidenceVerifier, evidence: Evidence, blob: bytes, subject: Digest, expect: str
) -> SignedStatement:
    if evidence.kind is EvidenceKind.BUNDLE:
        return verifier.verify_bundle(blob, subject, expect)
    if evidence.kind is EvidenceKind.DSSE:
        return verifier.verify_envelope(blob, evidence, subject, expect)
    return verifier.verify_simple_signing(blob, evidence, subject)
