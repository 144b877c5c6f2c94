"""Adapters from the signing core to the store's contracts (key and keyless authorities).

All cryptography and every binding check happen in :mod:`supplychain.signing`; this module
only routes registry material to the right call and turns the verified result into a
:class:`~supplychain.store.contracts.SignedStatement`. The authority type fixes which material
is accepted (SECURITY class H): a key authority never looks at certificates in annotations, a
keyless one refuses key-signed material.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from supplychain.errors import InvalidInputError, UsageError, VerificationError
from supplychain.model import Digest
from supplychain.signing import intoto, keys, trustroot
from supplychain.signing import sign as signing
from supplychain.signing import verify as verifying
from supplychain.signing.identity import Identity
from supplychain.store import media
from supplychain.store.contracts import SignedStatement
from supplychain.store.evidence import Evidence


def _statement(verified: verifying.Verified) -> SignedStatement:
    if verified.statement is not None:
        statement = verified.statement
        digests: list[Digest] = []
        for subject in statement.subjects:
            for algorithm, hexpart in sorted(subject.digest.items()):
                try:
                    digests.append(Digest(algorithm, hexpart))
                except InvalidInputError:
                    continue
        return SignedStatement(
            statement.predicate_type, statement.predicate, verified.signer, tuple(digests)
        )
    if verified.simple_signing is not None:
        return SignedStatement(
            media.SIGN_PREDICATE, None, verified.signer, (verified.simple_signing.digest,)
        )
    raise VerificationError("signed content is neither a statement nor a simple-signing payload")


# --- signing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySigner:
    """Signs with a private key, offline: bundles carry no transparency-log entry."""

    key: keys.PrivateKey

    def signature_bundle(self, subject: Digest) -> bytes:
        return signing.sign_digest(subject, self.key)

    def attestation_bundle(
        self, subject: Digest, name: str, predicate_type: str, predicate: Any
    ) -> bytes:
        return signing.attest(subject, predicate_type, predicate, self.key, name=name)

    def attestation_envelope(
        self, subject: Digest, name: str, predicate_type: str, predicate: Any
    ) -> bytes:
        statement = intoto.build(subject, predicate_type, predicate, name=name)
        return signing.sign_envelope(statement, self.key).to_json()

    def simple_signing(self, docker_reference: str, subject: Digest) -> tuple[bytes, bytes]:
        return signing.sign_simple_signing(subject, docker_reference, self.key)


@dataclass(frozen=True)
class KeylessSigner:
    """Signs through sigstore-python (Fulcio certificate + Rekor entry) with an OIDC token.

    Only the bundle layouts: writing a keyless legacy ``.sig``/``.att`` would need the
    certificate and Rekor bundle annotations from a Rekor v1 upload, which we do not do.
    ``name`` is the repository, because sigstore-python's statement model wants subject names.
    """

    token: str
    name: str

    def signature_bundle(self, subject: Digest) -> bytes:
        statement = intoto.build(subject, media.SIGN_PREDICATE, {}, name=self.name)
        return signing.sign_statement_keyless(statement, token=self.token)

    def attestation_bundle(
        self, subject: Digest, name: str, predicate_type: str, predicate: Any
    ) -> bytes:
        statement = intoto.build(subject, predicate_type, predicate, name=name)
        return signing.sign_statement_keyless(statement, token=self.token)

    def attestation_envelope(
        self, subject: Digest, name: str, predicate_type: str, predicate: Any
    ) -> bytes:
        raise UsageError("keyless signing writes bundle referrers only", subject="--legacy")

    def simple_signing(self, docker_reference: str, subject: Digest) -> tuple[bytes, bytes]:
        raise UsageError("keyless signing writes bundle referrers only", subject="--legacy")


def keyless_signer(name: str) -> KeylessSigner:
    """Fetch the ambient OIDC token now, before anything is written to a registry."""
    return KeylessSigner(signing.ambient_identity_token(), name)


def key_signer(path: str | os.PathLike[str], password: Callable[[], bytes]) -> KeySigner:
    """Load a private key file; ``password`` is called only if the file is encrypted."""
    return KeySigner(keys.load_private_key_file(path, password))


# --- verifying ----------------------------------------------------------------------------------


TLOG_MISSING = "no transparency-log entry, and key signatures need one"
TLOG_WAIVER_HINT = (
    "to accept offline key signatures, waive the log in a policy file: "
    "'transparencyLog: {required: false}' on the key authority, then --policy FILE "
    "(example: policies/verify-key-offline.yaml)"
)


def require_log_entry(verified: verifying.Verified, what: str) -> verifying.Verified:
    """Reject a key signature that carries no transparency-log entry.

    The signing core is asked with the log waived and the requirement is applied here, so the
    rejection can say how to waive it: the only way is a policy file (SECURITY R1), and a user
    who meets this error for an offline key signature needs to be told exactly that. An entry
    that is present has already been verified and bound by the core either way.
    """
    if verified.tlog is None:
        raise VerificationError(TLOG_MISSING, subject=what, hint=TLOG_WAIVER_HINT)
    return verified


@dataclass(frozen=True)
class KeyVerifier:
    """Accepts only material signed by ``key``. ``require_tlog`` False is the library form of a
    policy waiver (our own key signatures are offline and carry no tlog entry); the CLI never
    sets it from a flag, only through a policy file."""

    key: keys.PublicKey
    require_tlog: bool = True
    trust: trustroot.TrustedRoot | None = None

    def _checked(self, verified: verifying.Verified, what: str) -> SignedStatement:
        if self.require_tlog:
            require_log_entry(verified, what)
        return _statement(verified)

    def verify_bundle(self, bundle: bytes, subject: Digest, expect: str) -> SignedStatement:
        verified = verifying.verify_bundle(
            bundle,
            subject,
            verifying.KeyAuthority(self.key),
            expect=expect,
            trust=self.trust,
            require_tlog=False,
        )
        return self._checked(verified, "bundle")

    def verify_envelope(
        self, envelope: bytes, evidence: Evidence, subject: Digest, expect: str
    ) -> SignedStatement:
        rekor = evidence.rekor_bundle.encode("utf-8") if evidence.rekor_bundle else None
        verified = verifying.verify_envelope(
            envelope,
            subject,
            self.key,
            expect=expect,
            rekor_bundle=rekor,
            trust=self.trust,
            require_tlog=False,
        )
        return self._checked(verified, "legacy attestation")

    def verify_simple_signing(
        self, payload: bytes, evidence: Evidence, subject: Digest
    ) -> SignedStatement:
        if evidence.signature is None:
            raise VerificationError("no signature", subject=evidence.describe())
        rekor = evidence.rekor_bundle.encode("utf-8") if evidence.rekor_bundle else None
        verified = verifying.verify_simple_signing(
            payload,
            evidence.signature,
            subject,
            self.key,
            rekor_bundle=rekor,
            trust=self.trust,
            require_tlog=False,
        )
        return self._checked(verified, "simple-signing signature")


@dataclass(frozen=True)
class KeylessVerifier:
    """Accepts only certificate bundles whose identity matches, verified by sigstore-python."""

    identity: Identity
    trust: trustroot.TrustedRoot | None = None

    def verify_bundle(self, bundle: bytes, subject: Digest, expect: str) -> SignedStatement:
        return _statement(
            verifying.verify_bundle(bundle, subject, self.identity, expect=expect, trust=self.trust)
        )

    def verify_envelope(
        self, envelope: bytes, evidence: Evidence, subject: Digest, expect: str
    ) -> SignedStatement:
        raise VerificationError(
            "keyless legacy attestations (.att) are not supported; use bundle referrers",
            subject=evidence.describe(),
        )

    def verify_simple_signing(
        self, payload: bytes, evidence: Evidence, subject: Digest
    ) -> SignedStatement:
        if evidence.signature is None or not evidence.certificate:
            raise VerificationError(
                "legacy signature carries no certificate, so no keyless identity",
                subject=evidence.describe(),
            )
        rekor = evidence.rekor_bundle.encode("utf-8") if evidence.rekor_bundle else None
        verified = verifying.verify_keyless_simple_signing(
            payload,
            evidence.signature,
            subject,
            self.identity,
            certificate_pem=evidence.certificate.encode("utf-8"),
            rekor_bundle=rekor,
            trust=self.trust,
            what=evidence.describe(),
        )
        return _statement(verified)


def key_verifier(
    path: str | os.PathLike[str], *, require_tlog: bool = True, trusted_root: str | None = None
) -> KeyVerifier:
    trust = trustroot.load_file(trusted_root) if trusted_root else None
    return KeyVerifier(keys.load_public_key_file(path), require_tlog, trust)


def keyless_verifier(identity: Identity, trusted_root: str | None) -> KeylessVerifier:
    trust = trustroot.load_file(trusted_root) if trusted_root else None
    return KeylessVerifier(identity, trust)
