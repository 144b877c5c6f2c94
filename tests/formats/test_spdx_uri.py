"""Our homepage/download-location checks accept nothing spdx-tools would reject (oracle)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from spdx_tools.spdx.validation.uri_validators import validate_download_location, validate_url

from supplychain.formats.spdx_uri import is_download_location, is_url

GOOD = [
    "https://www.gnu.org/software/libc/libc.html",
    "http://example.com",
    "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
    "ftp://ftp.debian.org:21/debian/pool/main/b/bash/",
    "https://github.com/psf/requests?tab=readme#install",
]
VCS = [
    "git+https://github.com/psf/requests@0123456789abcdef",
    "git+ssh://git@github.com/acme/app.git#sub/dir",
    "hg+https://hg.example.org/repo",
]
BAD = [
    "",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "https://example.com/a b",
    "https://example.com/\nX",
    "https://user:secret@example.com/",  # a credential never goes into a document
    "https://localhost/",
    "https://exa_mple.com/",
    "www.example.com",
    "https://example.com:123456/",
]


@pytest.mark.parametrize("value", GOOD)
def test_urls_accepted_by_both(value: str) -> None:
    assert is_url(value) and is_download_location(value)
    assert validate_url(value) == [] and validate_download_location(value) == []


@pytest.mark.parametrize("value", VCS)
def test_vcs_locators_are_download_locations_only(value: str) -> None:
    assert is_download_location(value) and not is_url(value)
    assert validate_download_location(value) == []


@pytest.mark.parametrize("value", BAD)
def test_rejected(value: str) -> None:
    assert not is_url(value) and not is_download_location(value)


_URLISH = st.from_regex(
    r"\A(git\+|hg\+)?(https?|ftp|ssh|git)://([a-z_:.~-]{1,8}@)?"
    r"[a-zA-Z0-9_-]{1,8}([.-][a-zA-Z0-9_.-]{1,8}){0,3}\.[a-zA-Z0-9]{1,6}"
    r"(:[0-9]{1,6})?([/?#][ -~\x80-\xff]{0,20})?\Z"
)

# Mostly well-formed: so that the "we accept" side of the property is exercised often.
_CLEAN = st.from_regex(
    r"\A(git\+)?(https?|ftp)://([a-z]{1,5}@)?[a-z0-9]{1,8}(-[a-z0-9]{1,4})?"
    r"(\.[a-z0-9]{1,8}){0,3}\.[a-zA-Z]{2,6}(:[0-9]{1,6})?(/[!-~]{0,20})?\Z"
)


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(_CLEAN, _URLISH, st.text(max_size=60)))
@example("https://a-.b.com")
@example("https://a..b.com")
@example("https://" + "a." * 120 + "com")
def test_never_more_permissive_than_spdx_tools(value: str) -> None:
    if is_url(value):
        assert validate_url(value) == [], value
    if is_download_location(value):
        assert validate_download_location(value) == [], value
