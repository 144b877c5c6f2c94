"""Key files: cosign.key import/export, strict PEM, password handling, scrypt cost whitelist."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from nacl.secret import SecretBox

from supplychain.cli.main import run
from supplychain.errors import (
    InvalidInputError,
    LimitExceededError,
    UnsupportedError,
    VerificationError,
)
from supplychain.signing import cosignkey, keys
from tests.signing.test_cli_blob import offline_policy


def cosign_key_file(
    private: ec.EllipticCurvePrivateKey,
    password: bytes,
    *,
    n: int = 65536,
    r: int = 8,
    p: int = 1,
    label: str = "ENCRYPTED SIGSTORE PRIVATE KEY",
) -> bytes:
    """A cosign.key built from cosign's published format, independently of the library."""
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, nonce = bytes(range(32)), bytes(range(24))
    box_key = Scrypt(salt=salt, length=32, n=min(n, 65536), r=r, p=p).derive(password)
    sealed = SecretBox(box_key).encrypt(pkcs8, nonce).ciphertext
    doc = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": n, "r": r, "p": p},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    body = base64.encodebytes(json.dumps(doc).encode()).decode()
    return f"-----BEGIN {label}-----\n{body}-----END {label}-----\n".encode()


@pytest.fixture()
def cosign_key(tmp_path: Path) -> tuple[Path, ec.EllipticCurvePrivateKey]:
    private = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "cosign.key"
    path.write_bytes(cosign_key_file(private, b"correct horse"))
    return path, private


def test_cosign_key_from_published_format_loads(
    cosign_key: tuple[Path, ec.EllipticCurvePrivateKey],
) -> None:
    path, private = cosign_key
    loaded = keys.load_private_key_file(path, lambda: b"correct horse")
    assert loaded.public_key.der == keys.PublicKey(private.public_key()).der


def test_legacy_cosign_label_loads(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    data = cosign_key_file(private, b"", label="ENCRYPTED COSIGN PRIVATE KEY")
    loaded = keys.load_private_key(data, lambda: b"")
    assert loaded.public_key.fingerprint == keys.PublicKey(private.public_key()).fingerprint


def test_wrong_password_is_rejected(cosign_key: tuple[Path, ec.EllipticCurvePrivateKey]) -> None:
    path, _ = cosign_key
    with pytest.raises(VerificationError, match="wrong password"):
        keys.load_private_key_file(path, lambda: b"wrong")


def test_scrypt_cost_outside_whitelist_rejected_before_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    data = cosign_key_file(private, b"pw", n=2**30)
    asked: list[bool] = []

    def forbidden(*args: object) -> bytes:
        raise AssertionError("scrypt ran")

    monkeypatch.setattr(cosignkey, "_derive", forbidden)
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match="N=1073741824"):
        keys.load_private_key(data, lambda: asked.append(True) or b"pw")
    assert time.monotonic() - started < 1.0
    assert asked == [], "the password was requested before the envelope was checked"


@pytest.mark.parametrize("params", [(65536, 16, 1), (65536, 8, 2), (1024, 8, 1)])
def test_other_scrypt_parameters_rejected(params: tuple[int, int, int]) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    n, r, p = params
    data = cosign_key_file(private, b"pw", n=n, r=r, p=p)
    with pytest.raises(LimitExceededError):
        keys.load_private_key(data, lambda: b"pw")


def test_round_trip_our_cosign_export() -> None:
    key = keys.generate()
    data = key.to_cosign(b"pw")
    assert data.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    label, der = data.split(b"\n", 1)[0], data
    assert label
    body = json.loads(base64.b64decode(b"".join(der.splitlines()[1:-1])))
    assert body["kdf"]["params"] == {"N": 65536, "r": 8, "p": 1}
    assert len(base64.b64decode(body["kdf"]["salt"])) == 32
    assert len(base64.b64decode(body["cipher"]["nonce"])) == 24
    loaded = keys.load_private_key(data, lambda: b"pw")
    assert loaded.public_key.der == key.public_key.der
    signature = loaded.sign(b"hello")
    key.public_key.verify(signature, b"hello")


def test_pem_with_two_blocks_rejected() -> None:
    pem = keys.generate().public_key.pem
    with pytest.raises(InvalidInputError, match="more than one PEM block"):
        keys.PublicKey.from_pem(pem + pem)


def test_pem_with_wrong_label_rejected() -> None:
    pem = keys.generate().public_key.pem.replace(b"PUBLIC KEY", b"CERTIFICATE")
    with pytest.raises(InvalidInputError, match="unexpected PEM label"):
        keys.PublicKey.from_pem(pem)


def test_sec1_private_key_rejected() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    sec1 = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    with pytest.raises(InvalidInputError, match="unexpected PEM label"):
        keys.load_private_key(sec1, lambda: b"")


def test_ed25519_refused() -> None:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(UnsupportedError, match="Ed25519"):
        keys.load_private_key(pem, lambda: b"")


def test_encrypted_pkcs8_round_trip_and_wrong_password() -> None:
    key = keys.generate()
    pem = key.to_pem(b"secret")
    assert keys.load_private_key(pem, lambda: b"secret").public_key.der == key.public_key.der
    with pytest.raises(VerificationError):
        keys.load_private_key(pem, lambda: b"nope")


def test_tampered_ciphertext_rejected(cosign_key: tuple[Path, ec.EllipticCurvePrivateKey]) -> None:
    path, _ = cosign_key
    lines = path.read_bytes().splitlines()
    doc = json.loads(base64.b64decode(b"".join(lines[1:-1])))
    sealed = bytearray(base64.b64decode(doc["ciphertext"]))
    sealed[-1] ^= 1
    doc["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    body = base64.encodebytes(json.dumps(doc).encode())
    data = lines[0] + b"\n" + body + lines[-1] + b"\n"
    with pytest.raises(VerificationError):
        keys.load_private_key(data, lambda: b"correct horse")


# --- CLI ------------------------------------------------------------------------------------


def test_cli_import_cosign_key_then_sign_and_verify_blob(
    cosign_key: tuple[Path, ec.EllipticCurvePrivateKey],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, private = cosign_key
    monkeypatch.setenv("COSIGN_PASSWORD", "correct horse")
    monkeypatch.delenv("SUPPLYCHAIN_PASSWORD", raising=False)
    prefix = tmp_path / "imported"
    assert run(["keys", "import-cosign", str(path), "--output-prefix", str(prefix)]) == 0
    assert (tmp_path / "imported.key").stat().st_mode & 0o777 == 0o600
    chart = tmp_path / "chart.tgz"
    chart.write_bytes(b"helm chart bytes")
    bundle = tmp_path / "chart.sigstore.json"
    assert run(["sign-blob", str(chart), "--key", str(path), "--bundle", str(bundle)]) == 0
    pub = tmp_path / "imported.pub"
    assert pub.read_bytes() == keys.PublicKey(private.public_key()).pem
    # Offline key signatures verify only under a policy that waives the tlog (SECURITY R1).
    policy = offline_policy(tmp_path / "policy", pub)
    argv = [
        "verify-blob",
        str(chart),
        "--bundle",
        str(bundle),
        "--policy",
        str(policy),
    ]
    assert run(argv) == 0
    # The imported PKCS#8 copy signs too, and verifies under the same public key.
    bundle2 = tmp_path / "b2.json"
    assert (
        run(
            [
                "sign-blob",
                str(chart),
                "--key",
                str(tmp_path / "imported.key"),
                "--bundle",
                str(bundle2),
            ]
        )
        == 0
    )
    assert (
        run(
            [
                "verify-blob",
                str(chart),
                "--bundle",
                str(bundle2),
                "--policy",
                str(policy),
            ]
        )
        == 0
    )


def test_cli_generate_then_export_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPLYCHAIN_PASSWORD", "pw")
    prefix = str(tmp_path / "cosign")
    assert run(["keys", "generate", "--output-prefix", prefix]) == 0
    assert run(["keys", "generate", "--output-prefix", prefix]) == 2  # never overwrites
    assert (
        run(["keys", "import-cosign", prefix + ".key", "--output-prefix", str(tmp_path / "plain")])
        == 0
    )
    assert (
        run(
            [
                "keys",
                "export-cosign",
                str(tmp_path / "plain.key"),
                "--output-prefix",
                str(tmp_path / "again"),
            ]
        )
        == 0
    )
    again = keys.load_private_key_file(tmp_path / "again.key", lambda: b"pw")
    assert again.public_key.pem == (tmp_path / "cosign.pub").read_bytes()


def test_cli_wrong_password_exit_1(
    cosign_key: tuple[Path, ec.EllipticCurvePrivateKey],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, _ = cosign_key
    monkeypatch.setenv("SUPPLYCHAIN_PASSWORD", "wrong")
    blob = tmp_path / "blob"
    blob.write_bytes(b"x")
    code = run(["sign-blob", str(blob), "--key", str(path), "--bundle", str(tmp_path / "b")])
    assert code == 1
    err = capsys.readouterr().err
    assert "wrong password" in err and "wrong\n" not in err.split("wrong password")[0]
    assert "Traceback" not in err
    assert not (tmp_path / "b").exists()


def test_cli_unreadable_key_file_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPLYCHAIN_PASSWORD", "pw")
    blob = tmp_path / "blob"
    blob.write_bytes(b"x")
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes(b"\x00\xff not a key")
    directory = tmp_path / "dir.key"
    directory.mkdir()
    for key_path in (garbage, directory):
        code = run(
            ["sign-blob", str(blob), "--key", str(key_path), "--bundle", str(tmp_path / "b")]
        )
        assert code == 1
        assert str(key_path) in capsys.readouterr().err


def test_cli_password_needed_without_tty_is_usage_error(
    cosign_key: tuple[Path, ec.EllipticCurvePrivateKey],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _ = cosign_key
    monkeypatch.delenv("SUPPLYCHAIN_PASSWORD", raising=False)
    monkeypatch.delenv("COSIGN_PASSWORD", raising=False)
    blob = tmp_path / "blob"
    blob.write_bytes(b"x")
    assert run(["sign-blob", str(blob), "--key", str(path), "--bundle", str(tmp_path / "b")]) == 2
