"""Policies: strict loading (R4), identity matching (class D), quorum, attestations, denial."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from supplychain.errors import PolicyError, VerificationError
from supplychain.model.digest import Digest
from supplychain.signing import intoto, keys, sign
from supplychain.signing.identity import Identity, certificate_identity
from supplychain.signing.policy import (
    BundleCandidate,
    EnvelopeCandidate,
    SimpleSigningCandidate,
    evaluate,
    load_policy,
    parse_policy,
)

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
A = Digest.of(b"A")
B = Digest.of(b"B")
GITHUB = "https://token.actions.githubusercontent.com"


@pytest.mark.parametrize("name", sorted(p.name for p in POLICIES.glob("verify-*.yaml")))
def test_example_policies_load(name: str) -> None:
    policy = load_policy(POLICIES / name)
    assert policy.rules and all(rule.authorities for rule in policy.rules)


def _policy(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("apiVersion: supplychain.dev/v1\nkind: VerifyPolicy\n" + body)
    return path


def _key_policy(
    tmp_path: Path, pubs: list[keys.PublicKey], count: int = 1, extra: str = ""
) -> Path:
    authorities = ""
    for i, pub in enumerate(pubs):
        (tmp_path / f"k{i}.pub").write_bytes(pub.pem)
        authorities += (
            f"      - name: k{i}\n        key: {{path: k{i}.pub}}\n"
            "        transparencyLog: {required: false}\n"
        )
    return _policy(
        tmp_path,
        "rules:\n  - name: r\n    images: ['ghcr.io/acme/*']\n    authorities:\n"
        + authorities
        + f"    count: {count}\n"
        + extra,
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("rules: []\n", "non-empty"),
        ("mode: lenient\nrules: []\n", "mode"),
        ("rulez: []\n", "unknown key 'rulez'"),
        ("rules:\n  - name: r\n    images: ['x']\n    authorities: []\n", "authorities"),
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n      - name: a\n"
            "        keyless: {subject: s, issuer: i, certificateOID: x}\n",
            "unknown key 'certificateOID'",
        ),  # NT-D5
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n      - name: a\n"
            "        keyless: {subject: s}\n",
            "issuer",
        ),  # NT-D7
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n      - name: a\n"
            "        keyless: {subjectRegExp: '(', issuer: i}\n",
            "regex",
        ),
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n      - name: a\n"
            "        keyless: {subject: s, issuer: i}\n    count: 2\n",
            "count",
        ),
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n      - name: a\n"
            "        keyless: {subject: s, issuer: i}\n"
            "        transparencyLog: {required: false}\n",
            "transparency log",
        ),
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n      - name: a\n"
            "        keyless: {subject: s, issuer: i}\n    attestations:\n      - type: nope\n",
            "unknown predicate type",
        ),
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n      - name: a\n"
            "        key: {path: missing.pub}\n",
            "no such file",
        ),
        ("rules: [\n", "YAML"),
        (
            "rules:\n  - name: r\n    images: ['x']\n    authorities:\n"
            "      - {name: a, keyless: {subject: s, issuer: i}}\n"
            "  - name: r\n    images: ['y']\n    authorities:\n"
            "      - {name: a, keyless: {subject: s, issuer: i}}\n",
            "duplicate rule name",
        ),
    ],
)
def test_invalid_policies_are_usage_errors(tmp_path: Path, body: str, fragment: str) -> None:
    with pytest.raises(PolicyError, match=fragment) as info:
        load_policy(_policy(tmp_path, body))
    assert info.value.exit_code == 2


def test_trusted_root_pin_mismatch_is_usage_error(tmp_path: Path) -> None:
    root = tmp_path / "root.json"
    root.write_bytes(
        b'{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[]}'
    )
    good = hashlib.sha256(root.read_bytes()).hexdigest()
    body = (
        "trustedRoot: {path: root.json, sha256: %s}\nrules:\n  - name: r\n    images: ['x']\n"
        "    authorities:\n      - {name: a, keyless: {subject: s, issuer: i}}\n"
    )
    assert load_policy(_policy(tmp_path, body % good)).trust is not None
    with pytest.raises(PolicyError, match="pin"):
        load_policy(_policy(tmp_path, body % ("0" * 64)))


# --- class D: identity matching ------------------------------------------------------------


def test_nt_d1_d2_regex_is_full_match() -> None:
    identity = Identity(subject_regexp="https://github.com/acme/", issuer=GITHUB)
    assert not identity.matches("https://github.com/acme-evil/x", GITHUB)
    assert not identity.matches("https://evil.example/x?https://github.com/acme/", GITHUB)
    assert identity.matches("https://github.com/acme/", GITHUB)
    prefix = Identity(subject_regexp=r"https://github\.com/acme/.*", issuer=GITHUB)
    assert prefix.matches("https://github.com/acme/app", GITHUB)
    assert not prefix.matches("https://github.com/acme-evil/app", GITHUB)


def test_nt_d3_issuer_is_exact() -> None:
    identity = Identity(subject="s", issuer=GITHUB)
    assert not identity.matches("s", GITHUB + ".evil")
    assert not identity.matches("s", GITHUB + "/")
    assert identity.matches("s", GITHUB)


def test_nt_d4_exact_identity_is_not_a_regex() -> None:
    identity = Identity(subject="https://github.com/acme/app.yml", issuer=GITHUB)
    assert not identity.matches("https://github.com/acme/appXyml", GITHUB)


def _cert(san: str, *, v1: str | None = None, v2: str | None = None) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(minutes=10))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san)]), False)
    )
    if v1 is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), v1.encode()),
            False,
        )
    if v2 is not None:
        raw = v2.encode()
        der = bytes([0x0C, len(raw)]) + raw
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), der), False
        )
    return builder.sign(key, hashes.SHA256())


def test_nt_d6_v2_issuer_only_is_read() -> None:
    san, issuer = certificate_identity(_cert("https://github.com/acme/app", v2=GITHUB))
    assert (san, issuer) == ("https://github.com/acme/app", GITHUB)
    assert Identity(subject=san, issuer=GITHUB).matches(san, issuer)


def test_issuer_extensions_must_agree() -> None:
    with pytest.raises(VerificationError, match="disagree"):
        certificate_identity(_cert("s", v1=GITHUB, v2=GITHUB + ".evil"))
    with pytest.raises(VerificationError, match="no OIDC issuer"):
        certificate_identity(_cert("s"))


def test_overlong_san_rejected() -> None:
    with pytest.raises(VerificationError, match="4 KiB"):
        certificate_identity(_cert("https://x/" + "a" * 5000, v1=GITHUB))


# --- evaluation ----------------------------------------------------------------------------


def test_quorum_counts_distinct_authorities(tmp_path: Path) -> None:
    k0, k1 = keys.generate(), keys.generate()
    policy = load_policy(_key_policy(tmp_path, [k0.public_key, k1.public_key], count=2))
    one = [BundleCandidate(sign.sign_digest(A, k0))]
    decision = evaluate(policy, "ghcr.io/acme/app", A, one)
    assert not decision.allowed and "1 of 2" in decision.reasons[0]
    with pytest.raises(VerificationError):
        decision.raise_if_denied()
    # Two signatures by the same key do not make a quorum of two.
    same = [*one, BundleCandidate(sign.sign_digest(A, k0))]
    assert not evaluate(policy, "ghcr.io/acme/app", A, same).allowed
    both = [*one, BundleCandidate(sign.sign_digest(A, k1))]
    decision = evaluate(policy, "ghcr.io/acme/app", A, both)
    assert decision.allowed and {name for name, _ in decision.signatures} == {"k0", "k1"}
    assert decision.relaxations  # the tlog waiver is reported


def test_one_key_under_two_authority_names_is_one_signer(tmp_path: Path) -> None:
    """Review finding: two authorities sharing one key must not turn one signature into two."""
    k0 = keys.generate()
    policy = load_policy(_key_policy(tmp_path, [k0.public_key, k0.public_key], count=2))
    one = [BundleCandidate(sign.sign_digest(A, k0))]
    decision = evaluate(policy, "ghcr.io/acme/app", A, one)
    assert not decision.allowed and "1 of 2" in decision.reasons[0]
    two = [*one, BundleCandidate(sign.sign_digest(A, k0))]
    assert not evaluate(policy, "ghcr.io/acme/app", A, two).allowed


def test_signature_for_other_digest_does_not_count(tmp_path: Path) -> None:
    k0 = keys.generate()
    policy = load_policy(_key_policy(tmp_path, [k0.public_key]))
    decision = evaluate(policy, "ghcr.io/acme/app", A, [BundleCandidate(sign.sign_digest(B, k0))])
    assert not decision.allowed


def test_unmatched_image_is_denied(tmp_path: Path) -> None:
    k0 = keys.generate()
    policy = load_policy(_key_policy(tmp_path, [k0.public_key]))
    decision = evaluate(policy, "ghcr.io/other/app", A, [BundleCandidate(sign.sign_digest(A, k0))])
    assert not decision.allowed and "no policy rule" in decision.reasons[0]
    # '*' does not cross '/'.
    assert not evaluate(policy, "ghcr.io/acme/team/app", A, []).allowed


def test_required_attestation_by_signed_type(tmp_path: Path) -> None:
    k0 = keys.generate()
    path = _key_policy(tmp_path, [k0.public_key], extra="    attestations:\n      - type: spdx\n")
    policy = load_policy(path)
    signature = [BundleCandidate(sign.sign_digest(A, k0))]
    spdx = BundleCandidate(sign.attest(A, intoto.PREDICATE_TYPES["spdx"], {"x": 1}, k0))
    slsa = BundleCandidate(sign.attest(A, intoto.PREDICATE_TYPES["slsaprovenance1"], {}, k0))
    assert not evaluate(policy, "ghcr.io/acme/app", A, signature, [slsa]).allowed
    decision = evaluate(policy, "ghcr.io/acme/app", A, signature, [slsa, spdx])
    assert decision.allowed and decision.attestations[0][1].statement.predicate == {"x": 1}  # type: ignore[union-attr]
    # NT-B2 at policy level: an attestation alone is not a signature.
    assert not evaluate(policy, "ghcr.io/acme/app", A, [spdx], [spdx]).allowed


def test_legacy_candidates(tmp_path: Path) -> None:
    k0 = keys.generate()
    policy = load_policy(_key_policy(tmp_path, [k0.public_key]))
    payload, signature = sign.sign_simple_signing(A, "ghcr.io/acme/app", k0)
    assert evaluate(
        policy, "ghcr.io/acme/app", A, [SimpleSigningCandidate(payload, signature)]
    ).allowed
    assert not evaluate(
        policy, "ghcr.io/acme/app", B, [SimpleSigningCandidate(payload, signature)]
    ).allowed
    envelope = sign.sign_envelope(intoto.build(A, intoto.SIGN_PREDICATE, {}), k0).to_json()
    assert evaluate(policy, "ghcr.io/acme/app", A, [EnvelopeCandidate(envelope)]).allowed


def test_tlog_required_by_default(tmp_path: Path) -> None:
    k0 = keys.generate()
    (tmp_path / "k.pub").write_bytes(k0.public_key.pem)
    body = (
        "rules:\n  - name: r\n    images: ['**']\n    authorities:\n"
        "      - {name: k, key: {path: k.pub}}\n"
    )
    policy = parse_policy(
        body.replace("rules", "apiVersion: supplychain.dev/v1\nkind: VerifyPolicy\nrules", 1),
        base_dir=tmp_path,
    )
    assert not evaluate(policy, "any/thing", A, [BundleCandidate(sign.sign_digest(A, k0))]).allowed


def test_warn_mode_does_not_raise(tmp_path: Path) -> None:
    k0 = keys.generate()
    path = _key_policy(tmp_path, [k0.public_key])
    path.write_text(
        path.read_text().replace("kind: VerifyPolicy\n", "kind: VerifyPolicy\nmode: warn\n")
    )
    decision = evaluate(load_policy(path), "ghcr.io/acme/app", A, [])
    assert not decision.allowed
    decision.raise_if_denied()


def test_policy_file_in_working_directory_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NT-K3: nothing is read implicitly; only the path given is loaded."""
    shutil.copy(POLICIES / "verify-keyless.yaml", tmp_path / "policy.yaml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PolicyError):
        load_policy(tmp_path / "does-not-exist.yaml")
