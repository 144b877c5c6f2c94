"""The whole image pipeline on OCI layouts built from real package metadata.

The rootfs trees come from testdata/catalog/build_rootfs.py (real dpkg stanzas, dist-info,
npm, jars, apk, rpmdb); testdata/layers/make_layers.py packs them as layers. The image SBOM of
a tree packed as a layer must list exactly what the ``dir:`` SBOM of the same tree lists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from supplychain.catalog.catalog import sbom_for_directory
from supplychain.catalog.image_sbom import ImageScan, sbom_from_image
from supplychain.catalog.layers.cache import LayerCache
from supplychain.catalog.layers.limits import LayerLimits, MiB
from supplychain.errors import IntegrityError, InvalidInputError, LimitExceededError
from supplychain.formats.cyclonedx import write_cyclonedx
from supplychain.formats.spdx import write_spdx
from supplychain.model.sbom import RelType, Sbom
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.source import open_image_source

CREATED = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _scan(layout: Path, **kwargs: object) -> ImageScan:
    with open_image_source(f"oci:{layout}") as source:
        return sbom_from_image(source, created=CREATED, **kwargs)  # type: ignore[arg-type]


def _purls(sbom: Sbom) -> set[str]:
    return {p.purl for p in sbom.packages if p.purl and p.kind != "oci" and p.ref != sbom.root}


def _layer_of(sbom: Sbom, name: str) -> set[str]:
    return {
        v
        for p in sbom.packages
        if p.name == name
        for k, v in p.properties
        if k == "supplychain:layer"
    }


@pytest.fixture(scope="module")
def tree_tars(trees: dict[str, Path], ml: ModuleType) -> dict[str, bytes]:
    return {name: ml.tar_of_tree(root) for name, root in trees.items()}


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LayerCache]:
    yield LayerCache(tmp_path / "cache")


@pytest.mark.parametrize("name", ["debian", "distroless", "alpine", "rhel"])
@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_image_lists_what_the_rootfs_lists(
    name: str,
    compression: str,
    trees: dict[str, Path],
    tree_tars: dict[str, bytes],
    ml: ModuleType,
    tmp_path: Path,
) -> None:
    layout = ml.write_layout(
        tmp_path / "img", [ml.ImageSpec([ml.Layer(tree_tars[name], compression)])]
    )
    expected = _purls(sbom_for_directory(str(trees[name]), created=CREATED))
    assert expected, "the fixture tree must hold packages"
    scan = _scan(layout)
    assert _purls(scan.sbom) == expected


def test_root_carries_the_manifest_digest_and_contains_everything(
    tree_tars: dict[str, bytes], ml: ModuleType, tmp_path: Path
) -> None:
    layout = ml.write_layout(tmp_path / "img", [ml.ImageSpec([ml.Layer(tree_tars["debian"])])])
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"]
    sbom = _scan(layout).sbom
    root = sbom.package(sbom.root)
    assert root.purpose is not None and root.purpose.value == "CONTAINER"
    assert [c.value for c in root.checksums] == [digest.split(":", 1)[1]]
    assert root.purl is not None and f"@{digest}?" in root.purl
    contained = {
        r.target for r in sbom.relationships if r.source == root.ref and r.type is RelType.CONTAINS
    }
    assert contained == {p.ref for p in sbom.packages} - {root.ref}


def test_package_deleted_in_a_later_layer_is_gone(
    tree_tars: dict[str, bytes], ml: ModuleType, tmp_path: Path
) -> None:
    """NT-T11: a whiteout of the dpkg database removes its packages; other layers still count."""
    wipe = ml.tar_bytes([ml.Entry("var/lib/dpkg/.wh.status")])
    base = ml.ImageSpec([ml.Layer(tree_tars["debian"])])
    wiped = ml.ImageSpec([ml.Layer(tree_tars["debian"]), ml.Layer(wipe)])
    before = _scan(ml.write_layout(tmp_path / "a", [base])).sbom
    after = _scan(ml.write_layout(tmp_path / "b", [wiped])).sbom
    assert any(p.kind == "deb" for p in before.packages)
    assert not any(p.kind == "deb" for p in after.packages)
    assert any(p.kind == "pypi" for p in after.packages)


def test_dist_info_removed_by_opaque_dir(
    ml: ModuleType, tmp_path: Path, trees: dict[str, Path]
) -> None:
    site = next(p for p in trees["debian"].rglob("requests-2.31.0.dist-info"))
    rel = site.relative_to(trees["debian"]).parent.as_posix()
    lower = ml.tar_of_tree(trees["debian"])
    upper = ml.tar_bytes([ml.Entry(f"{rel}/.wh..wh..opq")])
    sbom = _scan(
        ml.write_layout(tmp_path / "i", [ml.ImageSpec([ml.Layer(lower), ml.Layer(upper)])])
    ).sbom
    names = {p.name for p in sbom.packages if p.kind == "pypi"}
    assert "requests" not in names and "six" in names  # six lives in dist-packages, untouched


def test_packages_are_attributed_to_the_layer_that_wrote_them(
    tree_tars: dict[str, bytes], ml: ModuleType, tmp_path: Path
) -> None:
    extra = ml.tar_bytes(
        [
            ml.Entry(
                "usr/local/lib/python3.11/site-packages/attrs-23.1.0.dist-info/METADATA",
                data=b"Metadata-Version: 2.1\nName: attrs\nVersion: 23.1.0\n",
            )
        ]
    )
    layout = ml.write_layout(
        tmp_path / "i", [ml.ImageSpec([ml.Layer(tree_tars["debian"]), ml.Layer(extra)])]
    )
    sbom = _scan(layout).sbom
    import hashlib

    upper = "sha256:" + hashlib.sha256(extra).hexdigest()
    lower = "sha256:" + hashlib.sha256(tree_tars["debian"]).hexdigest()
    assert _layer_of(sbom, "attrs") == {f"1:{upper}"}
    assert _layer_of(sbom, "requests") == {f"0:{lower}"}


def _two_platforms(ml: ModuleType, tree_tars: dict[str, bytes], root: Path) -> Path:
    return ml.write_layout(
        root,
        [
            ml.ImageSpec([ml.Layer(tree_tars["debian"])], architecture="amd64"),
            ml.ImageSpec([ml.Layer(tree_tars["alpine"])], architecture="arm64", variant="v8"),
        ],
        attestation=True,
    )


def test_multi_platform_index_is_one_document(
    tree_tars: dict[str, bytes], ml: ModuleType, tmp_path: Path
) -> None:
    layout = _two_platforms(ml, tree_tars, tmp_path / "i")
    index_digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    sbom = _scan(layout).sbom
    root = sbom.package(sbom.root)
    assert root.ref.startswith("Index-")
    assert [c.value for c in root.checksums] == [index_digest.split(":", 1)[1]]
    index_doc = json.loads((layout / "blobs/sha256" / index_digest.split(":")[1]).read_text())
    assert len(index_doc["manifests"]) == 3  # the attestation manifest is there, and left out:
    images = [p for p in sbom.packages if p.ref.startswith("Image-")]
    assert sorted(dict(p.properties)["supplychain:platform"] for p in images) == [
        "linux/amd64",
        "linux/arm64/v8",
    ]
    for image in images:
        for rel in (RelType.CONTAINS, RelType.DEPENDS_ON):
            assert any(
                r.source == root.ref and r.type is rel and r.target == image.ref
                for r in sbom.relationships
            )
    kinds = {p.kind for p in sbom.packages}
    assert {"deb", "apk"} <= kinds


def test_one_platform_of_an_index(
    tree_tars: dict[str, bytes], ml: ModuleType, tmp_path: Path
) -> None:
    layout = _two_platforms(ml, tree_tars, tmp_path / "i")
    sbom = _scan(layout, selection=PlatformSelection.parse(["linux/arm64"])).sbom
    root = sbom.package(sbom.root)
    assert root.ref.startswith("Image-linux-arm64-v8")
    assert "supplychain:image:index-digest" in dict(root.properties)
    assert {p.kind for p in sbom.packages} >= {"apk"} and "deb" not in {
        p.kind for p in sbom.packages
    }


def test_documents_validate_and_are_deterministic(
    tree_tars: dict[str, bytes], ml: ModuleType, tmp_path: Path, cache: LayerCache
) -> None:
    layout = _two_platforms(ml, tree_tars, tmp_path / "i")
    cold = _scan(layout, cache=cache)
    warm = _scan(layout, cache=cache)
    uncached = _scan(layout)
    serial = _scan(layout, workers=1)
    assert cold.layers_read == 2 and warm.layers_cached == 2 and warm.layers_read == 0
    spdx = write_spdx(cold.sbom)
    assert write_spdx(warm.sbom) == spdx == write_spdx(uncached.sbom) == write_spdx(serial.sbom)
    cdx = write_cyclonedx(cold.sbom)
    assert write_cyclonedx(warm.sbom) == cdx
    target = tmp_path / "doc.spdx.json"
    target.write_bytes(spdx)
    assert validate_full_spdx_document(parse_file(str(target))) == []
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx.decode()) is None


def test_second_image_sharing_layers_reads_only_new_ones(
    tree_tars: dict[str, bytes], ml: ModuleType, tmp_path: Path, cache: LayerCache
) -> None:
    shared = ml.Layer(tree_tars["debian"])
    first = ml.write_layout(
        tmp_path / "a", [ml.ImageSpec([shared, ml.Layer(ml.tar_bytes([ml.Entry("a")]))])]
    )
    second = ml.write_layout(
        tmp_path / "b", [ml.ImageSpec([shared, ml.Layer(ml.tar_bytes([ml.Entry("b")]))])]
    )
    assert _scan(first, cache=cache).layers_read == 2
    again = _scan(second, cache=cache)
    assert (again.layers_read, again.layers_cached) == (1, 1)


def test_config_diff_id_lie_is_an_integrity_error(
    ml: ModuleType, tmp_path: Path, cache: LayerCache
) -> None:
    real = ml.tar_bytes([ml.Entry("a", data=b"a")])
    lie = "sha256:" + "0" * 64
    layout = ml.write_layout(tmp_path / "i", [ml.ImageSpec([ml.Layer(real, diff_id=lie)])])
    with pytest.raises(IntegrityError, match="diff_id"):
        _scan(layout, cache=cache)
    assert cache.stats.writes == 0


def test_hostile_layers_are_reported_not_fatal(ml: ModuleType, tmp_path: Path) -> None:
    tars = ml.hostile_layers()
    layers = [
        ml.Layer(tars[k])
        for k in (
            "traversal",
            "absolute",
            "symlink-escape",
            "devices",
            "duplicates",
            "hardlink-escape",
        )
    ]
    scan = _scan(ml.write_layout(tmp_path / "i", [ml.ImageSpec(layers)]))
    codes = {f.code for f in scan.findings}
    assert {
        "sbom.layer.unsafe-path",
        "sbom.layer.absolute-path",
        "sbom.layer.duplicate",
        "sbom.layer.unsafe-link",
    } <= codes


@pytest.mark.parametrize(
    ("layer_kind", "error"),
    [
        ("gzip-bomb", LimitExceededError),
        ("pax-huge-path", LimitExceededError),
        ("wrong-magic", InvalidInputError),
    ],
)
def test_fatal_layers_abort(
    ml: ModuleType, tmp_path: Path, layer_kind: str, error: type[Exception]
) -> None:
    if layer_kind == "gzip-bomb":
        bomb = ml.gzip_bomb(total=1024 * MiB)
        layer = ml.Layer(b"", blob=bomb, diff_id="sha256:" + "1" * 64)
    elif layer_kind == "wrong-magic":
        tar = ml.tar_bytes([ml.Entry("a")])
        layer = ml.Layer(tar, "gzip", blob=ml.zstd_bytes(tar))
    else:
        layer = ml.Layer(ml.hostile_layers()[layer_kind])
    layout = ml.write_layout(tmp_path / "i", [ml.ImageSpec([layer])])
    with pytest.raises(error):
        _scan(layout, limits=LayerLimits(ratio_grace=16 * MiB))


@pytest.fixture(scope="module")
def go_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rootfs with a real Go binary (stdlib only, offline) and a non-Go ELF beside it."""
    import os
    import shutil
    import subprocess

    from tests.conftest import require_binary

    go = require_binary("go")
    src = tmp_path_factory.mktemp("gosrc")
    (src / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (src / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(1) }\n')
    root = tmp_path_factory.mktemp("gotree")
    (root / "usr/local/bin").mkdir(parents=True)
    env = {**os.environ, "GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    subprocess.run(
        [go, "build", "-buildvcs=false", "-o", str(root / "usr/local/bin/hello"), "."],
        cwd=src,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    shutil.copy(os.path.realpath("/bin/true"), root / "usr/local/bin/not-go")
    return root


@pytest.mark.parametrize("in_memory", [1024 * 1024 * 64, 1024])
def test_go_binary_in_a_layer(
    go_tree: Path, ml: ModuleType, tmp_path: Path, in_memory: int
) -> None:
    """Captured by magic + build-info marker, in memory or spooled; the C binary is not."""
    layout = ml.write_layout(tmp_path / "i", [ml.ImageSpec([ml.Layer(ml.tar_of_tree(go_tree))])])
    scan = _scan(layout, limits=LayerLimits(in_memory=in_memory))
    expected = _purls(sbom_for_directory(str(go_tree), created=CREATED))
    assert any(p.startswith("pkg:golang/stdlib@") for p in expected)
    assert _purls(scan.sbom) == expected
    assert not [f for f in scan.findings if "not-go" in f.subject]


def test_legacy_docker_archive_has_no_root_digest() -> None:
    archive = Path(__file__).resolve().parents[3] / "testdata/images/sample-docker.tar"
    with open_image_source(f"docker-archive:{archive}") as source:
        scan = sbom_from_image(source, created=CREATED)
    root = scan.sbom.package(scan.sbom.root)
    assert root.checksums == () and root.purl is None
    assert "supplychain:image:config-digest" in dict(root.properties)
    assert "sbom.no-manifest-digest" in {f.code for f in scan.findings}
    assert any(p.kind == "deb" for p in scan.sbom.packages)


def _stanza(name: str, version: str) -> bytes:
    return (
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
        f"Version: {version}\nMaintainer: Debian <debian@example.org>\nDescription: {name}\n\n"
    ).encode()


def test_os_packages_belong_to_the_layer_that_installed_them(
    ml: ModuleType, tmp_path: Path
) -> None:
    """SBOM.md §B.3: a rewritten dpkg status keeps old packages on the layer they came from."""
    import hashlib

    os_release = ml.Entry("etc/os-release", data=b'ID=debian\nVERSION_ID="12"\n')
    base = ml.tar_bytes(
        [
            os_release,
            ml.Entry("var/lib/dpkg/status", data=_stanza("tzdata", "1") + _stanza("zlib1g", "1")),
        ]
    )
    app = ml.tar_bytes(
        [
            ml.Entry(
                "var/lib/dpkg/status",
                data=_stanza("tzdata", "1") + _stanza("zlib1g", "2") + _stanza("curl", "7"),
            )
        ]
    )
    unrelated = ml.tar_bytes([ml.Entry("srv/app.txt", data=b"x")])
    layout = ml.write_layout(
        tmp_path / "i", [ml.ImageSpec([ml.Layer(base), ml.Layer(app), ml.Layer(unrelated)])]
    )
    sbom = _scan(layout).sbom
    ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in (base, app)]
    assert _layer_of(sbom, "tzdata") == {f"0:{ids[0]}"}
    assert _layer_of(sbom, "zlib1g") == {f"1:{ids[1]}"}  # upgraded in layer 1
    assert _layer_of(sbom, "curl") == {f"1:{ids[1]}"}
