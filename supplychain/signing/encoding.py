"""Strict base64 and PEM decoding for signatures, keys and bundle fields.

Lenient decoders are a parser-differential risk (SECURITY R7, NT-I7): Python's ``b64decode``
silently drops characters outside the alphabet unless told not to, and a PEM reader that takes
"the first block" lets an attacker append a second one. Here base64 must use the standard
alphabet with padding and round-trip exactly, and a PEM file holds exactly one block with one
of the labels the caller expects.
"""

from __future__ import annotations

import base64
import binascii
import re

from supplychain.errors import InvalidInputError

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END ([A-Z0-9 ]+)-----", re.DOTALL
)
_PEM_BODY_LINE = re.compile(rb"[A-Za-z0-9+/=]*")


def b64decode_strict(text: str | bytes, *, what: str) -> bytes:
    """Decode standard, padded base64; anything else is an InvalidInputError naming ``what``."""
    if isinstance(text, str):
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise InvalidInputError("base64 with non-ASCII characters", subject=what) from exc
    elif isinstance(text, bytes):
        raw = text
    else:
        raise InvalidInputError("expected a base64 string", subject=what)
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInputError(f"invalid base64 ({exc})", subject=what) from exc
    if base64.b64encode(decoded) != raw:
        raise InvalidInputError("non-canonical base64", subject=what)
    return decoded


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def pem_decode_one(data: bytes, *, labels: tuple[str, ...], what: str) -> tuple[str, bytes]:
    """The label and DER bytes of the single PEM block in ``data``.

    Zero or several blocks, an unexpected label, text between BEGIN and END that is not base64,
    or mismatched BEGIN/END labels are all rejected.
    """
    blocks = list(_PEM_BLOCK.finditer(data))
    if not blocks:
        raise InvalidInputError("no PEM block found", subject=what, hint=_expected(labels))
    if len(blocks) > 1 or data.count(b"-----BEGIN ") != 1:
        raise InvalidInputError("more than one PEM block", subject=what, hint=_expected(labels))
    block = blocks[0]
    begin, body, end = block.group(1), block.group(2), block.group(3)
    if begin != end:
        raise InvalidInputError("PEM BEGIN and END labels differ", subject=what)
    label = begin.decode("ascii")
    if label not in labels:
        raise InvalidInputError(
            f"unexpected PEM label {label!r}", subject=what, hint=_expected(labels)
        )
    outside = (data[: block.start()] + data[block.end() :]).strip()
    if outside:
        raise InvalidInputError("text outside the PEM block", subject=what)
    lines = [line.strip() for line in body.splitlines()]
    if any(b":" in line for line in lines):
        raise InvalidInputError("PEM headers are not supported", subject=what)
    joined = b"".join(lines)
    if not all(_PEM_BODY_LINE.fullmatch(line) for line in lines):
        raise InvalidInputError("PEM body is not base64", subject=what)
    return label, b64decode_strict(joined, what=what)


def pem_encode(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        f"-----BEGIN {label}-----\n".encode()
        + b"\n".join(lines)
        + f"\n-----END {label}-----\n".encode()
    )


def _expected(labels: tuple[str, ...]) -> str:
    return "expected " + " or ".join(f"'{label}'" for label in labels)
