"""The store's registry port against the real docker-registry (no referrers API: fallback)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from supplychain.errors import InvalidInputError, LimitExceededError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.referrers import fallback_tag
from supplychain.store import media
from supplychain.store.client import RegistryStore
from supplychain.store.referrer import build_bundle_referrer
from tests.fixtures.registry import RegistryServer, push_tiny_image

pytestmark = pytest.mark.registry
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _push_referrer(store: RegistryStore, repo: str, subject: Descriptor, bundle: bytes) -> Digest:
    raw, _ = build_bundle_referrer(subject, bundle, media.SIGN_PREDICATE, CREATED)
    store.put_blob(repo, mt.EMPTY_JSON)
    store.put_blob(repo, bundle)
    digest = Digest.of(raw)
    store.put_manifest(repo, str(digest), raw, mt.OCI_MANIFEST)
    return digest


def test_referrer_push_maintains_the_fallback_index(
    registry: RegistryServer, store: RegistryStore
) -> None:
    repo = registry.repo("store")
    image = push_tiny_image(store.client, repo)
    subject = Descriptor(image.media_type, Digest.parse(image.digest), len(image.raw))
    assert store.referrers(repo, subject.digest) == []
    first = _push_referrer(store, repo, subject, b'{"one":1}')
    second = _push_referrer(store, repo, subject, b'{"two":2}')
    _push_referrer(store, repo, subject, b'{"one":1}')  # same bytes again: no duplicate
    listed = store.referrers(repo, subject.digest)
    assert [d.digest for d in listed] == [first, second]
    assert all(d.artifact_type == media.BUNDLE_V03 for d in listed)
    assert listed[0].annotations[media.ANN_BUNDLE_PREDICATE_TYPE] == media.SIGN_PREDICATE
    # The registry really has no referrers API: the knowledge is cached after one probe.
    assert store.referrer_index.find(repo, subject.digest).source == "fallback"


def test_fallback_tag_holding_an_image_is_neither_read_nor_overwritten(
    registry: RegistryServer, store: RegistryStore
) -> None:
    repo = registry.repo("store")
    image = push_tiny_image(store.client, repo)
    subject = Descriptor(image.media_type, Digest.parse(image.digest), len(image.raw))
    push_tiny_image(store.client, repo, tag=fallback_tag(subject.digest), seed="squatter")
    assert store.referrers(repo, subject.digest) == []
    with pytest.raises(InvalidInputError, match="not overwritten"):
        _push_referrer(store, repo, subject, b'{"x":1}')


def test_fallback_index_with_10000_entries_is_refused_quickly(
    registry: RegistryServer, store: RegistryStore
) -> None:
    repo = registry.repo("store")
    image = push_tiny_image(store.client, repo)
    entry = {"mediaType": image.media_type, "digest": image.digest, "size": len(image.raw)}
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": [entry] * 10_000}
    raw = json.dumps(index).encode()
    store.client.put_manifest(repo, raw, mt.OCI_INDEX, tag=fallback_tag(Digest.parse(image.digest)))
    with pytest.raises(LimitExceededError, match="10000"):
        store.referrers(repo, Digest.parse(image.digest))
