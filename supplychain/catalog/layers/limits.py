"""Caps for reading untrusted layers (SECURITY.md §4.2); tests lower them to stay fast."""

from __future__ import annotations

from dataclasses import dataclass

from supplychain._internal.tarstream import TarLimits

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class LayerLimits:
    # Decompressed bytes one layer may produce, and the whole image.
    layer_output: int = 8 * GiB
    image_output: int = 32 * GiB
    # A ratio above this, once ``ratio_grace`` bytes came out, is a decompression bomb.
    max_ratio: int = 1000
    ratio_grace: int = 64 * MiB
    # zstd window a frame may ask for (libzstd's own default ceiling).
    zstd_max_window: int = 1 << 27
    # Tar headers.
    entries: int = 1_000_000
    extended_header: int = 1 * MiB
    path_bytes: int = 4096
    component_bytes: int = 255
    # Member contents: parsed in memory up to ``parse``, spooled to the private temp dir up to
    # ``spool``; anything bigger is only counted and reported as not analysed.
    parse: int = 64 * MiB
    spool: int = 512 * MiB
    # Captured members at least this big live in the spool dir rather than in memory.
    in_memory: int = 1 * MiB

    @property
    def tar(self) -> TarLimits:
        """The header caps for the shared tar reader; a member may not outgrow its layer."""
        return TarLimits(
            entries=self.entries,
            extended_header=self.extended_header,
            path_bytes=self.path_bytes,
            member_bytes=self.layer_output,
        )


DEFAULT_LAYER_LIMITS = LayerLimits()
