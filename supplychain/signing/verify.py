"""Verify a bundle, DSSE envelope or simple-signing signature for one artifact digest.

The one promise of this module: a result is returned only when the signature is valid under
the given authority AND the *signed* content names exactly the digest under verification
(SECURITY class A). There is no switch to turn the binding off. What is returned is the
verified signed content (statement, payload), the only thing policy may look at (class K).

Material mode is fixed by the authority (class H): a key authority verifies with that key only
and rejects certificate bundles; an identity authority requires a certificate bundle, verified
by sigstore-python against the trusted root, then our strict identity match and statement
checks (sigstore-python checks neither payloadType nor subject).

Transparency: key signatures need a tlog entry unless the caller passes ``require_tlog=False``
(a relaxation that is reported back in ``Verified.relaxations``). A present entry is always
verified and bound (class C), required or not.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Literal

from supplychain.errors import (
    Error,
    InvalidInputError,
    UnsupportedError,
    UsageError,
    VerificationError,
)
from supplychain.model.digest import Digest
from supplychain.signing import bundle as bundle_mod
from supplychain.signing import dsse, intoto, keyless, payloads, tlog, trustroot
from supplychain.signing.identity import Identity, certificate_identity
from supplychain.signing.keys import PublicKey


@dataclass(frozen=True)
class KeyAuthority:
    """Trust signatures made by this key (``name`` is for messages and policy reports)."""

    key: PublicKey
    name: str = "key"


Authority = KeyAuthority | Identity


@dataclass(frozen=True)
class Verified:
    """The verified, digest-bound signed content.

    ``kind``: ``statement`` (DSSE in-toto; ``statement`` set), ``simple-signing``
    (``simple_signing`` set) or ``message`` (a blob signature over ``digest``).
    ``signer``: ``key:<sha256 of SPKI>`` or the certificate SAN; ``issuer`` for keyless.
    """

    kind: Literal["statement", "simple-signing", "message"]
    digest: Digest
    signer: str
    issuer: str | None
    payload: bytes
    statement: intoto.Statement | None = None
    simple_signing: payloads.SimpleSigningPayload | None = None
    tlog: tlog.LogEvidence | None = None
    relaxations: tuple[str, ...] = ()

    @property
    def predicate_type(self) -> str | None:
        return self.statement.predicate_type if self.statement else None


ANY_PREDICATE = None
"""``expect=ANY_PREDICATE``: any statement type or a message signature binds (conformance only)."""

BLOB_SIGNATURE = "urn:supplychain:blob-signature"
"""``expect=BLOB_SIGNATURE``: a *signature* over a blob: a message signature, or a statement whose
signed ``predicateType`` is cosign's sign/v1. An SBOM or scan attestation over the same digest is
not a signature (SECURITY.md class B), so it does not pass ``verify-blob``."""


def _allows_message(expect: str | None) -> bool:
    return expect is None or expect == BLOB_SIGNATURE


def _wanted_type(expect: str | None) -> str | None:
    return intoto.SIGN_PREDICATE if expect == BLOB_SIGNATURE else expect


def verify_bundle(
    raw: bytes,
    digest: Digest,
    authority: Authority,
    *,
    expect: str | None = intoto.SIGN_PREDICATE,
    trust: trustroot.TrustedRoot | None = None,
    require_tlog: bool = True,
    what: str = "bundle",
) -> Verified:
    """Verify a Sigstore bundle for ``digest`` (an image manifest or a blob's sha256).

    ``expect`` is the required signed ``predicateType`` (default: a cosign image signature);
    ``None`` accepts any statement or a message signature (blob verification). Any failure
    raises a RejectedError subclass; a check that could not run raises CouldNotCheckError.
    """
    try:
        parsed = bundle_mod.parse(raw, what=what)
        if isinstance(authority, KeyAuthority):
            return _verify_key_bundle(parsed, digest, authority, expect, trust, require_tlog, what)
        return _verify_keyless_bundle(parsed, digest, authority, expect, trust, what)
    except Error:
        raise
    except Exception as exc:  # fail closed: anything unexpected is a rejection
        raise VerificationError(f"verification failed: {type(exc).__name__}", subject=what) from exc


def _verify_key_bundle(
    parsed: bundle_mod.Bundle,
    digest: Digest,
    authority: KeyAuthority,
    expect: str | None,
    trust: trustroot.TrustedRoot | None,
    require_tlog: bool,
    what: str,
) -> Verified:
    if not isinstance(parsed.material, bundle_mod.KeyMaterial):
        raise VerificationError(
            "bundle carries a certificate, but a key was given",
            subject=what,
            hint="key authorities accept only publicKey bundles",
        )
    key = authority.key
    content = parsed.content
    if isinstance(content, bundle_mod.MessageSignature):
        if not _allows_message(expect):
            raise VerificationError(
                "bundle holds a message signature, not a signed statement", subject=what
            )
        _require_sha256(digest, what)
        if not hmac.compare_digest(content.digest, bytes.fromhex(digest.hex)):
            raise VerificationError("bundle's message digest is not the artifact's", subject=what)
        key.verify_prehashed(content.signature, bytes.fromhex(digest.hex), what=what)
        expectation = tlog.Expectation(
            signature=content.signature,
            material_der=key.der,
            artifact_sha256=bytes.fromhex(digest.hex),
        )
        result = Verified("message", digest, f"key:{key.fingerprint}", None, b"")
    else:
        signature = content.only_signature(what=what)
        key.verify(signature.sig, dsse.pae(content.payload_type, content.payload), what=what)
        _check_keyid_agrees(signature.keyid, parsed.material.hint, what)
        statement = _bound_statement(content, digest, expect, what)
        expectation = tlog.Expectation(
            signature=signature.sig,
            material_der=key.der,
            payload_sha256=hashlib.sha256(content.payload).digest(),
            envelope=content,
        )
        result = Verified(
            "statement", digest, f"key:{key.fingerprint}", None, content.payload, statement
        )
    evidence, relaxations = _tlog_for_key(
        parsed.tlog_entries, expectation, trust, require_tlog, what
    )
    _verify_key_timestamps(parsed, expectation.signature, trust, what)
    return Verified(
        result.kind,
        result.digest,
        result.signer,
        None,
        result.payload,
        statement=result.statement,
        tlog=evidence,
        relaxations=relaxations,
    )


def _check_keyid_agrees(keyid: str, hint: str, what: str) -> None:
    """DSSE ``keyid`` and the bundle's ``publicKey.hint`` must agree when both are set.

    Checked only AFTER the signature verified under the authority's key (class H: neither
    field ever selects a key); a disagreement means the bundle was assembled from parts.
    """
    if keyid and hint and not hmac.compare_digest(keyid.encode(), hint.encode()):
        raise VerificationError(
            "DSSE keyid disagrees with the bundle's key hint",
            subject=what,
            hint="the envelope and the bundle name different keys",
        )


def _verify_key_timestamps(
    parsed: bundle_mod.Bundle,
    signature: bytes,
    trust: trustroot.TrustedRoot | None,
    what: str,
) -> None:
    """Every RFC 3161 token in a key bundle must verify under a TSA of the trusted root.

    A key has no validity window, so the verified times constrain nothing further today; what
    matters is that unverifiable evidence is a rejection, never ignored (as in ``tsa.py``).
    """
    if not parsed.timestamps:
        return
    from supplychain.signing import tsa
    from supplychain.signing.keylessroot import keyless_root

    root = trust if trust is not None else trustroot.production()
    tsa.verified_times(parsed.timestamps, signature, keyless_root(root), what=what)


def _tlog_for_key(
    entries: tuple[tlog.TlogEntry, ...],
    expectation: tlog.Expectation,
    trust: trustroot.TrustedRoot | None,
    require_tlog: bool,
    what: str,
) -> tuple[tlog.LogEvidence | None, tuple[str, ...]]:
    if not entries:
        if require_tlog:
            raise VerificationError(
                "no transparency-log entry",
                subject=what,
                hint="the policy may waive the tlog for key signatures",
            )
        return None, ("transparency log not required",)
    root = trust if trust is not None else trustroot.production()
    evidence = tlog.verify_entry(entries[0], expectation, root, what=f"{what} tlog entry")
    return evidence, ()


def _require_sha256(digest: Digest, what: str) -> None:
    if digest.algorithm != "sha256":
        raise UnsupportedError("blob signatures bind sha256 digests only", subject=what)


def _bound_statement(
    envelope: dsse.Envelope, digest: Digest, expect: str | None, what: str
) -> intoto.Statement:
    """The statement, after the type, predicate and subject-binding checks."""
    if envelope.payload_type != intoto.PAYLOAD_TYPE:
        raise VerificationError(
            f"payloadType is {envelope.payload_type[:80]!r}, not {intoto.PAYLOAD_TYPE}",
            subject=what,
        )
    try:
        statement = intoto.parse(envelope.payload, what=f"{what} statement")
    except InvalidInputError as exc:
        raise VerificationError(
            f"signed payload is not a valid statement: {exc.message}", subject=what
        ) from exc
    expect = _wanted_type(expect)
    if expect is not None and statement.predicate_type != expect:
        raise VerificationError(
            f"signed predicateType is {statement.predicate_type[:100]!r}, expected {expect!r}",
            subject=what,
        )
    if not statement.names_digest(digest):
        raise VerificationError(
            f"signed statement does not name {digest}",
            subject=what,
            hint="the signature is for another artifact",
        )
    return statement


def _verify_keyless_bundle(
    parsed: bundle_mod.Bundle,
    digest: Digest,
    identity: Identity,
    expect: str | None,
    trust: trustroot.TrustedRoot | None,
    what: str,
) -> Verified:
    if not isinstance(parsed.material, bundle_mod.CertificateMaterial):
        raise VerificationError(
            "bundle carries a public key, but a keyless identity was required", subject=what
        )
    from cryptography import x509

    leaf = x509.load_der_x509_certificate(parsed.material.leaf_der)
    san, issuer = certificate_identity(leaf)
    if not identity.matches(san, issuer):
        raise VerificationError(
            f"signer {san!r} (issuer {issuer!r}) does not match {identity.describe()}",
            subject=what,
        )
    if keyless.uses_own_verifier(parsed):
        return _verify_own_keyless(parsed, digest, san, issuer, expect, trust, what)
    verifier, sig_bundle, policy = _sigstore(parsed.raw, san, issuer, trust, what)
    from sigstore.errors import Error as SigstoreError

    try:
        if isinstance(parsed.content, bundle_mod.MessageSignature):
            if not _allows_message(expect):
                raise VerificationError(
                    "bundle holds a message signature, not a signed statement", subject=what
                )
            _require_sha256(digest, what)
            if not hmac.compare_digest(parsed.content.digest, bytes.fromhex(digest.hex)):
                raise VerificationError(
                    "bundle's message digest is not the artifact's", subject=what
                )
            from sigstore.hashes import Hashed
            from sigstore_models.common.v1 import HashAlgorithm

            hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest.hex))
            verifier.verify_artifact(hashed, sig_bundle, policy)
            return Verified("message", digest, san, issuer, b"")
        payload_type, payload = verifier.verify_dsse(sig_bundle, policy)
    except SigstoreError as exc:
        raise VerificationError(f"sigstore verification failed: {exc}", subject=what) from exc
    envelope = dsse.Envelope(payload_type, payload, parsed.content.signatures)
    statement = _bound_statement(envelope, digest, expect, what)
    return Verified("statement", digest, san, issuer, payload, statement)


def _verify_own_keyless(
    parsed: bundle_mod.Bundle,
    digest: Digest,
    san: str,
    issuer: str,
    expect: str | None,
    trust: trustroot.TrustedRoot | None,
    what: str,
) -> Verified:
    """Keyless bundles sigstore-python refuses (``intoto`` entries): see ``keyless.py``."""
    root = trust if trust is not None else trustroot.production()
    evidence = keyless.verify_intoto_bundle(parsed, root, what=what)
    assert isinstance(parsed.content, dsse.Envelope)  # checked by verify_intoto_bundle
    statement = _bound_statement(parsed.content, digest, expect, what)
    return Verified(
        "statement", digest, san, issuer, parsed.content.payload, statement, tlog=evidence
    )


def _sigstore(raw: bytes, san: str, issuer: str, trust: trustroot.TrustedRoot | None, what: str):  # type: ignore[no-untyped-def]
    """sigstore-python's verifier, bundle and an identity policy for the already-matched SAN."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle as SigstoreBundle
    from sigstore.verify import policy

    try:
        sig_bundle = SigstoreBundle.from_json(raw)
    except (SigstoreError, ValueError) as exc:
        raise VerificationError(f"bundle rejected: {exc}", subject=what) from exc
    try:
        verifier = _sigstore_verifier(None if trust is None else trust.raw)
    except (SigstoreError, ValueError) as exc:
        raise UsageError(
            f"trusted root rejected: {str(exc).splitlines()[0]}",
            subject=trust.source if trust else "trusted root",
        ) from exc
    identity_policy = policy.AllOf([policy.Identity(identity=san), _IssuerPolicy(issuer)])
    return verifier, sig_bundle, identity_policy


@functools.lru_cache(maxsize=8)
def _sigstore_verifier(raw_root: bytes | None) -> Any:
    """One sigstore-python Verifier per trusted root (building one parses the whole root).

    ``None`` = the public-good root from sigstore-python's embedded TUF data, offline.
    """
    from sigstore.models import TrustedRoot as SigstoreRoot
    from sigstore.verify import Verifier
    from sigstore_models.trustroot.v1 import TrustedRoot as TrustedRootModel

    if raw_root is None:
        return Verifier.production(offline=True)
    adjusted = _inclusive_tsa_validity(raw_root)
    return Verifier(trusted_root=SigstoreRoot(TrustedRootModel.from_json(adjusted)))


def _inclusive_tsa_validity(raw: bytes) -> bytes:
    """The trusted root with every TSA ``validFor.end`` moved 1 µs later.

    Trust-root time ranges are closed intervals, but sigstore-python 4.5.1 compares a TSA
    token's time with ``< end``. At microsecond resolution ``t < end + 1µs`` is exactly
    ``t <= end`` (conformance ``trust-root-tsa-validity-end-inclusive``).
    """
    import datetime as dt
    import json

    from supplychain._internal import strictjson

    doc = strictjson.loads_object(raw, what="trusted root")
    for tsa in doc.get("timestampAuthorities", []) or []:
        valid = tsa.get("validFor") if isinstance(tsa, dict) else None
        if not isinstance(valid, dict):
            continue
        end = valid.get("end")
        if isinstance(end, str):
            moved = dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
            moved += dt.timedelta(microseconds=1)
            valid["end"] = moved.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(doc).encode("utf-8")


class _IssuerPolicy:
    """sigstore-python's Identity reads only the legacy issuer OID; ours reads both."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def verify(self, cert: object) -> None:
        from cryptography import x509
        from sigstore.errors import VerificationError as SigstoreVerificationError

        assert isinstance(cert, x509.Certificate)
        try:
            _, issuer = certificate_identity(cert)
        except VerificationError as exc:
            raise SigstoreVerificationError(exc.message) from exc
        if issuer != self.issuer:
            raise SigstoreVerificationError("issuer mismatch")


# --- legacy cosign layouts ----------------------------------------------------------------


def verify_simple_signing(
    payload: bytes,
    signature: bytes,
    digest: Digest,
    key: PublicKey,
    *,
    rekor_bundle: bytes | None = None,
    trust: trustroot.TrustedRoot | None = None,
    require_tlog: bool = True,
    what: str = "simple-signing signature",
) -> Verified:
    """A legacy ``.sig`` layer: ``signature`` (raw DER) over ``payload`` by ``key``.

    ``rekor_bundle`` is the ``dev.sigstore.cosign/bundle`` annotation, if any; an unparsable one
    is a rejection, never "no bundle" (NT-C5).
    """
    try:
        key.verify(signature, payload, what=what)
        parsed = payloads.parse(payload, what=f"{what} payload")
        if parsed.digest != digest:
            raise VerificationError(
                f"signed payload names {parsed.digest}, not {digest}",
                subject=what,
                hint="the signature is for another image",
            )
        entries: tuple[tlog.TlogEntry, ...] = ()
        if rekor_bundle is not None:
            entries = (legacy_rekor_entry(rekor_bundle, what=f"{what} rekor bundle"),)
        expectation = tlog.Expectation(
            signature=signature,
            material_der=key.der,
            artifact_sha256=hashlib.sha256(payload).digest(),
        )
        evidence, relaxations = _tlog_for_key(entries, expectation, trust, require_tlog, what)
        return Verified(
            "simple-signing",
            digest,
            f"key:{key.fingerprint}",
            None,
            payload,
            simple_signing=parsed,
            tlog=evidence,
            relaxations=relaxations,
        )
    except Error:
        raise
    except Exception as exc:
        raise VerificationError(f"verification failed: {type(exc).__name__}", subject=what) from exc


def verify_keyless_simple_signing(
    payload: bytes,
    signature: bytes,
    digest: Digest,
    identity: Identity,
    *,
    certificate_pem: bytes,
    rekor_bundle: bytes | None,
    trust: trustroot.TrustedRoot | None = None,
    what: str = "simple-signing signature",
) -> Verified:
    """A legacy keyless ``.sig`` layer (certificate annotation, Rekor bundle annotation).

    Identity first (our strict match), then ``keyless.verify_legacy_signature`` (certificate
    profile, signature, entry bound to signature/certificate/payload hash, SET under the log
    chosen by ``logID``, chain to a CA valid at the integrated time, SCT), then the payload's
    digest binding. Without a Rekor bundle there is no trusted time: rejected.
    """
    try:
        from cryptography import x509

        from supplychain.signing.encoding import pem_decode_one

        _, leaf_der = pem_decode_one(
            certificate_pem, labels=("CERTIFICATE",), what=f"{what} certificate"
        )
        san, issuer = certificate_identity(x509.load_der_x509_certificate(leaf_der))
        if not identity.matches(san, issuer):
            raise VerificationError(
                f"signer {san!r} (issuer {issuer!r}) does not match {identity.describe()}",
                subject=what,
            )
        if rekor_bundle is None:
            raise VerificationError(
                "keyless signature without a Rekor bundle has no trusted time", subject=what
            )
        entry = legacy_rekor_entry(rekor_bundle, what=f"{what} rekor bundle")
        root = trust if trust is not None else trustroot.production()
        evidence = keyless.verify_legacy_signature(
            payload, signature, leaf_der, entry, root, what=what
        )
        parsed = payloads.parse(payload, what=f"{what} payload")
        if parsed.digest != digest:
            raise VerificationError(
                f"signed payload names {parsed.digest}, not {digest}",
                subject=what,
                hint="the signature is for another image",
            )
        return Verified(
            "simple-signing",
            digest,
            san,
            issuer,
            payload,
            simple_signing=parsed,
            tlog=evidence,
        )
    except Error:
        raise
    except Exception as exc:
        raise VerificationError(f"verification failed: {type(exc).__name__}", subject=what) from exc


def verify_envelope(
    raw: bytes,
    digest: Digest,
    key: PublicKey,
    *,
    expect: str | None,
    rekor_bundle: bytes | None = None,
    trust: trustroot.TrustedRoot | None = None,
    require_tlog: bool = True,
    what: str = "DSSE envelope",
) -> Verified:
    """A legacy ``.att`` layer (whole DSSE envelope JSON) signed by ``key``, bound to ``digest``.

    Exactly one signature. ``rekor_bundle`` is the layer's ``dev.sigstore.cosign/bundle``
    annotation: its ``intoto`` 0.0.2 body must name this envelope, signature and key
    (``intoto_entry``) and its SET must verify under the log chosen by ``logID``; an unparsable
    or unbound one is a rejection, never "no entry" (NT-C5).
    """
    try:
        envelope = dsse.parse(raw, what=what)
        signature = envelope.only_signature(what=what)
        key.verify(signature.sig, dsse.pae(envelope.payload_type, envelope.payload), what=what)
        statement = _bound_statement(envelope, digest, expect, what)
        entries: tuple[tlog.TlogEntry, ...] = ()
        if rekor_bundle is not None:
            entries = (legacy_rekor_entry(rekor_bundle, what=f"{what} rekor bundle"),)
        expectation = tlog.Expectation(
            signature=signature.sig,
            material_der=key.der,
            payload_sha256=hashlib.sha256(envelope.payload).digest(),
            envelope=envelope,
            envelope_bytes=raw,
        )
        evidence, relaxations = _tlog_for_key(entries, expectation, trust, require_tlog, what)
        return Verified(
            "statement",
            digest,
            f"key:{key.fingerprint}",
            None,
            envelope.payload,
            statement,
            tlog=evidence,
            relaxations=relaxations,
        )
    except Error:
        raise
    except Exception as exc:
        raise VerificationError(f"verification failed: {type(exc).__name__}", subject=what) from exc


def legacy_rekor_entry(raw: bytes, *, what: str) -> tlog.TlogEntry:
    """The ``dev.sigstore.cosign/bundle`` annotation as a tlog entry (SET, no proof)."""
    from supplychain._internal import strictjson
    from supplychain.signing.encoding import b64decode_strict

    doc = strictjson.loads_object(raw, what=what)
    try:
        payload = doc["Payload"]
        body = b64decode_strict(payload["body"], what=f"{what} body")
        body_doc = strictjson.loads_object(body, what=f"{what} body")
        log_id = bytes.fromhex(payload["logID"])
        integrated = payload["integratedTime"]
        index = payload["logIndex"]
        set_bytes = b64decode_strict(doc["SignedEntryTimestamp"], what=f"{what} SET")
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError("malformed legacy Rekor bundle", subject=what) from exc
    for name, value in (("integratedTime", integrated), ("logIndex", index)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInputError(f"{name} must be a non-negative integer", subject=what)
    kind, version = body_doc.get("kind"), body_doc.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(version, str):
        raise InvalidInputError("Rekor body has no kind/apiVersion", subject=what)
    return tlog.TlogEntry(index, log_id, kind, version, integrated, set_bytes, None, body)
