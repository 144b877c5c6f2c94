"""go.mod / go.sum / go.work / modules.txt parsers: every directive and form, precise errors, and
hypothesis fuzzing (only InvalidInputError-family errors, never another exception or a hang)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.catalog.golang import modlex, semver
from supplychain.catalog.golang.gosum import parse_gosum
from supplychain.catalog.golang.gowork import parse_gowork
from supplychain.catalog.golang.modfile import ModuleVersion, Replace, parse_modfile
from supplychain.catalog.golang.sources import parse_graph
from supplychain.catalog.golang.vendor import parse_modules_txt
from supplychain.errors import InvalidInputError, RejectedError

FULL = """// Deprecated: use example.com/app/v2 instead.
module "example.com/app"

go 1.23.1
toolchain go1.23.4

godebug (
\tpanicnil=1
\thttp2client=0
)
godebug asynctimerchan=1

require example.com/single v1.0.0 // indirect
require (
\texample.com/a v1.2.3
\t"example.com/quoted" v0.1.0 // indirect; used by tests
\texample.com/pre v1.0.0-rc.1+incompatible
\texample.com/not-indirect v1.0.0 // indirectly mentioned
)

exclude example.com/a v1.2.2
exclude (
\texample.com/b v0.9.0
)

replace example.com/all => example.com/fork v1.1.0
replace example.com/one v1.0.0 => example.com/fork v1.0.1
replace (
\texample.com/local => ../local
\texample.com/abs v1.0.0 => /srv/abs
)

retract v1.0.1 // published by mistake
retract [v0.9.0, v0.9.5]
retract (
\t// whole range broken
\t[v0.1.0, v0.2.0]
)

tool example.com/a/cmd/gen
tool (
\texample.com/b/cmd/x
)
ignore ./testdata
frobnicate everything
"""


def test_every_directive() -> None:
    mf = parse_modfile(FULL)
    assert mf.module == "example.com/app"
    assert mf.deprecated == "use example.com/app/v2 instead."
    assert (mf.go, mf.toolchain) == ("1.23.1", "go1.23.4")
    assert mf.godebug == (("panicnil", "1"), ("http2client", "0"), ("asynctimerchan", "1"))
    reqs = [(r.path, r.version, r.indirect) for r in mf.requires]
    assert reqs == [
        ("example.com/single", "v1.0.0", True),
        ("example.com/a", "v1.2.3", False),
        ("example.com/quoted", "v0.1.0", True),
        ("example.com/pre", "v1.0.0-rc.1+incompatible", False),
        ("example.com/not-indirect", "v1.0.0", False),
    ]
    assert mf.excludes == (
        ModuleVersion("example.com/a", "v1.2.2"),
        ModuleVersion("example.com/b", "v0.9.0"),
    )
    assert [(r.old_path, r.old_version, r.new_path, r.new_version) for r in mf.replaces] == [
        ("example.com/all", "", "example.com/fork", "v1.1.0"),
        ("example.com/one", "v1.0.0", "example.com/fork", "v1.0.1"),
        ("example.com/local", "", "../local", ""),
        ("example.com/abs", "v1.0.0", "/srv/abs", ""),
    ]
    assert mf.replaces[2].is_local and not mf.replaces[0].is_local
    assert [(r.low, r.high) for r in mf.retracts] == [
        ("v1.0.1", "v1.0.1"),
        ("v0.9.0", "v0.9.5"),
        ("v0.1.0", "v0.2.0"),
    ]
    assert mf.retracts[0].rationale == "published by mistake"
    assert mf.retracts[2].rationale == "whole range broken"
    assert mf.tools == ("example.com/a/cmd/gen", "example.com/b/cmd/x")
    assert mf.ignores == ("./testdata",)
    assert len(mf.warnings) == 1 and "frobnicate" in mf.warnings[0]
    assert mf.pruned


def test_pruning_by_go_version() -> None:
    assert not parse_modfile("module m\n").pruned
    assert not parse_modfile("module m\ngo 1.16\n").pruned
    assert parse_modfile("module m\ngo 1.17\n").pruned
    assert parse_modfile("module m\ngo 1.21rc1\n").pruned


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("module a\nmodule b\n", 2, "repeated module"),
        ("module m\nrequire x\n", 2, "usage: require"),
        ("module m\nrequire x 1.2.3\n", 2, "invalid version"),
        ("module m\nrequire x v1.2\n", 2, "invalid version"),
        ("module m\nrequire (\n\tx v1.0.0\n", 2, "never closed"),
        ("module m\nreplace x => y\n", 2, "directory path"),
        ("module m\nreplace x => ./y v1.0.0\n", 2, "cannot have a version"),
        ("module m\nreplace x v1.0.0 y v1.0.0\n", 2, "usage: replace"),
        ("module m\nretract [v1.0.0 v1.1.0]\n", 2, "usage: retract"),
        ("module m\nretract [v1.2.0, v1.1.0]\n", 2, "lower bound"),
        ("module m\ngo one.two\n", 2, "usage: go"),
        ("module m\ntoolchain 1.21\n", 2, "usage: toolchain"),
        ("module m\ngodebug nokey\n", 2, "usage: godebug"),
        ('module m\nrequire "x v1.0.0\n', 2, "quoted string"),
        ("module m\n/* block */\n", 2, "// comments"),
        ("module m\n)\n", 2, "expected a directive"),
        ("module m\nrequire ( x v1.0.0\n", 2, "unexpected parenthesis"),
    ],
)
def test_errors_name_file_line_and_text(text: str, line: int, what: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_modfile(text, filename="dir/go.mod")
    message = info.value.diagnostics()
    assert f"dir/go.mod:{line}:" in message
    assert what in message
    offending = text.split("\n")[line - 1].strip()
    assert offending[:20] in message


def test_not_utf8() -> None:
    with pytest.raises(InvalidInputError, match=r"go\.mod:2: not UTF-8"):
        parse_modfile(b"module m\nrequire \xff v1.0.0\n")


def test_gosum() -> None:
    text = (
        "example.com/a v1.0.0 h1:aaa=\n"
        "example.com/a v1.0.0/go.mod h1:bbb=\n"
        "example.com/b v1.1.0/go.mod h1:ccc=\n"
        "\n"
    )
    sums = parse_gosum(text)
    assert sums.h1("example.com/a", "v1.0.0") == "h1:aaa="
    assert sums.h1("example.com/b", "v1.1.0") is None  # only its go.mod was hashed
    assert sums.gomods[("example.com/b", "v1.1.0")] == "h1:ccc="
    with pytest.raises(InvalidInputError, match=r"go\.sum:2: malformed go\.sum line"):
        parse_gosum("example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0\n")
    with pytest.raises(InvalidInputError, match="invalid version"):
        parse_gosum("example.com/a 1.0 h1:x=\n")


def test_gowork() -> None:
    work = parse_gowork(
        "go 1.22\ntoolchain go1.22.2\ngodebug default=go1.21\n"
        'use ./a\nuse (\n\t./b\n\t"./with space"\n)\n'
        "replace example.com/x => ./x\n"
    )
    assert work.uses == ("./a", "./b", "./with space")
    assert work.replaces == (Replace("example.com/x", "", "./x", "", 9),)
    assert (work.go, work.toolchain, work.godebug) == ("1.22", "go1.22.2", (("default", "go1.21"),))
    with pytest.raises(InvalidInputError, match=r"go\.work:1: usage: use"):
        parse_gowork("use ./a ./b\n")


def test_modules_txt() -> None:
    text = (
        "# example.com/a v1.2.0\n"
        "## explicit; go 1.17\n"
        "example.com/a\n"
        "example.com/a/sub\n"
        "# example.com/b v1.0.0 => example.com/fork v1.0.1\n"
        "## explicit\n"
        "example.com/b\n"
        "# example.com/c v0.0.0 => ../c\n"
        "# example.com/d => ./d\n"
    )
    mods = parse_modules_txt(text)
    assert [(m.path, m.version, m.explicit, m.go) for m in mods] == [
        ("example.com/a", "v1.2.0", True, "1.17"),
        ("example.com/b", "v1.0.0", True, None),
        ("example.com/c", "v0.0.0", False, None),
        ("example.com/d", "", False, None),
    ]
    assert mods[0].packages == ["example.com/a", "example.com/a/sub"]
    assert (mods[1].replace_path, mods[1].replace_version) == ("example.com/fork", "v1.0.1")
    assert mods[3].replace_path == "./d"
    with pytest.raises(InvalidInputError, match=r"modules\.txt:1: package line outside"):
        parse_modules_txt("example.com/a\n")
    with pytest.raises(InvalidInputError, match=r"modules\.txt:1: malformed replacement"):
        parse_modules_txt("# example.com/a v1.0.0 => example.com/b\n")


def test_graph_text() -> None:
    edges = parse_graph("m a@v1.0.0\nm go@1.21\na@v1.0.0 b@v1.0.0\ngo@1.21 toolchain@go1.21.0\n")
    assert edges == {
        ModuleVersion("m", ""): [ModuleVersion("a", "v1.0.0")],
        ModuleVersion("a", "v1.0.0"): [ModuleVersion("b", "v1.0.0")],
    }
    with pytest.raises(InvalidInputError, match="expected 'from to'"):
        parse_graph("m\n")


def test_semver_order() -> None:
    ordered = [
        "v0.0.0-20200101000000-abcdefabcdef",
        "v1.0.0-alpha",
        "v1.0.0-alpha.1",
        "v1.0.0-alpha.beta",
        "v1.0.0-beta.2",
        "v1.0.0-beta.11",
        "v1.0.0-rc.1",
        "v1.0.0",
        "v1.10.0",
        "v2.0.0+incompatible",
    ]
    assert sorted(reversed(ordered), key=semver.sort_key) == ordered
    assert semver.compare("v1.0.0+meta", "v1.0.0") == 0
    assert semver.compare("garbage", "v0.0.1") == -1
    assert semver.is_canonical("v2.0.0+incompatible") and not semver.is_canonical("v1.0.0+x")


# --- fuzzing ----------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    ["module", "go", "require", "replace", "exclude", "retract", "tool", "godebug", "toolchain",
     "use", "(", ")", "[", "]", ",", "=>", "//", "indirect", "v1.0.0", "v1.2.3-rc.1", "1.17",
     "example.com/m", "./dir", '"q"', "`r`", '"\\x"', "\n", "\t", " ", "=", "#", "##", "explicit;",
     "\x00", "é", "/*", "h1:abc="]
)  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(_WORDS, max_size=60).map(" ".join),
    st.lists(_WORDS, max_size=60).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_fuzz_modfile(text: str) -> None:
    with contextlib.suppress(RejectedError):
        parse_modfile(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_TEXT, st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_fuzz_gosum_and_gowork(text: str) -> None:
    for parser in (parse_gosum, parse_gowork):
        with contextlib.suppress(RejectedError):
            parser(text)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_fuzz_modules_txt(text: str) -> None:
    with contextlib.suppress(RejectedError):
        parse_modules_txt(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_bytes(data: bytes) -> None:
    for parser in (parse_modfile, parse_gosum, parse_modules_txt):
        with contextlib.suppress(RejectedError):
            parser(data)  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=30).map(" ".join))
def test_fast_tokenizer_agrees_with_slow(line: str) -> None:
    """The regex fast path is an optimisation only: same tokens as the full lexer."""
    line = line.replace("\n", " ")
    try:
        slow = modlex._tokenize_slow(line, "go.mod", 1)
    except RejectedError:
        return
    assert modlex.tokenize_line(line, "go.mod", 1) == slow
