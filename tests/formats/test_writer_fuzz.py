"""Any text a package's metadata can carry still gives valid, deterministic documents."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain.formats.cyclonedx import write_cyclonedx
from supplychain.formats.spdx import write_spdx
from tests.formats.sample import image_sbom
from tests.formats.test_writers import assert_valid_cyclonedx, assert_valid_spdx

text = st.text(min_size=1, max_size=40)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=text, version=text, summary=text, homepage=text, copyright_text=text, value=text)
def test_arbitrary_metadata_text(
    name: str, version: str, summary: str, homepage: str, copyright_text: str, value: str
) -> None:
    sbom = image_sbom()
    packages = tuple(
        dataclasses.replace(
            p,
            name=name,
            version=version,
            summary=summary,
            homepage=homepage,
            copyright_text=copyright_text,
            properties=(("supplychain:location", value),),
        )
        if p.name == "bash"
        else p
        for p in sbom.packages
    )
    fuzzed = dataclasses.replace(sbom, packages=packages)
    spdx = write_spdx(fuzzed)
    assert spdx == write_spdx(fuzzed)
    with tempfile.TemporaryDirectory() as tmp:
        assert_valid_spdx(spdx, Path(tmp))
    assert_valid_cyclonedx(write_cyclonedx(fuzzed))
