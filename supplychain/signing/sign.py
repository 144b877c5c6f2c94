"""Sign digests, statements and blobs with a key (ours) or keylessly (sigstore-python).

Key signing is local and offline: the resulting bundle carries the signature and the public
key hint but no transparency-log entry (uploading to Rekor needs the network and a log we
trust). Verifiers therefore need a policy that waives the tlog for such keys, which is
reported in the result. Keyless signing needs an ambient OIDC token (e.g. GitHub Actions);
without one it stops with CouldNotCheckError before contacting anything.
"""

from __future__ import annotations

import hashlib
from typing import Any

from supplychain.errors import CouldNotCheckError, Error, NetworkError, UsageError
from supplychain.model.digest import Digest
from supplychain.signing import bundle as bundle_mod
from supplychain.signing import dsse, intoto, payloads
from supplychain.signing.encoding import b64encode
from supplychain.signing.keys import PrivateKey


def key_hint(key: PrivateKey) -> str:
    """The opaque ``publicKey.hint``: base64 SHA-256 of the SPKI DER (never used for trust)."""
    return b64encode(hashlib.sha256(key.public_key.der).digest())


def sign_envelope(
    payload: bytes, key: PrivateKey, *, payload_type: str = intoto.PAYLOAD_TYPE
) -> dsse.Envelope:
    """A DSSE envelope with exactly one signature over PAE(payload_type, payload)."""
    signature = key.sign(dsse.pae(payload_type, payload))
    return dsse.Envelope(payload_type, payload, (dsse.Signature(key_hint(key), signature),))


def sign_statement(statement: bytes, key: PrivateKey) -> bytes:
    """A v0.3 bundle (DSSE, publicKey material) over the given statement bytes."""
    intoto.parse(statement, what="statement to sign")
    return bundle_mod.build_key_bundle(sign_envelope(statement, key), key_hint=key_hint(key))


def sign_digest(
    digest: Digest, key: PrivateKey, *, annotations: dict[str, str] | None = None
) -> bytes:
    """A cosign v3 image signature: bundle over Statement v1 ``sign/v1`` naming ``digest``."""
    statement = intoto.build(digest, intoto.SIGN_PREDICATE, {}, annotations=annotations)
    return sign_statement(statement, key)


def attest(
    digest: Digest,
    predicate_type: str,
    predicate: Any,
    key: PrivateKey,
    *,
    name: str | None = None,
) -> bytes:
    """An attestation bundle: Statement v1 with ``predicate`` about ``digest``."""
    statement = intoto.build(digest, predicate_type, predicate, name=name)
    return sign_statement(statement, key)


def sign_simple_signing(
    digest: Digest, docker_reference: str, key: PrivateKey
) -> tuple[bytes, bytes]:
    """A legacy ``.sig`` layer: (payload bytes, raw DER signature over those bytes)."""
    payload = payloads.build(digest, docker_reference)
    return payload, key.sign(payload)


def sign_blob(data: bytes, key: PrivateKey) -> bytes:
    """A v0.3 bundle with a message signature over ``data`` (SHA2_256)."""
    return sign_blob_digest(Digest.of(data), key)


def sign_blob_digest(digest: Digest, key: PrivateKey) -> bytes:
    """Like ``sign_blob`` for a blob known by its sha256 (hashed while streaming).

    The signature is over the message itself (prehashed), so it verifies like cosign's and
    sigstore's blob signatures. Only SHA-256 keys (ECDSA P-256, RSA) can sign this way.
    """
    if digest.algorithm != "sha256":
        raise UsageError("blob signatures bind sha256 digests only", subject=str(digest))
    raw = bytes.fromhex(digest.hex)
    signature = key.sign_prehashed(raw)
    content = bundle_mod.MessageSignature("SHA2_256", raw, signature)
    return bundle_mod.build_key_bundle(content, key_hint=key_hint(key))


# --- keyless -------------------------------------------------------------------------------


def ambient_identity_token() -> str:
    """The ambient OIDC token (GitHub Actions, GCP, ...); CouldNotCheckError when there is none."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.oidc import detect_credential

    try:
        token = detect_credential()
    except SigstoreError as exc:
        raise CouldNotCheckError(f"cannot obtain an ambient OIDC token: {exc}") from exc
    if not token:
        raise CouldNotCheckError(
            "no ambient OIDC token for keyless signing",
            hint="run where an identity token is available (e.g. GitHub Actions with "
            "id-token: write) or sign with --key",
        )
    return token


def sign_blob_keyless(data: bytes | Digest, *, token: str | None = None) -> bytes:
    """Keyless blob signature via sigstore-python (Fulcio + Rekor, public-good instance)."""

    def run(signer: Any) -> Any:
        if isinstance(data, bytes):
            return signer.sign_artifact(data)
        from sigstore.hashes import Hashed
        from sigstore_models.common.v1 import HashAlgorithm

        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(data.hex))
        return signer.sign_artifact(hashed)

    return _keyless(run, token)


def sign_statement_keyless(statement: bytes, *, token: str | None = None) -> bytes:
    """Keyless DSSE bundle over a Statement (sigstore-python wants v1 with subject names)."""
    intoto.parse(statement, what="statement to sign")

    def run(signer: Any) -> Any:
        from sigstore.dsse import Statement

        return signer.sign_dsse(Statement(statement))

    return _keyless(run, token)


def _keyless(action: Any, token: str | None) -> bytes:
    raw_token = token if token is not None else ambient_identity_token()
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    try:
        identity = IdentityToken(raw_token)
        context = SigningContext.from_trust_config(ClientTrustConfig.production())
        with context.signer(identity, cache=False) as signer:
            result = action(signer)
        return str(result.to_json()).encode("utf-8")
    except Error:
        raise
    except SigstoreError as exc:
        raise NetworkError(f"keyless signing failed: {exc}") from exc
