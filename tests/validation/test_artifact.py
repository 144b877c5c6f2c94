"""AH-XCHK-* and the root digest of AH-PKG-006 against chart / artifacthub-pkg.yml metadata."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from supplychain.errors import InvalidInputError, LimitExceededError, UsageError
from supplychain.validation import load_profile, validate_document
from supplychain.validation.artifact import ArtifactFacts
from supplychain.validation.findings import Severity
from supplychain.validation.metadata import facts_for
from tests.validation.corpus import make_corpus

PROFILE = load_profile("artifacthub")
CHART_YAML = """apiVersion: v2
name: mychart
version: 1.2.3
annotations:
  artifacthub.io/license: {license}
"""


def facts(**overrides: object) -> ArtifactFacts:
    values: dict[str, object] = {
        "kind": "chart",
        "subject": "mychart-1.2.3.tgz",
        "name": "mychart",
        "version": "1.2.3",
        "license": "Apache-2.0",
        "license_key": "artifacthub.io/license",
        "sha256": make_corpus.ROOT_SHA256,
        "created": dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc),
    }
    values.update(overrides)
    return ArtifactFacts(**values)  # type: ignore[arg-type]


def findings(
    artifact: ArtifactFacts | None, doc: dict[str, object] | None = None
) -> dict[str, str]:
    report = validate_document(doc or make_corpus.good(), PROFILE, artifact=artifact)
    return {f.rule: f.severity.label for f in report.findings if f.rule.startswith("AH-XCHK")} | {
        f.rule: f.severity.label for f in report.findings if f.rule == "AH-PKG-006"
    }


def test_matching_artifact_passes() -> None:
    assert findings(facts()) == {}


def test_without_artifact_each_xchk_rule_says_not_evaluated_as_info() -> None:
    assert findings(None) == {"AH-XCHK-001": "info", "AH-XCHK-002": "info", "AH-XCHK-003": "info"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"license": "MIT"}, {"AH-XCHK-001": "error"}),
        ({"license": "Apache 2.0"}, {"AH-XCHK-001": "error"}),
        ({"license": "MIT OR Apache-2.0"}, {"AH-XCHK-001": "error"}),  # compound + mismatch
        ({"license": None}, {"AH-XCHK-001": "error"}),
        ({"name": "otherchart"}, {"AH-XCHK-002": "error"}),
        ({"version": "1.2.4"}, {"AH-XCHK-002": "error"}),
        ({"created": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)}, {"AH-XCHK-003": "warning"}),
        ({"sha256": "ab" * 32}, {"AH-PKG-006": "error"}),
    ],
)
def test_one_field_mismatch(overrides: dict[str, object], expected: dict[str, str]) -> None:
    assert findings(facts(**overrides)) == expected


def test_compound_licence_that_matches_is_only_a_warning() -> None:
    doc = make_corpus.good()
    doc["packages"][0]["licenseDeclared"] = "MIT OR Apache-2.0"  # type: ignore[index]
    assert findings(facts(license="MIT OR Apache-2.0"), doc) == {"AH-XCHK-001": "warning"}


def test_licence_comparison_normalises_case_and_spacing() -> None:
    assert findings(facts(license="apache-2.0")) == {}


def test_image_name_is_the_last_path_segment() -> None:
    doc = make_corpus.good()
    doc["packages"][0]["name"] = "ghcr.io/acme/mychart"  # type: ignore[index]
    assert findings(facts(kind="image"), doc) == {}


def _chart_tgz(tmp_path: Path, license_value: str = "Apache-2.0") -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = CHART_YAML.format(license=license_value).encode()
        info = tarfile.TarInfo("mychart/Chart.yaml")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    path = tmp_path / "mychart-1.2.3.tgz"
    path.write_bytes(buffer.getvalue())
    return path


def test_chart_tgz_facts(tmp_path: Path) -> None:
    path = _chart_tgz(tmp_path)
    got = facts_for(str(path))
    assert (got.name, got.version, got.license) == ("mychart", "1.2.3", "Apache-2.0")
    assert got.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_chart_dir_and_ahpkg_facts(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text(CHART_YAML.format(license="MIT"))
    got = facts_for(str(tmp_path))
    assert (got.name, got.license, got.sha256) == ("mychart", "MIT", None)
    pkg = tmp_path / "artifacthub-pkg.yml"
    pkg.write_text(
        "name: tool\nversion: 2.0.0\nlicense: BSD-3-Clause\ncreatedAt: 2025-01-01T00:00:00Z\n"
    )
    got = facts_for(str(pkg))
    assert (got.kind, got.name, got.version, got.license) == (
        "artifacthub-pkg", "tool", "2.0.0", "BSD-3-Clause"
    )  # fmt: skip
    assert got.created == dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def test_hostile_chart_archives(tmp_path: Path) -> None:
    not_gzip = tmp_path / "x.tgz"
    not_gzip.write_bytes(b"not a tarball")
    with pytest.raises(InvalidInputError):
        facts_for(str(not_gzip))
    big = tmp_path / "big.tgz"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    with pytest.raises(LimitExceededError):
        facts_for(str(big))
    with pytest.raises(UsageError):
        facts_for(str(tmp_path / "nothing.txt"))


def test_severity_of_mismatch_is_error() -> None:
    report = validate_document(make_corpus.good(), PROFILE, artifact=facts(version="9"))
    assert report.failed and report.rule_ids(Severity.ERROR) == {"AH-XCHK-002"}


def test_chart_archive_claiming_a_huge_member_is_refused_without_reading_it(
    tmp_path: Path,
) -> None:
    import gzip

    info = tarfile.TarInfo("mychart/templates/huge.bin")
    info.size = 300 * 1024 * 1024  # only the header exists: the check fires before any read
    path = tmp_path / "bomb.tgz"
    path.write_bytes(gzip.compress(info.tobuf() + b"\0" * 1024))
    with pytest.raises(LimitExceededError, match="uncompressed bytes"):
        facts_for(str(path))
