"""Every sigstore-conformance bundle-verify case, through the ``supplychain-conformance`` CLI.

Each case runs twice: with the artifact file and with its ``sha256:`` digest. Names ending in
``_fail`` must be rejected (non-zero exit), all others accepted (exit 0). The managed-key cases
exercise our own key-bundle verifier (sigstore-python cannot verify them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from supplychain.cli.conformance import run

REPO = Path(__file__).resolve().parents[2]
CASES_DIR = REPO.parent / "shared" / "conformance" / "bundle-verify"
DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"

# The ``intoto`` 0.0.2 cases go through our own keyless verifier (sigstore-python 4.5.1 refuses
# these entries). Each ``_fail`` case must be rejected for the fault it was built to show, not
# for "unsupported entry": these are fragments of the one-line error each must produce.
EXPECTED_REASONS = {
    "intoto-expired-certificate_fail": "signing certificate was not valid at the tlog integrated",
    "intoto-log-entry-mismatch_fail": "tlog body names a different signature",
    "intoto-missing-inclusion-proof_fail": "tlog entry needs an inclusion proof",
    "intoto-set-outside-signing-cert-validity_fail": "not valid at the tlog integrated time",
    "intoto-tsa-timestamp-outside-cert-validity_fail": "not valid at the timestamp authority",
}
GENERIC_REFUSALS = ("only supported for dsse/hashedrekord", "unsupported tlog entry kind")


def _cases() -> list[str]:
    if not CASES_DIR.is_dir():
        return []
    return sorted(p.name for p in CASES_DIR.iterdir() if (p / "bundle.sigstore.json").is_file())


def _argv(case: Path, artifact: str) -> list[str]:
    argv = ["verify-bundle", "--bundle", str(case / "bundle.sigstore.json")]
    identity = (case / "identity").read_text().strip() if (case / "identity").exists() else None
    issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else None
    argv += ["--certificate-identity", identity or DEFAULT_IDENTITY]
    argv += ["--certificate-oidc-issuer", issuer or DEFAULT_ISSUER]
    if (case / "key.pub").exists():
        argv += ["--key", str(case / "key.pub")]
    if (case / "trusted_root.json").exists():
        argv += ["--trusted-root", str(case / "trusted_root.json")]
    return [*argv, artifact]


@pytest.mark.skipif(not CASES_DIR.is_dir(), reason="shared/conformance is absent")
@pytest.mark.parametrize("form", ["file", "digest"])
@pytest.mark.parametrize("name", _cases())
def test_conformance_case(name: str, form: str, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES_DIR / name
    artifact = case / "artifact" if (case / "artifact").exists() else CASES_DIR / "a.txt"
    argument = (
        str(artifact)
        if form == "file"
        else "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    )
    code = run(_argv(case, argument))
    errors = capsys.readouterr().err
    if name.endswith("_fail"):
        assert code != 0, f"{name} was accepted"
        if name in EXPECTED_REASONS:
            assert code == 1, f"{name}: a rejection exits 1, got {code}: {errors}"
            assert EXPECTED_REASONS[name] in errors, errors
    else:
        assert code == 0, f"{name} was rejected (exit {code}): {errors}"
    assert not any(refusal in errors for refusal in GENERIC_REFUSALS), errors


@pytest.mark.skipif(not CASES_DIR.is_dir(), reason="shared/conformance is absent")
def test_every_intoto_fail_case_has_an_expected_reason() -> None:
    intoto_fails = {n for n in _cases() if n.startswith("intoto-") and n.endswith("_fail")}
    assert intoto_fails == set(EXPECTED_REASONS)


@pytest.mark.skipif(not CASES_DIR.is_dir(), reason="shared/conformance is absent")
def test_all_cases_are_collected() -> None:
    names = _cases()
    assert len(names) >= 70
    assert any(n.startswith("managed-key") and not n.endswith("_fail") for n in names)


@pytest.mark.skipif(not CASES_DIR.is_dir(), reason="shared/conformance is absent")
def test_managed_key_happy_path_fails_with_another_artifact(tmp_path: Path) -> None:
    case = CASES_DIR / "managed-key-happy-path"
    other = tmp_path / "other.txt"
    other.write_bytes(b"not the signed artifact\n")
    assert run(_argv(case, str(other))) == 1


@pytest.mark.skipif(not CASES_DIR.is_dir(), reason="shared/conformance is absent")
def test_managed_key_with_unrelated_key_is_rejected(tmp_path: Path) -> None:
    from supplychain.signing import keys

    case = CASES_DIR / "managed-key-happy-path"
    pub = tmp_path / "other.pub"
    pub.write_bytes(keys.generate().public_key.pem)
    argv = _argv(case, str(CASES_DIR / "a.txt"))
    argv[argv.index("--key") + 1] = str(pub)
    assert run(argv) == 1
