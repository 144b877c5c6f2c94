"""``sign-blob`` / ``verify-blob`` through the CLI entry point: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.cli.main import run
from supplychain.errors import CouldNotCheckError
from supplychain.signing import keys, sign

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared/conformance/bundle-verify"
IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ISSUER = "https://token.actions.githubusercontent.com"


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


def test_verify_blob_ok_text_and_json(
    signed: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    chart, bundle, pub = signed
    capsys.readouterr()
    assert (
        run(
            [
                "verify-blob",
                str(chart),
                "--bundle",
                str(bundle),
                "--key",
                str(pub),
                "--tlog-optional",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert out.out.startswith("Verified OK: sha256:") and "relaxation" in out.err
    assert (
        run(
            [
                "verify-blob",
                str(chart),
                "--bundle",
                str(bundle),
                "--key",
                str(pub),
                "--tlog-optional",
                "--output",
                "json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["verified"] is True and doc["kind"] == "message"
    assert doc["relaxations"] == ["transparency log not required"]


def test_verify_blob_requires_tlog_by_default(signed: tuple[Path, Path, Path]) -> None:
    chart, bundle, pub = signed
    assert run(["verify-blob", str(chart), "--bundle", str(bundle), "--key", str(pub)]) == 1


def test_verify_blob_tampered_file_and_wrong_key(
    signed: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    chart, bundle, pub = signed
    chart.write_bytes(chart.read_bytes() + b"!")
    assert (
        run(
            [
                "verify-blob",
                str(chart),
                "--bundle",
                str(bundle),
                "--key",
                str(pub),
                "--tlog-optional",
            ]
        )
        == 1
    )
    other = tmp_path / "other.pub"
    other.write_bytes(keys.generate().public_key.pem)
    assert (
        run(
            [
                "verify-blob",
                "sha256:" + "0" * 64,
                "--bundle",
                str(bundle),
                "--key",
                str(other),
                "--tlog-optional",
            ]
        )
        == 1
    )


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
