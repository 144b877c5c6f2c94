"""Property tests: no rule ever crashes on a hostile document, and the licence parser accepts
every well-formed Annex D expression built from the list."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.validation import load_profile, validate_document
from supplychain.validation.licenses import check_expression, license_list
from tests.validation.corpus import make_corpus

PROFILE = load_profile("artifacthub")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out.extend(_paths(child, (*prefix, index)))
    return out


GOOD_PATHS = _paths(make_corpus.good())


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(GOOD_PATHS), json_values), min_size=1, max_size=4))
def test_no_rule_crashes_on_mutated_documents(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    doc = make_corpus.good()
    for path, value in edits:
        node: Any = doc
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced a parent
    json.dumps(doc)  # still a JSON document
    report = validate_document(doc, PROFILE)
    crashed = [f.message for f in report.findings if "could not run" in f.message]
    assert crashed == []


LICENSES = sorted(license_list().licenses.values())
EXCEPTIONS = sorted(license_list().exceptions.values())
simple = st.sampled_from(LICENSES) | st.from_regex(
    r"LicenseRef-[A-Za-z0-9.\-]{1,8}", fullmatch=True
)
with_exception = st.tuples(st.sampled_from(LICENSES), st.sampled_from(EXCEPTIONS)).map(
    lambda pair: f"{pair[0]} WITH {pair[1]}"
)
expressions = st.recursive(
    simple | with_exception,
    lambda inner: st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_well_formed_expressions_have_no_syntax_errors(expression: str) -> None:
    assert check_expression(expression).errors == []


@settings(max_examples=200, deadline=None)
@given(expressions, st.sampled_from(["and", "or", "(", ")", "WITH", "AND", ""]))
def test_corrupted_expressions_are_reported_not_crashed(expression: str, junk: str) -> None:
    result = check_expression(f"{expression} {junk}".strip())
    if junk in ("and", "or", "(", ")", "WITH", "AND"):
        assert result.errors


PKG_KEYS = ["version", "name", "displayName", "createdAt", "description", "license", "changes",
            "maintainers", "containersImages", "prerelease", "category", "links"]  # fmt: skip
CHART_KEYS = [f"artifacthub.io/{key}" for key in
              ("images", "changes", "signKey", "links", "prerelease", "license")]  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from(PKG_KEYS), json_values, max_size=6),
    st.dictionaries(st.sampled_from(CHART_KEYS), json_values | st.text(max_size=30), max_size=4),
    st.dictionaries(st.sampled_from(["repositoryID", "owners"]), json_values, max_size=2),
)
def test_no_publish_rule_crashes(
    pkg: dict[str, Any], annotations: dict[str, Any], repo: dict[str, Any]
) -> None:
    from supplychain.validation import validate_target
    from supplychain.validation.publish import PublishTarget, YamlFile

    target = PublishTarget(
        subject="fuzz",
        kind="dir",
        chart=YamlFile("Chart.yaml", {"name": "x", "version": "1", "annotations": annotations}),
        ahpkg=YamlFile("artifacthub-pkg.yml", pkg),
        ahrepo=YamlFile("artifacthub-repo.yml", repo),
    )
    report = validate_target(target, load_profile("artifacthub-publish"))
    assert [f.message for f in report.findings if "could not run" in f.message] == []
