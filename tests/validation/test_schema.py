"""The fast schema path (fastjsonschema) and the complete one (jsonschema 2019-09) agree."""

from __future__ import annotations

import pytest

from supplychain.validation.schema import _full_validator, is_valid, spdx_schema
from tests.validation.corpus import make_corpus

CASES = ["good", *sorted(make_corpus.MUTATIONS)]


@pytest.mark.parametrize("name", CASES)
def test_fast_and_full_validators_agree(name: str) -> None:
    doc = make_corpus.good() if name == "good" else make_corpus.mutated(name)
    full_ok = not list(_full_validator().iter_errors(doc))
    assert is_valid(doc) is full_ok
    expected_fail = name != "good" and "AH-FMT-002" in make_corpus.MUTATIONS[name][1]
    assert full_ok is not expected_fail


def test_vendored_schema_is_the_spdx_23_schema() -> None:
    schema = spdx_schema()
    assert schema["$id"] == "http://spdx.org/rdf/terms/2.3"
    assert schema["additionalProperties"] is False
    package = schema["properties"]["packages"]["items"]
    assert package["required"] == ["SPDXID", "downloadLocation", "name"]
    assert "OPERATING_SYSTEM" in package["properties"]["primaryPackagePurpose"]["enum"]
