"""Image reference parsing: the normal form, Docker Hub aliases, and clear usage errors."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from supplychain.errors import ExitCode, UsageError
from supplychain.model import Digest
from supplychain.oci.reference import ImageRef, is_loopback_host

HEX = "a" * 64
DIGEST = f"sha256:{HEX}"


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("library/nginx", "docker.io/library/nginx:latest"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/nginx", "docker.io/library/nginx:latest"),
        ("registry-1.docker.io/library/nginx:latest", "docker.io/library/nginx:latest"),
        ("INDEX.Docker.IO/nginx", "docker.io/library/nginx:latest"),
        ("ghcr.io/org/team/app:v1.2.3", "ghcr.io/org/team/app:v1.2.3"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("127.0.0.1:5000/a/b:c", "127.0.0.1:5000/a/b:c"),
        ("[::1]:5000/app:x", "[::1]:5000/app:x"),
        ("Registry.Example.COM:0443/app", "registry.example.com:443/app:latest"),
        (f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}"),
        (f"nginx:1.25@{DIGEST}", f"docker.io/library/nginx:1.25@{DIGEST}"),
        (f"localhost:5000/a@{DIGEST}", f"localhost:5000/a@{DIGEST}"),
        ("a/b__c/d-e/f.g_h:T_9.x-y", "docker.io/a/b__c/d-e/f.g_h:T_9.x-y"),
    ],
)
def test_normal_form(text: str, normal: str) -> None:
    ref = ImageRef.parse(text)
    assert str(ref) == normal
    # The normal form is a fixed point.
    assert ImageRef.parse(str(ref)) == ref


def test_parts() -> None:
    ref = ImageRef.parse(f"localhost:5000/team/app:v1@{DIGEST}")
    assert ref.registry == "localhost:5000"
    assert ref.repository == "team/app"
    assert ref.tag == "v1"
    assert ref.digest == Digest.parse(DIGEST)
    assert ref.reference == DIGEST  # the digest wins for fetching
    assert ref.name == "localhost:5000/team/app"
    assert ref.api_host == "localhost:5000"
    assert ref.is_loopback


def test_docker_hub_api_host() -> None:
    ref = ImageRef.parse("nginx")
    assert ref.api_host == "registry-1.docker.io"
    assert ref.reference == "latest"
    assert not ref.is_loopback


def test_with_digest_and_tag() -> None:
    ref = ImageRef.parse("localhost:5000/app:v1")
    pinned = ref.with_digest(Digest.parse(DIGEST))
    assert str(pinned) == f"localhost:5000/app@{DIGEST}"
    assert str(pinned.with_tag("v2")) == "localhost:5000/app:v2"
    with pytest.raises(UsageError):
        ref.with_tag("-bad")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("Nginx", "lower-case"),
        ("library/Nginx", "lower-case"),
        ("MyOrg/app", "lower-case"),
        ("localhost:5000/App", "lower-case"),
        ("nginx:", "empty tag"),
        ("nginx:-x", "invalid tag"),
        ("nginx:" + "a" * 129, "tag is longer"),
        ("nginx@sha256:abc", "bad digest"),
        (f"nginx@SHA256:{HEX}", "bad digest"),
        (f"nginx@sha256:{HEX.upper()}", "bad digest"),
        ("nginx@md5:" + "a" * 32, "bad digest"),
        ("https://ghcr.io/a/b", "URL scheme"),
        ("ghcr.io/", "empty repository"),
        ("ghcr.io/a//b", "empty path component"),
        ("ghcr.io/a/", "empty path component"),
        ("a b", "whitespace"),
        (" nginx", "whitespace"),
        ("nginx\n", "whitespace"),
        ("a/-b", "invalid repository component"),
        ("a/b..c", "invalid repository component"),
        ("a/b___c", "invalid repository component"),
        ("host:99999/a", "port"),
        ("host:/a", "port"),
        ("host:12ab/a", "port"),
        ("-bad.example/a", "invalid registry host"),
        ("[::1/a", "unclosed"),
        ("[zz]:5000/a", "IPv6"),
        ("ghcr.io/" + "a" * 300, "longer than 255"),
        ("x" * 5000, "longer than 4096"),
    ],
)
def test_malformed_is_usage_error(text: str, needle: str) -> None:
    with pytest.raises(UsageError) as info:
        ImageRef.parse(text)
    err = info.value
    assert err.exit_code == ExitCode.USAGE
    assert needle in err.diagnostics()
    # One line, names the input (truncated for huge input).
    assert "\n" not in err.diagnostics()
    assert err.subject is not None and err.subject.startswith("reference ")


def test_dotted_first_component_is_a_host() -> None:
    ref = ImageRef.parse("my.registry/app")
    assert (ref.registry, ref.repository) == ("my.registry", "app")
    ref = ImageRef.parse("team/app")
    assert (ref.registry, ref.repository) == ("docker.io", "team/app")


def test_long_reference_is_truncated_in_message() -> None:
    with pytest.raises(UsageError) as info:
        ImageRef.parse("x" * 5000)
    assert len(info.value.diagnostics()) < 300


@pytest.mark.parametrize(
    ("host", "loop"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.1:80", True),
        ("127.9.9.9", True),
        ("[::1]:5000", True),
        ("10.0.0.1:5000", False),
        ("ghcr.io", False),
        ("localhost.evil.example", False),
    ],
)
def test_loopback(host: str, loop: bool) -> None:
    assert is_loopback_host(host) is loop


_component = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,2}", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(
    host=st.sampled_from(["", "localhost:5000/", "ghcr.io/", "registry.example:8443/"]),
    path=st.lists(_component, min_size=1, max_size=4),
    tag=st.one_of(st.none(), _tag),
)
def test_round_trip_property(host: str, path: list[str], tag: str | None) -> None:
    # Without a host, a first component with a '.' would itself be read as a host (by design).
    assume(host or "." not in path[0])
    text = host + "/".join(path) + (f":{tag}" if tag else "")
    ref = ImageRef.parse(text)
    assert ImageRef.parse(str(ref)) == ref
    assert ref.tag == (tag or "latest")
    assert ref.repository.endswith("/".join(path))


@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        ref = ImageRef.parse(text)
    except UsageError:
        return
    assert ImageRef.parse(str(ref)) == ref
