"""Content digests, parsed strictly.

A digest is the only thing trust hangs on, so its text form is exact: a known algorithm, a
colon, lower-case hex of the algorithm's length. ``SHA256:``, upper-case hex, short or long hex
are all rejected rather than normalised, so two parsers can never disagree about one string.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from supplychain.errors import InvalidInputError

_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True, order=True)
class Digest:
    algorithm: str
    hex: str

    def __post_init__(self) -> None:
        expected = _HEX_LENGTHS.get(self.algorithm)
        if expected is None:
            raise InvalidInputError(
                f"unsupported digest algorithm {self.algorithm!r}",
                subject="digest",
                hint="sha256, sha384 or sha512",
            )
        if len(self.hex) != expected or not _HEX.fullmatch(self.hex):
            raise InvalidInputError(
                f"{self.algorithm} digest must be {expected} lower-case hex characters",
                subject=f"digest {self.algorithm}:{self.hex[:80]}",
            )

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse ``alg:hex``; anything else raises InvalidInputError."""
        if not isinstance(text, str):
            raise InvalidInputError("digest must be a string", subject="digest")
        algorithm, sep, hexpart = text.partition(":")
        if not sep:
            raise InvalidInputError("expected ALGORITHM:HEX", subject=f"digest {text[:80]!r}")
        return cls(algorithm, hexpart)

    @classmethod
    def of(cls, data: bytes, algorithm: str = "sha256") -> Digest:
        return cls(algorithm, hashlib.new(algorithm, data).hexdigest())

    @classmethod
    def sha256_hex(cls, hexpart: str) -> Digest:
        return cls("sha256", hexpart)

    def hasher(self) -> hashlib._Hash:
        """A fresh hash object of this digest's algorithm, for streaming checks."""
        return hashlib.new(self.algorithm)

    def matches(self, data: bytes) -> bool:
        return hmac.compare_digest(hashlib.new(self.algorithm, data).hexdigest(), self.hex)

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @property
    def short(self) -> str:
        return f"{self.algorithm}:{self.hex[:12]}"

    @property
    def tag_form(self) -> str:
        """``sha256-<hex>``: the form used by cosign legacy tags and the referrers fallback."""
        return f"{self.algorithm}-{self.hex}"
