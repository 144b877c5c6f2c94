"""Choosing platforms from an image index, never silently.

A multi-platform index holds one image per OS/architecture. Tools disagree on which one a scan
means (Syft picks the host's, Trivy linux/amd64, both without saying so), so here the choice is
always explicit in the result: a :class:`PlatformSelection` is either "the host's platform",
"all" or a list of ``os/arch[/variant]`` values, and a request that matches nothing is a usage
error that lists what the index offers.

Variants are compared after filling in the defaults the OCI image-spec and containerd use, so
``linux/arm64`` matches an entry that says ``linux/arm64/v8`` and ``linux/arm`` matches
``linux/arm/v7`` (and the other way round).
"""

from __future__ import annotations

import enum
import platform as host
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from supplychain.errors import InvalidInputError, UsageError
from supplychain.model import Platform

T = TypeVar("T")

# Architecture → the variant an entry without one is taken to have.
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7", "amd64": "v1"}

# Python's platform.machine() spellings → OCI (GOARCH) architecture and variant.
_HOST_MACHINES = {
    "x86_64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "aarch64": ("arm64", "v8"),
    "arm64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
}


def normalise(p: Platform) -> Platform:
    """Fill in the default variant so that equal platforms compare equal."""
    arch = p.architecture.lower()
    variant = p.variant.lower() or _DEFAULT_VARIANTS.get(arch, "")
    return Platform(p.os.lower(), arch, variant)


def same_platform(a: Platform, b: Platform) -> bool:
    """OS, architecture and (defaulted) variant agree; ``os.version`` is ignored."""
    return normalise(a) == normalise(b)


def host_platform() -> Platform:
    """The platform an image would run as on this machine (images are Linux images)."""
    machine = host.machine().lower()
    arch, variant = _HOST_MACHINES.get(machine, (machine, ""))
    return Platform("linux", arch, variant)


class SelectionMode(str, enum.Enum):
    HOST = "host"
    ALL = "all"
    LISTED = "listed"


@dataclass(frozen=True)
class PlatformSelection:
    """Which platforms of an index to use: the host's, all of them, or the listed ones."""

    mode: SelectionMode = SelectionMode.HOST
    wanted: tuple[Platform, ...] = ()

    @classmethod
    def host(cls) -> PlatformSelection:
        return cls(SelectionMode.HOST)

    @classmethod
    def all(cls) -> PlatformSelection:
        return cls(SelectionMode.ALL)

    @classmethod
    def parse(cls, values: Sequence[str] | str | None) -> PlatformSelection:
        """From ``--platform`` values: none → host, ``all`` → all, else ``os/arch[/variant]``.

        A malformed value is a usage error (exit 2), as is ``all`` mixed with named platforms.
        """
        if values is None:
            return cls.host()
        items = [values] if isinstance(values, str) else list(values)
        if not items:
            return cls.host()
        if any(v.strip().lower() == "all" for v in items):
            if len(items) > 1:
                raise UsageError(
                    "'all' cannot be combined with other platforms", subject="--platform"
                )
            return cls.all()
        wanted: list[Platform] = []
        for value in items:
            try:
                parsed = Platform.parse(value.strip())
            except InvalidInputError as exc:
                raise UsageError(exc.message, subject=f"--platform {value!r}") from exc
            if parsed not in wanted:
                wanted.append(parsed)
        return cls(SelectionMode.LISTED, tuple(wanted))

    def targets(self) -> tuple[Platform, ...]:
        """The platforms asked for (the host's for HOST; empty for ALL)."""
        if self.mode is SelectionMode.HOST:
            return (host_platform(),)
        return self.wanted

    def describe(self) -> str:
        if self.mode is SelectionMode.ALL:
            return "all"
        return ", ".join(str(p) for p in self.targets())

    def select(
        self, candidates: Iterable[tuple[Platform, T]], *, what: str
    ) -> list[tuple[Platform, T]]:
        """The candidates this selection picks, in index order.

        Raises UsageError naming the available platforms when a wanted platform is missing.
        Several entries of the same platform (possible in hostile or odd indexes) are all kept
        for ALL, and the first one wins for a named platform, as container runtimes do.
        """
        pool = list(candidates)
        if self.mode is SelectionMode.ALL:
            return pool
        chosen: list[tuple[Platform, T]] = []
        for target in self.targets():
            match = next((c for c in pool if same_platform(c[0], target)), None)
            if match is None:
                offered = ", ".join(sorted({str(p) for p, _ in pool})) or "none"
                raise UsageError(
                    f"no image for platform {target} (available: {offered})",
                    subject=what,
                    hint="choose one with --platform OS/ARCH[/VARIANT] or --platform all",
                )
            if match not in chosen:
                chosen.append(match)
        return chosen

    def check_single(self, actual: Platform, *, what: str) -> None:
        """A single-platform image: an explicitly named, different platform is an error.

        The host default is not enforced here: with one image there is nothing to choose, and
        inspecting an arm64 image on an amd64 machine is legitimate.
        """
        if self.mode is not SelectionMode.LISTED:
            return
        if not any(same_platform(actual, want) for want in self.wanted):
            raise UsageError(
                f"image is {actual}, not {self.describe()}",
                subject=what,
                hint="drop --platform or name the image's own platform",
            )
