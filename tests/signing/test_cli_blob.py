"""``sign-blob`` / ``verify-blob`` through the CLI entry point: exit codes and output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from supplychain.cli.main import run
from supplychain.errors import CouldNotCheckError
from supplychain.model.digest import Digest
from supplychain.signing import keys, sign

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared/conformance/bundle-verify"
IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ISSUER = "https://token.actions.githubusercontent.com"


OFFLINE_POLICY = Path(__file__).resolve().parents[2] / "policies" / "verify-key-offline.yaml"
TLOG_WAIVER = "transparencyLog: {required: false}"
RELAXED = "release-key: transparency log not required"


def offline_policy(directory: Path, public_key: Path) -> Path:
    """The shipped example policy (release key, tlog waived) next to ``keys/release.pub``."""
    (directory / "keys").mkdir(parents=True)
    (directory / "keys" / "release.pub").write_bytes(public_key.read_bytes())
    policy = directory / OFFLINE_POLICY.name
    policy.write_bytes(OFFLINE_POLICY.read_bytes())
    return policy


@pytest.fixture()
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    monkeypatch.setenv("SUPPLYCHAIN_PASSWORD", "pw")
    assert run(["keys", "generate", "--output-prefix", str(tmp_path / "cosign")]) == 0
    chart = tmp_path / "chart-1.0.0.tgz"
    chart.write_bytes(b"\x1f\x8b fake helm chart")
    bundle = tmp_path / "chart.sigstore.json"
    assert (
        run(
            [
                "sign-blob",
                str(chart),
                "--key",
                str(tmp_path / "cosign.key"),
                "--bundle",
                str(bundle),
            ]
        )
        == 0
    )
    return chart, bundle, tmp_path / "cosign.pub"


@pytest.fixture()
def policy(signed: tuple[Path, Path, Path], tmp_path: Path) -> Path:
    return offline_policy(tmp_path / "policy", signed[2])


def test_verify_blob_under_the_offline_key_policy_text_and_json(
    signed: tuple[Path, Path, Path], policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, _pub = signed
    base = ["verify-blob", str(chart), "--bundle", str(bundle), "--policy", str(policy)]
    capsys.readouterr()
    assert run(base) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Verified OK: sha256:") and "[authority release-key]" in out.out
    assert f"Relaxed by policy {policy}: {RELAXED}" in out.err
    # Printed even with --quiet: a weakened check never passes silently (SECURITY R1).
    assert run(["--quiet", *base]) == 0
    assert RELAXED in capsys.readouterr().err
    assert run([*base, "--output", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verified"] is True and doc["kind"] == "message"
    assert doc["relaxations"] == [RELAXED]
    assert doc["policy"] == str(policy) and doc["authorities"] == ["release-key"]
    assert doc["tlog"] is None


def test_verify_blob_key_alone_needs_the_log_and_says_how_to_waive_it(
    signed: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, pub = signed
    capsys.readouterr()
    assert run(["verify-blob", str(chart), "--bundle", str(bundle), "--key", str(pub)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "no transparency-log entry" in captured.err and str(bundle) in captured.err
    assert TLOG_WAIVER in captured.err and "--policy" in captured.err
    assert OFFLINE_POLICY.name in captured.err and "Traceback" not in captured.err
    argv = ["verify-blob", str(chart), "--bundle", str(bundle), "--key", str(pub)]
    assert run([*argv, "--output", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["verified"] is False and "no transparency-log entry" in doc["error"]


def test_verify_blob_has_no_tlog_optional_flag(
    signed: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, pub = signed
    capsys.readouterr()
    argv = ["verify-blob", str(chart), "--bundle", str(bundle), "--key", str(pub)]
    assert run([*argv, "--tlog-optional"]) == 2
    err = capsys.readouterr().err
    assert "No such option" in err and "--tlog-optional" in err


def test_verify_blob_policy_that_keeps_the_log_required_rejects(
    signed: tuple[Path, Path, Path], policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, _pub = signed
    policy.write_text(policy.read_text().replace(TLOG_WAIVER, "transparencyLog: {}"))
    capsys.readouterr()
    assert run(["verify-blob", str(chart), "--bundle", str(bundle), "--policy", str(policy)]) == 1
    assert "0 of 1 required signers" in capsys.readouterr().err


def test_verify_blob_tampered_file_and_wrong_key(
    signed: tuple[Path, Path, Path], policy: Path, tmp_path: Path
) -> None:
    chart, bundle, _pub = signed
    base = ["verify-blob", str(chart), "--bundle", str(bundle)]
    assert run([*base, "--policy", str(policy)]) == 0
    other = tmp_path / "other.pub"
    other.write_bytes(keys.generate().public_key.pem)
    other_policy = offline_policy(tmp_path / "other", other)
    assert run([*base, "--policy", str(other_policy)]) == 1
    chart.write_bytes(chart.read_bytes() + b"!")
    assert run([*base, "--policy", str(policy)]) == 1


def test_verify_blob_policy_matches_the_file_name_or_the_digest(
    signed: tuple[Path, Path, Path], policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Blob names for policy globs: the file's base name, or ``sha256:<hex>`` for a digest."""
    chart, bundle, _pub = signed
    renamed = chart.with_name("chart-1.0.0.zip")
    renamed.write_bytes(chart.read_bytes())
    capsys.readouterr()
    assert run(["verify-blob", str(renamed), "--bundle", str(bundle), "--policy", str(policy)]) == 1
    assert "no policy rule matches" in capsys.readouterr().err
    digest = "sha256:" + hashlib.sha256(chart.read_bytes()).hexdigest()
    by_digest = ["verify-blob", digest, "--bundle", str(bundle), "--policy", str(policy)]
    assert run(by_digest) == 1
    text = policy.read_text()
    assert '      - "*.tgz"' in text
    policy.write_text(text.replace('      - "*.tgz"', '      - "sha256:*"'))
    assert run(by_digest) == 0


def test_verify_blob_warn_mode_exits_0_but_is_not_verified(
    signed: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, _pub = signed
    other = tmp_path / "other.pub"
    other.write_bytes(keys.generate().public_key.pem)
    warn = offline_policy(tmp_path / "warn", other)
    warn.write_text(warn.read_text().replace("\nmode: enforce\n", "\nmode: warn\n"))
    argv = ["verify-blob", str(chart), "--bundle", str(bundle), "--policy", str(warn)]
    capsys.readouterr()
    assert run([*argv, "--output", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verified"] is False and "0 of 1 required signers" in doc["warnings"][0]


def test_verify_blob_usage_errors(signed: tuple[Path, Path, Path]) -> None:
    chart, bundle, pub = signed
    assert run(["verify-blob", str(chart), "--bundle", str(bundle)]) == 2
    assert (
        run(
            [
                "verify-blob",
                str(chart),
                "--bundle",
                str(bundle),
                "--key",
                str(pub),
                "--certificate-identity",
                "x",
                "--certificate-oidc-issuer",
                "y",
            ]
        )
        == 2
    )
    assert (
        run(["verify-blob", str(chart), "--bundle", str(bundle), "--certificate-identity", "x"])
        == 2
    )  # NT-D7 on the command line


def test_verify_blob_policy_usage_errors(
    signed: tuple[Path, Path, Path], policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, pub = signed
    base = ["verify-blob", str(chart), "--bundle", str(bundle), "--policy", str(policy)]
    assert run([*base, "--key", str(pub)]) == 2
    assert run([*base, "--trusted-root", str(pub)]) == 2
    policy.write_text(policy.read_text().replace("images:", "imagez:"))
    capsys.readouterr()
    assert run(base) == 2
    assert "imagez" in capsys.readouterr().err


def test_verify_blob_malformed_bundle_exit_1(
    signed: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, pub = signed
    bundle.write_bytes(b'{"mediaType": ')
    assert run(["verify-blob", str(chart), "--bundle", str(bundle), "--key", str(pub)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(bundle) in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="shared/conformance is absent")
def test_verify_blob_keyless_identity(tmp_path: Path) -> None:
    bundle = CONFORMANCE / "happy-path-v0.3/bundle.sigstore.json"
    artifact = CONFORMANCE / "a.txt"
    base = ["verify-blob", str(artifact), "--bundle", str(bundle)]
    assert (
        run([*base, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER]) == 0
    )
    # Loose or wrong identities are rejected (class D on the real certificate).
    prefix = IDENTITY.split(".github")[0]
    assert (
        run([*base, "--certificate-identity-regexp", prefix, "--certificate-oidc-issuer", ISSUER])
        == 1
    )
    assert (
        run(
            [
                *base,
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer",
                ISSUER + ".evil",
            ]
        )
        == 1
    )
    assert (
        run(
            [
                *base,
                "--certificate-identity-regexp",
                prefix + ".*",
                "--certificate-oidc-issuer",
                ISSUER,
            ]
        )
        == 0
    )


def test_keyless_sign_without_token_could_not_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sigstore.oidc

    monkeypatch.setattr(sigstore.oidc, "detect_credential", lambda *a, **k: None)
    with pytest.raises(CouldNotCheckError, match="no ambient OIDC token"):
        sign.ambient_identity_token()
    blob = tmp_path / "blob"
    blob.write_bytes(b"x")
    assert run(["sign-blob", str(blob), "--bundle", str(tmp_path / "b.json")]) == 3
    assert not (tmp_path / "b.json").exists()


def test_keyless_sign_detector_error_could_not_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import sigstore.oidc
    from sigstore.errors import Error as SigstoreError

    def broken(*args: object, **kwargs: object) -> str:
        raise SigstoreError("detector failed")

    monkeypatch.setattr(sigstore.oidc, "detect_credential", broken)
    with pytest.raises(CouldNotCheckError, match="detector failed"):
        sign.ambient_identity_token()


def test_oversized_bundle_rejected_before_reading(signed: tuple[Path, Path, Path]) -> None:
    import time

    chart, bundle, pub = signed
    with bundle.open("r+b") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MiB declared, nothing to read
    started = time.monotonic()
    assert run(["verify-blob", str(chart), "--bundle", str(bundle), "--key", str(pub)]) == 1
    assert time.monotonic() - started < 5


def test_an_attestation_over_the_blob_is_not_a_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review finding (SECURITY class B for blobs): a scan result signed over the chart's digest
    must not pass as the chart's signature; `--type` asks for that attestation explicitly."""
    monkeypatch.setenv("SUPPLYCHAIN_PASSWORD", "pw")
    assert run(["keys", "generate", "--output-prefix", str(tmp_path / "cosign")]) == 0
    key = keys.load_private_key_file(tmp_path / "cosign.key", lambda: b"pw")
    chart = tmp_path / "chart-1.0.0.tgz"
    chart.write_bytes(b"\x1f\x8b fake helm chart")
    digest = Digest("sha256", hashlib.sha256(chart.read_bytes()).hexdigest())
    scan_type = "https://example.com/scan/v1"
    bundle = tmp_path / "scan.sigstore.json"
    bundle.write_bytes(sign.attest(digest, scan_type, {"result": "FAILED"}, key))
    policy = offline_policy(tmp_path / "p", tmp_path / "cosign.pub")
    base = ["verify-blob", str(chart), "--bundle", str(bundle), "--policy", str(policy)]
    capsys.readouterr()
    assert run(base) == 1
    assert "0 of 1 required signers verified" in capsys.readouterr().err
    assert run([*base, "--type", scan_type]) == 0
