"""Profiles as data: extends, overrides, and every kind of mistake is a PolicyError (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.errors import ExitCode, PolicyError
from supplychain.validation import (
    RunState,
    load_profile,
    profiles,
    validate_document,
    validate_file,
)
from supplychain.validation.findings import Severity
from tests.validation.corpus import make_corpus


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", profiles.BUILTIN)
def test_builtin_profiles_load_and_pass_the_good_document(name: str) -> None:
    profile = load_profile(name)
    assert profile.rules and len(profile.sha256) == 64
    report = validate_document(make_corpus.good(), profile, file_name="x.spdx.json")
    assert not report.failed


def test_ntia_profile_fails_what_ntia_fails() -> None:
    report = validate_document(make_corpus.mutated("supplier_missing"), load_profile("ntia"))
    assert report.rule_ids(Severity.ERROR) == {"AH-NTIA-001"}


def test_extends_overrides_severity_and_params(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "profile: relaxed\nextends: artifacthub\nrules:\n"
        "  AH-PKG-002: {severity: warning}\n"
        "  AH-DOC-003: {params: {no_uuid: error}}\n",
    )
    profile = load_profile(path)
    assert profile.name == "relaxed"
    assert profile.rules["AH-PKG-002"].severity == "warning"
    assert profile.rules["AH-DOC-003"].params["no_uuid"] == "error"
    assert profile.rules["AH-DOC-003"].params["insecure_scheme"] == "warning"  # inherited
    report = validate_document(make_corpus.mutated("supplier_noassertion"), profile)
    assert "AH-PKG-002" not in report.rule_ids(Severity.ERROR)
    assert "AH-PKG-002" in report.rule_ids(Severity.WARNING)
    report = validate_document(make_corpus.mutated("ns_constant"), profile)
    assert report.rule_ids(Severity.ERROR) == {"AH-DOC-003"}


def test_off_disables_a_rule_and_exempt_ids_param_works(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extends: artifacthub\nrules:\n  AH-NTIA-001: 'off'\n  AH-NTIA-002: 'off'\n"
        f"  AH-PKG-002: {{params: {{exempt_spdx_ids: [{make_corpus.DEP}]}}}}\n",
    )
    report = validate_document(make_corpus.mutated("supplier_noassertion"), load_profile(path))
    assert report.rule_ids(Severity.WARNING) == set()


def test_fail_on_warning_tightens(tmp_path: Path) -> None:
    path = write(tmp_path, "extends: artifacthub\nfail_on: warning\n")
    report = validate_document(make_corpus.mutated("root_no_purpose"), load_profile(path))
    assert report.failed
    report = validate_document(make_corpus.mutated("root_no_purpose"), load_profile("artifacthub"))
    assert not report.failed


@pytest.mark.parametrize(
    "text",
    [
        "rules:\n  AH-NOPE-001: {severity: error}\n",
        "rules:\n  AH-DOC-001: {severity: fatal}\n",
        "rules:\n  AH-DOC-001: {sevrity: error}\n",
        "rules:\n  AH-DOC-003: {params: {no_uuids: warning}}\n",
        "rules:\n  AH-DOC-003: {params: {no_uuid: loud}}\n",
        "rules:\n  AH-PKG-002: {params: {exempt_spdx_ids: SPDXRef-x}}\n",
        "rules:\n  AH-FMT-003: {params: {max_packages: '10'}}\n",
        "rules:\n  AH-PKG-006: {params: {require_root_sha256: 1}}\n",
        "rulez: {}\n",
        "params: {license_list_version: 3.27}\n",
        "fail_on: off\n",
        "extends: no-such-profile\n",
        "- a list\n",
        "rules: [AH-DOC-001]\n",
        "key: [unclosed\n",
    ],
)
def test_profile_mistakes_are_policy_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_profile(write(tmp_path, text))
    assert info.value.exit_code == ExitCode.USAGE


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(PolicyError, match="too deep"):
        load_profile(str(tmp_path / "a.yaml"))


def test_unknown_profile_name_and_missing_policies_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(PolicyError, match="unknown profile"):
        load_profile("artifacthubb")
    monkeypatch.setattr(profiles, "__file__", str(tmp_path / "a" / "b" / "profiles.py"))
    with pytest.raises(PolicyError, match="built-in profiles are missing"):
        load_profile("artifacthub")


def test_namespace_shared_by_two_different_documents(tmp_path: Path) -> None:
    """AH-DOC-004: two documents of one run with one namespace and different contents."""
    one, two, same = tmp_path / "a.spdx.json", tmp_path / "b.spdx.json", tmp_path / "c.spdx.json"
    one.write_text(json.dumps(make_corpus.good()))
    two.write_text(json.dumps(make_corpus.mutated("orphan_pkg")))
    same.write_text(json.dumps(make_corpus.good()))
    profile = load_profile("artifacthub")
    state = RunState()
    first = validate_file(one, profile, state=state)
    repeat = validate_file(same, profile, state=state)
    second = validate_file(two, profile, state=state)
    assert "AH-DOC-004" not in first.rule_ids() | repeat.rule_ids()
    assert "AH-DOC-004" in second.rule_ids(Severity.ERROR)


ALIAS_BOMB = """a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def test_yaml_alias_bomb_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_profile(write(tmp_path, ALIAS_BOMB))


def test_max_bytes_cannot_be_raised_past_the_security_cap(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="max_bytes"):
        load_profile(write(tmp_path, "extends: artifacthub\nparams: {max_bytes: 999999999999}\n"))
    lowered = load_profile(write(tmp_path, "extends: artifacthub\nparams: {max_bytes: 1000}\n"))
    doc = tmp_path / "doc.spdx.json"
    doc.write_text(json.dumps(make_corpus.good()))
    report = validate_file(doc, lowered)
    assert [f.rule for f in report.findings] == ["AH-FMT-001"]
    assert "over the 1000-byte limit" in report.findings[0].message
