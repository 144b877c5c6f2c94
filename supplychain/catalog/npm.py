"""Installed npm packages: every ``node_modules/[@scope/]name/package.json``.

Only a package's own top-level ``package.json`` counts (a ``lib/package.json`` inside a package
is not a package). ``dependencies`` are resolved the way Node's ``require`` does: the nearest
``node_modules/<dep>`` walking up from the package's directory, so the edge goes to the copy that
would really be loaded. ``node_modules/.package-lock.json`` (npm ≥ 7) adds the ``resolved`` URL
and the ``integrity`` SHA-512 when present.

The application itself — a ``package.json`` outside any ``node_modules`` with a
``node_modules`` directory beside it — is reported too, as an ``APPLICATION`` package that
``DEPENDS_ON`` the installed copies of its ``dependencies`` (Trivy reports it; leaving it out
loses the one package the image exists for).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from supplychain.catalog import licenses, purl
from supplychain.catalog.base import CatalogResult, make_package
from supplychain.catalog.fileview import FileView, parent
from supplychain.catalog.os_release import Distro
from supplychain.errors import Error
from supplychain.model.sbom import NONE, Checksum, Purpose, RelType

_PACKAGE_JSON = re.compile(r"(?:^|/)node_modules/(?:@[^/]+/)?[^/@.][^/]*/package\.json$")
_LOCKFILE = re.compile(r"(?:^|/)node_modules/\.package-lock\.json$")
_APP_LOCKFILE = re.compile(r"(?:^|/)package-lock\.json$")
_APP_MANIFEST = re.compile(r"(?:^|/)package\.json$")
_LIMIT = 4 * 1024 * 1024
_LOCK_LIMIT = 64 * 1024 * 1024
_AUTHOR = re.compile(r"^\s*([^<(]+?)\s*(?:<([^>]+)>)?\s*(?:\(([^)]*)\))?\s*$")


class NpmCataloger:
    name = "npm"
    version = "2"  # 2: the application's own package.json is captured and reported
    magics: tuple[bytes, ...] = ()

    def wants(self, path: str) -> bool:
        return bool(
            _PACKAGE_JSON.search(path)
            or _LOCKFILE.search(path)
            or (
                (_APP_LOCKFILE.search(path) or _APP_MANIFEST.search(path))
                and "node_modules/" not in path
            )
        )

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        result = CatalogResult()
        # One walk of the view (it can hold tens of thousands of paths), split by kind.
        manifests, lockfiles, app_manifests, app_locks = [], [], [], []
        for p in view.paths():
            if p.endswith("package.json"):
                if _PACKAGE_JSON.search(p):
                    manifests.append(p)
                elif "node_modules/" not in p and _APP_MANIFEST.search(p):
                    app_manifests.append(p)
            elif _LOCKFILE.search(p):
                lockfiles.append(p)
            elif _APP_LOCKFILE.search(p):
                app_locks.append(p)
        manifests.sort()
        locks = self._lockfiles(view, result, sorted(lockfiles))
        found: dict[str, str] = {}  # package dir → ref
        deps: list[tuple[str, str, dict[str, Any] | None]] = []
        for path in manifests:
            data = _load(view, path, _LIMIT, result)
            if data is None:
                continue
            name, version = data.get("name"), data.get("version")
            if not isinstance(name, str) or not name or not isinstance(version, str):
                result.warn("sbom.bad-metadata", path, "package.json without name or version")
                continue
            pkg_dir = parent(path)
            lock = locks.get(pkg_dir, {})
            checksums = _integrity(lock.get("integrity"))
            resolved = lock.get("resolved")
            pkg = make_package(
                "npm",
                name,
                version,
                purl=purl.npm(name, version),
                location=path,
                view=view,
                purpose=Purpose.LIBRARY,
                supplier=_author(data.get("author")),
                declared=result.declared(_license(data)),
                homepage=_url(data.get("homepage")),
                summary=data["description"] if isinstance(data.get("description"), str) else None,
                download_location=resolved
                if isinstance(resolved, str) and resolved.startswith("https://")
                else None,
                checksums=checksums,
            )
            ref = result.add(pkg)
            found[pkg_dir] = ref
            dependencies = data.get("dependencies")
            deps.append((ref, pkg_dir, dependencies if isinstance(dependencies, dict) else None))
        apps = self._applications(view, result, sorted(app_manifests))
        self._edges(result, found, deps + apps)
        for path in sorted(app_locks):
            app_dir = parent(path)
            modules = f"{app_dir}/node_modules" if app_dir else "node_modules"
            if "node_modules/" not in path and not view.is_dir(modules):
                self._declared(view, result, path)
        return result

    def _applications(
        self, view: FileView, result: CatalogResult, manifests: list[str]
    ) -> list[tuple[str, str, dict[str, Any] | None]]:
        """Each app root: a ``package.json`` outside ``node_modules`` beside a ``node_modules``
        directory. Its edges are resolved like a package's, from the app's own directory."""
        apps = []
        for path in manifests:
            app_dir = parent(path)
            if not view.is_dir(f"{app_dir}/node_modules" if app_dir else "node_modules"):
                continue
            data = _load(view, path, _LIMIT, result)
            if data is None:
                continue
            name, version = data.get("name"), data.get("version")
            if not isinstance(name, str) or not name:
                result.warn("sbom.bad-metadata", path, "application package.json without name")
                continue
            version = version if isinstance(version, str) and version else None
            pkg = make_package(
                "npm",
                name,
                version,
                purl=purl.npm(name, version),
                location=path,
                view=view,
                purpose=Purpose.APPLICATION,
                supplier=_author(data.get("author")),
                declared=result.declared(_license(data)),
                homepage=_url(data.get("homepage")),
                summary=data["description"] if isinstance(data.get("description"), str) else None,
            )
            ref = result.add(pkg)
            dependencies = data.get("dependencies")
            apps.append((ref, app_dir, dependencies if isinstance(dependencies, dict) else None))
        return apps

    def _edges(
        self,
        result: CatalogResult,
        found: dict[str, str],
        deps: list[tuple[str, str, dict[str, Any] | None]],
    ) -> None:
        for ref, pkg_dir, dependencies in deps:
            if not dependencies:
                result.relate(ref, RelType.DEPENDS_ON, NONE)
                continue
            for dep in sorted(dependencies):
                target = _resolve(found, pkg_dir, dep)
                if target is not None:
                    result.relate(ref, RelType.DEPENDS_ON, target)

    def _declared(self, view: FileView, result: CatalogResult, path: str) -> None:
        """An app lockfile (v2/v3 ``packages`` map) shipped without ``node_modules``: what
        would be installed, marked ``declared`` (SBOM.md §C). Dev-only entries are left out."""
        data = _load(view, path, _LOCK_LIMIT, result)
        packages = data.get("packages") if data else None
        if not isinstance(packages, dict):
            if data is not None:
                result.warn("sbom.bad-metadata", path, "lockfile without a packages map (v1)")
            return
        base = parent(path)
        found: dict[str, str] = {}
        deps: list[tuple[str, str, dict[str, Any] | None]] = []
        for key in sorted(k for k in packages if isinstance(k, str) and k):
            entry = packages[key]
            if not isinstance(entry, dict) or entry.get("dev") is True or entry.get("link"):
                continue
            name = entry.get("name") or key.rpartition("node_modules/")[2]
            version = entry.get("version")
            if not isinstance(name, str) or not name or not isinstance(version, str):
                continue
            resolved = entry.get("resolved")
            pkg = make_package(
                "npm",
                name,
                version,
                purl=purl.npm(name, version),
                location=path,
                view=view,
                purpose=Purpose.LIBRARY,
                declared=result.declared(_license(entry)),
                download_location=resolved
                if isinstance(resolved, str) and resolved.startswith("https://")
                else None,
                checksums=_integrity(entry.get("integrity")),
                properties=[("supplychain:npm:declared", path)],
            )
            pkg_dir = f"{base}/{key}" if base else key
            found[pkg_dir] = result.add(pkg)
            dependencies = entry.get("dependencies")
            deps.append(
                (found[pkg_dir], pkg_dir, dependencies if isinstance(dependencies, dict) else None)
            )
        self._edges(result, found, deps)

    def _lockfiles(
        self, view: FileView, result: CatalogResult, paths: list[str]
    ) -> dict[str, dict[str, Any]]:
        """Package dir → its entry in the hidden lockfile npm keeps in ``node_modules``."""
        entries: dict[str, dict[str, Any]] = {}
        for path in paths:
            data = _load(view, path, _LOCK_LIMIT, result)
            packages = data.get("packages") if data else None
            if not isinstance(packages, dict):
                continue
            base = parent(parent(path))
            for key, entry in packages.items():
                if isinstance(key, str) and key and isinstance(entry, dict):
                    entries[f"{base}/{key}" if base else key] = entry
        return entries


def _load(view: FileView, path: str, limit: int, result: CatalogResult) -> dict[str, Any] | None:
    try:
        data = json.loads(view.read(path, limit))
    except (Error, ValueError, RecursionError) as exc:
        result.warn("sbom.bad-metadata", path, f"unreadable JSON: {type(exc).__name__}")
        return None
    return data if isinstance(data, dict) else None


def _resolve(found: dict[str, str], pkg_dir: str, dep: str) -> str | None:
    """Node's lookup: ``<dir>/node_modules/<dep>``, then each ancestor's ``node_modules``."""
    current = pkg_dir
    while True:
        candidate = f"{current}/node_modules/{dep}" if current else f"node_modules/{dep}"
        if candidate in found:
            return found[candidate]
        if not current:
            return None
        current = parent(current)


def _license(data: dict[str, Any]) -> licenses.DeclaredLicense | None:
    """``license`` string; legacy ``{type}`` object or ``licenses`` array → ``OR``."""
    value = data.get("license")
    if isinstance(value, dict):
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        if value.strip().upper().startswith("SEE LICENSE IN"):
            return None
        return licenses.normalize(value)
    legacy = data.get("licenses")
    if isinstance(legacy, list):
        raw = [(item.get("type") if isinstance(item, dict) else item) for item in legacy]
        names = [n for n in raw if isinstance(n, str) and n.strip()]
        if names:
            return licenses.normalize(" OR ".join(sorted(set(names))))
    return None


def _author(value: object) -> str | None:
    name = email = None
    if isinstance(value, dict):
        name, email = value.get("name"), value.get("email")
    elif isinstance(value, str):
        match = _AUTHOR.match(value)
        if match:
            name, email = match.group(1), match.group(2)
    if not isinstance(name, str) or not name.strip():
        return None
    clean = " ".join(name.replace("(", " ").replace(")", " ").split())
    if isinstance(email, str) and re.fullmatch(r"[^\s()<>@,]+@[^\s()<>@,]+", email):
        return f"Person: {clean} ({email})"
    return f"Person: {clean}"


def _url(value: object) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None


def _integrity(value: object) -> list[Checksum]:
    """Subresource-integrity ``sha512-<base64>`` → SPDX ``SHA512`` hex."""
    out = []
    if isinstance(value, str):
        for item in value.split():
            alg, _, b64 = item.partition("-")
            if alg == "sha512":
                try:
                    raw = base64.b64decode(b64, validate=True)
                except ValueError:
                    continue
                if len(raw) == 64:
                    out.append(Checksum("SHA512", raw.hex()))
    return out
