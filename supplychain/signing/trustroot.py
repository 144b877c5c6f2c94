"""The transparency-log part of a Sigstore trusted root, for our key-based verification.

Trust material never comes from a bundle or a registry (SECURITY §0): only from a file the user
names or the production root that sigstore-python ships. Keyless verification hands the whole
file to sigstore-python; key-based verification (which sigstore-python cannot do) needs only the
log keys, their ids and validity windows, parsed here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from supplychain._internal import strictjson
from supplychain._internal.fileio import read_bounded
from supplychain.errors import InvalidInputError, UsageError, VerificationError
from supplychain.signing.encoding import b64decode_strict

TRUSTED_ROOT_LIMIT = 4 * 1024 * 1024
_PRODUCTION_DIR = "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"


@dataclass(frozen=True)
class LogKey:
    """One transparency log's key; ``key_id`` is the SHA-256 of its DER SubjectPublicKeyInfo."""

    key_id: bytes
    der: bytes
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None

    def valid_at(self, when: dt.datetime) -> bool:
        if self.valid_from is None or when < self.valid_from:
            return False
        return self.valid_until is None or when <= self.valid_until

    def verify(self, signature: bytes, data: bytes, *, what: str) -> None:
        key = serialization.load_der_public_key(self.der)
        try:
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            elif isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, data)
            else:
                raise VerificationError("unsupported log key type", subject=what)
        except InvalidSignature as exc:
            raise VerificationError("log signature does not verify", subject=what) from exc


@dataclass(frozen=True)
class TrustedRoot:
    """The parsed root: the raw bytes (for sigstore-python) and the log keys (for us)."""

    raw: bytes
    tlogs: tuple[LogKey, ...]
    source: str

    def log_key(self, key_id: bytes) -> LogKey | None:
        for log in self.tlogs:
            if hmac.compare_digest(log.key_id, key_id):
                return log
        return None


def parse(raw: bytes, *, source: str) -> TrustedRoot:
    what = f"trusted root {source}"
    doc = strictjson.loads_object(raw, what=what, max_bytes=TRUSTED_ROOT_LIMIT)
    media_type = doc.get("mediaType", "")
    if not isinstance(media_type, str) or not media_type.startswith(
        "application/vnd.dev.sigstore.trustedroot"
    ):
        raise UsageError(f"unexpected mediaType {str(media_type)[:80]!r}", subject=what)
    tlogs = doc.get("tlogs", [])
    if not isinstance(tlogs, list):
        raise UsageError("tlogs must be a list", subject=what)
    return TrustedRoot(raw, tuple(_log(item, what) for item in tlogs), source)


def load_file(path: str | os.PathLike[str]) -> TrustedRoot:
    raw = read_bounded(path, limit=TRUSTED_ROOT_LIMIT, what=f"trusted root {path}")
    try:
        return parse(raw, source=str(path))
    except InvalidInputError as exc:
        raise UsageError(exc.message, subject=exc.subject, hint=exc.hint) from exc


@functools.lru_cache(maxsize=1)
def production() -> TrustedRoot:
    """The Sigstore public-good root embedded in sigstore-python (no network)."""
    path = resources.files("sigstore") / "_store" / _PRODUCTION_DIR / "trusted_root.json"
    return parse(path.read_bytes(), source="sigstore public-good (embedded)")


def _log(item: Any, what: str) -> LogKey:
    try:
        public = item["publicKey"]
        der = b64decode_strict(public["rawBytes"], what=f"{what} log key")
        key_id = b64decode_strict(item["logId"]["keyId"], what=f"{what} log id")
        valid = public.get("validFor", {})
        start = _time(valid.get("start"))
        end = _time(valid.get("end"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError("malformed tlog entry", subject=what) from exc
    try:
        serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UsageError("tlog key is not a public key", subject=what) from exc
    if key_id != hashlib.sha256(der).digest() and len(key_id) != 32:
        raise UsageError("tlog key id is not 32 bytes", subject=what)
    return LogKey(key_id, der, start, end)


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("time must be a string")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise TypeError("time without a zone")
    return parsed
