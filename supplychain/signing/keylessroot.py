"""The certificate part of a Sigstore trusted root: Fulcio CAs, CT logs and timestamp authorities.

Only our own keyless verifier (``keyless.py``, for what sigstore-python refuses) needs these;
the key-based path needs only the transparency-log keys that ``trustroot`` parses eagerly. So
this part is parsed on first use and cached per root: a root whose certificate part is
malformed still serves key-based verification, and fails (exit 2) only when it is needed.

Each authority keeps its ``validFor`` window, a closed interval: a CA or TSA counts only for
times inside it (sigstore-python ignores the CA window and compares TSA ends with ``<``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from supplychain._internal import strictjson
from supplychain.errors import UsageError
from supplychain.signing.encoding import b64decode_strict
from supplychain.signing.trustroot import LogKey, TrustedRoot, _log, _time

MAX_AUTHORITIES = 64
MAX_CHAIN = 10


@dataclass(frozen=True)
class CertAuthority:
    """A CA or TSA: its chain from the issuing certificate up to the root (last)."""

    chain: tuple[x509.Certificate, ...]
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None

    def valid_at(self, when: dt.datetime) -> bool:
        if self.valid_from is None or when < self.valid_from:
            return False
        return self.valid_until is None or when <= self.valid_until


@dataclass(frozen=True)
class KeylessRoot:
    certificate_authorities: tuple[CertAuthority, ...]
    ct_logs: tuple[LogKey, ...]
    timestamp_authorities: tuple[CertAuthority, ...]

    def ct_log(self, key_id: bytes) -> LogKey | None:
        for log in self.ct_logs:
            if log.key_id == key_id:
                return log
        return None


def keyless_root(trust: TrustedRoot) -> KeylessRoot:
    """The certificate part of ``trust``; a malformed one is a UsageError, like the rest."""
    return _parse(trust.raw, trust.source)


@functools.lru_cache(maxsize=8)
def _parse(raw: bytes, source: str) -> KeylessRoot:
    what = f"trusted root {source}"
    doc = strictjson.loads_object(raw, what=what)
    try:
        cas = tuple(_authority(a, what) for a in _list(doc, "certificateAuthorities", what))
        tsas = tuple(_authority(a, what) for a in _list(doc, "timestampAuthorities", what))
        ct_logs = tuple(_log(item, what) for item in _list(doc, "ctlogs", what))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(
            "malformed certificate authorities in the trusted root", subject=what
        ) from exc
    return KeylessRoot(cas, ct_logs, tsas)


def _list(doc: dict[str, Any], name: str, what: str) -> list[Any]:
    value = doc.get(name, [])
    if not isinstance(value, list) or len(value) > MAX_AUTHORITIES:
        raise UsageError(f"{name} must be a list of at most {MAX_AUTHORITIES}", subject=what)
    return value


def _authority(item: Any, what: str) -> CertAuthority:
    certs = item["certChain"]["certificates"]
    if not isinstance(certs, list) or not certs or len(certs) > MAX_CHAIN:
        raise UsageError("authority chain is empty or too long", subject=what)
    chain = tuple(
        x509.load_der_x509_certificate(b64decode_strict(c["rawBytes"], what=f"{what} CA"))
        for c in certs
    )
    valid = item.get("validFor", {})
    return CertAuthority(chain, _time(valid.get("start")), _time(valid.get("end")))
