"""Uploads, mounts and paginated listings against the real registry."""

from __future__ import annotations

import os

import pytest

from supplychain.errors import IntegrityError, LimitExceededError
from supplychain.model import Digest
from supplychain.oci.auth import Anonymous
from supplychain.oci.limits import Limits
from supplychain.oci.registry import RegistryClient, next_link
from tests.fixtures.registry import RegistryServer, push_tiny_image

pytestmark = pytest.mark.registry


@pytest.fixture
def client(registry: RegistryServer) -> RegistryClient:
    return RegistryClient(registry.host, credentials=Anonymous())


def test_chunked_upload(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("chunked")
    data = os.urandom(300_000)
    digest = Digest.of(data)
    # Odd input chunk sizes are re-cut into 64 KiB PATCHes (5 of them).
    pieces = (data[i : i + 7_777] for i in range(0, len(data), 7_777))
    desc = client.push_blob_chunks(repo, pieces, digest, len(data), chunk_size=64 * 1024)
    assert desc.size == len(data)
    assert client.blob_exists(repo, digest) == len(data)
    assert client.read_blob(repo, desc, cap=1 << 20) == data


def test_chunked_upload_wrong_digest_never_commits(
    client: RegistryClient, registry: RegistryServer
) -> None:
    repo = registry.repo("chunked-bad")
    data = os.urandom(10_000)
    claimed = Digest.of(b"something else")
    with pytest.raises(IntegrityError):
        client.push_blob_chunks(repo, [data], claimed, len(data), chunk_size=4096)
    assert client.blob_exists(repo, claimed) is None


def test_monolithic_upload_refuses_wrong_digest(client: RegistryClient) -> None:
    with pytest.raises(IntegrityError):
        client.push_blob("a/b", b"data", digest=Digest.of(b"other"))


def test_cross_repo_mount(client: RegistryClient, registry: RegistryServer) -> None:
    source = registry.repo("mount-src")
    target = registry.repo("mount-dst")
    desc = client.push_blob(source, b"mount me " * 100)
    assert client.blob_exists(target, desc.digest) is None
    assert client.mount_blob(target, desc.digest, source) is True
    assert client.blob_exists(target, desc.digest) == desc.size


def test_mount_of_unknown_blob_falls_back(client: RegistryClient, registry: RegistryServer) -> None:
    target = registry.repo("mount-miss")
    missing = Digest.of(b"never pushed anywhere")
    # The registry opens a normal upload session (202): we cancel it and report False.
    assert client.mount_blob(target, missing, registry.repo("nowhere")) is False
    desc = client.push_blob(target, b"never pushed anywhere")
    assert desc.digest == missing


def test_tag_list(client: RegistryClient, registry: RegistryServer) -> None:
    # distribution 2.8 ignores ?n= on tags/list (one page); Link-following for tags is
    # exercised through the hostile proxy (test_registry_hostile.py).
    repo = registry.repo("tags")
    image = push_tiny_image(client, repo, tag="t00")
    for i in range(1, 7):
        client.put_manifest(repo, image.raw, image.media_type, tag=f"t{i:02d}")
    assert sorted(client.list_tags(repo)) == [f"t{i:02d}" for i in range(7)]


def test_catalog_pagination_over_several_pages(
    client: RegistryClient, registry: RegistryServer
) -> None:
    prefix = registry.repo("cat")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        push_tiny_image(client, name, tag="x", layer_count=1)
    whole = client.catalog()
    # Other tests share this registry: size pages so the listing spans about four of them.
    page_size = max(2, len(whole) // 4 + 1)
    paged = client.catalog(page_size=page_size)  # the registry answers with Link: rel="next"
    assert paged == whole
    assert set(names) <= set(paged)
    assert len(paged) == len(set(paged))


def test_catalog_page_cap(registry: RegistryServer) -> None:
    capped = RegistryClient(registry.host, credentials=Anonymous(), limits=Limits(link_pages=2))
    for i in range(3):
        push_tiny_image(capped, registry.repo(f"capped{i}"), tag="x", layer_count=1)
    with pytest.raises(LimitExceededError):
        capped.catalog(page_size=1)


def test_next_link_parsing() -> None:
    base = "http://127.0.0.1:5000/v2/a/tags/list?n=2"
    assert (
        next_link('</v2/a/tags/list?n=2&last=b>; rel="next"', base)
        == "http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b"
    )
    assert next_link('<https://evil.example/x>; rel="next"', base) == "https://evil.example/x"
    assert next_link('</x>; rel="prev"', base) is None
    assert next_link(None, base) is None
    assert next_link('<javascript:alert(1)>; rel="next"', base) is None
