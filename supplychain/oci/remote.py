"""Registry-backed image source (placeholder until the registry client lands).

The real implementation resolves a tag once through ``supplychain.oci.registry`` and then
fetches everything by digest; until that client exists, registry sources report that they
cannot be checked rather than pretending.
"""

from __future__ import annotations

from supplychain.errors import CouldNotCheckError
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.reference import ImageRef
from supplychain.oci.source import ImageSource, SourceSpec


def open_remote(
    spec: SourceSpec,
    *,
    limits: Limits = DEFAULT_LIMITS,
    insecure_registries: tuple[str, ...] = (),
) -> ImageSource:
    ImageRef.parse(spec.location)  # a malformed reference is a usage error (exit 2)
    raise CouldNotCheckError(
        "registry sources are not available yet in this build", subject=f"source {spec.text!r}"
    )
