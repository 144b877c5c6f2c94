"""Which distribution an image is, from ``etc/os-release`` (fallback ``usr/lib/os-release``).

OS packages need it for their purl namespace and ``distro`` qualifier (SBOM.md §D) and for
their supplier (§F.3); the SBOM gets one operating-system package from it. The file format is
the os-release(5) shell-like ``KEY=value`` list, parsed here without ever running a shell.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.catalog.fileview import FileView
from supplychain.errors import Error

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
_LIMIT = 64 * 1024

# SBOM.md §F.3: who ships the packages of each distribution.
_SUPPLIERS = {
    "debian": "Organization: Debian",
    "ubuntu": "Organization: Canonical",
    "alpine": "Organization: Alpine Linux",
    "rhel": "Organization: Red Hat",
    "centos": "Organization: CentOS Project",
    "rocky": "Organization: Rocky Enterprise Software Foundation",
    "almalinux": "Organization: AlmaLinux OS Foundation",
    "fedora": "Organization: Fedora Project",
    "wolfi": "Organization: Chainguard",
    "chainguard": "Organization: Chainguard",
    "amzn": "Organization: Amazon",
    "ol": "Organization: Oracle",
    "opensuse-leap": "Organization: openSUSE",
    "opensuse-tumbleweed": "Organization: openSUSE",
    "sles": "Organization: SUSE",
}


@dataclass(frozen=True)
class Distro:
    """The os-release facts we use. ``id`` is lower-case as os-release(5) requires."""

    id: str
    version_id: str | None = None
    codename: str | None = None
    id_like: tuple[str, ...] = ()
    name: str | None = None
    pretty_name: str | None = None
    location: str = "etc/os-release"

    @property
    def distro_qualifier(self) -> str | None:
        """``<ID>-<VERSION_ID>`` (SBOM.md §D); none without VERSION_ID (e.g. Debian sid)."""
        if not self.version_id:
            return None
        return f"{self.id}-{self.version_id}"

    @property
    def supplier(self) -> str | None:
        """``Organization: …`` for known distributions, else ``None`` (NOASSERTION)."""
        if self.id in _SUPPLIERS:
            return _SUPPLIERS[self.id]
        for like in self.id_like:
            if like in ("opensuse", "suse") and self.id.startswith(("opensuse", "sles")):
                return _SUPPLIERS["sles"]
        return None


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines; values may be single- or double-quoted with ``\\`` escapes."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if not key.replace("_", "").isalnum():
            continue
        values[key] = _unquote(value.strip())
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        if value[0] == "'":
            return inner
        out: list[str] = []
        escaped = False
        for char in inner:
            if escaped:
                out.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            else:
                out.append(char)
        return "".join(out)
    return value


def distro_from_text(text: str, location: str = "etc/os-release") -> Distro | None:
    values = parse_os_release(text)
    distro_id = values.get("ID", "").strip().lower()
    if not distro_id:
        return None
    return Distro(
        id=distro_id,
        version_id=values.get("VERSION_ID") or None,
        codename=values.get("VERSION_CODENAME") or None,
        id_like=tuple(values.get("ID_LIKE", "").lower().split()),
        name=values.get("NAME") or None,
        pretty_name=values.get("PRETTY_NAME") or None,
        location=location,
    )


def detect(view: FileView) -> Distro | None:
    """The distribution of a FileView, or ``None`` (distroless without os-release, scratch)."""
    for path in OS_RELEASE_PATHS:
        if view.is_file(path):
            try:
                text = view.read(path, _LIMIT).decode("utf-8", errors="replace")
            except (Error, OSError):  # an unreadable os-release means "unknown OS"
                continue
            found = distro_from_text(text, path)
            if found is not None:
                return found
    return None
