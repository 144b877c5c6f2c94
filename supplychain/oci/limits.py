"""Hard limits for everything read from a registry or an archive (docs/security.md §3).

Each is checked before allocating (declared size, Content-Length, counts) and again while
streaming. A limit may be lowered freely by callers; raising one is an explicit choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain._internal.httplimits import HttpLimits

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits(HttpLimits):
    """Size and count caps of registry objects, plus the HTTP bounds (timeouts, retries,
    redirects) inherited from :class:`~supplychain._internal.httplimits.HttpLimits`."""

    manifest_read: int = 8 * MiB
    manifest_write: int = 4 * MiB
    signature_layers: int = 1000
    manifest_layers: int = 1000
    index_descriptors: int = 1000
    index_nesting: int = 2
    simple_signing_payload: int = 1 * MiB
    envelope: int = 32 * MiB
    attachment: int = 128 * MiB
    referrers: int = 1000
    link_pages: int = 10
    referrers_opened: int = 100
    config_blob: int = 8 * MiB
    layer_blob: int = 8 * GiB


DEFAULT_LIMITS = Limits()
