"""Registry sources and copy.py against the real registry (and the lying proxy in front of it)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from supplychain.errors import IntegrityError, NetworkError, NotFoundError, UsageError
from supplychain.events import ListSink
from supplychain.model import Digest, Platform
from supplychain.oci import mediatypes as mt
from supplychain.oci.auth import Anonymous
from supplychain.oci.copy import copy_image, copy_to_reference
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.manifest import ImageManifest
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.reference import ImageRef
from supplychain.oci.registry import RegistryClient
from supplychain.oci.remote import RemoteSource, open_remote
from supplychain.oci.source import SourceKind, open_image_source, parse_source_text
from tests.fixtures.hostile import HostileProxy
from tests.fixtures.registry import RegistryServer, free_port, push_tiny_image
from tests.oci.sources_util import SAMPLE_DOCKER, SAMPLE_OCI

pytestmark = pytest.mark.registry

ALL = PlatformSelection.all()


@pytest.fixture
def client(registry: RegistryServer) -> RegistryClient:
    return RegistryClient(registry.host, credentials=Anonymous())


def _remote(
    host: str, repo: str, reference: str = ":latest", limits: Limits = DEFAULT_LIMITS
) -> RemoteSource:
    spec = parse_source_text(f"{host}/{repo}{reference}")
    return open_remote(spec, credentials=Anonymous(), limits=limits)


def _layer_bytes(source: RemoteSource) -> dict[Digest, bytes]:
    out = {}
    for image in source.images(ALL):
        for layer in image.layers:
            with source.open_layer(layer) as stream:
                out[layer.digest] = stream.read()
            assert stream.verified
    return out


def test_copy_layout_keeps_digest_and_reads_back(
    client: RegistryClient, registry: RegistryServer
) -> None:
    repo = registry.repo("sample")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        sink = ListSink()
        result = copy_image(layout, client, repo, tag="latest", sink=sink)
        assert result.digest == layout.digest
        assert result.manifests == 3  # index + 2 platform manifests
        assert result.blobs_uploaded == 6  # 2 configs + 2 shared layers + 1 own layer each
        local_images = layout.images(ALL)
    with _remote(registry.host, repo) as remote:
        assert remote.kind is SourceKind.REGISTRY
        # HEAD resolved the tag; the bytes fetched by digest hash to that same digest.
        assert remote.digest == result.digest == Digest.of(remote.top.raw)
        assert remote.media_type == mt.OCI_INDEX
        assert remote.platforms() == [Platform("linux", "amd64"), Platform("linux", "arm64", "v8")]
        images = remote.images(ALL)
        assert [i.digest for i in images] == [i.digest for i in local_images]
        for layer_digest, data in _layer_bytes(remote).items():
            assert hashlib.sha256(data).hexdigest() == layer_digest.hex
        (image,) = remote.images(PlatformSelection.parse(["linux/amd64"]))
        for layer in image.layers:
            with remote.open_layer(layer) as stream:
                assert hashlib.sha256(gzip.decompress(stream.read())).hexdigest() == (
                    layer.diff_id.hex
                )
        assert remote.pinned() == f"{registry.host}/{repo}@{result.digest}"
    # by digest, too
    with _remote(registry.host, repo, f"@{result.digest}") as remote:
        assert remote.digest == result.digest and remote.tag is None


def test_copy_again_skips_blobs(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("again")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        first = copy_image(layout, client, repo, tag="v1")
        second = copy_image(layout, client, repo, tag="v2")
    assert first.digest == second.digest
    assert second.blobs_uploaded == 0 and second.blobs_skipped == first.blobs_uploaded


def test_copy_one_platform_and_docker_archive(
    client: RegistryClient, registry: RegistryServer
) -> None:
    repo = registry.repo("single")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        (arm,) = layout.images(PlatformSelection.parse(["linux/arm64"]))
        result = copy_image(
            layout, client, repo, tag="arm", platforms=PlatformSelection.parse(["linux/arm64"])
        )
    assert result.digest == arm.digest
    with _remote(registry.host, repo, ":arm") as remote:
        assert isinstance(remote.top, ImageManifest)
        assert remote.platforms() == [Platform("linux", "arm64", "v8")]
    with open_image_source(f"docker-archive:{SAMPLE_DOCKER}") as archive:
        (image,) = archive.images(ALL)
        result = copy_image(archive, client, repo, tag="docker")
        assert result.digest == image.manifest.digest  # the synthesised manifest
    with _remote(registry.host, repo, ":docker") as remote:
        assert remote.media_type == mt.DOCKER_MANIFEST
        for layer_digest, data in _layer_bytes(remote).items():
            assert hashlib.sha256(data).hexdigest() == layer_digest.hex  # == diff_id


def test_copy_between_repositories_mounts(client: RegistryClient, registry: RegistryServer) -> None:
    first, second = registry.repo("mount-from"), registry.repo("mount-to")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        copy_image(layout, client, first, tag="latest")
    with _remote(registry.host, first) as remote:
        result = copy_image(remote, client, second, tag="latest")
    assert result.blobs_mounted == 6 and result.blobs_uploaded == 0
    with _remote(registry.host, second) as remote:
        assert remote.digest == result.digest
        _layer_bytes(remote)


def test_copy_to_reference_refuses_digest_destination(registry: RegistryServer) -> None:
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout, pytest.raises(UsageError):
        copy_to_reference(layout, f"{registry.host}/x@sha256:{'a' * 64}")


def test_copy_from_corrupt_layout_pushes_nothing(
    tmp_path: Path, client: RegistryClient, registry: RegistryServer
) -> None:
    target = tmp_path / "corrupt"
    shutil.copytree(SAMPLE_OCI, target)
    with open_image_source(f"oci:{target}") as layout:
        (image,) = layout.images(PlatformSelection.parse(["linux/amd64"]))
        path = target / "blobs" / "sha256" / image.layers[0].digest.hex
        data = bytearray(path.read_bytes())
        data[30] ^= 0x10
        path.write_bytes(bytes(data))
        repo = registry.repo("corrupt")
        with pytest.raises(IntegrityError):
            copy_image(layout, client, repo, tag="latest")
    with pytest.raises(NotFoundError):
        client.get_manifest(repo, "latest")


def test_tag_moved_after_resolve_changes_nothing(
    client: RegistryClient, registry: RegistryServer
) -> None:
    # NT-E6: the tag is resolved once; later reads are by digest.
    repo = registry.repo("moving")
    first = push_tiny_image(client, repo, tag="latest", seed="first")
    with _remote(registry.host, repo) as remote:
        push_tiny_image(client, repo, tag="latest", seed="second")
        assert str(remote.digest) == first.digest
        (image,) = remote.images(ALL)
        assert image.config.raw == first.config
        assert remote.pinned().endswith(f"@{first.digest}")


def test_registry_down() -> None:
    port = free_port()
    fast = Limits(backoff_initial=0.01, backoff_max=0.02)
    with pytest.raises(NetworkError):
        _remote(f"127.0.0.1:{port}", "nothing", limits=fast)


def test_missing_tag(registry: RegistryServer) -> None:
    with pytest.raises(NotFoundError):
        _remote(registry.host, registry.repo("empty"), ":nope")


def test_lying_registry_blob_is_rejected(
    client: RegistryClient, registry: RegistryServer, hostile: HostileProxy
) -> None:
    repo = registry.repo("lying")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        copy_image(layout, client, repo, tag="latest")
    with _remote(hostile.host, repo) as remote:
        (image,) = remote.images(PlatformSelection.parse(["linux/amd64"]))
        hostile.add("corrupt_body", path=r"/blobs/sha256:", times=1)
        with pytest.raises(IntegrityError), remote.open_layer(image.layers[0]) as stream:
            stream.read()


def test_lying_registry_manifest_is_rejected(
    client: RegistryClient, registry: RegistryServer, hostile: HostileProxy
) -> None:
    repo = registry.repo("lying-manifest")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        result = copy_image(layout, client, repo, tag="latest")
    hostile.add("corrupt_body", path=r"/manifests/sha256:", method="GET")
    with pytest.raises(IntegrityError):
        _remote(hostile.host, repo)
    assert ImageRef.parse(f"{hostile.host}/{repo}@{result.digest}").digest == result.digest


def test_registry_layers_are_hashed_once(
    client: RegistryClient, registry: RegistryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The source hands over the client's verified stream: one hasher per blob, not two."""
    repo = registry.repo("hashonce")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        copy_image(layout, client, repo, tag="latest")
    with _remote(registry.host, repo) as remote:
        (image,) = remote.images(PlatformSelection.parse(["linux/amd64"]))
        hashers: list[object] = []
        real_hasher = Digest.hasher

        def counting(self: Digest) -> object:
            hashers.append(self)
            return real_hasher(self)

        monkeypatch.setattr(Digest, "hasher", counting)
        for layer in image.layers:
            with remote.open_layer(layer) as stream:
                stream.read()
            assert stream.verified
    assert hashers == [layer.digest for layer in image.layers]


def test_registry_layer_left_early_is_drained_and_refused(
    client: RegistryClient, registry: RegistryServer, hostile: HostileProxy
) -> None:
    """Leaving the ``with`` block after one byte still checks the rest (NT-E3)."""
    repo = registry.repo("early")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        copy_image(layout, client, repo, tag="latest")
    with _remote(hostile.host, repo) as remote:
        (image,) = remote.images(PlatformSelection.parse(["linux/amd64"]))
        hostile.add("corrupt_body", path=r"/blobs/sha256:", times=1)
        with (
            pytest.raises(IntegrityError, match="does not match"),
            remote.open_layer(image.layers[0]) as stream,
        ):
            assert len(stream.read(1)) == 1
        assert not stream.verified
        # The fault was one-shot: the same layer read again verifies.
        with remote.open_layer(image.layers[0]) as again:
            again.read()
        assert again.verified
