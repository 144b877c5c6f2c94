"""Entry point: the click group and the one top-level error handler.

Every exception ends here: our own errors print their one-line ``diagnostics()`` and exit with
their code; click usage errors exit 2; anything unexpected exits 3 ("could not check"), never 1,
because 1 means "rejected" and an internal fault has not judged anything. ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from supplychain import __version__
from supplychain.cli.context import SETTINGS, configure_logging
from supplychain.errors import Error, ExitCode


class LazyGroup(click.Group):
    """A group whose subcommand modules are imported only when that subcommand is used.

    Start-up time is part of every CI step that calls us; importing sigstore, spdx-tools and
    requests for ``supplychain gomod graph`` would triple it. ``modules`` maps a command name to
    the module that registers it on import.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modules: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.modules))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.modules:
            importlib.import_module(self.modules[cmd_name])
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="supplychain")
@click.option("-v", "--verbose", "verbosity", count=True, help="More log output (-vv for debug).")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summaries on stderr.")
def cli(verbosity: int, debug: bool, quiet: bool) -> None:
    """SBOMs, digest-bound signatures and SPDX validation for images, Go modules and charts.

    Exit codes: 0 ok, 1 rejected, 2 usage error, 3 could not check.
    """
    SETTINGS.verbosity = verbosity
    SETTINGS.debug = debug
    SETTINGS.quiet = quiet
    configure_logging(SETTINGS)


def _register_commands() -> None:
    """Tell the group where each subcommand lives; the module is imported on first use."""
    from supplychain.cli.commands import COMMAND_MODULES

    assert isinstance(cli, LazyGroup)
    cli.modules = dict(COMMAND_MODULES)


def run(argv: list[str] | None = None) -> int:
    """Console-script entry: never lets a traceback or a wrong exit code escape."""
    _register_commands()
    args = sys.argv[1:] if argv is None else argv
    SETTINGS.debug = "--debug" in args
    code: int
    try:
        result = cli.main(args=args, prog_name="supplychain", standalone_mode=False)
        code = result if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("supplychain: aborted", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.USAGE
    except Error as exc:
        if SETTINGS.debug:
            traceback.print_exc()
        click.echo(f"supplychain: error: {exc.diagnostics()}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("supplychain: interrupted", err=True)
        code = 130
    except BrokenPipeError:
        code = ExitCode.OK
    except Exception as exc:
        if SETTINGS.debug:
            traceback.print_exc()
        click.echo(
            f"supplychain: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
            err=True,
        )
        code = ExitCode.UNCHECKED
    return int(code)


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
