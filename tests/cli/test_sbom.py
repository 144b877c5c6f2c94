"""``supplychain sbom``: exit codes, formats, platforms, cache flags, hostile layers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from supplychain.cli.main import run
from supplychain.cli.sbom import parse_size
from supplychain.errors import ExitCode, UsageError
from tests.catalog.layers.conftest import load_make_layers

SAMPLE = Path(__file__).resolve().parents[2] / "testdata" / "images" / "sample-oci"
DEB_STATUS = (
    b"Package: tzdata\nStatus: install ok installed\nPriority: required\nSection: localization\n"
    b"Installed-Size: 1234\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\n"
    b"Architecture: all\nVersion: 2024a-0+deb12u1\nDescription: time zone data\n\n"
)


@pytest.fixture(scope="module")
def ml() -> ModuleType:
    return load_make_layers()


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")
    monkeypatch.setenv("SUPPLYCHAIN_CACHE_DIR", str(tmp_path / "cache"))
    yield


def _image(ml: ModuleType, root: Path, *extra: bytes) -> Path:
    base = ml.tar_bytes(
        [
            ml.Entry("etc/os-release", data=b'ID=debian\nVERSION_ID="12"\n'),
            ml.Entry("var/lib/dpkg/status", data=DEB_STATUS),
        ]
    )
    return ml.write_layout(root, [ml.ImageSpec([ml.Layer(base), *[ml.Layer(t) for t in extra]])])


def test_spdx_to_file_validates(ml: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "sbom.spdx.json"
    layout = _image(ml, tmp_path / "img")
    assert run(["-q", "sbom", f"oci:{layout}", "-o", str(out)]) == 0
    assert validate_full_spdx_document(parse_file(str(out))) == []
    doc = json.loads(out.read_text())
    assert any(p["name"] == "tzdata" for p in doc["packages"])


def test_cyclonedx_to_stdout_validates(
    ml: ModuleType, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    layout = _image(ml, tmp_path / "img")
    assert run(["-q", "sbom", f"oci:{layout}", "--format", "cyclonedx-json"]) == 0
    out = capfdbinary.readouterr().out
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out.decode()) is None


def test_sample_index_every_platform_and_one(tmp_path: Path) -> None:
    both, one = tmp_path / "both.json", tmp_path / "one.json"
    assert run(["-q", "sbom", f"oci:{SAMPLE}", "-o", str(both)]) == 0
    assert run(["-q", "sbom", f"oci:{SAMPLE}", "--platform", "linux/arm64", "-o", str(one)]) == 0
    roots = {
        name: [
            r["relatedSpdxElement"]
            for r in json.loads(path.read_text())["relationships"]
            if r["relationshipType"] == "DESCRIBES"
        ]
        for name, path in (("both", both), ("one", one))
    }
    assert roots["both"][0].startswith("SPDXRef-Index-")
    assert roots["one"][0].startswith("SPDXRef-Image-linux-arm64-v8-")


def test_unknown_platform_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["sbom", f"oci:{SAMPLE}", "--platform", "linux/s390x"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "linux/amd64" in err and "Traceback" not in err


def test_same_image_twice_is_byte_identical_cold_and_warm(tmp_path: Path) -> None:
    outputs = []
    for n, flags in enumerate([[], [], ["--no-cache"]]):
        out = tmp_path / f"{n}.json"
        assert run(["-q", "sbom", f"oci:{SAMPLE}", "-o", str(out), *flags]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert list((tmp_path / "cache" / "layers").rglob("*.gz"))


def test_no_cache_writes_no_cache(tmp_path: Path) -> None:
    assert run(["-q", "sbom", f"oci:{SAMPLE}", "--no-cache", "-o", str(tmp_path / "o")]) == 0
    assert not (tmp_path / "cache").exists()


def test_cache_dir_option(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    assert run(["-q", "sbom", f"oci:{SAMPLE}", "--cache-dir", str(target), "-o", "/dev/null"]) == 0
    assert list((target / "layers").rglob("*.gz"))


def test_progress_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["sbom", f"oci:{SAMPLE}", "-o", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert "[layers]" in captured.err and captured.out == ""


def test_hostile_layer_warns_and_succeeds(
    ml: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = _image(ml, tmp_path / "img", ml.hostile_layers()["traversal"])
    out = tmp_path / "o.json"
    assert run(["sbom", f"oci:{layout}", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "../../etc/passwd" in err and "sbom.layer.unsafe-path" in err
    assert "passwd" not in out.read_text()


def test_gzip_bomb_is_rejected_with_one_line(
    ml: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NT-T7 end to end: 10 GiB of zeros in about 10 MiB of gzip → exit 1 within 10 s."""
    import time

    bomb = ml.gzip_bomb()
    layer = ml.Layer(b"", blob=bomb, diff_id="sha256:" + "1" * 64)
    layout = ml.write_layout(tmp_path / "img", [ml.ImageSpec([layer])])
    out = tmp_path / "o.json"
    started = time.monotonic()
    assert run(["-q", "sbom", f"oci:{layout}", "-o", str(out)]) == ExitCode.REJECTED
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "decompression bomb" in err[0] and "Traceback" not in err[0]
    assert not out.exists()


def test_dir_source(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_bytes(DEB_STATUS)
    out = tmp_path / "o.json"
    assert run(["-q", "sbom", f"dir:{root}", "--name", "myfs", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert {p["name"] for p in doc["packages"]} >= {"myfs", "tzdata"}


def test_missing_source_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["sbom", f"dir:{tmp_path / 'nope'}"]) == ExitCode.USAGE
    assert run(["sbom", f"oci:{tmp_path / 'nope'}"]) == ExitCode.USAGE


def test_platform_with_dir_source_is_a_usage_error(tmp_path: Path) -> None:
    assert run(["sbom", f"dir:{tmp_path}", "--platform", "linux/amd64"]) == ExitCode.USAGE


def test_go_sources_dispatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gomod:/gobin: go to the Go engineer's module; absent, a clear "could not check"."""
    try:
        import supplychain.catalog.golang.sbom  # noqa: F401
    except ImportError:
        assert run(["sbom", f"gomod:{tmp_path}"]) == ExitCode.UNCHECKED
        assert "sbom_from_gomod" in capsys.readouterr().err
    else:
        (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
        out = tmp_path / "o.json"
        assert run(["-q", "sbom", f"gomod:{tmp_path}", "-o", str(out)]) == 0
        assert "example.com/m" in out.read_text()


@pytest.mark.parametrize(
    ("text", "size"), [("1048576", 1048576), ("5GiB", 5 * 1024**3), ("500M", 500 * 1024**2)]
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bad_cache_size_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        parse_size("lots")
    assert run(["sbom", f"oci:{SAMPLE}", "--cache-max-size", "lots"]) == ExitCode.USAGE


def test_output_is_atomic_and_not_left_on_failure(ml: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    out.write_text("previous")
    bad = ml.write_layout(
        tmp_path / "img",
        [ml.ImageSpec([ml.Layer(ml.tar_bytes([]), diff_id="sha256:" + "2" * 64)])],
    )
    assert run(["-q", "sbom", f"oci:{bad}", "-o", str(out)]) == ExitCode.REJECTED
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_registry_image_matches_the_layout(
    registry: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real registry fixture: same packages as from the layout, root named by repository."""
    from supplychain.oci.copy import copy_to_reference
    from supplychain.oci.source import open_image_source

    ref = registry.ref("sbom")  # type: ignore[attr-defined]
    with open_image_source(f"oci:{SAMPLE}") as source:
        copy_to_reference(source, ref, insecure=True)
    from_layout, from_registry = tmp_path / "a.json", tmp_path / "b.json"
    assert run(["-q", "sbom", f"oci:{SAMPLE}", "-o", str(from_layout)]) == 0
    assert run(["-q", "sbom", ref, "-o", str(from_registry)]) == 0

    def purls(path: Path) -> set[str]:
        return {
            r["referenceLocator"]
            for p in json.loads(path.read_text())["packages"]
            for r in p.get("externalRefs", [])
            if not r["referenceLocator"].startswith("pkg:oci/")
        }

    assert purls(from_layout) == purls(from_registry) != set()
    doc = json.loads(from_registry.read_text())
    repository = ref.rsplit(":", 1)[0]
    assert any(p["name"] == repository for p in doc["packages"])


def test_cache_readonly_reads_but_never_writes(tmp_path: Path) -> None:
    cache = tmp_path / "ro"
    args = ["-q", "sbom", f"oci:{SAMPLE}", "--cache-dir", str(cache), "-o", str(tmp_path / "o")]
    assert run([*args, "--cache-readonly"]) == 0
    assert not cache.exists()
    assert run(args) == 0
    entries = sorted((cache / "layers").rglob("*.gz"))
    stamps = [p.stat().st_mtime_ns for p in entries]
    assert run([*args, "--cache-readonly"]) == 0
    assert sorted((cache / "layers").rglob("*.gz")) == entries
    assert [p.stat().st_mtime_ns for p in entries] == stamps


def test_max_file_size_reports_bigger_members(
    ml: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = ml.tar_bytes([ml.Entry("var/lib/dpkg/status", data=DEB_STATUS * 20)])
    layout = ml.write_layout(tmp_path / "img", [ml.ImageSpec([ml.Layer(big)])])
    out = tmp_path / "o.json"
    assert run(["sbom", f"oci:{layout}", "--max-file-size", "1K", "-o", str(out)]) == 0
    assert "sbom.layer.not-analysed" in capsys.readouterr().err
    assert "tzdata" not in out.read_text()
    assert run(["sbom", f"oci:{layout}", "--max-file-size", "huge"]) == ExitCode.USAGE


def test_supplier_author_and_licence_make_the_artifacthub_profile_pass(tmp_path: Path) -> None:
    """What only the user knows closes the profile's remaining errors (see validation tests)."""
    from supplychain.validation import load_profile, validate_document
    from supplychain.validation.findings import Severity

    out = tmp_path / "o.json"
    args = ["-q", "sbom", f"oci:{SAMPLE}", "--no-cache", "-o", str(out)]
    extra = ["--supplier", "Acme Corp", "--author", "Person: Ann Ops (ann@acme.example)"]
    assert run([*args, *extra, "--license", "apache-2.0"]) == 0
    doc = json.loads(out.read_text())
    assert "Person: Ann Ops (ann@acme.example)" in doc["creationInfo"]["creators"]
    root_id = next(
        r["relatedSpdxElement"]
        for r in doc["relationships"]
        if r["relationshipType"] == "DESCRIBES"
    )
    root = next(p for p in doc["packages"] if p["SPDXID"] == root_id)
    assert root["supplier"] == "Organization: Acme Corp"
    assert root["licenseDeclared"] == "Apache-2.0"
    report = validate_document(doc, load_profile("artifacthub"), file_name=out.name)
    assert report.rule_ids(Severity.ERROR) == set()


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--supplier", "line\nbreak"), ("--author", "Person:"), ("--license", "NOASSERTION")],
)
def test_bad_identity_flags_are_usage_errors(flag: str, value: str) -> None:
    assert run(["sbom", f"oci:{SAMPLE}", "--no-cache", flag, value]) == ExitCode.USAGE


def test_labels_give_supplier_and_licence(ml: ModuleType, tmp_path: Path) -> None:
    layout = _image(ml, tmp_path / "img")
    # Add Dockerfile LABELs to the config, the way `docker build` records them.
    index = json.loads((layout / "index.json").read_text())
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":")[1]).read_text())
    config = json.loads((blobs / manifest["config"]["digest"].split(":")[1]).read_text())
    config["config"] = {
        "Labels": {
            "org.opencontainers.image.vendor": "Acme",
            "org.opencontainers.image.licenses": "MIT",
            "org.opencontainers.image.source": "https://example.org/acme/app",
        }
    }
    import hashlib

    raw = json.dumps(config).encode()
    digest = hashlib.sha256(raw).hexdigest()
    (blobs / digest).write_bytes(raw)
    manifest["config"].update(digest=f"sha256:{digest}", size=len(raw))
    raw_manifest = json.dumps(manifest).encode()
    manifest_digest = hashlib.sha256(raw_manifest).hexdigest()
    (blobs / manifest_digest).write_bytes(raw_manifest)
    index["manifests"][0].update(digest=f"sha256:{manifest_digest}", size=len(raw_manifest))
    (layout / "index.json").write_text(json.dumps(index))
    out = tmp_path / "o.json"
    assert run(["-q", "sbom", f"oci:{layout}", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    root = next(p for p in doc["packages"] if p["SPDXID"].startswith("SPDXRef-Image-"))
    assert root["supplier"] == "Organization: Acme"
    assert root["licenseDeclared"] == "MIT"
    assert any("https://example.org/acme/app" in a["comment"] for a in root["annotations"])
