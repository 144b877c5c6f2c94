"""Every rule: a passing document and a failing one-field mutation (the corpus generator holds
both, with the expected rule ids), plus the real-world-shaped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.validation import load_profile, validate_document
from supplychain.validation.findings import Severity
from supplychain.validation.rules.base import all_rules
from tests.validation.corpus import make_corpus

PROFILE = load_profile("artifacthub")
# Rules whose failing case needs an artifact, several files or another format: tested in
# test_artifact.py, test_profiles.py (AH-DOC-004) and test_cyclonedx.py / test_oracles.py.
ELSEWHERE = {"AH-XCHK-001", "AH-XCHK-002", "AH-XCHK-003", "AH-DOC-004", "AH-CDX-001",
             "AH-CDX-002", "AH-FMT-003", "AH-FMT-001"}  # fmt: skip
ELSEWHERE |= {f"AHP-PUB-00{i}" for i in range(1, 9)}  # test_publish.py


def ids(doc: dict[str, object]) -> set[str]:
    report = validate_document(doc, PROFILE, file_name="doc.spdx.json")
    return report.rule_ids(Severity.WARNING)


def test_good_document_has_no_error_and_no_warning() -> None:
    report = validate_document(make_corpus.good(), PROFILE, file_name="doc.spdx.json")
    assert report.rule_ids(Severity.WARNING) == set()
    assert not report.failed


@pytest.mark.parametrize("name", sorted(make_corpus.MUTATIONS))
def test_mutation_gives_exactly_the_expected_rules(name: str) -> None:
    expected = make_corpus.MUTATIONS[name][1]
    assert ids(make_corpus.mutated(name)) == expected


@pytest.mark.parametrize("name", sorted(make_corpus.REAL_WORLD))
def test_real_world_shaped_corpus(name: str) -> None:
    make, expected = make_corpus.REAL_WORLD[name]
    assert ids(make()) == expected


def test_every_rule_has_a_failing_mutation() -> None:
    covered = set().union(*(ids_ for _, ids_ in make_corpus.MUTATIONS.values()))
    missing = set(all_rules()) - covered - ELSEWHERE
    assert missing == set()


def test_findings_carry_pointer_spdxid_and_source() -> None:
    report = validate_document(make_corpus.mutated("supplier_noassertion"), PROFILE)
    (finding,) = [f for f in report.findings if f.rule == "AH-PKG-002"]
    assert finding.path == "/packages/1/supplier"
    assert finding.spdx_id == make_corpus.DEP
    assert "NTIA" in finding.source
    assert finding.severity is Severity.ERROR


def test_all_problems_reported_not_just_the_first() -> None:
    doc = make_corpus.mutated("supplier_noassertion")
    make_corpus.MUTATIONS["v22"][0](doc)
    make_corpus.MUTATIONS["lic_lower_op"][0](doc)
    assert {"AH-PKG-002", "AH-DOC-001", "AH-LIC-001"} <= ids(doc)


def test_schema_failure_still_runs_own_rules() -> None:
    doc = make_corpus.mutated("unknown_field")
    make_corpus.MUTATIONS["version_noassertion"][0](doc)
    assert {"AH-FMT-002", "AH-PKG-001"} <= ids(doc)


def test_wrong_types_do_not_crash_rules() -> None:
    doc = make_corpus.good()
    doc["packages"] = [1, "x", {"SPDXID": 5}, {"SPDXID": "SPDXRef-a", "externalRefs": "no"}]
    doc["relationships"] = {"not": "a list"}
    doc["creationInfo"] = []
    report = validate_document(doc, PROFILE)
    assert all("could not run" not in f.message for f in report.findings)
    assert {"AH-FMT-002", "AH-DOC-005", "AH-DOC-006", "AH-REL-001"} <= report.rule_ids()


def test_a_crashing_rule_is_an_error_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from supplychain.validation.rules import base

    def boom(ctx: object, params: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setitem(
        base.REGISTRY, "AH-DOC-001", replace(base.REGISTRY["AH-DOC-001"], body=boom)
    )  # type: ignore[arg-type]
    report = validate_document(make_corpus.good(), PROFILE)
    assert report.failed
    assert any(f.rule == "AH-DOC-001" and "could not run" in f.message for f in report.findings)


def test_committed_corpus_files_match_the_generator(tmp_path: Path) -> None:
    """testdata/validation/corpus/ is the generator's output, byte for byte."""
    committed = Path(make_corpus.__file__).with_name("corpus")
    make_corpus.write(tmp_path)
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated == sorted(p.name for p in committed.iterdir())
    for name in generated:
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(make_corpus.REAL_WORLD))
def test_corpus_files_through_the_cli(name: str) -> None:
    from supplychain.cli.main import run

    path = Path(make_corpus.__file__).with_name("corpus") / f"{name}.spdx.json"
    expected_errors = bool(make_corpus.REAL_WORLD[name][1])
    assert run(["-q", "validate", "sbom", "--format", "json", str(path)]) == int(expected_errors)
