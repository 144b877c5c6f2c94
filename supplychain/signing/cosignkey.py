"""The encrypted ``cosign.key`` format: scrypt + NaCl secretbox around a PKCS#8 key.

Why our own reader: cosign's format (go-securesystemslib "encrypted") lets the *file* choose
the scrypt cost, so a hostile key file could make us burn minutes of CPU and gigabytes of
memory before the password is even checked. The (N, r, p) whitelist is therefore applied
before any key derivation (SECURITY NT-F9). XSalsa20-Poly1305 comes from PyNaCl because
``cryptography`` has no XSalsa20.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, LimitExceededError, VerificationError
from supplychain.signing.encoding import b64decode_strict, b64encode

LABEL_SIGSTORE = "ENCRYPTED SIGSTORE PRIVATE KEY"
LABEL_COSIGN = "ENCRYPTED COSIGN PRIVATE KEY"
LABELS = (LABEL_SIGSTORE, LABEL_COSIGN)

#: The only scrypt costs go-securesystemslib's CheckParams allows; anything else is refused
#: before deriving a key.
ALLOWED_SCRYPT_PARAMS = frozenset({(32768, 8, 1), (65536, 8, 1), (131072, 8, 1)})
DEFAULT_SCRYPT_PARAMS = (65536, 8, 1)
SALT_BYTES = 32
NONCE_BYTES = 24
KEY_BYTES = 32


@dataclass(frozen=True)
class EncryptedKey:
    """The parsed JSON inside the PEM block, before any expensive work."""

    n: int
    r: int
    p: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def parse_encrypted(body: bytes, *, what: str) -> EncryptedKey:
    """Parse and check the envelope, including the scrypt whitelist, without running scrypt."""
    doc = strictjson.loads_object(body, what=what, max_bytes=64 * 1024)
    kdf = _obj(doc, "kdf", what)
    cipher = _obj(doc, "cipher", what)
    if kdf.get("name") != "scrypt":
        raise InvalidInputError(f"unsupported KDF {kdf.get('name')!r}", subject=what)
    if cipher.get("name") != "nacl/secretbox":
        raise InvalidInputError(f"unsupported cipher {cipher.get('name')!r}", subject=what)
    params = _obj(kdf, "params", what)
    values = []
    for name in ("N", "r", "p"):
        value = params.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInputError(f"scrypt parameter {name} must be an integer", subject=what)
        values.append(value)
    n, r, p = values
    if (n, r, p) not in ALLOWED_SCRYPT_PARAMS:
        raise LimitExceededError(
            f"scrypt parameters N={n} r={r} p={p} are not allowed",
            subject=what,
            hint="cosign key files use N=32768, 65536 or 131072 with r=8 p=1",
        )
    salt = b64decode_strict(_str(kdf, "salt", what), what=f"{what} salt")
    nonce = b64decode_strict(_str(cipher, "nonce", what), what=f"{what} nonce")
    if len(nonce) != NONCE_BYTES:
        raise InvalidInputError(f"nonce must be {NONCE_BYTES} bytes", subject=what)
    if not salt:
        raise InvalidInputError("empty scrypt salt", subject=what)
    ciphertext = b64decode_strict(_str(doc, "ciphertext", what), what=f"{what} ciphertext")
    if len(ciphertext) <= 16:
        raise InvalidInputError("ciphertext too short", subject=what)
    return EncryptedKey(n, r, p, salt, nonce, ciphertext)


def decrypt(encrypted: EncryptedKey, password: bytes, *, what: str) -> bytes:
    """PKCS#8 DER of the private key; a wrong password is a VerificationError."""
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    key = _derive(password, encrypted.salt, encrypted.n, encrypted.r, encrypted.p)
    try:
        return bytes(SecretBox(key).decrypt(encrypted.ciphertext, encrypted.nonce))
    except CryptoError as exc:
        raise VerificationError(
            "cannot decrypt the private key (wrong password or corrupted file)", subject=what
        ) from exc


def encrypt(pkcs8_der: bytes, password: bytes) -> bytes:
    """The JSON body of a new ``cosign.key`` (fresh salt and nonce, cosign's default cost)."""
    from nacl.secret import SecretBox

    n, r, p = DEFAULT_SCRYPT_PARAMS
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    key = _derive(password, salt, n, r, p)
    ciphertext = bytes(SecretBox(key).encrypt(pkcs8_der, nonce).ciphertext)
    doc = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": r, "p": p}, "salt": b64encode(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64encode(nonce)},
        "ciphertext": b64encode(ciphertext),
    }
    return strictjson.dumps_canonical(doc)


def _derive(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(password)


def _obj(doc: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise InvalidInputError(f"missing or malformed {key!r}", subject=what)
    return value


def _str(doc: dict[str, Any], key: str, what: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise InvalidInputError(f"missing or malformed {key!r}", subject=what)
    return value
