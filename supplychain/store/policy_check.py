"""Verifying an image on a registry under a policy file (signing.policy decides).

The store's part is only to gather candidates — one discovery pass over referrers and both
legacy tags, every blob fetched by digest within the caps — and to hand them to
:func:`supplychain.signing.policy.evaluate`, which verifies each under each authority of the
matching rules and applies the quorum and the attestation requirements. The digest is
resolved once, before discovery, as in :mod:`supplychain.store.verify`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from supplychain.model import Digest
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.reference import ImageRef
from supplychain.signing import policy as policy_mod
from supplychain.signing.verify import Verified
from supplychain.store.discovery import Looking, discover
from supplychain.store.evidence import EvidenceKind
from supplychain.store.port import RegistryPort
from supplychain.store.sign import resolve_subject
from supplychain.store.verify import FetchBudget


@dataclass(frozen=True)
class PolicyVerdict:
    image: str
    """``registry/repo@sha256:…`` — the digest resolved once and judged."""
    digest: Digest
    decision: policy_mod.Decision

    def attestation(self, predicate_type: str) -> Verified | None:
        for _name, verified in self.decision.attestations:
            if verified.predicate_type == predicate_type:
                return verified
        return None


def _requiring(
    policy: policy_mod.Policy, image_name: str, predicate_type: str
) -> policy_mod.Policy:
    """The policy with "an attestation of ``predicate_type`` by any of the rule's authorities"
    added to every rule matching the image (what ``verify-attestation --type`` asks)."""
    rules = []
    for rule in policy.rules:
        if rule.matches(image_name):
            names = tuple(spec.name for spec in rule.authorities)
            extra = policy_mod.AttestationRequirement(predicate_type, names)
            rule = replace(rule, attestations=(*rule.attestations, extra))
        rules.append(rule)
    return replace(policy, rules=tuple(rules))


def verify_with_policy(
    port: RegistryPort,
    ref: ImageRef,
    policy: policy_mod.Policy,
    *,
    attestation_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> PolicyVerdict:
    """Judge ``ref`` under ``policy``; raises VerificationError when denied (enforce mode)."""
    image_name = f"{ref.registry}/{ref.repository}"
    if attestation_type is not None:
        policy = _requiring(policy, image_name, attestation_type)
    subject = resolve_subject(port, ref).digest
    pinned = f"{image_name}@{subject}"
    # An image no rule matches is denied before any registry work beyond the resolve.
    matching = [rule for rule in policy.rules if rule.matches(image_name)]
    signatures: list[policy_mod.Candidate] = []
    attestations: list[policy_mod.Candidate] = []
    if matching:
        wants_attestations = any(rule.attestations for rule in matching)
        looking = Looking.EVERYTHING if wants_attestations else Looking.SIGNATURES
        budget = FetchBudget(limits.attachment)
        for evidence in discover(port, ref.repository, subject, looking, limits):
            budget.charge(evidence, pinned)
            blob = port.blob(ref.repository, evidence.layer)
            origin = evidence.describe()
            if evidence.kind is EvidenceKind.BUNDLE:
                candidate = policy_mod.BundleCandidate(blob, origin)
                signatures.append(candidate)
                attestations.append(candidate)
            elif evidence.kind is EvidenceKind.SIMPLE_SIGNING:
                if evidence.signature is None:  # pragma: no cover - discovery always sets it
                    continue
                rekor = evidence.rekor_bundle.encode("utf-8") if evidence.rekor_bundle else None
                certificate = evidence.certificate.encode("utf-8") if evidence.certificate else None
                signatures.append(
                    policy_mod.SimpleSigningCandidate(
                        blob, evidence.signature, rekor, origin, certificate
                    )
                )
            else:
                rekor = evidence.rekor_bundle.encode("utf-8") if evidence.rekor_bundle else None
                attestations.append(policy_mod.EnvelopeCandidate(blob, rekor, origin))
    decision = policy_mod.evaluate(policy, image_name, subject, signatures, attestations)
    decision.image = pinned
    decision.raise_if_denied()
    return PolicyVerdict(pinned, subject, decision)
