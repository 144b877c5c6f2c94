"""Fixtures for the store tests: a store on the real registry, keys, tiny images."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from supplychain.oci.reference import ImageRef
from supplychain.oci.registry import RegistryClient
from supplychain.signing import keys
from supplychain.store.authority import KeySigner, KeyVerifier
from supplychain.store.client import RegistryStore
from tests.fixtures.registry import RegistryServer, push_tiny_image

CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass
class Image:
    ref: ImageRef
    digest: str

    @property
    def pinned(self) -> str:
        return f"{self.ref.registry}/{self.ref.repository}@{self.digest}"


@pytest.fixture
def store(registry: RegistryServer) -> Iterator[RegistryStore]:
    client = RegistryClient(registry.host)
    try:
        yield RegistryStore(client)
    finally:
        client.close()


@pytest.fixture(scope="session")
def signing_key() -> keys.PrivateKey:
    return keys.generate()


@pytest.fixture(scope="session")
def other_key() -> keys.PrivateKey:
    return keys.generate()


@pytest.fixture
def signer(signing_key: keys.PrivateKey) -> KeySigner:
    return KeySigner(signing_key)


@pytest.fixture
def verifier(signing_key: keys.PrivateKey) -> KeyVerifier:
    """The key authority with the tlog waived, as a policy for offline key signatures does."""
    return KeyVerifier(signing_key.public_key, require_tlog=False)


def push_image(
    registry: RegistryServer,
    store: RegistryStore,
    *,
    seed: str,
    repo: str | None = None,
    tag: str = "latest",
) -> Image:
    repo = repo or registry.repo("signed")
    pushed = push_tiny_image(store.client, repo, tag=tag, seed=seed, layer_count=1)
    return Image(ImageRef.parse(f"{registry.host}/{repo}:{tag}"), pushed.digest)
