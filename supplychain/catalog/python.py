"""Installed Python distributions: ``*.dist-info`` (wheels, pip) and ``*.egg-info`` (setuptools).

The core metadata file (``METADATA``/``PKG-INFO``) is an RFC 822 header block; the stdlib email
parser reads it without executing anything. ``Requires-Dist`` lines become edges to the
distribution installed in the same environment (same ``site-packages``/``dist-packages`` dir),
which is how Python itself would resolve the import; requirements only wanted by an extra are
not edges (an extra is not installed just because its target happens to be).
"""

from __future__ import annotations

import json
import re
from email.parser import HeaderParser

from supplychain.catalog import licenses, purl
from supplychain.catalog.base import CatalogResult, make_package
from supplychain.catalog.fileview import FileView, basename, glob_match, parent, read_text
from supplychain.catalog.os_release import Distro
from supplychain.errors import Error
from supplychain.model.sbom import NONE, Purpose, RelType

_WANTED = (
    "**/*.dist-info/METADATA",
    "**/*.dist-info/direct_url.json",
    "**/*.egg-info/PKG-INFO",
    "**/*.egg-info",
)
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)")
_EXTRA_MARKER = re.compile(r"\bextra\s*==", re.IGNORECASE)
_METADATA_LIMIT = 16 * 1024 * 1024


def canonical_name(name: str) -> str:
    """PEP 503 normalised name, for comparisons only (purls keep dots, SBOM.md §D)."""
    return re.sub(r"[-_.]+", "-", name).lower()


class PythonCataloger:
    name = "python"
    version = "1"
    magics: tuple[bytes, ...] = ()

    def wants(self, path: str) -> bool:
        return any(glob_match(p, path) for p in _WANTED)

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        result = CatalogResult()
        found: list[tuple[str, str, str, list[str]]] = []  # ref, env dir, name, requires
        for meta_path, location in sorted(self._metadata_files(view)):
            try:
                text = read_text(view, meta_path, _METADATA_LIMIT)
            except Error as exc:
                result.warn("sbom.bad-metadata", meta_path, exc.message)
                continue
            headers = HeaderParser().parsestr(text)
            name = (headers.get("Name") or "").strip()
            version = (headers.get("Version") or "").strip()
            if not name:
                result.warn("sbom.bad-metadata", meta_path, "no Name field")
                continue
            declared = _license(headers)
            pkg = make_package(
                "pypi",
                name,
                version or None,
                purl=purl.pypi(name, version or None),
                location=location,
                view=view,
                purpose=Purpose.LIBRARY,
                supplier=_supplier(headers),
                declared=result.declared(declared),
                homepage=_homepage(headers),
                summary=(headers.get("Summary") or "").strip() or None,
                download_location=_direct_url(view, location),
            )
            requires = [
                r
                for r in (headers.get_all("Requires-Dist") or [])
                if not _EXTRA_MARKER.search(r.partition(";")[2])
            ]
            if location.endswith(".egg-info"):
                requires += _egg_requires(view, location)
            found.append((result.add(pkg), parent(location), name, requires))
        installed = {(env, canonical_name(name)): ref for ref, env, name, _ in found}
        for ref, env, _, requires in found:
            targets = set()
            for requirement in requires:
                match = _REQ_NAME.match(requirement)
                if match:
                    target = installed.get((env, canonical_name(match.group(1))))
                    if target is not None and target != ref:
                        targets.add(target)
            if not requires:
                result.relate(ref, RelType.DEPENDS_ON, NONE)
            for target in sorted(targets):
                result.relate(ref, RelType.DEPENDS_ON, target)
        return result

    def _metadata_files(self, view: FileView) -> list[tuple[str, str]]:
        """``(metadata file, distribution location)`` pairs."""
        out = []
        for path in view.paths():
            name = basename(path)
            if (name == "METADATA" and path.endswith(".dist-info/METADATA")) or (
                name == "PKG-INFO" and path.endswith(".egg-info/PKG-INFO")
            ):
                out.append((path, parent(path)))
            elif name.endswith(".egg-info") and view.is_file(path):
                out.append((path, path))  # single-file egg-info (distutils)
        return out


def _license(headers: object) -> licenses.DeclaredLicense | None:
    get = headers.get  # type: ignore[attr-defined]
    expression = (get("License-Expression") or "").strip()
    if expression:
        return licenses.normalize(expression)
    text = (get("License") or "").strip()
    # A whole licence text pasted into License: is not a name.
    if text and "\n" not in text and len(text) <= 100 and text.upper() != "UNKNOWN":
        return licenses.normalize(text)
    classifiers = headers.get_all("Classifier") or []  # type: ignore[attr-defined]
    return licenses.from_classifiers([c.strip() for c in classifiers])


def _person(name: str | None, email: str | None) -> str | None:
    """``Person: Name (mail)`` from core-metadata author fields; mail-only → its display name."""
    name = " ".join((name or "").replace("(", " ").replace(")", " ").split())
    email = (email or "").strip()
    if not name and email:
        display, _, address = email.partition("<")
        name = display.strip().strip('"')
        email = address.rstrip(">").strip() if address else email
    if not name:
        return None
    if "," in email:
        email = ""
    mail = email if re.fullmatch(r"[^\s()<>@,]+@[^\s()<>@,]+", email or "") else ""
    return f"Person: {name} ({mail})" if mail else f"Person: {name}"


def _supplier(headers: object) -> str | None:
    get = headers.get  # type: ignore[attr-defined]
    return _person(get("Maintainer"), get("Maintainer-email")) or _person(
        get("Author"), get("Author-email")
    )


def _homepage(headers: object) -> str | None:
    get = headers.get  # type: ignore[attr-defined]
    home = (get("Home-page") or "").strip()
    if home.startswith(("http://", "https://")):
        return home
    for url in headers.get_all("Project-URL") or []:  # type: ignore[attr-defined]
        label, _, value = url.partition(",")
        if label.strip().lower() in ("homepage", "home", "source") and value.strip().startswith(
            ("http://", "https://")
        ):
            return str(value.strip())
    return None


def _direct_url(view: FileView, location: str) -> str | None:
    """PEP 610 VCS installs → ``git+https://host/repo@<commit>``; anything else unknown."""
    path = f"{location}/direct_url.json"
    if not view.is_file(path):
        return None
    try:
        data = json.loads(view.read(path, 1024 * 1024))
    except (Error, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    vcs = data.get("vcs_info")
    url = data.get("url")
    if (
        isinstance(vcs, dict)
        and isinstance(url, str)
        and url.startswith("https://")
        and "@" not in url.partition("://")[2].partition("/")[0]
    ):
        commit = vcs.get("commit_id")
        kind = vcs.get("vcs", "git")
        if isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{7,64}", commit):
            return f"{kind}+{url}@{commit}"
    return None


def _egg_requires(view: FileView, location: str) -> list[str]:
    """``requires.txt`` lines before the first ``[extra]`` section."""
    path = f"{location}/requires.txt"
    if not view.is_file(path):
        return []
    try:
        text = read_text(view, path, 1024 * 1024)
    except Error:
        return []
    out = []
    for line in text.splitlines():
        if line.startswith("["):
            break
        if line.strip():
            out.append(line.strip())
    return out
