"""Progress reporting without printing: the library publishes events, the CLI renders them.

Long work (pulling layers, cataloguing, auditing) calls a ``ProgressSink``; the default sink
drops everything so library callers pay nothing and see nothing unless they ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ProgressEvent:
    """One step of long work: ``task`` names it, ``done``/``total`` count units (None = unknown)."""

    task: str
    message: str = ""
    done: int | None = None
    total: int | None = None
    unit: str = ""
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class ProgressSink(Protocol):
    def emit(self, event: ProgressEvent) -> None: ...


class NullSink:
    """Swallows every event."""

    def emit(self, event: ProgressEvent) -> None:
        return None


class ListSink:
    """Keeps events in memory; handy in tests and for summaries."""

    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []

    def emit(self, event: ProgressEvent) -> None:
        self.events.append(event)


NULL_SINK = NullSink()
