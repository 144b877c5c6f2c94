"""Neutral SBOMs shaped like the ones the image and Go catalogers build, for writer tests."""

from __future__ import annotations

from datetime import datetime, timezone

from supplychain.model.sbom import (
    NOASSERTION,
    NONE,
    Checksum,
    ExtractedLicense,
    Package,
    Purpose,
    RelType,
    Sbom,
    SbomBuilder,
    package_ref,
)

CREATED = datetime(2024, 5, 1, 12, 30, 0, tzinfo=timezone.utc)
IMAGE_DIGEST = "3f" * 32


def image_sbom(created: datetime = CREATED, *, extra: int = 0) -> Sbom:
    """A Debian image with an OS package, two debs with an edge, a wheel, a jar and unknowns."""
    b = SbomBuilder("ghcr.io/acme/app:1.4.0", created)
    root = Package(
        ref=package_ref("Image-linux-amd64", "app", IMAGE_DIGEST),
        name="ghcr.io/acme/app",
        version="1.4.0",
        purl=f"pkg:oci/app@sha256:{IMAGE_DIGEST}?arch=amd64&repository_url=ghcr.io%2Facme%2Fapp&tag=1.4.0",
        kind="oci",
        purpose=Purpose.CONTAINER,
        checksums=(Checksum("SHA256", IMAGE_DIGEST),),
        properties=(("supplychain:platform", "linux/amd64"),),
    )
    b.root = b.add_package(root)
    os_pkg = b.add_package(
        Package(
            ref=package_ref("OS", "debian", "pkg:generic/debian@12"),
            name="debian",
            version="12",
            purl="pkg:generic/debian@12",
            kind="os",
            purpose=Purpose.OPERATING_SYSTEM,
            supplier="Organization: Debian",
        )
    )
    libc = b.add_package(
        Package(
            ref=package_ref("Package-deb", "libc6", "libc6"),
            name="libc6",
            version="2.36-9+deb12u4",
            purl="pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
            kind="deb",
            supplier="Organization: Debian",
            license_declared="LGPL-2.1-or-later AND LicenseRef-libc-notice-0a1b2c3d",
            homepage="https://www.gnu.org/software/libc/libc.html",
            properties=(("supplychain:layer", "0:sha256:" + "ab" * 32),),
        )
    )
    bash = b.add_package(
        Package(
            ref=package_ref("Package-deb", "bash", "bash"),
            name="bash",
            version="5.2.15-2+b2",
            purl="pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
            kind="deb",
            supplier="Organization: Debian",
            license_declared="GPL-3.0-or-later",
        )
    )
    wheel = b.add_package(
        Package(
            ref=package_ref("Package-pypi", "requests", "requests"),
            name="requests",
            version="2.31.0",
            purl="pkg:pypi/requests@2.31.0",
            kind="pypi",
            purpose=Purpose.LIBRARY,
            supplier="Person: Kenneth Reitz (me@kennethreitz.org)",
            license_declared="Apache-2.0",
            download_location="git+https://github.com/psf/requests@0123456789abcdef",
        )
    )
    jar = b.add_package(
        Package(
            ref=package_ref("Package-maven", "snakeyaml", "snakeyaml"),
            name="snakeyaml",
            version="2.2",
            purl="pkg:maven/org.yaml/snakeyaml@2.2",
            kind="maven",
            purpose=Purpose.LIBRARY,
            checksums=(Checksum("SHA1", "a" * 40), Checksum("SHA256", "b" * 64)),
        )
    )
    b.add_license(ExtractedLicense("LicenseRef-libc-notice-0a1b2c3d", "Some notice text."))
    refs = [os_pkg, libc, bash, wheel, jar]
    for i in range(extra):
        refs.append(
            b.add_package(
                Package(
                    ref=package_ref("Package-npm", f"p{i}", f"p{i}"),
                    name=f"p{i}",
                    version="1.0.0",
                    purl=f"pkg:npm/p{i}@1.0.0",
                    kind="npm",
                    purpose=Purpose.LIBRARY,
                )
            )
        )
    for ref in refs:
        b.relate(b.root, RelType.CONTAINS, ref)
    b.relate(bash, RelType.DEPENDS_ON, libc)
    b.relate(libc, RelType.DEPENDS_ON, NONE)
    b.relate(jar, RelType.DEPENDS_ON, NOASSERTION)
    for ref in refs:
        if ref != libc:
            b.relate(b.root, RelType.DEPENDS_ON, ref)
    return b.build()
