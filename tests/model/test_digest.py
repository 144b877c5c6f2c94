from __future__ import annotations

import pytest

from supplychain.errors import InvalidInputError
from supplychain.model import Descriptor, Digest, Platform

GOOD = "sha256:" + "a" * 64


def test_parse_roundtrip() -> None:
    d = Digest.parse(GOOD)
    assert str(d) == GOOD
    assert d.tag_form == "sha256-" + "a" * 64
    assert Digest.of(b"hello").matches(b"hello")
    assert not Digest.of(b"hello").matches(b"hellO")


@pytest.mark.parametrize(
    "text",
    [
        "SHA256:" + "a" * 64,
        "sha256:" + "A" * 64,
        "sha256:" + "a" * 63,
        "sha256:" + "g" * 64,
        "md5:00",
        "a" * 64,
        "",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(InvalidInputError):
        Digest.parse(text)


def test_descriptor_from_json() -> None:
    d = Descriptor.from_json(
        {
            "mediaType": "x",
            "digest": GOOD,
            "size": 3,
            "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
        }
    )
    assert d.size == 3 and str(d.platform) == "linux/arm64/v8"
    assert Descriptor.from_json(d.to_json()) == d
    for bad in (
        {"mediaType": "x", "digest": GOOD, "size": True},
        {"mediaType": "x", "digest": GOOD, "size": -1},
        {"digest": GOOD, "size": 1},
    ):
        with pytest.raises(InvalidInputError):
            Descriptor.from_json(bad)
    assert Platform.parse("linux/amd64") == Platform("linux", "amd64")
