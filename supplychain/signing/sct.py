"""Embedded Signed Certificate Timestamps (RFC 6962 §3.2) on a Fulcio leaf.

Why: a Fulcio certificate is trustworthy only if it was logged in a CT log the trusted root
names; the SCT is that log's signed promise. Fulcio embeds SCTs for the *precertificate*, so
the signed data is the leaf's TBSCertificate without the SCT extension (``cryptography`` gives
us ``tbs_precertificate_bytes``) plus the sha256 of the issuer's SubjectPublicKeyInfo.

We require at least one SCT that verifies under a CT log key chosen by its log id and valid at
the SCT's time (as sigstore-python, we never accept a certificate without one). SCTs from logs
the root does not name are not evidence and are skipped; a bad signature from a named log is a
rejection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.certificate_transparency import LogEntryType, SignedCertificateTimestamp
from cryptography.x509.oid import ExtendedKeyUsageOID

from supplychain.errors import VerificationError
from supplychain.signing.keylessroot import KeylessRoot

MAX_SCTS = 16
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def verify_embedded_sct(
    leaf: x509.Certificate, issuer: x509.Certificate, root: KeylessRoot, *, what: str
) -> None:
    """Raise VerificationError unless one embedded SCT verifies under a CT log of ``root``."""
    try:
        scts = leaf.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps
        ).value
    except x509.ExtensionNotFound as exc:
        raise VerificationError("certificate has no embedded SCT", subject=what) from exc
    if len(scts) > MAX_SCTS:
        raise VerificationError(f"more than {MAX_SCTS} SCTs", subject=what)
    issuer_key_hash = hashlib.sha256(
        issuer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).digest()
    for sct in scts:
        log = root.ct_log(sct.log_id)
        if log is None:
            continue
        if sct.entry_type != LogEntryType.PRE_CERTIFICATE:
            raise VerificationError("SCT is not for a precertificate", subject=what)
        if not isinstance(sct.signature_hash_algorithm, hashes.SHA256):
            raise VerificationError("SCT is not signed with SHA-256", subject=what)
        when = sct.timestamp.replace(tzinfo=dt.timezone.utc)
        if not log.valid_at(when):
            raise VerificationError("CT log key was not valid at the SCT's time", subject=what)
        log.verify(sct.signature, _signed_data(sct, leaf, issuer_key_hash), what=f"{what} SCT")
        return
    raise VerificationError("no SCT from a CT log in the trusted root", subject=what)


def issuer_for_sct(chain: list[x509.Certificate]) -> x509.Certificate:
    """The certificate whose key the precertificate names: skip a CT pre-issuer if present."""
    first = chain[0]
    try:
        eku = first.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return first
    if ExtendedKeyUsageOID.CERTIFICATE_TRANSPARENCY in eku and len(chain) > 1:
        return chain[1]
    return first


def _signed_data(
    sct: SignedCertificateTimestamp, leaf: x509.Certificate, issuer_key_hash: bytes
) -> bytes:
    """RFC 6962 ``digitally-signed`` struct for a precert_entry."""
    tbs = leaf.tbs_precertificate_bytes
    if len(tbs) >= 1 << 24:
        raise VerificationError("certificate too large for an SCT")
    extensions = sct.extension_bytes
    millis = (sct.timestamp.replace(tzinfo=dt.timezone.utc) - _EPOCH) // dt.timedelta(
        milliseconds=1
    )
    return (
        struct.pack("!BBQH", sct.version.value, 0, millis, LogEntryType.PRE_CERTIFICATE.value)
        + issuer_key_hash
        + len(tbs).to_bytes(3, "big")
        + tbs
        + struct.pack("!H", len(extensions))
        + extensions
    )
