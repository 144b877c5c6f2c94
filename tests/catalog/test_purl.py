"""purl conventions (SBOM.md §D) checked against examples written down as data.

UPSTREAM: canonical strings from the purl specification and its per-type test suites
(package-url/purl-spec docs/specification and tests/types/*-test.json), re-typed here, which our
builder must reproduce exactly. OURS: the one convention per type this project documents.
"""

from __future__ import annotations

import pytest
from packageurl import PackageURL

from supplychain.catalog import purl
from supplychain.catalog.os_release import Distro

UPSTREAM = [
    # (type, namespace, name, version, qualifiers, subpath, canonical)
    (
        "deb",
        "debian",
        "curl",
        "7.50.3-1",
        {"arch": "i386", "distro": "jessie"},
        None,
        "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
    ),
    (
        "deb",
        "ubuntu",
        "dpkg",
        "1.19.0.4",
        {"arch": "amd64"},
        None,
        "pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64",
    ),
    ("npm", "@angular", "animation", "12.3.1", {}, None, "pkg:npm/%40angular/animation@12.3.1"),
    ("npm", None, "foobar", "12.3.1", {}, None, "pkg:npm/foobar@12.3.1"),
    ("pypi", None, "django", "1.11.1", {}, None, "pkg:pypi/django@1.11.1"),
    (
        "maven",
        "org.apache.commons",
        "io",
        "1.3.4",
        {},
        None,
        "pkg:maven/org.apache.commons/io@1.3.4",
    ),
    (
        "golang",
        "github.com/gorilla",
        "context",
        "234fd47e07d1004f0aed9c",
        {},
        None,
        "pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c",
    ),
    (
        "golang",
        "google.golang.org",
        "genproto",
        "abcdedf",
        {},
        "googleapis/api/annotations",
        "pkg:golang/google.golang.org/genproto@abcdedf#googleapis/api/annotations",
    ),
    (
        "rpm",
        "fedora",
        "curl",
        "7.50.3-1.fc25",
        {"arch": "i386", "distro": "fedora-25"},
        None,
        "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25",
    ),
    (
        "rpm",
        "opensuse",
        "curl",
        "7.56.1-1.1.",
        {"arch": "i386", "distro": "opensuse-tumbleweed"},
        None,
        "pkg:rpm/opensuse/curl@7.56.1-1.1.?arch=i386&distro=opensuse-tumbleweed",
    ),
    (
        "apk",
        "alpine",
        "curl",
        "7.83.0-r0",
        {"arch": "x86"},
        None,
        "pkg:apk/alpine/curl@7.83.0-r0?arch=x86",
    ),
    ("generic", None, "openssl", "1.1.10g", {}, None, "pkg:generic/openssl@1.1.10g"),
    (
        "gem",
        None,
        "jruby-launcher",
        "1.1.2",
        {"platform": "java"},
        None,
        "pkg:gem/jruby-launcher@1.1.2?platform=java",
    ),
]


@pytest.mark.parametrize("case", UPSTREAM, ids=lambda c: c[-1])
def test_upstream_canonical_forms(case: tuple) -> None:  # type: ignore[type-arg]
    type_, namespace, name, version, qualifiers, subpath, expected = case
    got = purl.canonical(
        type_, name, version, namespace=namespace, qualifiers=qualifiers, subpath=subpath
    )
    assert got == expected
    # And the reference parser reads back the same components.
    parsed = PackageURL.from_string(got)
    assert (parsed.type, parsed.namespace, parsed.name, parsed.version) == (
        type_,
        namespace,
        name,
        version,
    )


DEBIAN = Distro(id="debian", version_id="12", codename="bookworm")
RHEL = Distro(id="rhel", version_id="9.4")
ALPINE = Distro(id="alpine", version_id="3.19.1")


def test_deb_convention() -> None:
    assert purl.deb("libc6", "2.36-9+deb12u4", "amd64", DEBIAN) == (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
    )
    assert purl.deb("LibFoo", "1:2.0-1", "all", Distro(id="debian")) == (
        "pkg:deb/debian/libfoo@1:2.0-1?arch=all"  # sid: no VERSION_ID, no distro
    )


def test_rpm_convention() -> None:
    assert (
        purl.rpm("openssl-libs", "3.0.7", "27.el9", epoch=1, arch="x86_64", distro=RHEL)
        == "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1"
    )
    for distro_id, namespace in (
        ("ol", "oracle"),
        ("amzn", "amazon"),
        ("sles", "suse"),
        ("opensuse-leap", "opensuse"),
        ("fedora", "fedora"),
    ):
        assert purl.rpm_namespace(Distro(id=distro_id)) == namespace


def test_apk_pypi_npm_maven_golang_conventions() -> None:
    assert purl.apk("busybox", "1.36.1-r15", "x86_64", ALPINE) == (
        "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1"
    )
    assert purl.pypi("Zope.Interface", "6.0") == "pkg:pypi/zope.interface@6.0"
    assert purl.pypi("typing_extensions", "4.9.0") == "pkg:pypi/typing-extensions@4.9.0"
    assert purl.npm("@Angular/Animation", "12.3.1") == "pkg:npm/%40Angular/Animation@12.3.1"
    assert purl.maven("org.yaml", "snakeyaml", "2.2") == "pkg:maven/org.yaml/snakeyaml@2.2"
    assert purl.golang("github.com/Azure/azure-sdk-for-go/sdk/azcore", "v1.9.0") == (
        "pkg:golang/github.com/Azure/azure-sdk-for-go/sdk/azcore@v1.9.0"
    )
    assert purl.golang("github.com/acme/lib/v2", "v2.1.0") == (
        "pkg:golang/github.com/acme/lib/v2@v2.1.0"  # /vN in the path, never a subpath
    )


def test_qualifier_values_encode_slashes() -> None:
    got = purl.canonical(
        "oci",
        "app",
        "sha256:" + "3f" * 32,
        qualifiers={"repository_url": "ghcr.io/acme/app", "tag": "1.4.0", "arch": "arm64"},
    )
    assert got == (
        f"pkg:oci/app@sha256:{'3f' * 32}?arch=arm64&repository_url=ghcr.io%2Facme%2Fapp&tag=1.4.0"
    )


def test_unicode_and_empty_qualifiers() -> None:
    assert purl.canonical("generic", "naïve", "1 0", qualifiers={"a": "", "b": None}) == (
        "pkg:generic/na%C3%AFve@1%200"
    )
    with pytest.raises(ValueError):
        purl.canonical("generic", "")
