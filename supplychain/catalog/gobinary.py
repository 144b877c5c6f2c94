"""Go binaries: the main module, every dependency module and the toolchain (``stdlib``).

Any regular file may be a Go binary (the exec bit is ignored, unlike Trivy), so this cataloger
wants files by content (``magics``: ELF, PE, Mach-O, fat Mach-O) rather than by path, and reads
the build info with the Go engineer's reader (``catalog.golang.buildinfo``), which never runs
anything. SBOM.md §C.1/§D/§E.3 decide the shape: replaced modules get the purl of their ``=>``
target, local replacements keep the original path without a version, ``h1:`` sums are
annotations (they hash no single file), the binary records no edges between dependencies so
``main DEPENDS_ON`` each of them and each dependency's own edges are ``NOASSERTION``.
"""

from __future__ import annotations

import re

from supplychain.catalog import purl
from supplychain.catalog.base import CatalogResult, make_package
from supplychain.catalog.fileview import FileView, basename
from supplychain.catalog.golang.buildinfo import BuildInfo, Module, read_build_info
from supplychain.catalog.golang.exefile import NotExecutable
from supplychain.catalog.os_release import Distro
from supplychain.errors import Error
from supplychain.model.sbom import NOASSERTION, NONE, Package, Purpose, RelType

MAGICS = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\xca\xfe\xba\xbf",
)
MAX_BINARY = 512 * 1024 * 1024
_UPX_PROBE = 4096
_FORGES = ("github.com/", "gitlab.com/", "bitbucket.org/")
# Vanity import paths whose owner is not in the path (SBOM.md §F.3).
_VANITY = {
    "golang.org/x/": "Go",
    "google.golang.org/": "Google",
    "cloud.google.com/": "Google",
    "k8s.io/": "Kubernetes",
    "sigs.k8s.io/": "Kubernetes",
    "go.uber.org/": "Uber",
    "go.opentelemetry.io/": "OpenTelemetry",
    "gopkg.in/": "",
}
_RC = re.compile(r"^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$")


class GoBinaryCataloger:
    name = "gobinary"
    version = "1"
    magics: tuple[bytes, ...] = MAGICS
    # A magic-matched file is only worth capturing if it holds one of these (build-info magic,
    # or a UPX header we report): keeps every other ELF of a distro out of the layer capture.
    content_markers: tuple[bytes, ...] = (b"\xff Go buildinf:", b"UPX!")

    def wants(self, path: str) -> bool:
        return False  # by content only: see ``magics``

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        result = CatalogResult()
        # An image view knows which files were captured (only those that passed the magic and
        # build-info marker test while streaming); probing the rest would fail on every one.
        captured = getattr(view, "captured_paths", None)
        candidates = captured() if callable(captured) else view.paths()
        for path in sorted(candidates):
            if not view.is_file(path):
                continue
            try:
                size = view.size(path)
                if size < 64:
                    continue
                with view.open(path) as stream:
                    head = stream.read(_UPX_PROBE)
                    if not head.startswith(MAGICS):
                        continue
                    if size > MAX_BINARY:
                        result.warn("sbom.not-analysed", path, "binary over the size limit")
                        continue
                    if b"UPX!" in head:
                        result.warn("sbom.packed-binary", path, "UPX-packed: modules unreadable")
                        continue
                    info = read_build_info(stream)
            except (Error, NotExecutable, OSError, ValueError) as exc:
                result.warn("sbom.bad-metadata", path, f"Go build info unreadable: {exc}")
                continue
            if info is not None:
                self._binary(view, result, path, info)
        return result

    def _binary(self, view: FileView, result: CatalogResult, path: str, info: BuildInfo) -> None:
        version, source = info.main_version()
        main_path = info.main.path if info.main else (info.path or basename(path))
        props = [
            ("supplychain:golang:toolchain", info.go_version_raw),
            ("supplychain:golang:version-source", source),
        ]
        props += [(f"supplychain:golang:build:{k}", v) for k, v in info.settings]
        if info.platform:
            props.append(("supplychain:platform", info.platform))
        if info.main is None or main_path == "command-line-arguments":
            props.append(("supplychain:golang:main", "command-line-arguments"))
        purl_version = version if version != "(devel)" else None
        main = make_package(
            "golang",
            main_path,
            version,
            purl=purl.golang(main_path, purl_version),
            location=path,
            view=view,
            purpose=Purpose.APPLICATION,
            supplier=derived_supplier(main_path),
            properties=props + derived_supplier_properties(main_path),
        )
        main_ref = result.add(main)
        for dep in info.deps:
            ref = result.add(self._module(view, path, dep))
            result.relate(main_ref, RelType.DEPENDS_ON, ref)
            result.relate(ref, RelType.DEPENDS_ON, NOASSERTION)
        stdlib = stdlib_version(info.go_version)
        if stdlib is not None:
            std = make_package(
                "golang",
                "stdlib",
                stdlib,
                purl=purl.golang("stdlib", stdlib),
                location=path,
                view=view,
                purpose=Purpose.LIBRARY,
                supplier="Organization: Go",
                cpes=[stdlib_cpe(info.go_version)],
                properties=[("supplychain:golang:toolchain", info.go_version_raw)],
            )
            std_ref = result.add(std)
            result.relate(main_ref, RelType.DEPENDS_ON, std_ref)
            result.relate(std_ref, RelType.DEPENDS_ON, NONE)
        if not info.deps and stdlib is None:
            result.relate(main_ref, RelType.DEPENDS_ON, NONE)

    def _module(self, view: FileView, path: str, dep: Module) -> Package:
        props: list[tuple[str, str]] = []
        target = dep
        if dep.replace is not None:
            props.append(("supplychain:golang:replaces", f"{dep.path}@{dep.version}"))
            if dep.is_local_replace:
                props.append(("supplychain:golang:replace-local", dep.replace.path))
                return make_package(
                    "golang",
                    dep.path,
                    "(devel)",
                    purl=purl.golang(dep.path, None),
                    location=path,
                    view=view,
                    purpose=Purpose.LIBRARY,
                    supplier=derived_supplier(dep.path),
                    properties=props + derived_supplier_properties(dep.path),
                )
            target = dep.replace
        if target.sum:
            props.append(("supplychain:golang:h1", target.sum))
        return make_package(
            "golang",
            target.path,
            target.version or None,
            purl=purl.golang(target.path, target.version or None),
            location=path,
            view=view,
            purpose=Purpose.LIBRARY,
            supplier=derived_supplier(target.path),
            properties=props + derived_supplier_properties(target.path),
        )


def stdlib_version(go_version: str) -> str | None:
    """``go1.22.1`` → ``1.22.1``; ``go1.23rc1`` → ``1.23.0-rc.1`` (SBOM.md §D)."""
    match = _RC.match(go_version)
    if not match:
        return None
    major, minor, patch, pre, num = match.groups()
    version = f"{major}.{minor}.{patch or 0}"
    return f"{version}-{pre}.{num}" if pre else version


def stdlib_cpe(go_version: str) -> str:
    """``cpe:2.3:a:golang:go:1.22.1:-:…``; pre-releases put ``rc1`` in the update field."""
    match = _RC.match(go_version)
    if not match:
        return "cpe:2.3:a:golang:go:*:*:*:*:*:*:*:*"
    major, minor, patch, pre, num = match.groups()
    if pre:
        return f"cpe:2.3:a:golang:go:{major}.{minor}.{patch or 0}:{pre}{num}:*:*:*:*:*:*"
    return f"cpe:2.3:a:golang:go:{major}.{minor}.{patch or 0}:-:*:*:*:*:*:*"


def derived_supplier(module: str) -> str | None:
    """SBOM.md §F.3: the owner segment on a forge, else the vanity table, else unknown (None).
    Shared with the ``gomod:``/``gobin:`` SBOMs so a module has one supplier everywhere."""
    for forge in _FORGES:
        if module.startswith(forge):
            owner = module[len(forge) :].split("/")[0]
            return f"Organization: {owner}" if owner else None
    for prefix, org in _VANITY.items():
        if module.startswith(prefix) and org:
            return f"Organization: {org}"
    return None


def derived_supplier_properties(module: str) -> list[tuple[str, str]]:
    """Marks a supplier we derived from the module path rather than read from metadata."""
    return [("supplychain:supplier-source", "derived")] if derived_supplier(module) else []
