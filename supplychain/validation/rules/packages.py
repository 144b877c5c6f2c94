"""Package rules (SPDX §7): name/version, supplier, locations, files, purls, checksums."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from packageurl import PackageURL

from supplychain.validation.findings import Hit
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import Element, SpdxView, indexed_dicts, text

# package-url/purl-spec types/ (helm is still a proposal: purl-spec PR #236).
REGISTERED_PURL_TYPES = frozenset(
    [
        "alpm",
        "apk",
        "bitbucket",
        "bitnami",
        "cargo",
        "cocoapods",
        "composer",
        "conan",
        "conda",
        "cpan",
        "cran",
        "deb",
        "docker",
        "gem",
        "generic",
        "github",
        "golang",
        "hackage",
        "hex",
        "huggingface",
        "julia",
        "luarocks",
        "maven",
        "mlflow",
        "npm",
        "nuget",
        "oci",
        "otp",
        "pub",
        "pypi",
        "qpkg",
        "rpm",
        "swid",
        "swift",
        "vscode-extension",
        "yocto",
    ]
)
CHECKSUM_HEX_LENGTHS = {
    "SHA1": 40, "SHA224": 56, "SHA256": 64, "SHA384": 96, "SHA512": 128, "MD2": 32, "MD4": 32,
    "MD5": 32, "SHA3-256": 64, "SHA3-384": 96, "SHA3-512": 128, "BLAKE2b-256": 64,
    "BLAKE2b-384": 96, "BLAKE2b-512": 128, "ADLER32": 8,
}  # fmt: skip
MIN_HEX_LENGTHS = {"BLAKE3": 64, "MD6": 1}
PLACEHOLDER_VERSIONS = frozenset({"(devel)", "unknown", "latest", "0.0.0"})
_AGENT = re.compile(r"^(Organization|Person): \S.*$")
_VCS = re.compile(r"^(git|hg|svn|bzr)\+(https?|ssh|git|svn|file|bzr\+ssh|svn\+ssh)://[^\s]+$")
_HEX = re.compile(r"^[0-9a-f]+$")


def _url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable location, or None (SPDX §7.7)."""
    if value in ("NONE", "NOASSERTION"):
        return None
    if any(ch.isspace() for ch in value):
        return "contains white space"
    if _VCS.match(value):
        netloc = urlsplit(value.split("+", 1)[1]).netloc
        return "contains user info" if "@" in netloc and ":" in netloc.split("@")[0] else None
    parts = urlsplit(value)
    if parts.scheme == "oci":
        return "oci:// is not a download URL; use the registry's https URL or a purl"
    if parts.scheme not in ("http", "https", "ftp", "sftp", "file") or not parts.netloc:
        return "is not a URL, a <vcs>+<transport>:// locator, NONE or NOASSERTION"
    if "@" in parts.netloc:
        return "contains user info (credentials)"
    return None


def _root_id(view: SpdxView) -> str | None:
    root = view.root()
    return root[0] if root else None


@rule(
    "AH-PKG-001",
    title="package name and a real versionInfo",
    source="NTIA (component name, version); SPDX §7.1, §7.3",
)
def name_version(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    for spdx_id, element in ctx.view.packages():
        body = element.body
        name = text(body.get("name"))
        if not name or not name.strip():
            yield Hit(f"package {spdx_id} has no name", element.pointer + "/name", spdx_id)
        version = body.get("versionInfo")
        if version is None:
            yield Hit(f"package {spdx_id} has no versionInfo", element.pointer, spdx_id)
        elif not isinstance(version, str) or not version.strip() or version == "NOASSERTION":
            yield Hit(
                f"package {spdx_id} versionInfo is {version!r}",
                element.pointer + "/versionInfo",
                spdx_id,
            )


@rule(
    "AH-PKG-002",
    title="supplier 'Organization: X' or 'Person: X', not NOASSERTION",
    source="NTIA (supplier name); SPDX §7.5",
    params={"exempt_spdx_ids": []},
)
def supplier(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    exempt = set(params["exempt_spdx_ids"])
    for spdx_id, element in ctx.view.packages():
        if spdx_id in exempt:
            continue
        value = element.body.get("supplier")
        where = element.pointer + "/supplier"
        if value is None:
            yield Hit(f"package {spdx_id} has no supplier", element.pointer, spdx_id)
        elif value == "NOASSERTION":
            yield Hit(f"package {spdx_id} supplier is NOASSERTION", where, spdx_id)
        elif not isinstance(value, str) or not _AGENT.match(value):
            yield Hit(
                f"package {spdx_id} supplier {value!r} is not 'Organization: …' or 'Person: …'",
                where,
                spdx_id,
            )


@rule(
    "AH-PKG-003",
    title="downloadLocation and homepage are URLs, VCS locators, NONE or NOASSERTION",
    source="SPDX §7.7, §7.11",
)
def locations(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    for spdx_id, element in ctx.view.packages():
        for key in ("downloadLocation", "homepage"):
            value = element.body.get(key)
            if value is None:
                if key == "downloadLocation":
                    yield Hit(
                        f"package {spdx_id} has no downloadLocation", element.pointer, spdx_id
                    )
                continue
            problem = _url_problem(value) if isinstance(value, str) else "is not a string"
            if (
                key == "homepage"
                and problem is None
                and isinstance(value, str)
                and "+" in (value.split(":", 1)[0])
            ):
                problem = "a homepage must be a plain URL"
            if problem:
                yield Hit(
                    f"package {spdx_id} {key} {value!r} {problem}",
                    f"{element.pointer}/{key}",
                    spdx_id,
                )


@rule(
    "AH-PKG-004",
    title="filesAnalyzed explicit and consistent with verification code and files",
    source="SPDX §7.8, §7.9, §7.14",
)
def files_analyzed(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    for spdx_id, element in view.packages():
        body = element.body
        value = body.get("filesAnalyzed")
        if not isinstance(value, bool):
            yield Hit(
                f"package {spdx_id} filesAnalyzed is not written (SPDX defaults it to true)",
                element.pointer,
                spdx_id,
            )
            continue
        code = body.get("packageVerificationCode")
        if value is False:
            if code is not None:
                yield Hit(
                    f"package {spdx_id} has filesAnalyzed false but a verification code",
                    element.pointer + "/packageVerificationCode",
                    spdx_id,
                )
            if body.get("licenseInfoFromFiles"):
                yield Hit(
                    f"package {spdx_id} has filesAnalyzed false but licenseInfoFromFiles",
                    element.pointer + "/licenseInfoFromFiles",
                    spdx_id,
                )
            for rel in view.outgoing.get(spdx_id, ()):
                target = view.elements.get(rel.target)
                if rel.type == "CONTAINS" and target is not None and target.kind == "file":
                    yield Hit(
                        f"package {spdx_id} has filesAnalyzed false but CONTAINS a file",
                        rel.pointer,
                        spdx_id,
                    )
        else:
            code_value = (
                code.get("packageVerificationCodeValue") if isinstance(code, dict) else None
            )
            if not isinstance(code_value, str) or not re.match(r"^[0-9a-f]{40}$", code_value):
                yield Hit(
                    f"package {spdx_id} has filesAnalyzed true but no 40-hex verification code",
                    element.pointer + "/packageVerificationCode",
                    spdx_id,
                )
    for rel in view.relations:
        target = view.elements.get(rel.target)
        source = view.elements.get(rel.source)
        if (
            rel.type == "CONTAINED_BY"
            and source is not None
            and source.kind == "file"
            and target is not None
            and target.body.get("filesAnalyzed") is False
        ):
            yield Hit(
                f"file {rel.source} CONTAINED_BY {rel.target}, whose filesAnalyzed is false",
                rel.pointer,
                rel.source,
            )


def _purl_problems(element: Element, spdx_id: str) -> Iterator[Hit]:
    refs = indexed_dicts(element.body.get("externalRefs"))
    purls = 0
    for index, ref in refs:
        where = f"{element.pointer}/externalRefs/{index}"
        category, rtype, locator = (
            ref.get("referenceCategory"),
            ref.get("referenceType"),
            ref.get("referenceLocator"),
        )
        if rtype != "purl":
            if category in ("PACKAGE-MANAGER", "PACKAGE_MANAGER") and rtype not in (
                "maven-central", "npm", "nuget", "bower"
            ):  # fmt: skip
                yield Hit(
                    f"package {spdx_id} PACKAGE-MANAGER reference of unknown type {rtype!r}",
                    where + "/referenceType",
                    spdx_id,
                )
            continue
        if category == "PACKAGE_MANAGER":
            yield Hit(
                f"package {spdx_id} uses 'PACKAGE_MANAGER'; SPDX 2.3 spells it 'PACKAGE-MANAGER'",
                where + "/referenceCategory",
                spdx_id,
                level="legacy_spelling",
            )
        elif category != "PACKAGE-MANAGER":
            yield Hit(
                f"package {spdx_id} purl reference has category {category!r}",
                where + "/referenceCategory",
                spdx_id,
            )
            continue
        if not isinstance(locator, str):
            continue
        try:
            purl = PackageURL.from_string(locator)
        except ValueError as exc:
            yield Hit(f"package {spdx_id} purl {locator!r} does not parse: {exc}", where, spdx_id)
            continue
        purls += 1
        if purl.type not in REGISTERED_PURL_TYPES:
            yield Hit(
                f"package {spdx_id} purl type {purl.type!r} is not registered in purl-spec",
                where + "/referenceLocator",
                spdx_id,
                level="unregistered_type",
            )
        if purl.type == "oci" and not (purl.version or "").startswith("sha256:"):
            yield Hit(
                f"package {spdx_id} oci purl {locator!r} has no sha256: digest version",
                where + "/referenceLocator",
                spdx_id,
            )
    if purls == 0:
        yield Hit(f"package {spdx_id} has no PACKAGE-MANAGER purl", element.pointer, spdx_id)


@rule(
    "AH-PKG-005",
    title="at least one PACKAGE-MANAGER purl that parses, of a registered type",
    source="NTIA other unique identifiers; CISA 2025 software identifiers; SPDX §7.21",
    params={"unregistered_type": "warning", "legacy_spelling": "warning"},
)
def purls(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    for spdx_id, element in ctx.view.packages():
        yield from _purl_problems(element, spdx_id)


def _checksum_problems(body: dict[str, Any], pointer: str, spdx_id: str) -> Iterator[Hit]:
    for index, item in indexed_dicts(body.get("checksums")):
        algorithm, value = item.get("algorithm"), item.get("checksumValue")
        where = f"{pointer}/checksums/{index}/checksumValue"
        if not isinstance(value, str) or not isinstance(algorithm, str):
            continue
        if not _HEX.match(value):
            yield Hit(f"{spdx_id} {algorithm} checksum is not lower-case hex", where, spdx_id)
            continue
        exact = CHECKSUM_HEX_LENGTHS.get(algorithm)
        minimum = MIN_HEX_LENGTHS.get(algorithm)
        if exact is not None and len(value) != exact:
            yield Hit(
                f"{spdx_id} {algorithm} checksum has {len(value)} hex digits, expected {exact}",
                where,
                spdx_id,
            )
        elif minimum is not None and len(value) < minimum:
            yield Hit(
                f"{spdx_id} {algorithm} checksum has {len(value)} hex digits, "
                f"expected at least {minimum}",
                where,
                spdx_id,
            )


@rule(
    "AH-PKG-006",
    title="root SHA256 equals the artifact digest; every checksum well-formed",
    source="CISA 2025 hash; SPDX §7.10",
    params={
        "other_packages": "warning",
        "require_root_sha256": True,
        "root_sha256_exempt_purposes": ["SOURCE"],
    },
)
def checksums(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    """A root SHA256 binds the SBOM to the artifact it describes, so it is required
    (``require_root_sha256``) — except for a root whose ``primaryPackagePurpose`` is in
    ``root_sha256_exempt_purposes`` (default ``SOURCE``): a source tree or a directory on disk has
    no artifact digest, and a checksum invented for it would bind to nothing. A SHA256 that is
    present is still checked against ``--artifact`` whatever the purpose."""
    view = ctx.view
    root_id = _root_id(view)
    for spdx_id, element in view.packages():
        for hit in _checksum_problems(element.body, element.pointer, spdx_id):
            if spdx_id == root_id:
                yield hit
            else:
                yield Hit(hit.message, hit.path, hit.spdx_id, level="other_packages")
    if root_id is None:
        return
    root = view.elements[root_id]
    sha256 = [
        c.get("checksumValue")
        for _, c in indexed_dicts(root.body.get("checksums"))
        if c.get("algorithm") == "SHA256"
    ]
    if not sha256:
        exempt = root.body.get("primaryPackagePurpose") in params["root_sha256_exempt_purposes"]
        if params["require_root_sha256"] and not exempt:
            yield Hit(
                f"the described package {root_id} has no SHA256 checksum", root.pointer, root_id
            )
        return
    facts = ctx.artifact
    if facts is not None and facts.sha256 and facts.sha256 not in sha256:
        yield Hit(
            f"root SHA256 {sha256[0]} is not the {facts.kind} digest sha256:{facts.sha256}",
            root.pointer + "/checksums",
            root_id,
        )


@rule(
    "AH-PKG-007",
    title="the root package states its primaryPackagePurpose",
    source="SPDX §7.24; sbomqs",
    severity="warning",
)
def root_purpose(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    root = ctx.view.root()
    if root is not None and "primaryPackagePurpose" not in root[1].body:
        yield Hit(
            f"the described package {root[0]} has no primaryPackagePurpose",
            root[1].pointer,
            root[0],
        )


@rule(
    "AH-PKG-008",
    title="versionInfo is not a placeholder such as (devel) or latest",
    source="SBOM.md §C.1",
    severity="warning",
)
def placeholder_version(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    for spdx_id, element in ctx.view.packages():
        version = element.body.get("versionInfo")
        if isinstance(version, str) and version.strip().lower() in PLACEHOLDER_VERSIONS:
            yield Hit(
                f"package {spdx_id} versionInfo {version!r} is a placeholder",
                element.pointer + "/versionInfo",
                spdx_id,
            )
