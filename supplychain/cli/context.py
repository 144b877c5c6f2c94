"""Global CLI settings shared by every subcommand and the top-level error handler."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import click

from supplychain.events import ProgressEvent


@dataclass
class Settings:
    verbosity: int = 0
    debug: bool = False
    quiet: bool = False


SETTINGS = Settings()


def configure_logging(settings: Settings) -> None:
    """Only the ``supplychain`` logger is configured; -v = INFO, -vv or --debug = DEBUG."""
    level = logging.WARNING
    if settings.verbosity >= 2 or settings.debug:
        level = logging.DEBUG
    elif settings.verbosity == 1:
        level = logging.INFO
    if settings.quiet:
        level = logging.ERROR
    logger = logging.getLogger("supplychain")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("supplychain: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


class StderrProgress:
    """Renders progress events as plain lines on stderr; silent with --quiet."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or SETTINGS

    def emit(self, event: ProgressEvent) -> None:
        if self.settings.quiet:
            return
        count = ""
        if event.done is not None:
            count = f" {event.done}/{event.total}" if event.total is not None else f" {event.done}"
            if event.unit:
                count += f" {event.unit}"
        message = f" {event.message}" if event.message else ""
        click.echo(f"[{event.task}]{count}{message}", err=True)
