"""Signing and verifying keys: generate, load (cosign, PEM), export, sign, verify.

Why wrappers instead of raw ``cryptography`` objects: every caller must get the same choice of
hash per key type (cosign's ``SupportedKeyDetails``), the same refusal of keys cosign cannot
use (Ed25519 loads as Ed25519ph in cosign, which ``cryptography`` cannot do), and errors from
our tree instead of ``InvalidSignature``/``ValueError``. Passwords are passed in as bytes by
the caller (the CLI reads them from a prompt or an environment variable, never an argument).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from supplychain._internal.fileio import read_bounded
from supplychain.errors import (
    InvalidInputError,
    UnsupportedError,
    UsageError,
    VerificationError,
)
from supplychain.signing import cosignkey
from supplychain.signing.encoding import pem_decode_one, pem_encode

KEY_FILE_LIMIT = 64 * 1024
PUBLIC_LABEL = "PUBLIC KEY"
PLAIN_PRIVATE_LABEL = "PRIVATE KEY"
PKCS8_ENCRYPTED_LABEL = "ENCRYPTED PRIVATE KEY"

PasswordSource = Callable[[], bytes]
"""Called at most once, only when a key file is encrypted; returns the password bytes."""

_PublicKey: TypeAlias = "ec.EllipticCurvePublicKey | rsa.RSAPublicKey"
_PrivateKey: TypeAlias = "ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey"

_CURVE_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}
_RSA_SIZES = frozenset({2048, 3072, 4096})


def _hash_for(key: _PublicKey) -> hashes.HashAlgorithm:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _CURVE_HASH[key.curve.name]()
    return hashes.SHA256()


def _check_supported(key: object, what: str) -> None:
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        if key.curve.name not in _CURVE_HASH:
            raise UnsupportedError(f"unsupported curve {key.curve.name}", subject=what)
        return
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        if key.key_size not in _RSA_SIZES:
            raise UnsupportedError(f"unsupported RSA size {key.key_size}", subject=what)
        return
    raise UnsupportedError(
        f"unsupported key type {type(key).__name__}",
        subject=what,
        hint="ECDSA P-256/P-384/P-521 or RSA 2048/3072/4096 (Ed25519 is refused: cosign uses "
        "Ed25519ph for it)",
    )


@dataclass(frozen=True)
class PublicKey:
    """A verifying key. ``fingerprint`` is the hex SHA-256 of the DER SubjectPublicKeyInfo."""

    key: _PublicKey

    @classmethod
    def from_der(cls, der: bytes, *, what: str = "public key") -> PublicKey:
        try:
            key = serialization.load_der_public_key(der)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidInputError("not a valid public key", subject=what) from exc
        _check_supported(key, what)
        assert isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey))
        return cls(key)

    @classmethod
    def from_pem(cls, data: bytes, *, what: str = "public key") -> PublicKey:
        _, der = pem_decode_one(data, labels=(PUBLIC_LABEL,), what=what)
        return cls.from_der(der, what=what)

    @property
    def der(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def pem(self) -> bytes:
        return pem_encode(PUBLIC_LABEL, self.der)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    def verify(self, signature: bytes, data: bytes, *, what: str = "signature") -> None:
        """Raise VerificationError unless ``signature`` is this key's signature over ``data``."""
        self._verify(signature, data, None, what)

    def verify_prehashed(self, signature: bytes, digest: bytes, *, what: str = "signature") -> None:
        """Like ``verify`` for a message known only by its hash (the key's hash algorithm)."""
        self._verify(signature, digest, _hash_for(self.key), what)

    def _verify(
        self, signature: bytes, data: bytes, prehash: hashes.HashAlgorithm | None, what: str
    ) -> None:
        algorithm = _hash_for(self.key)
        hashed: hashes.HashAlgorithm | Prehashed = Prehashed(prehash) if prehash else algorithm
        if prehash is not None and len(data) != prehash.digest_size:
            raise VerificationError("message digest has the wrong length", subject=what)
        try:
            if isinstance(self.key, ec.EllipticCurvePublicKey):
                self.key.verify(signature, data, ec.ECDSA(hashed))
            else:
                self.key.verify(signature, data, padding.PKCS1v15(), hashed)
        except InvalidSignature as exc:
            raise VerificationError(
                f"signature does not verify with key {self.fingerprint[:16]}", subject=what
            ) from exc


@dataclass(frozen=True)
class PrivateKey:
    """A signing key; signatures are ASN.1 DER (ECDSA) or PKCS#1 v1.5 (RSA), like cosign."""

    key: _PrivateKey

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    def sign(self, data: bytes) -> bytes:
        algorithm = _hash_for(self.key.public_key())
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(algorithm))
        return self.key.sign(data, padding.PKCS1v15(), algorithm)

    def sign_prehashed(self, digest: bytes) -> bytes:
        """Sign a message known by its hash (the key's hash algorithm), for streamed blobs."""
        algorithm = _hash_for(self.key.public_key())
        if len(digest) != algorithm.digest_size:
            raise UsageError("message digest has the wrong length for this key")
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(digest, ec.ECDSA(Prehashed(algorithm)))
        return self.key.sign(digest, padding.PKCS1v15(), Prehashed(algorithm))

    @property
    def pkcs8_der(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def to_cosign(self, password: bytes) -> bytes:
        """An ``ENCRYPTED SIGSTORE PRIVATE KEY`` file (cosign.key), scrypt N=2^16 r=8 p=1."""
        return pem_encode(cosignkey.LABEL_SIGSTORE, cosignkey.encrypt(self.pkcs8_der, password))

    def to_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted with ``password`` when one is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )


def generate() -> PrivateKey:
    """A fresh ECDSA P-256 key (cosign's default)."""
    return PrivateKey(ec.generate_private_key(ec.SECP256R1()))


def load_private_key(data: bytes, password: PasswordSource, *, what: str = "key") -> PrivateKey:
    """Load a cosign key file or a PKCS#8 PEM (plain or encrypted).

    The password is asked for only when the file is encrypted, and only after the envelope has
    been checked (labels, scrypt parameters), so a hostile file costs nothing.
    """
    labels = (*cosignkey.LABELS, PLAIN_PRIVATE_LABEL, PKCS8_ENCRYPTED_LABEL)
    label, der = pem_decode_one(data, labels=labels, what=what)
    if label in cosignkey.LABELS:
        encrypted = cosignkey.parse_encrypted(der, what=what)
        pkcs8 = cosignkey.decrypt(encrypted, password(), what=what)
        return _from_pkcs8(pkcs8, None, what)
    if label == PKCS8_ENCRYPTED_LABEL:
        return _from_pkcs8(der, password(), what)
    return _from_pkcs8(der, None, what)


def _from_pkcs8(der: bytes, password: bytes | None, what: str) -> PrivateKey:
    try:
        key = serialization.load_der_private_key(der, password=password)
    except ValueError as exc:
        if password is not None:
            raise VerificationError(
                "cannot decrypt the private key (wrong password or corrupted file)", subject=what
            ) from exc
        raise InvalidInputError("not a PKCS#8 private key", subject=what) from exc
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidInputError("not a supported PKCS#8 private key", subject=what) from exc
    _check_supported(key, what)
    assert isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey))
    return PrivateKey(key)


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """Bytes of a key file (≤ 64 KiB). An unreadable file is a rejected input (exit 1)."""
    try:
        return read_bounded(path, limit=KEY_FILE_LIMIT, what=f"key file {path}")
    except UsageError:
        raise
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read ({exc.strerror or exc})", subject=f"key file {path}"
        ) from exc


def load_private_key_file(path: str | os.PathLike[str], password: PasswordSource) -> PrivateKey:
    return load_private_key(read_key_file(path), password, what=f"key file {path}")


def load_public_key_file(path: str | os.PathLike[str]) -> PublicKey:
    return PublicKey.from_pem(read_key_file(path), what=f"key file {path}")
