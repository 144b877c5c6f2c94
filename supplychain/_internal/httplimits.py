"""The time, retry and redirect bounds of HTTP calls, in a module that does not import requests.

``supplychain.oci.limits.Limits`` extends these, and every image source imports that; keeping
the bounds apart from the client (supplychain/_internal/http.py) means opening a local layout
or archive never pays for importing ``requests`` (~80 ms and ~9 MiB).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpLimits:
    """The time, retry and redirect bounds of every HTTP call (docs/security.md §3).

    This is their one home: ``supplychain.oci.limits.Limits`` extends it with the size caps of
    registry objects, and callers outside the OCI layer use it as it is.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    request_deadline: float = 120.0
    retries: int = 3
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    redirects: int = 5


__all__ = ["HttpLimits"]
