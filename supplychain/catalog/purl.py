"""Package URLs in one canonical spelling per type (SBOM.md §D).

Consumers match packages to advisories by purl string, so every cataloger builds them here and
nowhere else. Encoding follows the purl specification's "Character encoding" section: every
component is percent-encoded except ASCII letters and digits, ``.-_~`` and ``:``; qualifier keys
lower-case and sorted; empty qualifier values dropped. packageurl-python leaves ``/`` raw inside
qualifier values (``repository_url=docker.io/library/x``), which is why the string is built here.

Per-type conventions (documented in docs/sbom-formats.md): ``deb``/``apk`` names lower-cased,
``pypi`` names lower-cased with ``_`` → ``-`` (dots kept), ``npm``/``golang``/``maven`` case kept,
``rpm`` name case kept.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from supplychain.catalog.os_release import Distro

_SAFE = frozenset(string.ascii_letters + string.digits + ".-_~:")

# SBOM.md §D: rpm namespaces for distribution families.
_RPM_NAMESPACES = {"rhel": "redhat", "ol": "oracle", "amzn": "amazon"}


def quote(text: str) -> str:
    """Percent-encode ``text`` per the purl spec (UTF-8, upper-case hex)."""
    out: list[str] = []
    for char in text:
        if char in _SAFE:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def canonical(
    type_: str,
    name: str,
    version: str | None = None,
    *,
    namespace: str | None = None,
    qualifiers: Mapping[str, str | None] | None = None,
    subpath: str | None = None,
) -> str:
    """``pkg:type/namespace/name@version?qualifiers#subpath``, canonically encoded."""
    if not name:
        raise ValueError("a purl needs a name")
    parts = [f"pkg:{type_.lower()}/"]
    if namespace:
        parts.append("/".join(quote(seg) for seg in namespace.strip("/").split("/") if seg))
        parts.append("/")
    parts.append(quote(name))
    if version:
        parts.append(f"@{quote(version)}")
    quals = {k.lower(): v for k, v in (qualifiers or {}).items() if v}
    if quals:
        parts.append("?" + "&".join(f"{k}={quote(str(quals[k]))}" for k in sorted(quals)))
    if subpath:
        segments = [s for s in subpath.strip("/").split("/") if s not in ("", ".", "..")]
        if segments:
            parts.append("#" + "/".join(quote(s) for s in segments))
    return "".join(parts)


# --- per type --------------------------------------------------------------------------------


def deb(name: str, version: str, arch: str | None, distro: Distro | None) -> str:
    """``pkg:deb/<ID>/<name>@<version with epoch>?arch=…&distro=<ID>-<VERSION_ID>``."""
    namespace = distro.id if distro else "debian"
    return canonical(
        "deb",
        name.lower(),
        version,
        namespace=namespace,
        qualifiers={"arch": arch, "distro": distro.distro_qualifier if distro else None},
    )


def apk(name: str, version: str, arch: str | None, distro: Distro | None) -> str:
    namespace = distro.id if distro else "alpine"
    return canonical(
        "apk",
        name.lower(),
        version,
        namespace=namespace,
        qualifiers={"arch": arch, "distro": distro.distro_qualifier if distro else None},
    )


def rpm_namespace(distro: Distro | None) -> str:
    if distro is None:
        return "rpm"
    if distro.id.startswith("sles"):
        return "suse"
    if distro.id.startswith("opensuse"):
        return "opensuse"
    return _RPM_NAMESPACES.get(distro.id, distro.id)


def rpm(
    name: str,
    version: str,
    release: str | None,
    *,
    epoch: int | None,
    arch: str | None,
    distro: Distro | None,
) -> str:
    full = f"{version}-{release}" if release else version
    return canonical(
        "rpm",
        name,
        full,
        namespace=rpm_namespace(distro),
        qualifiers={
            "arch": arch,
            "distro": distro.distro_qualifier if distro else None,
            "epoch": str(epoch) if epoch else None,
        },
    )


def pypi_name(name: str) -> str:
    """The purl-spec pypi name: lower-case, ``_`` → ``-``, dots kept."""
    return name.lower().replace("_", "-")


def pypi(name: str, version: str | None) -> str:
    return canonical("pypi", pypi_name(name), version)


def npm(name: str, version: str | None) -> str:
    """``@scope/name`` → namespace ``@scope`` (encoded ``%40scope``), case kept."""
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return canonical("npm", bare, version, namespace=scope)
    return canonical("npm", name, version)


def maven(group: str, artifact: str, version: str | None) -> str:
    return canonical("maven", artifact, version, namespace=group)


def golang(module: str, version: str | None) -> str:
    """Module path with case kept; ``/vN`` stays in the path, never a subpath."""
    namespace, _, name = module.rpartition("/")
    return canonical("golang", name, version, namespace=namespace or None)


def generic(name: str, version: str | None) -> str:
    return canonical("generic", name, version)
