"""``supplychain sign/attest/verify/verify-attestation`` against the real registry.

Each test runs the CLI entry point and asserts the exit code and what reaches stdout: on
success only the pinned ``registry/repo@sha256:…`` (or the predicate), on failure nothing on
stdout and one diagnostic line on stderr. Attacks are staged with genuine signatures by the
trusted key placed where they do not belong; the caps cases also assert wall time and peak
Python memory (SECURITY: within 10 s and +256 MiB).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from supplychain.cli.main import run
from supplychain.model import Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import MiB
from supplychain.oci.reference import ImageRef
from supplychain.oci.referrers import fallback_tag
from supplychain.oci.registry import RegistryClient
from supplychain.signing import intoto, keys
from supplychain.store import media
from supplychain.store.authority import KeySigner
from supplychain.store.client import RegistryStore
from supplychain.store.legacy import legacy_tag
from supplychain.store.referrer import build_bundle_referrer
from supplychain.store.sign import resolve_subject
from tests.fixtures.hostile import HostileProxy
from tests.fixtures.registry import RegistryServer, push_tiny_image

pytestmark = pytest.mark.registry

SPDX = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": "tiny",
    "documentNamespace": "https://example.invalid/spdx/tiny-cli",
    "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: supplychain"]},
    "packages": [],
}
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
OFFLINE_POLICY = Path(__file__).resolve().parents[2] / "policies" / "verify-key-offline.yaml"
TLOG_WAIVER = "transparencyLog: {required: false}"


@dataclass
class Keys:
    private: Path
    public: Path
    other_public: Path
    key: keys.PrivateKey
    policy: Path
    other_policy: Path


def _offline_policy(directory: Path, public_pem: bytes) -> Path:
    """The shipped example policy (release key, tlog waived) next to ``keys/release.pub``."""
    (directory / "keys").mkdir(parents=True)
    (directory / "keys" / "release.pub").write_bytes(public_pem)
    policy = directory / OFFLINE_POLICY.name
    policy.write_bytes(OFFLINE_POLICY.read_bytes())
    return policy


@pytest.fixture
def key_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Keys:
    key = keys.generate()
    other = keys.generate()
    private = tmp_path / "cosign.key"
    private.write_bytes(key.to_cosign(b"correct horse"))
    public = tmp_path / "cosign.pub"
    public.write_bytes(key.public_key.pem)
    other_public = tmp_path / "other.pub"
    other_public.write_bytes(other.public_key.pem)
    policy = _offline_policy(tmp_path / "release", key.public_key.pem)
    other_policy = _offline_policy(tmp_path / "other", other.public_key.pem)
    monkeypatch.setenv("SUPPLYCHAIN_PASSWORD", "correct horse")
    return Keys(private, public, other_public, key, policy, other_policy)


@pytest.fixture
def store(registry: RegistryServer) -> Iterator[RegistryStore]:
    client = RegistryClient(registry.host)
    try:
        yield RegistryStore(client)
    finally:
        client.close()


def _image(registry: RegistryServer, store: RegistryStore, seed: str) -> tuple[str, str]:
    """Push a tiny image; returns (tagged reference, pinned reference)."""
    repo = registry.repo("cli")
    pushed = push_tiny_image(store.client, repo, tag="v1", seed=seed, layer_count=1)
    return f"{registry.host}/{repo}:v1", f"{registry.host}/{repo}@{pushed.digest}"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _verify_offline(
    capsys: pytest.CaptureFixture[str], image: str, key_files: Keys, *extra: str
) -> tuple[int, str, str]:
    """``verify IMAGE --policy verify-key-offline.yaml``: our key signatures are offline, and
    the policy file is the only way to waive the transparency log for them."""
    return _run(capsys, "verify", image, "--policy", str(key_files.policy), *extra)


def _verify_strict_key(
    capsys: pytest.CaptureFixture[str], image: str, public: Path
) -> tuple[int, str, str]:
    """``verify IMAGE --key cosign.pub``: the log is required, so an offline signature is
    always rejected; used where the test asserts the attack's own reason, which the signing
    core reports before it looks at the log."""
    code, out, err = _run(capsys, "verify", image, "--key", str(public))
    assert "transparency-log" not in err  # rejected for the attack, not for the missing log
    return code, out, err


def _bounded(action: Callable[[], int]) -> int:
    """Run ``action``; assert it took < 10 s and < 256 MiB of Python allocations."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        code = action()
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < 10
    assert peak < 256 * MiB
    return code


# --- round trips ------------------------------------------------------------------------------


def test_sign_then_verify_under_the_offline_key_policy(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tagged, pinned = _image(registry, store, "rt")
    code, out, _ = _run(capsys, "sign", tagged, "--key", str(key_files.private))
    assert (code, out.strip()) == (0, pinned)
    code, out, err = _verify_offline(capsys, tagged, key_files)
    assert (code, out.strip()) == (0, pinned)
    relaxed = f"Relaxed by policy {key_files.policy}: release-key: transparency log not required"
    assert "authority release-key" in err and relaxed in err
    # The waiver is reported even with --quiet: a weakened check never passes silently.
    code, out, err = _run(capsys, "--quiet", "verify", tagged, "--policy", str(key_files.policy))
    assert (code, out.strip()) == (0, pinned) and relaxed in err
    code, out, _ = _verify_offline(capsys, tagged, key_files, "--output", "json")
    doc = json.loads(out)
    assert code == 0 and doc["image"] == pinned and doc["verified"] is True
    assert doc["signatures"][0]["signer"] == f"key:{key_files.key.public_key.fingerprint}"
    assert doc["signatures"][0]["predicateType"] == media.SIGN_PREDICATE
    assert doc["relaxations"] == ["release-key: transparency log not required"]
    assert doc["policy"] == str(key_files.policy)


def test_sign_legacy_then_verify_under_a_policy(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tagged, pinned = _image(registry, store, "legacy")
    code, out, err = _run(capsys, "sign", tagged, "--key", str(key_files.private), "--legacy")
    assert (code, out.strip()) == (0, pinned)
    digest = Digest.parse(pinned.rsplit("@", 1)[1])
    assert legacy_tag(digest, ".sig") in err
    repo = ImageRef.parse(tagged).repository
    assert store.manifest_by_tag(repo, legacy_tag(digest, ".sig")) is not None
    code, out, err = _run(capsys, "verify", tagged, "--policy", str(key_files.policy))
    assert (code, out.strip()) == (0, pinned)
    assert "release-key: transparency log not required" in err


def test_offline_key_signature_needs_a_tlog_waiver_in_a_policy(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SECURITY R1: ``--key`` alone requires the log; only a policy file can waive it."""
    tagged, _pinned = _image(registry, store, "tlog")
    assert _run(capsys, "sign", tagged, "--key", str(key_files.private), "--legacy")[0] == 0
    predicate = tmp_path / "sbom.json"
    predicate.write_text(json.dumps(SPDX))
    attest = ["attest", tagged, "--predicate", str(predicate), "--type", "spdx"]
    assert _run(capsys, *attest, "--key", str(key_files.private))[0] == 0
    for command in (["verify", tagged], ["verify-attestation", tagged, "--type", "spdx"]):
        code, out, err = _run(capsys, *command, "--key", str(key_files.public))
        assert (code, out) == (1, ""), command
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "no transparency-log entry" in err
        assert TLOG_WAIVER in err and "--policy" in err and OFFLINE_POLICY.name in err
        # The same signature, under the policy that waives the log for this key: accepted.
        code, out, err = _run(capsys, *command, "--policy", str(key_files.policy))
        assert code == 0, err
        assert "release-key: transparency log not required" in err
    # A policy that keeps the log required for the same key rejects it too.
    strict = key_files.policy.with_name("strict.yaml")
    strict.write_text(key_files.policy.read_text().replace(TLOG_WAIVER, "transparencyLog: {}"))
    assert _run(capsys, "verify", tagged, "--policy", str(strict))[:2] == (1, "")


@pytest.mark.parametrize("command", ["verify", "verify-attestation"])
def test_tlog_optional_flag_no_longer_exists(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    command: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """There is no command-line switch that weakens the log requirement (SECURITY R1)."""
    tagged, _ = _image(registry, store, "noflag")
    assert _run(capsys, "sign", tagged, "--key", str(key_files.private))[0] == 0
    extra = ["--type", "spdx"] if command == "verify-attestation" else []
    code, out, err = _run(
        capsys, command, tagged, *extra, "--key", str(key_files.public), "--tlog-optional"
    )
    assert (code, out) == (2, "")
    assert "No such option" in err and "--tlog-optional" in err


def test_wrong_key_is_rejected(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tagged, _ = _image(registry, store, "wrongkey")
    assert _run(capsys, "sign", tagged, "--key", str(key_files.private), "--legacy")[0] == 0
    code, out, err = _run(
        capsys, "verify", tagged, "--policy", str(key_files.other_policy), "--output", "json"
    )
    assert code == 1
    assert json.loads(out)["verified"] is False
    assert "0 of 1 required signers" in err
    code, out, err = _verify_strict_key(capsys, tagged, key_files.other_public)
    assert (code, out) == (1, "")
    assert "no valid signature" in err


def test_attest_spdx_then_verify_attestation_returns_the_predicate(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tagged, pinned = _image(registry, store, "attest")
    predicate = tmp_path / "sbom.spdx.json"
    predicate.write_text(json.dumps(SPDX))
    code, out, _ = _run(
        capsys,
        "attest",
        tagged,
        "--predicate",
        str(predicate),
        "--type",
        "spdx",
        "--key",
        str(key_files.private),
        "--legacy",
    )
    assert (code, out.strip()) == (0, pinned)
    # Under a policy the whole rule applies: the image also needs its signature quorum.
    policy_args = ["--type", "spdx", "--policy", str(key_files.policy)]
    code, _, err = _run(capsys, "verify-attestation", tagged, *policy_args)
    assert code == 1 and "0 of 1 required signers" in err
    assert _run(capsys, "sign", tagged, "--key", str(key_files.private))[0] == 0
    code, out, err = _run(capsys, "verify-attestation", tagged, *policy_args)
    assert code == 0
    assert json.loads(out) == SPDX
    assert pinned in err and "release-key: transparency log not required" in err
    saved = tmp_path / "verified.json"
    code, out, _ = _run(
        capsys,
        "verify-attestation",
        tagged,
        "--type",
        "spdx",
        "--policy",
        str(key_files.policy),
        "--output",
        "json",
        "--predicate-output",
        str(saved),
    )
    doc = json.loads(out)
    assert code == 0 and doc["image"] == pinned
    assert doc["attestations"][0]["predicate"] == SPDX
    assert json.loads(saved.read_text()) == SPDX


def test_sbom_attestation_alone_is_not_a_signature_nor_provenance(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-B1, NT-B2 through the CLI, with both flags and policy."""
    tagged, _ = _image(registry, store, "sbomonly")
    predicate = tmp_path / "sbom.json"
    predicate.write_text(json.dumps(SPDX))
    assert (
        _run(
            capsys,
            "attest",
            tagged,
            "--predicate",
            str(predicate),
            "--type",
            "spdx",
            "--key",
            str(key_files.private),
            "--legacy",
        )[0]
        == 0
    )
    key = ["--policy", str(key_files.policy)]
    code, out, err = _verify_strict_key(capsys, tagged, key_files.public)
    assert (code, out) == (1, "")
    assert "no valid signature" in err
    assert _run(capsys, "verify", tagged, *key)[:2] == (1, "")
    assert _run(capsys, "verify-attestation", tagged, "--type", "slsaprovenance1", *key)[:2] == (
        1,
        "",
    )
    code, _, err = _run(
        capsys,
        "verify-attestation",
        tagged,
        "--type",
        "slsaprovenance1",
        "--policy",
        str(key_files.policy),
    )
    assert code == 1 and "no verified attestation of type https://slsa.dev/provenance/v1" in err


# --- attacks ----------------------------------------------------------------------------------


def _attach_referrer(store: RegistryStore, ref: ImageRef, bundle: bytes, annotation: str) -> None:
    subject = resolve_subject(store, ref)
    raw, _ = build_bundle_referrer(subject, bundle, annotation, CREATED)
    store.put_blob(ref.repository, mt.EMPTY_JSON)
    store.put_blob(ref.repository, bundle)
    store.put_manifest(ref.repository, str(Digest.of(raw)), raw, mt.OCI_MANIFEST)


def test_referrer_of_a_with_a_statement_about_b_is_rejected(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-A3 through the CLI: subject says A, the signed statement says B."""
    tagged_a, _ = _image(registry, store, "cA")
    _tagged_b, pinned_b = _image(registry, store, "cB")
    bundle_b = KeySigner(key_files.key).signature_bundle(Digest.parse(pinned_b.rsplit("@", 1)[1]))
    _attach_referrer(store, ImageRef.parse(tagged_a), bundle_b, media.SIGN_PREDICATE)
    code, out, err = _verify_strict_key(capsys, tagged_a, key_files.public)
    assert (code, out) == (1, "")
    assert "does not name" in err
    assert _run(capsys, "verify", tagged_a, "--policy", str(key_files.policy))[0] == 1


def test_key_policy_given_a_certificate_bundle_is_rejected(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-H1: even signed by the trusted key, certificate material is not key material."""
    tagged, _ = _image(registry, store, "h1")
    ref = ImageRef.parse(tagged)
    subject = resolve_subject(store, ref)
    bundle = json.loads(KeySigner(key_files.key).signature_bundle(subject.digest))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not-a-key-authority")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key_files.key.key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .sign(key_files.key.key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    bundle["verificationMaterial"] = {
        "certificate": {"rawBytes": base64.b64encode(der).decode()},
        "tlogEntries": [],
    }
    _attach_referrer(store, ref, json.dumps(bundle).encode(), media.SIGN_PREDICATE)
    code, out, err = _verify_strict_key(capsys, tagged, key_files.public)
    assert (code, out) == (1, "")
    assert "certificate" in err


def test_unsigned_annotation_does_not_make_an_sbom_a_signature(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-K1: the referrer annotation claims sign/v1; the signed statement is an SBOM."""
    tagged, _ = _image(registry, store, "k1")
    ref = ImageRef.parse(tagged)
    subject = resolve_subject(store, ref)
    bundle = KeySigner(key_files.key).attestation_bundle(
        subject.digest, "x", intoto.PREDICATE_TYPES["spdx"], SPDX
    )
    _attach_referrer(store, ref, bundle, media.SIGN_PREDICATE)
    code, _, err = _verify_strict_key(capsys, tagged, key_files.public)
    assert code == 1 and "predicateType" in err


def test_1001_layer_signature_manifest_exits_1_bounded(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-F1."""
    tagged, pinned = _image(registry, store, "f1")
    repo = ImageRef.parse(tagged).repository
    digest = Digest.parse(pinned.rsplit("@", 1)[1])
    payload, signature = KeySigner(key_files.key).simple_signing("x", digest)
    store.put_blob(repo, payload)
    store.put_blob(repo, b"{}")
    layer = {
        "mediaType": media.SIMPLE_SIGNING_LAYER,
        "digest": str(Digest.of(payload)),
        "size": len(payload),
        "annotations": {media.ANN_SIGNATURE: base64.b64encode(signature).decode()},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {"mediaType": mt.OCI_CONFIG, "digest": str(Digest.of(b"{}")), "size": 2},
        "layers": [layer] * 1001,
    }
    store.client.put_manifest(
        repo, json.dumps(manifest).encode(), mt.OCI_MANIFEST, tag=legacy_tag(digest, ".sig")
    )
    args = ["verify", tagged, "--policy", str(key_files.policy)]
    assert _bounded(lambda: run(args)) == 1
    assert "1001 layers" in capsys.readouterr().err


def test_200_mib_signature_layer_is_refused_without_download(
    registry: RegistryServer,
    hostile: HostileProxy,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-F2: the referrer declares a 200 MiB bundle layer; no blob GET ever happens."""
    tagged, _pinned = _image(registry, store, "f2")
    ref = ImageRef.parse(tagged)
    subject = resolve_subject(store, ref)
    bundle = KeySigner(key_files.key).signature_bundle(subject.digest)
    raw, _ = build_bundle_referrer(subject, bundle, media.SIGN_PREDICATE, CREATED)
    doc = json.loads(raw)
    doc["layers"][0]["size"] = 200 * MiB
    store.put_blob(ref.repository, mt.EMPTY_JSON)
    store.put_blob(ref.repository, bundle)
    big = json.dumps(doc).encode()
    store.put_manifest(ref.repository, str(Digest.of(big)), big, mt.OCI_MANIFEST)
    via_proxy = tagged.replace(registry.host, hostile.host)
    args = ["verify", via_proxy, "--policy", str(key_files.policy)]
    assert _bounded(lambda: run(args)) == 1
    assert "209715200" in capsys.readouterr().err
    assert not [seen for seen in hostile.seen if "/blobs/" in seen.path]


def test_10000_referrers_in_the_fallback_index_exit_1_bounded(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-F4 on the real registry (no referrers API there: the fallback tag carries them)."""
    tagged, pinned = _image(registry, store, "f4")
    repo = ImageRef.parse(tagged).repository
    digest = Digest.parse(pinned.rsplit("@", 1)[1])
    entry = {"mediaType": mt.OCI_MANIFEST, "digest": str(digest), "size": 1}
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [entry] * 10_000}
    store.client.put_manifest(
        repo, json.dumps(index).encode(), mt.OCI_INDEX, tag=fallback_tag(digest)
    )
    args = ["verify", tagged, "--policy", str(key_files.policy)]
    assert _bounded(lambda: run(args)) == 1
    assert "10000" in capsys.readouterr().err


def _referrers_api(hostile: HostileProxy, entries: list[dict[str, Any]], **headers: str) -> None:
    body = json.dumps(
        {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": entries}
    ).encode()
    hostile.add(
        "respond",
        path=r"/referrers/",
        status=200,
        headers={"Content-Type": mt.OCI_INDEX, **headers},
        body=body,
    )


def test_10000_referrers_from_the_referrers_api_exit_1_bounded(
    registry: RegistryServer,
    hostile: HostileProxy,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-F4 through the OCI 1.1 API (the proxy plays a registry that has it)."""
    tagged, pinned = _image(registry, store, "f4api")
    entry = {"mediaType": mt.OCI_MANIFEST, "digest": pinned.rsplit("@", 1)[1], "size": 1}
    _referrers_api(hostile, [entry] * 10_000)
    args = [
        "verify",
        tagged.replace(registry.host, hostile.host),
        "--policy",
        str(key_files.policy),
    ]
    assert _bounded(lambda: run(args)) == 1
    assert "more than 1000 referrers" in capsys.readouterr().err


def test_referrers_api_lists_a_real_signature_and_is_trusted_only_after_verification(
    registry: RegistryServer,
    hostile: HostileProxy,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The API path end to end: the list is a hint, the referrer is opened by digest."""
    tagged, pinned = _image(registry, store, "api")
    assert _run(capsys, "sign", tagged, "--key", str(key_files.private))[0] == 0
    repo = ImageRef.parse(tagged).repository
    digest = Digest.parse(pinned.rsplit("@", 1)[1])
    fallback = store.manifest_by_tag(repo, fallback_tag(digest))
    assert fallback is not None
    entries = json.loads(fallback.raw)["manifests"]
    store.client.delete_manifest(repo, fallback.digest)  # only the API knows about it now
    _referrers_api(hostile, entries)
    via_proxy = tagged.replace(registry.host, hostile.host)
    code, out, _ = _verify_offline(capsys, via_proxy, key_files)
    assert code == 0
    assert out.strip() == pinned.replace(registry.host, hostile.host)
    assert any("/referrers/" in seen.path for seen in hostile.seen)


def test_referrers_link_loop_and_foreign_link_are_rejected(
    registry: RegistryServer,
    hostile: HostileProxy,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-F5 (a Link back to the same page) and NT-E7 (a Link to another host)."""
    tagged, pinned = _image(registry, store, "link")
    digest = pinned.rsplit("@", 1)[1]
    via_proxy = tagged.replace(registry.host, hostile.host)
    args = ["verify", via_proxy, "--policy", str(key_files.policy)]
    _referrers_api(hostile, [], Link=f'</v2/x/referrers/{digest}>; rel="next"')
    assert _bounded(lambda: run(args)) == 1
    hostile.clear()
    _referrers_api(hostile, [], Link=f'<http://127.0.0.2:1/v2/x/referrers/{digest}>; rel="next"')
    assert _bounded(lambda: run(args)) == 1
    err = capsys.readouterr().err
    assert "loops back" in err or "already read" in err
    assert "another origin" in err


# --- usage and could-not-check ------------------------------------------------------------------


def test_usage_errors_exit_2(
    registry: RegistryServer, key_files: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    image = f"{registry.host}/cli/none:v1"
    assert _run(capsys, "verify", image)[0] == 2
    assert (
        _run(
            capsys,
            "verify",
            image,
            "--key",
            str(key_files.public),
            "--certificate-identity",
            "a",
            "--certificate-oidc-issuer",
            "b",
        )[0]
        == 2
    )
    assert _run(capsys, "verify", image, "--certificate-identity", "a")[0] == 2
    assert _run(capsys, "verify", image, "--policy", str(key_files.policy), "--key", "k")[0] == 2
    assert _run(capsys, "verify", "UPPER/Case:v1", "--key", str(key_files.public))[0] == 2
    assert (
        _run(capsys, "verify-attestation", image, "--type", "sbom", "--key", str(key_files.public))[
            0
        ]
        == 2
    )
    bad_policy = key_files.policy.with_name("bad.yaml")
    bad_policy.write_text(key_files.policy.read_text().replace("images:", "imagez:"))
    code, _, err = _run(capsys, "verify", image, "--policy", str(bad_policy))
    assert code == 2 and "imagez" in err


def test_registry_down_exits_3(
    key_files: Keys, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from supplychain.cli import signing_image
    from supplychain.oci.limits import DEFAULT_LIMITS
    from tests.fixtures.registry import free_port

    # No retries: this checks the exit-code mapping, not the (separately tested) backoff.
    original = RegistryClient.for_ref
    no_retries = replace(DEFAULT_LIMITS, retries=0)
    monkeypatch.setattr(
        signing_image.RegistryClient,
        "for_ref",
        lambda ref, **kw: original(ref, **{**kw, "limits": no_retries}),
    )

    image = f"127.0.0.1:{free_port()}/cli/down:v1"
    code, out, err = _verify_offline(capsys, image, key_files)
    assert (code, out) == (3, "")
    assert "Traceback" not in err


def test_wrong_key_password_exits_1(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tagged, _ = _image(registry, store, "pw")
    monkeypatch.setenv("SUPPLYCHAIN_PASSWORD", "Not-The-Pa55word")
    code, out, err = _run(capsys, "sign", tagged, "--key", str(key_files.private))
    assert (code, out) == (1, "")
    assert "cannot decrypt" in err
    assert "Not-The-Pa55word" not in err and "correct horse" not in err


# --- more material and registry lies --------------------------------------------------------------


def test_corrupt_legacy_rekor_bundle_annotation_is_a_rejection_not_unsigned(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-C5: a valid .sig layer whose dev.sigstore.cosign/bundle annotation is broken JSON."""
    tagged, pinned = _image(registry, store, "c5")
    repo = ImageRef.parse(tagged).repository
    digest = Digest.parse(pinned.rsplit("@", 1)[1])
    payload, signature = KeySigner(key_files.key).simple_signing(repo, digest)
    from supplychain.store.legacy import build_legacy_manifest, signature_layer

    layer = signature_layer(payload, signature)
    layer = type(layer)(
        layer.media_type,
        layer.digest,
        layer.size,
        annotations={**layer.annotations, media.ANN_REKOR_BUNDLE: '{"SignedEntryTimestamp": '},
    )
    built = build_legacy_manifest([], layer)
    assert built is not None
    manifest, config = built
    store.put_blob(repo, payload)
    store.put_blob(repo, config)
    store.client.put_manifest(repo, manifest, mt.OCI_MANIFEST, tag=legacy_tag(digest, ".sig"))
    code, out, err = _verify_strict_key(capsys, tagged, key_files.public)
    assert (code, out) == (1, "")
    assert "rekor bundle" in err and "not valid JSON" in err
    assert _run(capsys, "verify", tagged, "--policy", str(key_files.policy))[:2] == (1, "")


def test_keyless_identity_given_a_key_bundle_is_rejected(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-H2: a keyless authority never accepts publicKey material."""
    tagged, _ = _image(registry, store, "h2")
    assert _run(capsys, "sign", tagged, "--key", str(key_files.private))[0] == 0
    code, out, err = _run(
        capsys,
        "verify",
        tagged,
        "--certificate-identity",
        "https://github.com/acme/x",
        "--certificate-oidc-issuer",
        "https://token.actions.githubusercontent.com",
    )
    assert (code, out) == (1, "")
    assert "public key" in err


def test_signed_index_does_not_cover_an_unlisted_platform_manifest(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-A5: the index is signed; a manifest it does not list is not."""
    from tests.fixtures.registry import push_tiny_index

    repo = registry.repo("cli")
    index, _children = push_tiny_index(store.client, repo, tag="multi")
    stray = push_tiny_image(store.client, repo, tag="stray", seed="stray", layer_count=1)
    key = ["--policy", str(key_files.policy)]
    assert (
        _run(capsys, "sign", f"{registry.host}/{repo}:multi", "--key", str(key_files.private))[0]
        == 0
    )
    code, out, _ = _run(capsys, "verify", f"{registry.host}/{repo}:multi", *key)
    assert (code, out.strip()) == (0, f"{registry.host}/{repo}@{index.digest}")
    assert _run(capsys, "verify", f"{registry.host}/{repo}@{stray.digest}", *key)[:2] == (1, "")


def test_registry_serving_other_bytes_for_a_referrer_digest_is_rejected(
    registry: RegistryServer,
    hostile: HostileProxy,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NT-E1 on the signature path: the referrer manifest's bytes do not hash to its digest."""
    tagged, _ = _image(registry, store, "e1")
    assert _run(capsys, "sign", tagged, "--key", str(key_files.private))[0] == 0
    hostile.add("corrupt_body", path=r"/manifests/sha256:", method="GET")
    via_proxy = tagged.replace(registry.host, hostile.host)
    code, out, err = _verify_offline(capsys, via_proxy, key_files)
    assert (code, out) == (1, "")
    assert "does not match" in err


def test_warn_mode_policy_exits_0_but_never_claims_verified(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tagged, pinned = _image(registry, store, "warn")
    warn = key_files.policy.with_name("warn.yaml")
    text = key_files.policy.read_text()
    assert "\nmode: enforce\n" in text
    warn.write_text(text.replace("\nmode: enforce\n", "\nmode: warn\n"))
    code, out, err = _run(capsys, "verify", tagged, "--policy", str(warn))
    assert (code, out.strip()) == (0, pinned)
    assert "warn mode would deny" in err and "0 of 1 required signers" in err
    code, out, _ = _run(capsys, "verify", tagged, "--policy", str(warn), "--output", "json")
    doc = json.loads(out)
    assert code == 0 and doc["verified"] is False and doc["warnings"]


def test_keyless_sign_without_an_ambient_token_exits_3_and_writes_nothing(
    registry: RegistryServer,
    store: RegistryStore,
    key_files: Keys,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in (
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "SIGSTORE_ID_TOKEN",
        "GITLAB_CI",
        "BUILDKITE",
        "CIRCLECI",
        "GOOGLE_SERVICE_ACCOUNT_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    tagged, pinned = _image(registry, store, "keyless")
    code, out, err = _run(capsys, "sign", tagged, "--keyless")
    assert (code, out) == (3, "")
    assert "OIDC token" in err
    digest = Digest.parse(pinned.rsplit("@", 1)[1])
    assert store.referrers(ImageRef.parse(tagged).repository, digest) == []
    assert _run(capsys, "sign", tagged, "--keyless", "--legacy")[0] == 2
    assert _run(capsys, "sign", tagged)[0] == 2
    assert _run(capsys, "sign", tagged, "--keyless", "--key", str(key_files.private))[0] == 2
