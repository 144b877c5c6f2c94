"""vendor/modules.txt: what ``go mod vendor`` copied, which is the build list of a vendored build.

Format (written by cmd/go ``modcmd/vendor.go``)::

    # example.com/a v1.2.0                module line, optionally "=> new [version]"
    ## explicit; go 1.17                   annotations: required by go.mod, its go version
    example.com/a/pkg                      packages copied from it
    # example.com/b => ../b                a replacement with no module line of its own

The dependencies' go.mod files are not vendored, so the vendor tree tells us membership and
replacements but no edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from supplychain.catalog.golang import semver
from supplychain.catalog.golang.buildinfo import is_local_path
from supplychain.catalog.golang.modlex import decode, problem


@dataclass
class VendoredModule:
    path: str
    version: str  # "" only for a replacement-only line
    replace_path: str = ""
    replace_version: str = ""
    explicit: bool = False
    go: str | None = None
    packages: list[str] = field(default_factory=list)


def parse_modules_txt(
    data: bytes | str, *, filename: str = "vendor/modules.txt"
) -> list[VendoredModule]:
    """Modules in file order. Raises ``InvalidInputError`` with ``file:line`` on bad lines."""
    text = decode(data, filename)
    modules: list[VendoredModule] = []
    current: VendoredModule | None = None
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("## "):
            if current is None:
                raise problem(filename, lineno, "annotation before any module", raw)
            for note in line[3:].split(";"):
                note = note.strip()
                if note == "explicit":
                    current.explicit = True
                elif note.startswith("go "):
                    current.go = note[3:].strip()
                elif not note:
                    raise problem(filename, lineno, "empty annotation", raw)
            continue
        if line.startswith("# "):
            current = _module_line(line[2:].split(), filename, lineno, raw)
            modules.append(current)
            continue
        if line.startswith("#"):
            raise problem(filename, lineno, "malformed module line", raw)
        if current is None or not current.version or " " in line.strip():
            raise problem(filename, lineno, "package line outside a module", raw)
        current.packages.append(line.strip())
    return modules


def _module_line(words: list[str], filename: str, lineno: int, raw: str) -> VendoredModule:
    left, right = words, []
    if "=>" in words:
        at = words.index("=>")
        left, right = words[:at], words[at + 1 :]
        if len(right) not in (1, 2) or (len(right) == 1 and not is_local_path(right[0])):
            raise problem(filename, lineno, "malformed replacement", raw)
        if len(right) == 2 and not semver.is_valid(right[1]):
            raise problem(filename, lineno, "invalid replacement version", raw)
    if len(left) not in (1, 2) or (len(left) == 1 and not right):
        raise problem(filename, lineno, "malformed module line", raw)
    if len(left) == 2 and not semver.is_valid(left[1]):
        raise problem(filename, lineno, "invalid version", raw)
    return VendoredModule(
        path=left[0],
        version=left[1] if len(left) == 2 else "",
        replace_path=right[0] if right else "",
        replace_version=right[1] if len(right) == 2 else "",
    )
