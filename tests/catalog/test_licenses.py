"""Declared licence normalisation: SPDX ids where known, LicenseRef- otherwise, never guesses."""

from __future__ import annotations

import pytest

from supplychain.catalog.licenses import from_classifiers, from_dep5, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("Expat", "MIT"),
        ("GPL-2+", "GPL-2.0-or-later"),
        ("GPL-2.0", "GPL-2.0-only"),
        ("BSD-3-clause", "BSD-3-Clause"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("GPLv3+", "GPL-3.0-or-later"),
        ("ASL 2.0 and MIT", "Apache-2.0 AND MIT"),
        ("Apache License 2.0", "Apache-2.0"),
        ("GPL-2+ or Artistic", "GPL-2.0-or-later OR Artistic-1.0-Perl"),
        ("(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause"),
        (
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
        ),
    ],
)
def test_known_names(raw: str, expected: str) -> None:
    result = normalize(raw)
    assert result is not None
    assert result.expression == expected
    assert result.extracted == ()
    assert result.raw == raw


def test_unknown_name_becomes_licenseref_with_text() -> None:
    result = normalize("MIT and BSD")
    assert result is not None
    ref = result.expression.split(" AND ")[1]
    assert result.expression.startswith("MIT AND LicenseRef-BSD-")
    assert [(e.license_id, e.text) for e in result.extracted] == [(ref, "BSD")]


@pytest.mark.parametrize("raw", ["Dual BSD/GPL", "MIT OR", "((", "GPL-2+ with some exception"])
def test_unparseable_whole_text_is_one_licenseref(raw: str) -> None:
    result = normalize(raw)
    assert result is not None
    assert result.expression.startswith("LicenseRef-")
    assert " " not in result.expression
    assert result.extracted[0].text == raw


@pytest.mark.parametrize("raw", [None, "", "  ", "UNKNOWN", "NOASSERTION"])
def test_nothing_said(raw: str | None) -> None:
    assert normalize(raw) is None


def test_same_raw_same_ref() -> None:
    a, b = normalize("public-domain"), normalize("public-domain")
    assert a is not None and b is not None and a.expression == b.expression


def test_classifiers() -> None:
    got = from_classifiers(
        [
            "License :: OSI Approved :: MIT License",
            "License :: OSI Approved :: Apache Software License",
            "Programming Language :: Python",
        ]
    )
    assert got is not None and got.expression == "Apache-2.0 AND MIT"
    assert from_classifiers(["License :: OSI Approved :: BSD License"]) is None


def test_dep5_free_text_is_nothing() -> None:
    assert from_dep5("This is Debian's prepackaged version of bash.\nGPL.\n") is None


def test_dep5_conjunction_of_files_paragraphs() -> None:
    text = (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nCopyright: x\nLicense: GPL-2+\n\n"
        "Files: lib/*\nCopyright: y\nLicense: LGPL-2.1+\n\n"
        "License: GPL-2+\n text\n"
    )
    got = from_dep5(text)
    assert got is not None and got.expression == "GPL-2.0-or-later AND LGPL-2.1-or-later"
