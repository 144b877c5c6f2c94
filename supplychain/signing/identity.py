"""Keyless identities: exact by default, regexes full-match, both subject and issuer required.

cosign, policy-controller, Kyverno and Connaisseur match identity regexes unanchored, so
``https://github.com/acme/`` also admits ``https://github.com/acme-evil/x`` (SECURITY class D).
Here exact strings compare code point by code point and patterns use ``re.fullmatch``. The
issuer is read from the v2 OID (1.3.6.1.4.1.57264.1.8) and the legacy one (…1.1); when both
are present they must agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from supplychain.errors import PolicyError, VerificationError

ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
MAX_SAN_BYTES = 4096


@dataclass(frozen=True)
class Identity:
    """A keyless authority. Exactly one of subject/subject_regexp and of issuer/issuer_regexp."""

    subject: str | None = None
    issuer: str | None = None
    subject_regexp: str | None = None
    issuer_regexp: str | None = None

    def __post_init__(self) -> None:
        if (self.subject is None) == (self.subject_regexp is None):
            raise PolicyError(
                "a keyless identity needs exactly one of subject or subjectRegExp",
                subject="identity",
            )
        if (self.issuer is None) == (self.issuer_regexp is None):
            raise PolicyError(
                "a keyless identity needs exactly one of issuer or issuerRegExp",
                subject="identity",
            )
        for pattern in (self.subject_regexp, self.issuer_regexp):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise PolicyError(f"regex does not compile: {exc}", subject=pattern) from exc

    def matches(self, san: str, issuer: str) -> bool:
        return _match(san, self.subject, self.subject_regexp) and _match(
            issuer, self.issuer, self.issuer_regexp
        )

    def describe(self) -> str:
        subject = self.subject if self.subject is not None else f"~{self.subject_regexp}"
        issuer = self.issuer if self.issuer is not None else f"~{self.issuer_regexp}"
        return f"{subject} (issuer {issuer})"


def _match(value: str, exact: str | None, pattern: str | None) -> bool:
    if exact is not None:
        return value == exact
    assert pattern is not None
    return re.fullmatch(pattern, value) is not None


def certificate_identity(cert: x509.Certificate) -> tuple[str, str]:
    """(SAN, issuer) of a Fulcio leaf; VerificationError when either is missing or ambiguous."""
    try:
        san_ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound as exc:
        raise VerificationError("certificate has no subject alternative name") from exc
    names: list[str] = []
    names += san_ext.value.get_values_for_type(x509.UniformResourceIdentifier)
    names += san_ext.value.get_values_for_type(x509.RFC822Name)
    if len(names) != 1:
        raise VerificationError(f"certificate has {len(names)} identities, expected 1")
    san = names[0]
    if len(san.encode("utf-8")) > MAX_SAN_BYTES:
        raise VerificationError("certificate identity is longer than 4 KiB")
    v1 = _extension_text(cert, ISSUER_V1_OID, der_string=False)
    v2 = _extension_text(cert, ISSUER_V2_OID, der_string=True)
    if v1 is not None and v2 is not None and v1 != v2:
        raise VerificationError("certificate's two issuer extensions disagree")
    issuer = v2 if v2 is not None else v1
    if issuer is None:
        raise VerificationError("certificate names no OIDC issuer")
    return san, issuer


def _extension_text(
    cert: x509.Certificate, oid: ObjectIdentifier, *, der_string: bool
) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    if not isinstance(value, x509.UnrecognizedExtension):
        raise VerificationError(f"unexpected extension type for {oid.dotted_string}")
    raw = value.value
    if der_string:
        # DER UTF8String: tag 0x0c, short or long length form.
        if len(raw) < 2 or raw[0] != 0x0C:
            raise VerificationError("issuer extension is not a UTF8String")
        length = raw[1]
        offset = 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 2 or len(raw) < 2 + count:
                raise VerificationError("issuer extension has a bad length")
            length = int.from_bytes(raw[2 : 2 + count], "big")
            offset = 2 + count
        if len(raw) != offset + length:
            raise VerificationError("issuer extension has a bad length")
        raw = raw[offset:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationError("issuer extension is not UTF-8") from exc
