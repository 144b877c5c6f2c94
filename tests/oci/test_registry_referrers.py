"""Referrers: the fallback index for real (distribution 2.8 has no API), the API via the proxy."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from supplychain.errors import ExitCode, IntegrityError, InvalidInputError, LimitExceededError
from supplychain.model import Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.auth import Anonymous
from supplychain.oci.limits import Limits
from supplychain.oci.referrers import Referrers, fallback_tag
from supplychain.oci.registry import RegistryClient
from tests.fixtures.hostile import HostileProxy
from tests.fixtures.registry import PushedImage, RegistryServer, push_tiny_image

pytestmark = pytest.mark.registry

SBOM_TYPE = "application/spdx+json"
SIG_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


@pytest.fixture
def client(registry: RegistryServer) -> Iterator[RegistryClient]:
    c = RegistryClient(registry.host, credentials=Anonymous())
    yield c
    c.close()


@pytest.fixture
def image(client: RegistryClient, registry: RegistryServer) -> PushedImage:
    return push_tiny_image(client, registry.repo("referred"), tag="v1")


def artifact(
    client: RegistryClient, repo: str, subject: PushedImage, artifact_type: str, payload: bytes
) -> tuple[bytes, str]:
    """An OCI 1.1 artifact manifest (empty config, one layer) pointing at ``subject``."""
    client.push_blob(repo, mt.EMPTY_JSON)
    layer = client.push_blob(repo, payload)
    doc = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": mt.OCI_EMPTY, "digest": mt.EMPTY_DIGEST, "size": 2},
        "layers": [{"mediaType": artifact_type, "digest": str(layer.digest), "size": layer.size}],
        "subject": {
            "mediaType": subject.media_type,
            "digest": subject.digest,
            "size": len(subject.raw),
        },
        "annotations": {"org.example.kind": artifact_type, "org.opencontainers.image.created": "x"},
    }
    return json.dumps(doc).encode(), mt.OCI_MANIFEST


def test_fallback_index_maintained_and_read(client: RegistryClient, image: PushedImage) -> None:
    refs = Referrers(client)
    subject = Digest.parse(image.digest)
    assert len(refs.find(image.repo, subject)) == 0

    sbom_raw, media_type = artifact(client, image.repo, image, SBOM_TYPE, b'{"spdx": 1}')
    sig_raw, _ = artifact(client, image.repo, image, SIG_TYPE, b'{"bundle": 1}')
    refs.push(image.repo, sbom_raw, media_type)
    refs.push(image.repo, sig_raw, media_type)
    refs.push(image.repo, sbom_raw, media_type)  # again: no duplicate entry

    # The registry has no referrers API: the tag sha256-<hex> holds an OCI index.
    index = client.get_manifest(image.repo, fallback_tag(subject))
    assert index.media_type == mt.OCI_INDEX
    entries = json.loads(index.raw)["manifests"]
    assert [e["digest"] for e in entries] == [str(Digest.of(sbom_raw)), str(Digest.of(sig_raw))]
    assert entries[0]["artifactType"] == SBOM_TYPE
    assert entries[0]["annotations"]["org.example.kind"] == SBOM_TYPE

    listed = refs.find(image.repo, subject)
    assert listed.source == "fallback"
    assert {str(d.digest) for d in listed} == {e["digest"] for e in entries}
    only_sbom = refs.find(image.repo, subject, artifact_type=SBOM_TYPE)
    assert [str(d.digest) for d in only_sbom] == [str(Digest.of(sbom_raw))]

    # Candidates are hints: opening checks the candidate's own subject.
    opened = refs.open_verified(image.repo, subject, only_sbom.descriptors[0])
    assert opened is not None and opened.raw == sbom_raw
    other = Digest.of(b"another subject")
    assert refs.open_verified(image.repo, other, only_sbom.descriptors[0]) is None

    # Removal takes the entry out of the fallback index.
    assert refs.remove(image.repo, subject, Digest.of(sbom_raw)) is True
    assert [str(d.digest) for d in refs.find(image.repo, subject)] == [str(Digest.of(sig_raw))]


def test_fallback_tag_holding_an_image_is_not_overwritten(
    client: RegistryClient, image: PushedImage
) -> None:
    subject = Digest.parse(image.digest)
    squatter = push_tiny_image(client, image.repo, tag=fallback_tag(subject), seed="squat")
    raw, media_type = artifact(client, image.repo, image, SBOM_TYPE, b"{}")
    with pytest.raises(InvalidInputError, match="not overwritten"):
        Referrers(client).push(image.repo, raw, media_type)
    still = client.get_manifest(image.repo, fallback_tag(subject))
    assert str(still.digest) == squatter.digest
    # Reading treats the non-index tag as "no referrers".
    assert len(Referrers(client).find(image.repo, subject)) == 0


def test_push_without_subject_is_refused(client: RegistryClient, image: PushedImage) -> None:
    with pytest.raises(InvalidInputError, match="no subject"):
        Referrers(client).push(image.repo, image.raw, image.media_type)


def test_oci_subject_header_skips_the_fallback(hostile: HostileProxy) -> None:
    client = RegistryClient(hostile.host, credentials=Anonymous())
    image = push_tiny_image(client, "ref/subject-header", tag="v1")
    raw, media_type = artifact(client, image.repo, image, SBOM_TYPE, b"{}")
    hostile.add(
        "add_headers",
        path=f"/manifests/{Digest.of(raw)}",
        method="PUT",
        headers={"OCI-Subject": image.digest},
    )
    Referrers(client).push(image.repo, raw, media_type)
    assert not any(fallback_tag(Digest.parse(image.digest)) in s.path for s in hostile.seen)


def test_fallback_update_retries_on_412(hostile: HostileProxy, registry: RegistryServer) -> None:
    client = RegistryClient(hostile.host, credentials=Anonymous())
    image = push_tiny_image(client, registry.repo("ref412"), tag="v1")
    subject = Digest.parse(image.digest)
    first, media_type = artifact(client, image.repo, image, SBOM_TYPE, b"1")
    Referrers(client).push(image.repo, first, media_type)  # creates the index (no If-Match)
    second, _ = artifact(client, image.repo, image, SIG_TYPE, b"2")
    hostile.add(
        "status", path=f"/manifests/{fallback_tag(subject)}", method="PUT", times=1, status=412
    )
    Referrers(client).push(image.repo, second, media_type)
    puts = [s for s in hostile.seen if s.method == "PUT" and fallback_tag(subject) in s.path]
    assert len(puts) == 3  # create, lost race (412), retry
    assert all("If-Match" in s.headers for s in puts[1:])
    assert len(Referrers(client).find(image.repo, subject)) == 2


# --- the referrers API, served by the proxy ---------------------------------------------------


def api_index(entries: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": entries}
    ).encode()


def entry(n: int, artifact_type: str) -> dict[str, object]:
    return {
        "mediaType": mt.OCI_MANIFEST,
        "digest": str(Digest.of(str(n).encode())),
        "size": 100 + n,
        "artifactType": artifact_type,
    }


def test_api_answer_is_used_and_filtered_client_side(hostile: HostileProxy) -> None:
    body = api_index([entry(1, SBOM_TYPE), entry(2, SIG_TYPE)])
    # The registry ignores the filter (no OCI-Filters-Applied): we filter anyway.
    hostile.add("respond", path="/referrers/", body=body, headers={"Content-Type": mt.OCI_INDEX})
    client = RegistryClient(hostile.host, credentials=Anonymous())
    subject = Digest.of(b"subject")
    found = Referrers(client).find("api/repo", subject, artifact_type=SIG_TYPE)
    assert found.source == "api"
    assert [d.artifact_type for d in found] == [SIG_TYPE]
    assert "artifactType=" in hostile.seen[-1].path


def test_api_pages_follow_link(hostile: HostileProxy) -> None:
    subject = Digest.of(b"paged")
    second = f"/v2/api/repo/referrers/{subject}?page=2"
    hostile.add(
        "respond",
        path="page=2",
        body=api_index([entry(2, SIG_TYPE)]),
        headers={"Content-Type": mt.OCI_INDEX},
    )
    hostile.add(
        "respond",
        path="/referrers/",
        body=api_index([entry(1, SBOM_TYPE)]),
        headers={"Content-Type": mt.OCI_INDEX, "Link": f'<{second}>; rel="next"'},
    )
    client = RegistryClient(hostile.host, credentials=Anonymous())
    assert len(Referrers(client).find("api/repo", subject)) == 2


def test_api_link_to_other_host_rejected(hostile: HostileProxy) -> None:
    hostile.add(
        "respond",
        path="/referrers/",
        body=api_index([entry(1, SBOM_TYPE)]),
        headers={
            "Content-Type": mt.OCI_INDEX,
            "Link": '<http://127.0.0.2:9/v2/x/referrers/y>; rel="next"',
        },
    )
    client = RegistryClient(hostile.host, credentials=Anonymous())
    with pytest.raises(IntegrityError) as info:
        Referrers(client).find("api/repo", Digest.of(b"s"))
    assert info.value.exit_code == ExitCode.REJECTED


def test_nt_f4_ten_thousand_referrers(hostile: HostileProxy) -> None:
    body = api_index([entry(i, SIG_TYPE) for i in range(10_000)])
    hostile.add("respond", path="/referrers/", body=body, headers={"Content-Type": mt.OCI_INDEX})
    client = RegistryClient(hostile.host, credentials=Anonymous())
    with pytest.raises(LimitExceededError) as info:
        Referrers(client).find("api/repo", Digest.of(b"s"))
    assert info.value.exit_code == ExitCode.REJECTED


def test_nt_f4_fallback_index_with_too_many_entries(
    hostile: HostileProxy, registry: RegistryServer
) -> None:
    limits = Limits(referrers=5)
    client = RegistryClient(hostile.host, credentials=Anonymous(), limits=limits)
    image = push_tiny_image(client, registry.repo("many"), tag="v1")
    subject = Digest.parse(image.digest)
    index = api_index([entry(i, SIG_TYPE) for i in range(6)])
    # The real registry would refuse an index of unknown manifests, so the proxy serves it.
    hostile.add(
        "respond",
        path=f"/manifests/{fallback_tag(subject)}",
        body=index,
        headers={"Content-Type": mt.OCI_INDEX, "Docker-Content-Digest": str(Digest.of(index))},
    )
    with pytest.raises(LimitExceededError):
        Referrers(client).find(image.repo, subject)


def test_api_absent_is_cached(hostile: HostileProxy, registry: RegistryServer) -> None:
    client = RegistryClient(hostile.host, credentials=Anonymous())
    image = push_tiny_image(client, registry.repo("cache"), tag="v1")
    refs = Referrers(client)
    subject = Digest.parse(image.digest)
    refs.find(image.repo, subject)
    refs.find(image.repo, subject)
    assert sum("/referrers/" in s.path for s in hostile.seen) == 1


def test_verified_opens_candidates_and_drops_liars(
    client: RegistryClient, registry: RegistryServer
) -> None:
    repo = registry.repo("verified")
    image_a = push_tiny_image(client, repo, tag="a", seed="A")
    image_b = push_tiny_image(client, repo, tag="b", seed="B")
    subject_a = Digest.parse(image_a.digest)
    honest, media_type = artifact(client, repo, image_a, SBOM_TYPE, b"for A")
    about_b, _ = artifact(client, repo, image_b, SBOM_TYPE, b"for B")
    refs = Referrers(client)
    refs.push(repo, honest, media_type)
    # A hostile pusher lists B's referrer in A's fallback index.
    index = client.get_manifest(repo, fallback_tag(subject_a))
    doc = json.loads(index.raw)
    client.push_blob(repo, b"for B")
    client.put_manifest(repo, about_b, media_type)
    doc["manifests"].append(
        {"mediaType": media_type, "digest": str(Digest.of(about_b)), "size": len(about_b)}
    )
    client.put_manifest(repo, json.dumps(doc).encode(), mt.OCI_INDEX, tag=fallback_tag(subject_a))
    assert len(refs.find(repo, subject_a)) == 2
    assert [m.raw for m in refs.verified(repo, subject_a)] == [honest]


def test_verified_refuses_more_candidates_than_the_cap(
    registry: RegistryServer,
) -> None:
    client = RegistryClient(
        registry.host, credentials=Anonymous(), limits=Limits(referrers_opened=1)
    )
    repo = registry.repo("opencap")
    image = push_tiny_image(client, repo, tag="v1")
    refs = Referrers(client)
    for payload in (b"1", b"2"):
        raw, media_type = artifact(client, repo, image, SBOM_TYPE, payload)
        refs.push(repo, raw, media_type)
    with pytest.raises(LimitExceededError, match="to open"):
        refs.verified(repo, Digest.parse(image.digest))
