"""Build info from real Go binaries (ELF, PE, Mach-O built by the local toolchain, compared
with ``go version -m``) and from synthetic pointer-encoded (< Go 1.18) and hostile files."""

from __future__ import annotations

import contextlib
import io
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.catalog.golang.buildinfo import (
    MAGIC,
    BuildInfo,
    Module,
    clean_go_version,
    go_unquote_prefix,
    parse_modinfo,
    read_build_info,
)
from supplychain.errors import InvalidInputError, LimitExceededError
from tests.catalog.golang.gotool_env import go_env, run_go
from tests.conftest import require_binary

APP_GO_MOD = """module example.com/app

go 1.19

require example.com/dep v1.2.3

replace example.com/dep v1.2.3 => ./dep
"""

# println instead of fmt: four cross builds with a fresh GOCACHE stay fast.
APP_MAIN = """package main

import "example.com/dep"

var Version = "unset"

func main() { println(dep.Name, Version) }
"""


@pytest.fixture(scope="module")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same small module built for linux/amd64 (the host: fast, precompiled std), windows
    and darwin (each compiles the runtime once: ~7 s). 32-bit and big-endian ELF are covered by
    the synthetic files below."""
    go = require_binary("go")
    root = tmp_path_factory.mktemp("gobin")
    src = root / "app"
    (src / "dep").mkdir(parents=True)
    (src / "go.mod").write_text(APP_GO_MOD)
    (src / "main.go").write_text(APP_MAIN)
    (src / "dep" / "go.mod").write_text("module example.com/dep\n\ngo 1.19\n")
    (src / "dep" / "dep.go").write_text('package dep\n\nconst Name = "dep"\n')
    env = go_env(root)
    out: dict[str, Path] = {}
    for goos, goarch, name in [
        ("linux", "amd64", "app.elf"),
        ("windows", "amd64", "app.exe"),
        ("darwin", "arm64", "app.macho"),
    ]:
        target = root / name
        build_env = dict(env, GOOS=goos, GOARCH=goarch)
        run_go(
            go,
            ["build", "-tags", "netgo osusergo", "-ldflags",
             "-X main.Version=v9.8.7 -s -w", "-o", str(target), "."],
            src,
            build_env,
        )  # fmt: skip
        out[name] = target
    out["go"] = Path(go)
    out["root"] = root
    return out


def _go_version_m(go: Path, binary: Path, root: Path) -> list[str]:
    """Lines of ``go version -m`` (the oracle), without the first (file: version) line."""
    text = run_go(str(go), ["version", "-m", str(binary)], root, go_env(root))
    # Go 1.19 prints an empty line after a local replacement; it carries nothing.
    return [line.strip() for line in text.splitlines()[1:] if line.strip()]


def _render(info: BuildInfo) -> list[str]:
    """Our build info in ``go version -m`` form, for an exact comparison."""
    lines = [f"path\t{info.path}"]
    assert info.main is not None
    lines.append(f"mod\t{info.main.path}\t{info.main.version}\t{info.main.sum}".strip())
    for dep in info.deps:
        lines.append(f"dep\t{dep.path}\t{dep.version}\t{dep.sum}".strip())
        if dep.replace is not None:
            rep = dep.replace
            lines.append(f"=>\t{rep.path}\t{rep.version}\t{rep.sum}".strip())
    for key, value in info.settings:
        if " " in value or '"' in value:
            value = '"' + value.replace('"', '\\"') + '"'
        lines.append(f"build\t{key}={value}")
    return lines


@pytest.mark.parametrize("name", ["app.elf", "app.exe", "app.macho"])
def test_real_binaries_match_go_version_m(go_binaries: dict[str, Path], name: str) -> None:
    info = read_build_info(go_binaries[name])
    assert info is not None
    assert info.encoding == "inline"
    expected = _go_version_m(go_binaries["go"], go_binaries[name], go_binaries["root"])
    assert _render(info) == expected
    dep = info.deps[0]
    assert (dep.path, dep.version) == ("example.com/dep", "v1.2.3")
    assert dep.replace == Module("./dep", "(devel)")
    assert dep.is_local_replace
    assert info.setting("-tags") == "netgo,osusergo"
    assert info.main_version() == ("v9.8.7", "ldflags")


def test_executable_kinds_and_platforms(go_binaries: dict[str, Path]) -> None:
    kinds = {}
    for name in ["app.elf", "app.exe", "app.macho"]:
        info = read_build_info(go_binaries[name])
        assert info is not None
        kinds[name] = (info.executable_format, info.platform, info.machine)
    assert kinds == {
        "app.elf": ("elf", "linux/amd64", "amd64"),
        "app.exe": ("pe", "windows/amd64", "amd64"),
        "app.macho": ("macho", "darwin/arm64", "arm64"),
    }


def test_stream_input_and_go_version(go_binaries: dict[str, Path]) -> None:
    data = go_binaries["app.elf"].read_bytes()
    info = read_build_info(io.BytesIO(data))
    assert info is not None
    assert info.go_version.startswith("go1.")
    assert info.go_version == clean_go_version(info.go_version_raw)


def test_truncated_real_binary_is_not_a_crash(go_binaries: dict[str, Path]) -> None:
    data = go_binaries["app.elf"].read_bytes()
    for cut in (63, 64, 200, len(data) // 3, len(data) // 2, len(data) - 100):
        with contextlib.suppress(InvalidInputError):
            read_build_info(io.BytesIO(data[:cut]))


def test_not_go_files_give_none(tmp_path: Path) -> None:
    assert read_build_info(io.BytesIO(b"")) is None
    assert read_build_info(io.BytesIO(b"#!/bin/sh\necho hi\n" * 10)) is None
    assert read_build_info(io.BytesIO(b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\0" * 100)) is None
    # A valid ELF without the magic: a C program.
    assert read_build_info(_elf_with_data(b"\0" * 256)) is None


# --- synthetic pointer-format (Go < 1.18) ELF files ------------------------------------------

VADDR = 0x400000
DATA_OFF = 0x100


def _elf_with_data(
    data: bytes, *, is64: bool = True, big: bool = False, flags: int = 6, vaddr: int = VADDR
) -> io.BytesIO:
    """An ELF with one PT_LOAD segment (R+W by default) holding ``data`` at ``vaddr``."""
    bo = ">" if big else "<"
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 2 if big else 1, 1]) + b"\0" * 9
    if is64:
        head = ident + struct.pack(bo + "HHIQQQIHHHHHH", 2, 62, 1, 0, 64, 0, 0, 64, 56, 1, 64, 0, 0)
        ph = struct.pack(
            bo + "IIQQQQQQ", 1, flags, DATA_OFF, vaddr, vaddr, len(data), len(data), 16
        )
    else:
        head = ident + struct.pack(bo + "HHIIIIIHHHHHH", 2, 22, 1, 0, 52, 0, 0, 52, 32, 1, 40, 0, 0)
        ph = struct.pack(
            bo + "IIIIIIII", 1, DATA_OFF, vaddr, vaddr, len(data), len(data), flags, 16
        )
    blob = (head + ph).ljust(DATA_OFF, b"\0") + data
    return io.BytesIO(blob)


def _sentinel_wrap(modinfo: str) -> bytes:
    return b"0123456789abcdef" + modinfo.encode() + b"fedcba9876543210"


def _pointer_blob(version: str, modinfo: bytes, *, ptr: int, big: bool, pad: int = 0) -> bytes:
    """Header at a 16-aligned offset ``pad``, then string headers, then the string bytes."""
    order = "big" if big else "little"
    base = VADDR + pad
    vers_hdr = base + 32
    mod_hdr = vers_hdr + 2 * ptr
    vers_data = mod_hdr + 2 * ptr
    mod_data = vers_data + len(version)

    def p(value: int) -> bytes:
        return value.to_bytes(ptr, order)

    header = (MAGIC + bytes([ptr, 1 if big else 0]) + p(vers_hdr) + p(mod_hdr)).ljust(32, b"\0")
    body = p(vers_data) + p(len(version)) + p(mod_data) + p(len(modinfo))
    return b"\0" * pad + header + body + version.encode() + modinfo


MODINFO = (
    "path\texample.com/old\n"
    "mod\texample.com/old\tv1.0.0\th1:main=\n"
    "dep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n"
    "dep\texample.com/util\tv1.1.0\t\n"
    "=>\tgithub.com/acme/util\tv1.1.2\th1:acme=\n"
    'build\t-ldflags="-s -w"\n'
    "build\tvcs.revision=0123456789abcdef0123\n"
)


@pytest.mark.parametrize(("is64", "big"), [(True, False), (False, True), (False, False)])
def test_pointer_encoding(is64: bool, big: bool) -> None:
    ptr = 8 if is64 else 4
    blob = _pointer_blob("go1.16.15", _sentinel_wrap(MODINFO), ptr=ptr, big=big, pad=48)
    info = read_build_info(_elf_with_data(blob, is64=is64, big=big))
    assert info is not None
    assert info.encoding == "pointer"
    assert info.go_version == "go1.16.15"
    assert info.main == Module("example.com/old", "v1.0.0", "h1:main=")
    assert [d.path for d in info.deps] == ["golang.org/x/text", "example.com/util"]
    assert info.deps[1].replace == Module("github.com/acme/util", "v1.1.2", "h1:acme=")
    assert info.setting("-ldflags") == "-s -w"
    assert info.main_version() == ("v1.0.0", "buildinfo")


def test_magic_must_be_16_aligned() -> None:
    blob = _pointer_blob("go1.16", _sentinel_wrap(MODINFO), ptr=8, big=False, pad=48)
    shifted = b"\0" * 8 + blob  # header now at offset 56: not aligned, and nothing else is
    assert read_build_info(_elf_with_data(shifted)) is None


def test_executable_segment_is_not_searched() -> None:
    blob = _pointer_blob("go1.16", _sentinel_wrap(MODINFO), ptr=8, big=False)
    assert read_build_info(_elf_with_data(blob, flags=7)) is None  # R+W+X


def test_no_sentinels_means_no_module_info() -> None:
    blob = _pointer_blob("go1.16", b"path\tx\nmod\tx\tv1\n", ptr=8, big=False)
    info = read_build_info(_elf_with_data(blob))
    assert info is not None and info.main is None and info.deps == ()


def test_hostile_pointer_outside_file() -> None:
    blob = bytearray(_pointer_blob("go1.16", _sentinel_wrap(MODINFO), ptr=8, big=False))
    blob[16:24] = (0xDEADBEEF0000).to_bytes(8, "little")
    with pytest.raises(InvalidInputError, match="outside the file"):
        read_build_info(_elf_with_data(bytes(blob)))


def test_hostile_huge_length() -> None:
    blob = bytearray(_pointer_blob("go1.16", _sentinel_wrap(MODINFO), ptr=8, big=False))
    at = 32 + 8  # length word of the version string header
    blob[at : at + 8] = (1 << 40).to_bytes(8, "little")
    with pytest.raises(LimitExceededError):
        read_build_info(_elf_with_data(bytes(blob)))


def test_hostile_inline_length_past_segment() -> None:
    header = (MAGIC + bytes([8, 2])).ljust(32, b"\0")
    blob = header + b"\xff\xff\x03" + b"go1.22"  # claims ~64 KiB, has 6 bytes
    with pytest.raises(InvalidInputError, match="past its segment"):
        read_build_info(_elf_with_data(blob))
    endless = header + b"\xff" * 12
    with pytest.raises(InvalidInputError):
        read_build_info(_elf_with_data(endless))


def test_hostile_header_counts() -> None:
    data = bytearray(_elf_with_data(b"\0" * 64).getvalue())
    struct.pack_into("<H", data, 56, 0xFFFF)  # e_phnum
    assert read_build_info(io.BytesIO(bytes(data))) is None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.integers(min_value=0, max_value=600))
def test_fuzzed_elf_data_never_crashes(data: bytes, cut: int) -> None:
    blob = bytearray(_pointer_blob("go1.16", _sentinel_wrap(MODINFO), ptr=8, big=False))
    blob[cut % len(blob) : cut % len(blob) + len(data)] = data
    with contextlib.suppress(InvalidInputError, LimitExceededError):
        read_build_info(_elf_with_data(bytes(blob)))


# --- module info text -------------------------------------------------------------------------


def test_modinfo_quoted_settings_and_errors() -> None:
    info = parse_modinfo('build\t"a b"="x\\ty"\nbuild\tGOOS=linux\nweird\tline\n')
    assert info.settings == (("a b", "x\ty"), ("GOOS", "linux"))
    assert info.extra == ("weird\tline",)
    with pytest.raises(InvalidInputError, match="line 1"):
        parse_modinfo("build\tnoequals\n")
    with pytest.raises(InvalidInputError, match="replacement without a module"):
        parse_modinfo("=>\tx\tv1\n")
    with pytest.raises(InvalidInputError):
        parse_modinfo("dep\t\tv1\n")


def test_go_unquote() -> None:
    assert go_unquote_prefix('"a\\"b\\u00e9\\x41\\101"rest') == ('a"béAA', "rest")
    assert go_unquote_prefix("`raw\\n`x") == ("raw\\n", "x")
    for bad in ['"open', '"\\q"', '"\\u12"', "`open"]:
        with pytest.raises(ValueError):
            go_unquote_prefix(bad)


def test_clean_go_version() -> None:
    assert clean_go_version("go1.22.1 X:boringcrypto") == "go1.22.1"
    assert clean_go_version("go1.26-X:nodwarf5") == "go1.26"
    assert clean_go_version("go1.21.0 (Red Hat 1.21.0-1.el9)") == "go1.21.0"


def test_main_version_from_vcs() -> None:
    info = BuildInfo(
        go_version="go1.22",
        go_version_raw="go1.22",
        main=Module("example.com/app", "(devel)"),
        settings=(
            ("vcs.revision", "0123456789abcdef"),
            ("vcs.time", "2025-01-01T12:00:00Z"),
            ("vcs.modified", "true"),
        ),
    )
    assert info.main_version() == ("v0.0.0-20250101120000-0123456789ab+dirty", "vcs")
    bare = BuildInfo(go_version="go1.22", go_version_raw="go1.22")
    assert bare.main_version() == ("(devel)", "none")


def test_committed_fixture_binary() -> None:
    """testdata/gomod/gobin/hello-linux-amd64 (rebuilt by make.sh) is what image tests use."""
    path = Path(__file__).parents[3] / "testdata" / "gomod" / "gobin" / "hello-linux-amd64"
    info = read_build_info(path)
    assert info is not None
    assert info.path == "example.com/gobinfixture"
    assert info.platform == "linux/amd64"
    assert info.setting("-trimpath") == "true"
