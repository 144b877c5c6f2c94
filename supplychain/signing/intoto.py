"""in-toto Statements: v1 written, v0.1 and v1 read, strictly.

sigstore-python's Statement model only accepts v1 with ``name`` on every subject, which rejects
both statements cosign writes, so we parse them ourselves. Strict where ambiguity could move
trust: unknown ``_type``, case-variant keys, ``subject: [null]``, upper-case or short hex and
upper-case algorithm names are rejected (SECURITY NT-I3..I6). Unknown extra fields are ignored
as the in-toto spec requires.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError
from supplychain.model.digest import Digest
from supplychain.signing._strict import reject_case_variants, require_object

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
STATEMENT_TYPES = (STATEMENT_V01, STATEMENT_V1)

#: A statement with this predicate type is a cosign v3 image *signature*; anything else is an
#: attestation and never counts as a signature (SECURITY class B).
SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"

PREDICATE_TYPES = {
    "custom": "https://cosign.sigstore.dev/attestation/v1",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "slsaprovenance": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance02": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "spdx": "https://spdx.dev/Document",
    "spdxjson": "https://spdx.dev/Document",
    "cyclonedx": "https://cyclonedx.org/bom",
    "link": "https://in-toto.io/Link/v1",
    "openvex": "https://openvex.dev/ns",
}

MAX_STATEMENT_BYTES = 32 * 1024 * 1024
_ALGORITHM = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_LOWER_HEX = re.compile(r"[0-9a-f]+")
_KNOWN_DIGESTS = ("sha256", "sha384", "sha512")
_TOP_KEYS = ("_type", "subject", "predicateType", "predicate")
_SUBJECT_KEYS = ("name", "digest", "uri", "annotations")


def predicate_type_for(name_or_uri: str) -> str:
    """Map a cosign ``--type`` short name to its URI; a URI passes through unchanged."""
    if name_or_uri in PREDICATE_TYPES:
        return PREDICATE_TYPES[name_or_uri]
    if "://" in name_or_uri:
        return name_or_uri
    raise InvalidInputError(
        f"unknown predicate type {name_or_uri!r}",
        subject="--type",
        hint="one of " + ", ".join(sorted(PREDICATE_TYPES)) + " or a URI",
    )


@dataclass(frozen=True)
class Subject:
    name: str | None
    digest: dict[str, str]

    def matches(self, digest: Digest) -> bool:
        return self.digest.get(digest.algorithm) == digest.hex


@dataclass(frozen=True)
class Statement:
    type: str
    subjects: tuple[Subject, ...]
    predicate_type: str
    predicate: Any = field(default=None)

    def names_digest(self, digest: Digest) -> bool:
        """True when a subject carries exactly this digest (the binding check)."""
        return any(subject.matches(digest) for subject in self.subjects)


def build(
    digest: Digest,
    predicate_type: str,
    predicate: Any,
    *,
    name: str | None = None,
    annotations: dict[str, str] | None = None,
) -> bytes:
    """A v1 Statement with one subject (compact JSON, UTF-8)."""
    subject: dict[str, Any] = {}
    if name is not None:
        subject["name"] = name
    subject["digest"] = {digest.algorithm: digest.hex}
    if annotations is not None:
        subject["annotations"] = annotations
    doc = {
        "_type": STATEMENT_V1,
        "subject": [subject],
        "predicateType": predicate_type,
        "predicate": predicate,
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse(data: bytes, *, what: str = "in-toto statement") -> Statement:
    doc = strictjson.loads_object(data, what=what, max_bytes=MAX_STATEMENT_BYTES)
    reject_case_variants(doc, _TOP_KEYS, what=what)
    kind = doc.get("_type")
    if kind not in STATEMENT_TYPES:
        raise InvalidInputError(f"unknown statement _type {str(kind)[:80]!r}", subject=what)
    raw_subjects = doc.get("subject")
    if not isinstance(raw_subjects, list) or not raw_subjects:
        raise InvalidInputError("subject must be a non-empty list", subject=what)
    subjects = tuple(_subject(item, f"{what} subject[{i}]") for i, item in enumerate(raw_subjects))
    predicate_type = doc.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise InvalidInputError("predicateType must be a non-empty string", subject=what)
    predicate = doc.get("predicate")
    if predicate is not None and not isinstance(predicate, dict):
        raise InvalidInputError("predicate must be an object", subject=what)
    return Statement(kind, subjects, predicate_type, predicate)


def _subject(item: Any, what: str) -> Subject:
    obj = require_object(item, what=what)
    reject_case_variants(obj, _SUBJECT_KEYS, what=what)
    name = obj.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidInputError("name must be a string", subject=what)
    digests = require_object(obj.get("digest"), what=f"{what} digest")
    if not digests:
        raise InvalidInputError("empty digest set", subject=what)
    out: dict[str, str] = {}
    for algorithm, value in digests.items():
        if not _ALGORITHM.fullmatch(algorithm):
            raise InvalidInputError(
                f"digest algorithm {algorithm[:40]!r} is not lower case", subject=what
            )
        if not isinstance(value, str):
            raise InvalidInputError(f"digest {algorithm} must be a string", subject=what)
        if algorithm in _KNOWN_DIGESTS:
            Digest(algorithm, value)
        elif not _LOWER_HEX.fullmatch(value):
            raise InvalidInputError(f"digest {algorithm} must be lower-case hex", subject=what)
        out[algorithm] = value
    return Subject(name, out)
