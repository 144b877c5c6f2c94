"""Round trips against the real registry: manifests, indexes and blobs, OCI and Docker types."""

from __future__ import annotations

import hashlib
import io

import pytest

from supplychain.errors import IntegrityError, LimitExceededError, NotFoundError, UnsupportedError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.auth import Anonymous
from supplychain.oci.manifest import ImageIndex, ImageManifest
from supplychain.oci.reference import ImageRef
from supplychain.oci.registry import RegistryClient
from tests.fixtures.registry import RegistryServer, push_tiny_image, push_tiny_index

pytestmark = pytest.mark.registry


@pytest.fixture
def client(registry: RegistryServer) -> RegistryClient:
    return RegistryClient(registry.host, credentials=Anonymous())


def test_ping(client: RegistryClient) -> None:
    client.ping()
    assert client.base_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("docker", [False, True], ids=["oci", "docker"])
def test_image_round_trip(client: RegistryClient, registry: RegistryServer, docker: bool) -> None:
    repo = registry.repo("roundtrip")
    pushed = push_tiny_image(client, repo, tag="v1", docker=docker)

    by_tag = client.get_manifest(repo, "v1")
    assert by_tag.raw == pushed.raw
    assert str(by_tag.digest) == pushed.digest
    assert by_tag.media_type == pushed.media_type
    assert isinstance(by_tag.manifest, ImageManifest)

    by_digest = client.get_manifest(repo, Digest.parse(pushed.digest))
    assert by_digest.raw == pushed.raw

    # HEAD resolution and GET agree on the digest of the same bytes.
    resolved = client.resolve(repo, "v1")
    assert (
        str(resolved.digest) == pushed.digest == "sha256:" + hashlib.sha256(by_tag.raw).hexdigest()
    )
    assert resolved.size == len(pushed.raw)
    assert resolved.media_type == pushed.media_type

    manifest = by_digest.manifest
    assert isinstance(manifest, ImageManifest)
    assert client.read_blob(repo, manifest.config, cap=1 << 20) == pushed.config
    for layer_desc, layer in zip(manifest.layers, pushed.layers, strict=True):
        with client.open_blob(repo, layer_desc) as stream:
            data = stream.read()
            assert stream.verified
        assert data == layer


@pytest.mark.parametrize("docker", [False, True], ids=["oci-index", "docker-list"])
def test_multi_platform_index(
    client: RegistryClient, registry: RegistryServer, docker: bool
) -> None:
    repo = registry.repo("index")
    index, children = push_tiny_index(client, repo, tag="multi", docker=docker)
    got = client.get_manifest(repo, "multi")
    assert str(got.digest) == index.digest
    assert got.raw == index.raw
    assert isinstance(got.manifest, ImageIndex)
    assert got.media_type == (mt.DOCKER_LIST if docker else mt.OCI_INDEX)
    platforms = {str(p): d for p, d in got.manifest.platforms()}
    assert set(platforms) == {"linux/amd64", "linux/arm64"}
    for child in children:
        arch = "amd64" if child.config.find(b'"amd64"') >= 0 else "arm64"
        desc = platforms[f"linux/{arch}"]
        fetched = client.get_manifest(repo, desc.digest, expected=desc)
        assert fetched.raw == child.raw


def test_blob_stream_is_file_like(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("stream")
    data = bytes(range(256)) * 4000  # ~1 MB, several chunks
    desc = client.push_blob(repo, data)
    with client.open_blob(repo, desc) as stream:
        first = stream.read(10)
        rest = io.BufferedReader(stream).read()  # type: ignore[arg-type]
    assert first + rest == data


def test_blob_digest_mismatch_detected_at_eof(
    client: RegistryClient, registry: RegistryServer
) -> None:
    repo = registry.repo("mismatch")
    real = client.push_blob(repo, b"hello world")
    other = client.push_blob(repo, b"HELLO WORLD")
    # The registry serves `other` faithfully, but our descriptor claims one byte more.
    wrong_size = Descriptor(mt.OCI_LAYER_GZIP, other.digest, other.size + 1)
    with pytest.raises(IntegrityError):
        client.read_blob(repo, wrong_size, cap=1 << 20)
    assert real.digest != other.digest


def test_declared_size_over_cap_fails_before_request(
    client: RegistryClient, registry: RegistryServer
) -> None:
    huge = Descriptor(mt.OCI_LAYER_GZIP, Digest.of(b"x"), 200 * 1024 * 1024)
    with pytest.raises(LimitExceededError):
        client.open_blob(registry.repo("cap"), huge, cap=128 * 1024 * 1024)


def test_manifest_expected_size_is_checked(
    client: RegistryClient, registry: RegistryServer
) -> None:
    repo = registry.repo("size")
    pushed = push_tiny_image(client, repo, tag="v1")
    wrong = Descriptor(mt.OCI_MANIFEST, Digest.parse(pushed.digest), len(pushed.raw) - 1)
    with pytest.raises(IntegrityError):
        client.get_manifest(repo, wrong.digest, expected=wrong)


def test_missing_manifest_and_blob(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("missing")
    push_tiny_image(client, repo, tag="v1")
    with pytest.raises(NotFoundError):
        client.get_manifest(repo, "nope")
    with pytest.raises(NotFoundError):
        client.resolve(repo, "nope")
    with pytest.raises(NotFoundError):
        client.read_blob(repo, Descriptor(mt.OCI_CONFIG, Digest.of(b"absent"), 6), cap=100)
    assert client.blob_exists(repo, Digest.of(b"absent")) is None


def test_schema1_is_refused_on_push_and_parse(client: RegistryClient) -> None:
    from supplychain.oci.manifest import parse_manifest

    with pytest.raises(UnsupportedError):
        parse_manifest(b'{"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": []}')


def test_delete_manifest(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("delete")
    pushed = push_tiny_image(client, repo, tag="v1")
    client.delete_manifest(repo, Digest.parse(pushed.digest))
    with pytest.raises(NotFoundError):
        client.get_manifest(repo, Digest.parse(pushed.digest))


def test_for_ref_uses_api_host() -> None:
    client = RegistryClient.for_ref(ImageRef.parse("nginx"), credentials=Anonymous())
    assert client.base_url == "https://registry-1.docker.io"
    local = RegistryClient.for_ref(ImageRef.parse("localhost:5000/a"), credentials=Anonymous())
    assert local.base_url == "http://localhost:5000"


def test_nt_e6_tag_moved_after_resolve(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("moving")
    first = push_tiny_image(client, repo, tag="v1", seed="first")
    resolved = client.resolve(repo, "v1")
    push_tiny_image(client, repo, tag="v1", seed="second")  # the tag moves
    # Everything after resolution is by digest: we still get the bytes we resolved.
    got = client.get_manifest(repo, resolved.digest, expected=resolved)
    assert got.raw == first.raw
    assert str(got.digest) == first.digest != str(client.resolve(repo, "v1").digest)


def test_insecure_flag_allows_plain_http_to_a_named_host() -> None:
    client = RegistryClient("reg.internal:5000", credentials=Anonymous(), insecure=True)
    assert client.base_url == "http://reg.internal:5000"
    assert client.http.plain_http_allowed("reg.internal", 5000)
    secure = RegistryClient("reg.internal:5000", credentials=Anonymous())
    assert secure.base_url == "https://reg.internal:5000"
    assert not secure.http.plain_http_allowed("reg.internal", 5000)


def test_invalid_repository_names_are_usage_errors(client: RegistryClient) -> None:
    from supplychain.errors import UsageError

    for bad in ("", "../etc", "a/../b", "UPPER/case", "a//b", "/abs"):
        with pytest.raises(UsageError):
            client.get_manifest(bad, "v1")
