"""Python cataloger on real dist-info / egg-info metadata."""

from __future__ import annotations

from pathlib import Path

from supplychain.catalog.fileview import DirView
from supplychain.catalog.python import PythonCataloger
from tests.catalog.helpers import by_name, edges


def test_dist_info_and_egg_info(trees: dict[str, Path]) -> None:
    result = PythonCataloger().catalog(DirView(trees["debian"]))
    assert sorted(p.purl or "" for p in result.packages) == [
        "pkg:pypi/certifi@2023.7.22",
        "pkg:pypi/charset-normalizer@3.3.2",
        "pkg:pypi/idna@3.4",
        "pkg:pypi/requests@2.31.0",
        "pkg:pypi/six@1.16.0",
        "pkg:pypi/urllib3@2.0.7",
    ]


def test_requires_dist_edges_skip_extras(trees: dict[str, Path]) -> None:
    got = edges(PythonCataloger().catalog(DirView(trees["debian"])))
    assert {t for s, t in got if s == "requests"} == {
        "certifi",
        "charset-normalizer",
        "idna",
        "urllib3",
    }
    assert ("urllib3", "NONE") in got  # only extra-gated requirements


def test_licence_precedence(trees: dict[str, Path]) -> None:
    result = PythonCataloger().catalog(DirView(trees["debian"]))
    requests = by_name(result, "requests")
    assert requests.license_declared == "Apache-2.0"  # License: Apache 2.0
    # Normalisation changed the text: what the metadata said is kept as an annotation.
    assert ("supplychain:license:declared-raw", "Apache 2.0") in requests.properties
    certifi = dict(by_name(result, "certifi").properties)
    assert "supplychain:license:declared-raw" not in certifi  # MPL-2.0 unchanged
    assert by_name(result, "urllib3").license_declared == "MIT"  # classifier only
    assert by_name(result, "idna").license_declared is None  # "BSD License": which BSD?
    assert by_name(result, "certifi").license_declared == "MPL-2.0"


def test_supplier_and_pep610(trees: dict[str, Path]) -> None:
    result = PythonCataloger().catalog(DirView(trees["debian"]))
    assert by_name(result, "requests").supplier == "Person: Kenneth Reitz (me@kennethreitz.org)"
    assert by_name(result, "idna").supplier == "Person: Kim Davies (kim@cynosure.com.au)"
    # Maintainer beats Author; two addresses → name only.
    assert by_name(result, "urllib3").supplier == "Person: Seth Michael Larson"
    assert by_name(result, "urllib3").download_location == (
        "git+https://github.com/urllib3/urllib3@56f01e088dc006c03d4ee6ea9da4ab810f1ed700"
    )
    assert by_name(result, "requests").download_location is None


def test_name_normalisation_in_purl(tmp_path: Path) -> None:
    dist = tmp_path / "lib/python3.12/site-packages/Zope.Interface-6.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: zope.interface\nVersion: 6.0\n")
    other = tmp_path / "lib/python3.12/site-packages/Typing_Extensions-4.9.0.dist-info"
    other.mkdir(parents=True)
    (other / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: Typing_Extensions\nVersion: 4.9.0\n"
    )
    result = PythonCataloger().catalog(DirView(tmp_path))
    assert sorted(p.purl or "" for p in result.packages) == [
        "pkg:pypi/typing-extensions@4.9.0",
        "pkg:pypi/zope.interface@6.0",
    ]


def test_metadata_without_name_is_a_finding(tmp_path: Path) -> None:
    dist = tmp_path / "site-packages/x-1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_bytes(b"Metadata-Version: 2.1\nVersion: 1\n\xff\xfe")
    result = PythonCataloger().catalog(DirView(tmp_path))
    assert result.packages == []
    assert [f.code for f in result.findings] == ["sbom.bad-metadata"]
