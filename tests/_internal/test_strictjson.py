from __future__ import annotations

import pytest

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, LimitExceededError


def test_accepts_plain_object() -> None:
    assert strictjson.loads_object(b'{"a": [1, "x", {"b": null}]}') == {"a": [1, "x", {"b": None}]}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "a": 2}',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"\xff\xfe{}",
        b'{"a": "\\ud800"}',
        b"\xef\xbb\xbf{}",
        b"{",
    ],
)
def test_rejects_lenient_forms(raw: bytes) -> None:
    with pytest.raises(InvalidInputError):
        strictjson.loads(raw)


def test_depth_limit() -> None:
    with pytest.raises(LimitExceededError):
        strictjson.loads(b"[" * 10_000 + b"]" * 10_000)
    assert strictjson.loads(b"[" * 10 + b"]" * 10) == [[[[[[[[[[]]]]]]]]]]


def test_brackets_inside_strings_do_not_count() -> None:
    assert strictjson.loads('["' + "[" * 100 + '"]') == ["[" * 100]


def test_size_limit() -> None:
    with pytest.raises(LimitExceededError):
        strictjson.loads(b"[" + b"1," * 100 + b"1]", max_bytes=50)
