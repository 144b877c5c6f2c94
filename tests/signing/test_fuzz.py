"""NT-I9: hypothesis over the signed-content parsers: our error or a value, never a crash."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.errors import Error
from supplychain.model.digest import Digest
from supplychain.signing import bundle, dsse, intoto, keys, payloads, sign, verify

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "_type",
        "subject",
        "predicateType",
        "predicate",
        "digest",
        "sha256",
        "name",
        "critical",
        "identity",
        "image",
        "type",
        "docker-manifest-digest",
        "docker-reference",
        "optional",
        "mediaType",
        "verificationMaterial",
        "publicKey",
        "hint",
        "tlogEntries",
        "dsseEnvelope",
        "messageSignature",
        "payload",
        "payloadType",
        "signatures",
        "sig",
        "keyid",
    ]
)
SHAPED = st.recursive(
    st.none()
    | st.text(max_size=70)
    | st.integers()
    | st.just("sha256:" + "a" * 64)
    | st.just(intoto.STATEMENT_V1)
    | st.just("a" * 64),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


def _survives(parser: Any, data: bytes) -> None:
    with contextlib.suppress(Error):
        parser(data)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_parsers_on_bytes(data: bytes) -> None:
    for parser in (payloads.parse, intoto.parse, dsse.parse, bundle.parse):
        _survives(parser, data)


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, SHAPED))
def test_parsers_on_json(value: Any) -> None:
    data = json.dumps(value).encode()
    for parser in (payloads.parse, intoto.parse, dsse.parse, bundle.parse):
        _survives(parser, data)


_KEY = keys.generate()
_AUTHORITY = verify.KeyAuthority(_KEY.public_key)
_DIGEST = Digest.of(b"fuzz")
_GOOD = json.loads(sign.sign_digest(_DIGEST, _KEY))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["verificationMaterial", "dsseEnvelope", "mediaType"]), SHAPED),
        max_size=3,
    )
)
def test_verify_mutated_bundle_never_crashes(mutations: list[tuple[str, Any]]) -> None:
    doc = json.loads(json.dumps(_GOOD))
    for key, value in mutations:
        doc[key] = value
    with contextlib.suppress(Error):
        verify.verify_bundle(json.dumps(doc).encode(), _DIGEST, _AUTHORITY, require_tlog=False)
