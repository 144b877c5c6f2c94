"""The top-level CLI contract: version, usage errors, and the error-to-exit-code mapping."""

from __future__ import annotations

import click
import pytest

from supplychain import __version__
from supplychain.cli.main import cli, run
from supplychain.errors import (
    CouldNotCheckError,
    ExitCode,
    IntegrityError,
    UsageError,
    combine_exit_codes,
)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["no-such-command"]) == ExitCode.USAGE
    assert "no-such-command" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (IntegrityError("bytes do not match", subject="blob sha256:abc"), ExitCode.REJECTED),
        (UsageError("bad flag", subject="--x"), ExitCode.USAGE),
        (CouldNotCheckError("registry down", subject="localhost:5000"), ExitCode.UNCHECKED),
        (RuntimeError("boom"), ExitCode.UNCHECKED),
    ],
)
def test_errors_map_to_exit_codes(
    exc: Exception, code: ExitCode, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"_raise_{type(exc).__name__}_{code}"

    @cli.command(name)
    def _raiser() -> None:
        raise exc

    try:
        assert run([name]) == code
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        assert run(["--debug", name]) == code
        assert "Traceback" in capsys.readouterr().err
    finally:
        cli.commands.pop(name)


def test_click_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    @cli.command("_needs_arg")
    @click.argument("thing")
    def _needs_arg(thing: str) -> None:
        return None

    try:
        assert run(["_needs_arg"]) == ExitCode.USAGE
    finally:
        cli.commands.pop("_needs_arg")


def test_combine_exit_codes() -> None:
    assert combine_exit_codes([ExitCode.OK, ExitCode.UNCHECKED, ExitCode.REJECTED]) == 1
    assert combine_exit_codes([ExitCode.OK, ExitCode.UNCHECKED]) == 3
    assert combine_exit_codes([ExitCode.OK]) == 0
    assert combine_exit_codes([]) == 0


def test_every_listed_command_is_registered_by_its_module() -> None:
    """The lazy table and the modules must agree, or a command would vanish silently."""
    from supplychain.cli.commands import COMMAND_MODULES

    run(["--version"])
    ctx = click.Context(cli)
    for name in COMMAND_MODULES:
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert command.name == name


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from supplychain.cli.commands import COMMAND_MODULES

    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMAND_MODULES:
        assert name in out
