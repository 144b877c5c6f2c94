"""Which homepage and download-location values an SPDX 2.3 document may carry as they are.

Image labels and package metadata are untrusted text; a value that is not a URL (or an SPDX VCS
locator, §7.7) is written as ``NOASSERTION`` instead, so hostile metadata can make a document
less informative but never invalid. These checks are deliberately *narrower* than what spdx-tools
accepts (a test holds them to that with spdx-tools as the oracle): an explicit scheme, a DNS host
name ending in a letters-only TLD, an optional port, a path with no whitespace or control
characters, and never a password in the authority (``user:secret@host`` would leak a credential
into a published SBOM). Our own small grammar rather than spdx-tools' validators: importing those
pulls in beartype and costs ~50 ms of every ``supplychain sbom`` start-up.
"""

from __future__ import annotations

import re

_SCHEMES = "https?|ftp|sftp|ssh|git|svn"
_VCS_TOOLS = "git|hg|svn|bzr"
# DNS labels of letters/digits joined by single '-' or '.', a 2-5 letter TLD; at most 200 chars.
_HOST = r"(?=[a-z0-9.-]{4,200}(?:[:/]|$))[a-z0-9]+(?:[-.][a-z0-9]+)*\.[a-z]{2,5}"
_USER = r"(?:[a-z0-9_.~-]+@)?"  # a user name is fine (git@…); a password never is
_PORT = r"(?::[0-9]{1,5})?"
_PATH = r"(?:/[^\s\x00-\x1f\x7f]*)?"
_URL = rf"(?:{_SCHEMES})://{_USER}{_HOST}{_PORT}{_PATH}"

_URL_RE = re.compile(rf"{_URL}\Z", re.IGNORECASE)
_DOWNLOAD_RE = re.compile(rf"(?:(?:{_VCS_TOOLS})\+)?{_URL}\Z", re.IGNORECASE)


def is_url(value: str) -> bool:
    """A homepage we can write as it is (SPDX §7.11)."""
    return _URL_RE.match(value) is not None


def is_download_location(value: str) -> bool:
    """A download location we can write as it is: a URL or ``<vcs>+<url>`` (SPDX §7.7)."""
    return _DOWNLOAD_RE.match(value) is not None
