"""Our own verifier for keyless DSSE bundles whose Rekor entry is ``intoto`` 0.0.2.

Why it exists: sigstore-python 4.5.1 refuses to establish a time from these entries ("Integrated
time only supported for dsse/hashedrekord 0.0.1 types") and cannot check their bodies, so every
such bundle, npm provenance included, would be rejected whatever its merits. Everything else
keyless still goes to sigstore-python; this module covers only that gap and performs the same
steps, each failing closed:

1. bundle rules: one tlog entry; from v0.2 on it needs an inclusion proof, v0.1 needs a SET;
2. the leaf profile: not a CA, key usage digitalSignature, extended key usage codeSigning;
3. the DSSE signature over PAE(payloadType, payload) with the leaf's key;
4. the tlog entry (``tlog.verify_entry``): its body names this envelope, signature and
   certificate (``intoto_entry``), its log is chosen by ``logID`` from the trusted root, and its
   SET and inclusion proof with signed checkpoint verify under that log's key;
5. verified times: every RFC 3161 timestamp (``tsa``) and the integrated time when a SET vouches
   for it; at least one is required;
6. at each verified time: the leaf is inside its validity window, and it chains to a
   certificate authority of the trusted root whose ``validFor`` window contains that time;
7. an embedded SCT from a CT log of the trusted root (``sct``).

The identity (SAN, issuer OIDs) is matched by the caller before any of this, exactly as for the
sigstore-python path, and the caller binds the statement to the digest afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from supplychain.errors import VerificationError
from supplychain.signing import bundle as bundle_mod
from supplychain.signing import dsse, sct, tlog, tsa
from supplychain.signing.keylessroot import KeylessRoot, keyless_root
from supplychain.signing.keys import PublicKey
from supplychain.signing.trustroot import TrustedRoot


def uses_own_verifier(parsed: bundle_mod.Bundle) -> bool:
    """True for bundles sigstore-python refuses and this module verifies (intoto entries)."""
    return any(entry.kind == "intoto" for entry in parsed.tlog_entries)


def verify_intoto_bundle(
    parsed: bundle_mod.Bundle, trust: TrustedRoot, *, what: str
) -> tlog.LogEvidence:
    """Steps 1-7 of the module docstring; returns the tlog evidence or raises a rejection."""
    material = parsed.material
    envelope = parsed.content
    if not isinstance(material, bundle_mod.CertificateMaterial):
        raise VerificationError("bundle carries no certificate", subject=what)
    if not isinstance(envelope, dsse.Envelope):
        raise VerificationError("an intoto tlog entry needs a DSSE envelope", subject=what)
    entry = _single_entry(parsed, what)
    leaf = x509.load_der_x509_certificate(material.leaf_der)
    _check_leaf_profile(leaf, what)
    signature = envelope.only_signature(what=what)
    key = PublicKey.from_der(_spki(leaf), what=f"{what} certificate key")
    key.verify(signature.sig, dsse.pae(envelope.payload_type, envelope.payload), what=what)

    expectation = tlog.Expectation(
        signature=signature.sig,
        material_der=material.leaf_der,
        payload_sha256=hashlib.sha256(envelope.payload).digest(),
        envelope=envelope,
    )
    evidence = tlog.verify_entry(entry, expectation, trust, what=f"{what} tlog entry")

    root = keyless_root(trust)
    times = [
        ("timestamp authority", when)
        for when in tsa.verified_times(parsed.timestamps, signature.sig, root, what=what)
    ]
    if evidence.integrated_time is not None:
        integrated = dt.datetime.fromtimestamp(evidence.integrated_time, tz=dt.timezone.utc)
        times.append(("tlog integrated", integrated))
    _check_certificate_at(leaf, times, root, what)
    return evidence


def verify_legacy_signature(
    payload: bytes,
    signature: bytes,
    leaf_der: bytes,
    entry: tlog.TlogEntry,
    trust: TrustedRoot,
    *,
    what: str,
) -> tlog.LogEvidence:
    """A legacy keyless ``.sig`` layer: ``signature`` over ``payload`` by the Fulcio ``leaf``.

    The same steps as for bundles, with the one time source this layout has: the integrated
    time of the ``dev.sigstore.cosign/bundle`` entry, which counts only through its SET. The
    entry's ``hashedrekord`` body must name this signature, this certificate and sha256 of
    the payload. The ``…/chain`` annotation is never trusted: the chain is built from the
    trusted root's CAs alone.
    """
    leaf = x509.load_der_x509_certificate(leaf_der)
    _check_leaf_profile(leaf, what)
    key = PublicKey.from_der(_spki(leaf), what=f"{what} certificate key")
    key.verify(signature, payload, what=what)
    if entry.signed_entry_timestamp is None:
        raise VerificationError("the Rekor bundle has no SET, so no trusted time", subject=what)
    expectation = tlog.Expectation(
        signature=signature,
        material_der=leaf_der,
        artifact_sha256=hashlib.sha256(payload).digest(),
    )
    evidence = tlog.verify_entry(entry, expectation, trust, what=f"{what} tlog entry")
    assert evidence.integrated_time is not None  # a verified SET vouches for it
    integrated = dt.datetime.fromtimestamp(evidence.integrated_time, tz=dt.timezone.utc)
    _check_certificate_at(leaf, [("tlog integrated", integrated)], keyless_root(trust), what)
    return evidence


def _check_certificate_at(
    leaf: x509.Certificate, times: list[tuple[str, dt.datetime]], root: KeylessRoot, what: str
) -> None:
    """Steps 6-7: at every verified time the leaf is valid and chains to a then-valid CA; SCT."""
    if not times:
        raise VerificationError("no verified time for the signature", subject=what)
    chain: list[x509.Certificate] = []
    for source, when in times:
        if not leaf.not_valid_before_utc <= when <= leaf.not_valid_after_utc:
            raise VerificationError(
                f"signing certificate was not valid at the {source} time {when:%Y-%m-%dT%H:%M:%SZ}",
                subject=what,
            )
        chain = _chain_at(leaf, when, root, what)
    sct.verify_embedded_sct(leaf, sct.issuer_for_sct(chain), root, what=what)


def _single_entry(parsed: bundle_mod.Bundle, what: str) -> tlog.TlogEntry:
    if len(parsed.tlog_entries) != 1:
        raise VerificationError("expected exactly one tlog entry", subject=what)
    entry = parsed.tlog_entries[0]
    if parsed.version == "0.1":
        if entry.signed_entry_timestamp is None:
            raise VerificationError("a v0.1 bundle's tlog entry needs a SET", subject=what)
    elif entry.inclusion_proof is None:
        raise VerificationError(
            f"a v{parsed.version} bundle's tlog entry needs an inclusion proof", subject=what
        )
    return entry


def _spki(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _check_leaf_profile(leaf: x509.Certificate, what: str) -> None:
    try:
        constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            raise VerificationError("signing certificate is a CA", subject=what)
    except x509.ExtensionNotFound:
        pass
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise VerificationError(
            "signing certificate lacks key usage extensions", subject=what
        ) from exc
    if not usage.digital_signature:
        raise VerificationError("signing certificate is not for digital signatures", subject=what)
    if ExtendedKeyUsageOID.CODE_SIGNING not in eku:
        raise VerificationError("signing certificate is not for code signing", subject=what)


def _chain_at(
    leaf: x509.Certificate, when: dt.datetime, root: KeylessRoot, what: str
) -> list[x509.Certificate]:
    """The verified issuer chain (leaf excluded) through a CA valid at ``when``."""
    from cryptography.x509 import UnsupportedGeneralNameType
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
    )
    from cryptography.x509.verification import VerificationError as ChainError

    # Fulcio leaves carry codeSigning, not the clientAuth EKU a client verifier expects; EKU
    # is checked in _check_leaf_profile instead. All other WebPKI extension rules stay.
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    for authority in root.certificate_authorities:
        if not authority.valid_at(when):
            continue
        verifier = (
            PolicyBuilder()
            .store(Store([authority.chain[-1]]))
            .time(when)
            .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
            .build_client_verifier()
        )
        try:
            return list(verifier.verify(leaf, list(authority.chain[:-1])).chain[1:])
        except (ChainError, UnsupportedGeneralNameType):
            continue
    raise VerificationError(
        f"signing certificate does not chain to a CA of the trusted root valid at "
        f"{when:%Y-%m-%dT%H:%M:%SZ}",
        subject=what,
    )
