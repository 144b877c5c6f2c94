"""`supplychain validate sbom`: exit codes, the three output formats, malformed input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.cli.main import run
from tests.validation.corpus import make_corpus


def sbom(tmp_path: Path, doc: dict[str, object], name: str = "doc.spdx.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def test_good_document_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "sbom", sbom(tmp_path, make_corpus.good())]) == 0
    out = capsys.readouterr().out
    assert "PASS: 0 error(s), 0 warning(s)" in out


def test_findings_exit_1_with_text_grouped_by_rule_and_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sbom(tmp_path, make_corpus.mutated("supplier_noassertion"))
    assert run(["validate", "sbom", path]) == 1
    out = capsys.readouterr().out
    assert "AH-PKG-002 (NTIA (supplier name); SPDX §7.5)" in out
    assert "ERROR   /packages/1/supplier SPDXRef-Package-nginx: " in out
    assert "FAIL: " in out


def test_warning_only_passes_unless_fail_on_warning(tmp_path: Path) -> None:
    path = sbom(tmp_path, make_corpus.mutated("root_no_purpose"))
    assert run(["validate", "sbom", path]) == 0
    assert run(["validate", "sbom", "--fail-on", "warning", path]) == 1


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sbom(tmp_path, make_corpus.mutated("v22"))
    assert run(["validate", "sbom", "--format", "json", path]) == 1
    data = json.loads(capsys.readouterr().out)
    (report,) = data["reports"]
    assert report["profile"] == "artifacthub" and len(report["profile_sha256"]) == 64
    assert report["passed"] is False and report["summary"]["error"] == 1
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors == [
        {
            "rule": "AH-DOC-001",
            "severity": "error",
            "message": "spdxVersion is 'SPDX-2.2', expected 'SPDX-2.3'",
            "path": "/spdxVersion",
            "spdx_id": None,
            "source": "seed; SPDX §6.1",
            "oracle": "own",
        }
    ]


def test_sarif_output_is_valid_sarif_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sbom(tmp_path, make_corpus.mutated("supplier_missing"))
    assert run(["validate", "sbom", "--format", "sarif", path]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    (run_,) = sarif["runs"]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    result = next(r for r in run_["results"] if r["ruleId"] == "AH-PKG-002")
    assert rules[result["ruleIndex"]] == "AH-PKG-002"
    assert result["level"] == "error"
    assert result["locations"][0]["logicalLocations"][0]["name"] == make_corpus.DEP
    assert result["properties"]["jsonPointer"] == "/packages/1"


def test_profile_by_path_and_bad_profile_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sbom(tmp_path, make_corpus.mutated("supplier_noassertion"))
    relaxed = tmp_path / "relaxed.yaml"
    relaxed.write_text(
        "extends: artifacthub\nrules:\n  AH-PKG-002: warning\n  AH-NTIA-001: off\n"
        "  AH-NTIA-002: off\n"
    )
    assert run(["validate", "sbom", "--profile", str(relaxed), path]) == 0
    relaxed.write_text("rules:\n  AH-XYZ-001: error\n")
    capsys.readouterr()
    assert run(["validate", "sbom", "--profile", str(relaxed), path]) == 2
    err = capsys.readouterr().err
    assert "unknown rule id" in err and "Traceback" not in err
    assert run(["validate", "sbom", "--profile", "nosuch", path]) == 2


def test_artifact_cross_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "name: mychart\nversion: 1.2.3\nannotations:\n  artifacthub.io/license: MIT\n"
    )
    path = sbom(tmp_path, make_corpus.good())
    assert run(["validate", "sbom", "--artifact", str(chart), path]) == 1
    assert "differs from artifacthub.io/license 'MIT'" in capsys.readouterr().out


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The one ERROR line (AH-FMT-001), prefixed by the report header naming the file."""
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    lines = [line for line in out.out.splitlines() if line.strip().startswith("ERROR")]
    assert len(lines) == 1, out.out
    assert "AH-FMT-001" in out.out
    return out.out.splitlines()[0] + " | " + lines[0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not json", "not valid JSON"),
        (b"", "empty file"),
        (b'{"spdxVersion": "SPDX-2.3"} trailing', "not valid JSON"),
        ('{"spdxVersion": "SPDX-2.3"}'.encode("utf-16"), "not UTF-8"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"hello": "world"}', "neither SPDX"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
        (b'{"x": NaN}', "not valid JSON"),
    ],
    ids=["text", "empty", "trailing", "utf16", "array", "not-sbom", "dupkey", "deep", "nan"],
)
def test_malformed_input_is_one_clear_error_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.spdx.json"
    path.write_bytes(content)
    assert run(["validate", "sbom", str(path)]) == 1
    line = _one_error(capsys)
    assert expected in line and str(path) in line


def test_100_mb_file_is_refused_before_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.spdx.json"
    with path.open("wb") as handle:  # sparse: 100 MB on disk costs nothing
        handle.write(b'{"spdxVersion": "')
        handle.truncate(100 * 1024 * 1024)
    assert run(["validate", "sbom", str(path)]) == 1
    assert "over the 67108864-byte limit" in _one_error(capsys)


def test_missing_file_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "sbom", str(tmp_path / "nope.spdx.json")]) == 2
    assert "nope.spdx.json: no such file" in capsys.readouterr().err


def test_tag_value_document_is_read_via_spdx_tools(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.writer.write_anything import write_file

    source = sbom(tmp_path, make_corpus.good())
    target = tmp_path / "doc.spdx"
    write_file(parse_file(source), str(target), validate=False)
    assert run(["validate", "sbom", "--format", "json", str(target)]) == 0
    as_yaml = tmp_path / "doc.spdx.yaml"
    write_file(parse_file(source), str(as_yaml), validate=False)
    assert run(["validate", "sbom", str(as_yaml)]) == 0
    tv_bad = tmp_path / "bad.spdx"
    tv_bad.write_text("SPDXVersion: SPDX-2.3\nthis is not tag value\n")
    assert run(["validate", "sbom", str(tv_bad)]) == 1
    assert "spdx-tools cannot parse it" in capsys.readouterr().out


def test_file_name_suffix_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sbom(tmp_path, make_corpus.good(), name="doc.json")
    assert run(["validate", "sbom", path]) == 0
    assert "WARNING file name 'doc.json' does not end in .spdx.json" in capsys.readouterr().out
    assert run(["validate", "sbom", "--fail-on", "warning", path]) == 1
    assert run(["validate", "sbom", sbom(tmp_path, make_corpus.good())]) == 0
