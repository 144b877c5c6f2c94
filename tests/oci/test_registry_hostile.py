"""A lying registry: every lie ends in the documented error and exit code, fast and bounded.

The proxy (tests/fixtures/hostile.py) sits in front of the real registry and rewrites answers.
Limits are lowered so time bounds are seconds, not minutes; each test measures its own time.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator

import pytest

from supplychain.errors import (
    DeadlineExceededError,
    ExitCode,
    IntegrityError,
    InvalidInputError,
    LimitExceededError,
    NetworkError,
)
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.auth import Anonymous, Credentials, StaticCredentials
from supplychain.oci.limits import Limits
from supplychain.oci.manifest import ImageManifest
from supplychain.oci.registry import RegistryClient
from tests.fixtures.hostile import HostileProxy
from tests.fixtures.registry import PushedImage, RegistryServer, push_tiny_image

pytestmark = [pytest.mark.registry, pytest.mark.timeout(30)]

FAST = Limits(
    connect_timeout=2.0,
    read_timeout=2.0,
    request_deadline=3.0,
    retries=3,
    backoff_initial=0.05,
    backoff_max=0.2,
    retry_after_max=5.0,
)


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(min(seconds, 0.01))


@pytest.fixture
def image(registry: RegistryServer) -> PushedImage:
    honest = RegistryClient(registry.host, credentials=Anonymous())
    return push_tiny_image(honest, registry.repo("hostile"), tag="v1")


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client(hostile: HostileProxy, sleeps: SleepRecorder) -> Iterator[RegistryClient]:
    c = RegistryClient(hostile.host, credentials=Anonymous(), limits=FAST)
    c.http.sleep = sleeps
    yield c
    c.close()


def layer_of(image: PushedImage) -> Descriptor:
    doc = json.loads(image.raw)
    return Descriptor.from_json(doc["layers"][0])


@pytest.fixture
def timer() -> Iterator[list[float]]:
    start = time.monotonic()
    box: list[float] = []
    yield box
    box.append(time.monotonic() - start)


def elapsed_since(start: float) -> float:
    return time.monotonic() - start


# --- class E: bytes that do not match ---------------------------------------------------------


def test_nt_e1_manifest_bytes_do_not_match_digest(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("corrupt_body", path="/manifests/", method="GET")
    with pytest.raises(IntegrityError) as info:
        client.get_manifest(image.repo, Digest.parse(image.digest))
    assert info.value.exit_code == ExitCode.REJECTED
    assert image.digest in info.value.diagnostics()


def test_nt_e2_wrong_docker_content_digest(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("wrong_dcd", path="/manifests/", method="GET")
    with pytest.raises(IntegrityError, match="Docker-Content-Digest"):
        client.get_manifest(image.repo, "v1")


def test_wrong_dcd_on_head_by_digest(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("wrong_dcd", path="/manifests/", method="HEAD")
    with pytest.raises(IntegrityError):
        client.head_manifest(image.repo, Digest.parse(image.digest))


def test_nt_e3_blob_bytes_do_not_match(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("corrupt_body", path="/blobs/")
    with pytest.raises(IntegrityError, match="does not match"):
        client.read_blob(image.repo, layer_of(image), cap=1 << 20)


def test_nt_e3_stream_consumer_sees_error_at_eof(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("corrupt_body", path="/blobs/")
    stream = client.open_blob(image.repo, layer_of(image))
    with pytest.raises(IntegrityError):
        while stream.read(7):
            pass
    assert not stream.verified


def test_nt_e4_blob_larger_than_descriptor(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("oversize", path="/blobs/", extra=10 * 1024 * 1024)
    with pytest.raises(IntegrityError):
        client.read_blob(image.repo, layer_of(image), cap=1 << 20)


def test_nt_e5_media_type_differs_from_content_type(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("content_type", path="/manifests/", content_type=mt.DOCKER_MANIFEST)
    with pytest.raises(InvalidInputError, match="does not match Content-Type") as info:
        client.get_manifest(image.repo, "v1")
    assert info.value.exit_code == ExitCode.REJECTED


def test_nt_e7_link_to_another_host(client: RegistryClient, hostile: HostileProxy) -> None:
    hostile.add("link", path="/tags/list", link='<http://127.0.0.2:1/v2/x/tags/list>; rel="next"')
    repo = "hostile/link"
    push_tiny_image(client, repo, tag="v1", layer_count=1)
    with pytest.raises(IntegrityError, match="another origin") as info:
        client.list_tags(repo)
    assert info.value.exit_code == ExitCode.REJECTED
    # Nothing was requested from the other host (no request reached it through us).
    assert all(seen.host == hostile.host for seen in hostile.seen)


def test_tag_pagination_follows_links(client: RegistryClient, hostile: HostileProxy) -> None:
    hostile.add("paginate", path="/tags/list", pages=4)
    assert client.list_tags("any/repo", page_size=1) == [f"item{i:03d}" for i in range(1, 5)]


def test_nt_f5_too_many_pages(client: RegistryClient, hostile: HostileProxy) -> None:
    hostile.add("paginate", path="/tags/list", pages=11)
    with pytest.raises(LimitExceededError):
        client.list_tags("any/repo", page_size=1)


def test_nt_f5_link_loop(client: RegistryClient, hostile: HostileProxy) -> None:
    hostile.add(
        "respond",
        path="/tags/list",
        body=b'{"tags": ["a"]}',
        headers={"Content-Type": "application/json", "Link": '</v2/r/tags/list>; rel="next"'},
    )
    with pytest.raises(IntegrityError, match="loops"):
        client.list_tags("r")


def test_nt_e8_blob_redirect_to_other_host_drops_authorization(
    hostile: HostileProxy, other_host: HostileProxy, image: PushedImage, sleeps: SleepRecorder
) -> None:
    # The first /v2/ answer asks for Basic auth, so the client sends credentials from then on.
    hostile.add(
        "status",
        path="^/v2/$",
        times=1,
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="x"'},
    )
    layer = layer_of(image)
    hostile.add(
        "redirect",
        path="/blobs/",
        location=f"{other_host.url}/v2/{image.repo}/blobs/{layer.digest}",
    )
    creds = StaticCredentials({hostile.host: Credentials("user", "pa55word")})
    client = RegistryClient(hostile.host, credentials=creds, limits=FAST)
    client.ping()
    data = client.read_blob(image.repo, layer, cap=1 << 20)
    assert data == image.layers[0]
    sent_here = [s for s in hostile.seen if "/blobs/" in s.path]
    assert sent_here and all("Authorization" in s.headers for s in sent_here)
    assert other_host.seen, "the redirect was not followed"
    assert all("authorization" not in {k.lower() for k in s.headers} for s in other_host.seen)


def test_nt_e9_head_without_dcd_falls_back_to_get(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("drop_dcd", path="/manifests/", method="HEAD")
    resolved = client.resolve(image.repo, "v1")
    assert str(resolved.digest) == image.digest
    assert [s.method for s in hostile.seen if "/manifests/" in s.path] == ["HEAD", "GET"]


def test_head_and_get_agree(client: RegistryClient, image: PushedImage) -> None:
    head = client.resolve(image.repo, "v1")
    got = client.get_manifest(image.repo, head.digest, expected=head)
    assert got.digest == head.digest
    assert Digest.of(got.raw) == head.digest
    assert isinstance(got.manifest, ImageManifest)


# --- class F: unbounded answers -----------------------------------------------------------------


def test_nt_f6_endless_blob_body(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("endless", path="/blobs/")
    start = time.monotonic()
    with pytest.raises(IntegrityError):
        client.read_blob(image.repo, layer_of(image), cap=1 << 20)
    assert elapsed_since(start) < 5


def test_nt_f6_endless_manifest_body(hostile: HostileProxy, image: PushedImage) -> None:
    client = RegistryClient(hostile.host, credentials=Anonymous())  # default 8 MiB cap
    hostile.add("endless", path="/manifests/", method="GET")
    start = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceededError) as info:
            client.get_manifest(image.repo, "v1")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.exit_code == ExitCode.REJECTED
    assert elapsed_since(start) < 5
    # Memory stays near the cap (chunks + the joined body), nowhere near "endless".
    assert peak < 40 * 1024 * 1024


def test_nt_f3_endless_layer_memory_is_one_chunk(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("endless", path="/blobs/")
    big = Descriptor(mt.OCI_LAYER_GZIP, layer_of(image).digest, 20 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(IntegrityError), client.open_blob(image.repo, big) as stream:
            for _chunk in stream.chunks():
                pass
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


def test_nt_f10_manifest_over_cap_refused_by_length(
    client: RegistryClient, hostile: HostileProxy
) -> None:
    big = b'{"schemaVersion": 2, "x": "' + b"a" * (9 * 1024 * 1024) + b'"}'
    hostile.add("respond", path="/manifests/", body=big, headers={"Content-Type": mt.OCI_MANIFEST})
    with pytest.raises(LimitExceededError, match="Content-Length"):
        client.get_manifest("big/one", "v1")


def test_nt_f7_trickle_hits_the_deadline(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("trickle", path="/blobs/", interval=1.0)
    start = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        client.read_blob(image.repo, layer_of(image), cap=1 << 20)
    assert info.value.exit_code == ExitCode.UNCHECKED
    # Blob deadline = request_deadline (3 s) + size/MiB; the tightened socket timeout keeps
    # the overshoot small.
    assert elapsed_since(start) < FAST.request_deadline + 2


def test_nt_f7_one_byte_every_five_seconds(hostile: HostileProxy, image: PushedImage) -> None:
    # Default 30 s read timeout: each 5 s gap is within it, so only the total deadline can
    # end this, and the tightened socket timeout makes it end on time.
    client = RegistryClient(
        hostile.host, credentials=Anonymous(), limits=Limits(request_deadline=3.0)
    )
    hostile.add("trickle", path="/manifests/", method="GET", interval=5.0)
    start = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        client.get_manifest(image.repo, "v1")
    assert info.value.exit_code == ExitCode.UNCHECKED
    assert elapsed_since(start) < 4.5


def test_hang_ends_at_the_deadline(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("hang", path="/manifests/")
    start = time.monotonic()
    with pytest.raises((DeadlineExceededError, NetworkError)) as info:
        client.get_manifest(image.repo, "v1")
    assert info.value.exit_code == ExitCode.UNCHECKED
    assert elapsed_since(start) < FAST.request_deadline + 2


def test_nt_f12_retry_after_over_cap_fails_without_sleeping(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage, sleeps: SleepRecorder
) -> None:
    hostile.add("status", path="/manifests/", status=429, headers={"Retry-After": "86400"})
    start = time.monotonic()
    with pytest.raises(NetworkError, match="Retry-After") as info:
        client.get_manifest(image.repo, "v1")
    assert info.value.exit_code == ExitCode.UNCHECKED
    assert sleeps.calls == []
    assert elapsed_since(start) < 1


def test_small_retry_after_is_honoured_then_succeeds(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage, sleeps: SleepRecorder
) -> None:
    hostile.add("status", path="/manifests/", times=1, status=429, headers={"Retry-After": "1"})
    got = client.get_manifest(image.repo, "v1")
    assert str(got.digest) == image.digest
    assert sleeps.calls == [1.0]


def test_5xx_burst_then_recovery(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage, sleeps: SleepRecorder
) -> None:
    hostile.add("status", path="/blobs/", times=3, status=503)
    assert client.read_blob(image.repo, layer_of(image), cap=1 << 20) == image.layers[0]
    assert len(sleeps.calls) == 3
    assert sleeps.calls == sorted(sleeps.calls)  # backoff grows


def test_5xx_that_persists_is_exit_3(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage, sleeps: SleepRecorder
) -> None:
    hostile.add("status", path="/manifests/", status=502)
    with pytest.raises(NetworkError, match="HTTP 502") as info:
        client.get_manifest(image.repo, "v1")
    assert info.value.exit_code == ExitCode.UNCHECKED
    assert len(sleeps.calls) == FAST.retries


def test_404_is_not_retried(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage, sleeps: SleepRecorder
) -> None:
    with pytest.raises(Exception, match="not found"):
        client.get_manifest(image.repo, "absent")
    assert sleeps.calls == []


def test_redirect_to_plain_http_remote_host_is_refused(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage, sleeps: SleepRecorder
) -> None:
    hostile.add("redirect", path="/blobs/", location="http://example.invalid/blob")
    with pytest.raises(NetworkError, match="plain-HTTP"):
        client.read_blob(image.repo, layer_of(image), cap=1 << 20)
    assert sleeps.calls == []  # a policy refusal is not retried


def test_descriptor_media_type_must_match_manifest(
    client: RegistryClient, image: PushedImage
) -> None:
    head = client.resolve(image.repo, "v1")
    lying = Descriptor(mt.OCI_INDEX, head.digest, head.size)
    with pytest.raises(InvalidInputError, match="descriptor says"):
        client.get_manifest(image.repo, head.digest, expected=lying)


def test_unread_blob_stream_releases_its_connection(
    client: RegistryClient, image: PushedImage
) -> None:
    for _ in range(30):  # more than the pool size: leaked connections would block
        stream = client.open_blob(image.repo, layer_of(image))
        stream.close()
    assert client.read_blob(image.repo, layer_of(image), cap=1 << 20) == image.layers[0]


def test_redirect_loop_is_capped(
    client: RegistryClient, hostile: HostileProxy, image: PushedImage
) -> None:
    hostile.add("redirect", path="/blobs/", location=f"{hostile.url}/v2/x/blobs/again")
    with pytest.raises(NetworkError, match="redirects"):
        client.read_blob(image.repo, layer_of(image), cap=1 << 20)
