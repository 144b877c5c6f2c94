"""Verification policy: which signers an image needs, how many, and which attestations.

A policy is data written by someone we trust but validated as if it were not (SECURITY R4):
unknown keys, wrong types, empty authority lists, uncompilable regexes, duplicate names and a
trusted-root pin that does not match are all PolicyError (exit 2), because a silently ignored
key (sigstore-js ``certificateOIDs``) is a silently weakened check. An image no rule matches
is denied, and every matching rule must be satisfied.

Evaluation only ever looks at verified, digest-bound content returned by ``verify`` (class K):
candidates fetched from a registry go in, each is verified against each authority of the rule,
and the decision counts distinct authorities that verified (``count`` quorum).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supplychain.errors import Error, PolicyError, RejectedError, UsageError, VerificationError
from supplychain.model.digest import Digest
from supplychain.signing import intoto, trustroot
from supplychain.signing.identity import Identity
from supplychain.signing.keys import PublicKey, read_key_file
from supplychain.signing.verify import (
    KeyAuthority,
    Verified,
    verify_bundle,
    verify_envelope,
    verify_keyless_simple_signing,
    verify_simple_signing,
)

POLICY_FILE_LIMIT = 1024 * 1024
API_VERSION = "supplychain.dev/v1"
KIND = "VerifyPolicy"

_TOP = {"apiVersion", "kind", "mode", "trustedRoot", "rules"}
_RULE = {"name", "images", "authorities", "count", "attestations"}
_AUTHORITY = {"name", "key", "keyless", "transparencyLog"}
_KEY = {"path", "pem"}
_KEYLESS = {"subject", "subjectRegExp", "issuer", "issuerRegExp"}
_TLOG = {"required"}
_ATTESTATION = {"predicateType", "type", "authorities"}
_TRUSTED_ROOT = {"path", "sha256"}


# --- model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthoritySpec:
    name: str
    authority: KeyAuthority | Identity
    require_tlog: bool


@dataclass(frozen=True)
class AttestationRequirement:
    predicate_type: str
    authorities: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    name: str
    images: tuple[str, ...]
    authorities: tuple[AuthoritySpec, ...]
    count: int
    attestations: tuple[AttestationRequirement, ...]

    def matches(self, image: str) -> bool:
        return any(_glob_regex(pattern).fullmatch(image) for pattern in self.images)


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    mode: str = "enforce"
    trust: trustroot.TrustedRoot | None = None
    source: str = "policy"

    def rules_for(self, image: str) -> tuple[Rule, ...]:
        """Every rule whose glob matches ``image``; none is a denial (VerificationError)."""
        found = tuple(rule for rule in self.rules if rule.matches(image))
        if not found:
            raise VerificationError(
                "no policy rule matches this image: denied",
                subject=image,
                hint=f"add a rule to {self.source}",
            )
        return found


# --- candidates and evaluation ------------------------------------------------------------


@dataclass(frozen=True)
class BundleCandidate:
    """A Sigstore bundle found for the image (referrer layer or fallback entry)."""

    raw: bytes
    origin: str = "bundle"


@dataclass(frozen=True)
class SimpleSigningCandidate:
    """A legacy ``.sig`` layer: payload blob, raw signature, optional Rekor bundle annotation."""

    payload: bytes
    signature: bytes
    rekor_bundle: bytes | None = None
    origin: str = "legacy signature"
    certificate: bytes | None = None
    """The ``dev.sigstore.cosign/certificate`` annotation (PEM): keyless signatures only."""


@dataclass(frozen=True)
class EnvelopeCandidate:
    """A legacy ``.att`` layer: the whole DSSE envelope JSON, optional Rekor bundle annotation."""

    raw: bytes
    rekor_bundle: bytes | None = None
    origin: str = "legacy attestation"


Candidate = BundleCandidate | SimpleSigningCandidate | EnvelopeCandidate


@dataclass
class Decision:
    image: str
    digest: Digest
    allowed: bool
    mode: str
    signatures: list[tuple[str, Verified]] = field(default_factory=list)
    attestations: list[tuple[str, Verified]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    relaxations: list[str] = field(default_factory=list)

    def raise_if_denied(self) -> None:
        """Enforce mode: a denial is a VerificationError (exit 1); warn mode never raises."""
        if not self.allowed and self.mode == "enforce":
            raise VerificationError("; ".join(self.reasons) or "denied", subject=self.image)


def evaluate(
    policy: Policy,
    image: str,
    digest: Digest,
    signatures: Sequence[Candidate],
    attestations: Sequence[Candidate] = (),
    *,
    signature_type: str | None = intoto.SIGN_PREDICATE,
) -> Decision:
    """Verify every candidate against every matching rule and decide.

    ``image`` is the repository name the globs match (``registry/path``, no tag or digest).
    A candidate that fails verification under one authority is simply not counted for it.
    ``signature_type`` is what a signature must sign: the cosign ``sign/v1`` statement for
    images, ``None`` for blobs (a message signature or any statement about the blob's digest).
    """
    decision = Decision(image, digest, allowed=True, mode=policy.mode)
    try:
        rules = policy.rules_for(image)
    except VerificationError as exc:
        decision.allowed = False
        decision.reasons.append(exc.message)
        return decision
    for rule in rules:
        _evaluate_rule(policy, rule, digest, signatures, attestations, decision, signature_type)
    return decision


def _evaluate_rule(
    policy: Policy,
    rule: Rule,
    digest: Digest,
    signatures: Sequence[Candidate],
    attestations: Sequence[Candidate],
    decision: Decision,
    signature_type: str | None = intoto.SIGN_PREDICATE,
) -> None:
    # A quorum counts distinct signatures by distinct signers: one signature (or one key listed
    # under two authority names) must never satisfy two authorities.
    satisfied: set[str] = set()
    used_candidates: set[int] = set()
    signers: set[str] = set()
    for spec in rule.authorities:
        for number, candidate in enumerate(signatures):
            if number in used_candidates:
                continue
            verified = _try(candidate, digest, spec, signature_type, policy.trust)
            if verified is not None and verified.signer not in signers:
                satisfied.add(spec.name)
                used_candidates.add(number)
                signers.add(verified.signer)
                decision.signatures.append((spec.name, verified))
                decision.relaxations.extend(
                    f"{spec.name}: {r}"
                    for r in verified.relaxations
                    if r not in decision.relaxations
                )
                break
    if len(satisfied) < rule.count:
        decision.allowed = False
        decision.reasons.append(
            f"rule {rule.name!r}: {len(satisfied)} of {rule.count} required signers verified"
        )
    by_name = {spec.name: spec for spec in rule.authorities}
    for requirement in rule.attestations:
        found = False
        for name in requirement.authorities:
            for candidate in attestations:
                verified = _try(
                    candidate, digest, by_name[name], requirement.predicate_type, policy.trust
                )
                if verified is not None:
                    decision.attestations.append((name, verified))
                    found = True
                    break
            if found:
                break
        if not found:
            decision.allowed = False
            decision.reasons.append(
                f"rule {rule.name!r}: no verified attestation of type {requirement.predicate_type}"
            )


def _try(
    candidate: Candidate,
    digest: Digest,
    spec: AuthoritySpec,
    expect: str | None,
    trust: trustroot.TrustedRoot | None,
) -> Verified | None:
    """Verify one candidate under one authority; a rejection means "not counted"."""
    authority = spec.authority
    try:
        if isinstance(candidate, BundleCandidate):
            return verify_bundle(
                candidate.raw,
                digest,
                authority,
                expect=expect,
                trust=trust,
                require_tlog=spec.require_tlog,
                what=candidate.origin,
            )
        if not isinstance(authority, KeyAuthority):
            if not isinstance(candidate, SimpleSigningCandidate) or candidate.certificate is None:
                return None  # keyless legacy .att layers are not supported (docs/signing.md)
            if expect != intoto.SIGN_PREDICATE:
                return None
            return verify_keyless_simple_signing(
                candidate.payload,
                candidate.signature,
                digest,
                authority,
                certificate_pem=candidate.certificate,
                rekor_bundle=candidate.rekor_bundle,
                trust=trust,
                what=candidate.origin,
            )
        if isinstance(candidate, SimpleSigningCandidate):
            if expect != intoto.SIGN_PREDICATE:
                return None
            return verify_simple_signing(
                candidate.payload,
                candidate.signature,
                digest,
                authority.key,
                rekor_bundle=candidate.rekor_bundle,
                trust=trust,
                require_tlog=spec.require_tlog,
                what=candidate.origin,
            )
        return verify_envelope(
            candidate.raw,
            digest,
            authority.key,
            expect=expect,
            rekor_bundle=candidate.rekor_bundle,
            trust=trust,
            require_tlog=spec.require_tlog,
            what=candidate.origin,
        )
    except RejectedError:
        return None


# --- loading ------------------------------------------------------------------------------


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; every problem is a PolicyError (exit 2)."""
    source = str(path)
    try:
        from supplychain._internal.fileio import read_bounded

        raw = read_bounded(path, limit=POLICY_FILE_LIMIT, what=f"policy {source}")
    except Error as exc:
        raise PolicyError(exc.message, subject=exc.subject) from exc
    return parse_policy(raw, base_dir=Path(path).parent, source=source)


def parse_policy(raw: bytes | str, *, base_dir: Path, source: str = "policy") -> Policy:
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise PolicyError(f"not valid YAML: {str(exc).splitlines()[0]}", subject=source) from exc
    where = source
    top = _mapping(doc, where, _TOP)
    if top.get("apiVersion") != API_VERSION:
        raise PolicyError(f"apiVersion must be {API_VERSION!r}", subject=where)
    if top.get("kind") != KIND:
        raise PolicyError(f"kind must be {KIND!r}", subject=where)
    mode = top.get("mode", "enforce")
    if mode not in ("enforce", "warn"):
        raise PolicyError("mode must be 'enforce' or 'warn'", subject=f"{where}: mode")
    trust = _trusted_root(top.get("trustedRoot"), base_dir, f"{where}: trustedRoot")
    rules_doc = top.get("rules")
    if not isinstance(rules_doc, list) or not rules_doc:
        raise PolicyError("rules must be a non-empty list", subject=f"{where}: rules")
    rules = tuple(_rule(item, base_dir, f"{where}: rules[{i}]") for i, item in enumerate(rules_doc))
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PolicyError(f"duplicate rule name {duplicates[0]!r}", subject=where)
    return Policy(rules, mode, trust, source)


def _mapping(value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError("expected a mapping", subject=where)
    for key in value:
        if not isinstance(key, str):
            raise PolicyError(f"non-string key {key!r}", subject=where)
        if key not in allowed:
            raise PolicyError(
                f"unknown key {key!r}", subject=where, hint="allowed: " + ", ".join(sorted(allowed))
            )
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise PolicyError("expected a non-empty string", subject=where)
    return value


def _rule(value: Any, base_dir: Path, where: str) -> Rule:
    doc = _mapping(value, where, _RULE)
    name = _string(doc.get("name"), f"{where}.name")
    where = f"{where} ({name})"
    images_doc = doc.get("images")
    if not isinstance(images_doc, list) or not images_doc:
        raise PolicyError("images must be a non-empty list of globs", subject=f"{where}.images")
    images = tuple(_string(item, f"{where}.images") for item in images_doc)
    for pattern in images:
        _glob_regex(pattern)
    auth_doc = doc.get("authorities")
    if not isinstance(auth_doc, list) or not auth_doc:
        raise PolicyError("authorities must be a non-empty list", subject=f"{where}.authorities")
    authorities = tuple(
        _authority(item, base_dir, f"{where}.authorities[{i}]") for i, item in enumerate(auth_doc)
    )
    names = [a.name for a in authorities]
    if len(set(names)) != len(names):
        raise PolicyError("duplicate authority name", subject=f"{where}.authorities")
    count = doc.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= len(authorities):
        raise PolicyError(
            f"count must be an integer from 1 to {len(authorities)}", subject=f"{where}.count"
        )
    att_doc = doc.get("attestations", [])
    if not isinstance(att_doc, list):
        raise PolicyError("attestations must be a list", subject=f"{where}.attestations")
    attestations = tuple(
        _attestation(item, names, f"{where}.attestations[{i}]") for i, item in enumerate(att_doc)
    )
    return Rule(name, images, authorities, count, attestations)


def _authority(value: Any, base_dir: Path, where: str) -> AuthoritySpec:
    doc = _mapping(value, where, _AUTHORITY)
    name = _string(doc.get("name"), f"{where}.name")
    has_key, has_keyless = "key" in doc, "keyless" in doc
    if has_key == has_keyless:
        raise PolicyError("an authority needs exactly one of key or keyless", subject=where)
    tlog_doc = _mapping(doc.get("transparencyLog", {}), f"{where}.transparencyLog", _TLOG)
    required = tlog_doc.get("required", True)
    if not isinstance(required, bool):
        raise PolicyError("required must be true or false", subject=f"{where}.transparencyLog")
    authority: KeyAuthority | Identity
    if has_key:
        authority = KeyAuthority(_public_key(doc["key"], base_dir, f"{where}.key"), name)
    else:
        if not required:
            raise PolicyError(
                "keyless authorities always need the transparency log",
                subject=f"{where}.transparencyLog",
            )
        keyless = _mapping(doc["keyless"], f"{where}.keyless", _KEYLESS)
        for key, item in keyless.items():
            _string(item, f"{where}.keyless.{key}")
        authority = Identity(
            subject=keyless.get("subject"),
            issuer=keyless.get("issuer"),
            subject_regexp=keyless.get("subjectRegExp"),
            issuer_regexp=keyless.get("issuerRegExp"),
        )
    return AuthoritySpec(name, authority, required)


def _public_key(value: Any, base_dir: Path, where: str) -> PublicKey:
    doc = _mapping(value, where, _KEY)
    if ("path" in doc) == ("pem" in doc):
        raise PolicyError("key needs exactly one of path or pem", subject=where)
    try:
        if "path" in doc:
            path = base_dir / _string(doc["path"], f"{where}.path")
            return PublicKey.from_pem(read_key_file(path), what=f"{where} ({path})")
        return PublicKey.from_pem(_string(doc["pem"], f"{where}.pem").encode(), what=where)
    except Error as exc:
        raise PolicyError(exc.message, subject=exc.subject or where) from exc


def _attestation(value: Any, authority_names: list[str], where: str) -> AttestationRequirement:
    doc = _mapping(value, where, _ATTESTATION)
    if ("predicateType" in doc) == ("type" in doc):
        raise PolicyError(
            "an attestation needs exactly one of predicateType or type", subject=where
        )
    if "type" in doc:
        try:
            predicate_type = intoto.predicate_type_for(_string(doc["type"], f"{where}.type"))
        except Error as exc:
            raise PolicyError(exc.message, subject=where, hint=exc.hint) from exc
    else:
        predicate_type = _string(doc["predicateType"], f"{where}.predicateType")
    names = doc.get("authorities", authority_names)
    if not isinstance(names, list) or not names:
        raise PolicyError("authorities must be a non-empty list", subject=where)
    for name in names:
        if name not in authority_names:
            raise PolicyError(f"unknown authority {name!r}", subject=where)
    return AttestationRequirement(predicate_type, tuple(names))


def _trusted_root(value: Any, base_dir: Path, where: str) -> trustroot.TrustedRoot | None:
    if value is None:
        return None
    doc = _mapping(value, where, _TRUSTED_ROOT)
    path = base_dir / _string(doc.get("path"), f"{where}.path")
    pin = _string(doc.get("sha256"), f"{where}.sha256")
    try:
        expected = Digest("sha256", pin)
        from supplychain._internal.fileio import read_bounded

        raw = read_bounded(path, limit=trustroot.TRUSTED_ROOT_LIMIT, what=str(path))
    except Error as exc:
        raise PolicyError(exc.message, subject=where) from exc
    if not hmac.compare_digest(hashlib.sha256(raw).hexdigest(), expected.hex):
        raise PolicyError("trusted root does not match its sha256 pin", subject=str(path))
    try:
        return trustroot.parse(raw, source=str(path))
    except (UsageError, RejectedError) as exc:
        raise PolicyError(exc.message, subject=str(path)) from exc


_GLOB_CACHE: dict[str, re.Pattern[str]] = {}


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """``**`` matches anything, ``*`` anything but ``/``, ``?`` one non-``/`` character."""
    cached = _GLOB_CACHE.get(pattern)
    if cached is not None:
        return cached
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    compiled = re.compile("".join(out))
    _GLOB_CACHE[pattern] = compiled
    return compiled
