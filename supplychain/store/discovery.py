"""Finding signatures and attestations for one digest, in every layout, within fixed budgets.

Discovery produces :class:`Evidence` — *candidates*. It looks in the referrers API (or its tag
fallback, through the port) and in cosign's legacy tags, opens each candidate manifest by its
digest, checks the caps before any blob is read, and hands back the layer to verify. Nothing
found here is trusted; the verifier's cryptographic check and subject binding decide
(SECURITY classes A, K). Budgets (SECURITY §3): 1000 referrer descriptors (enforced by the port
and re-checked here), 100 manifests opened per subject, 1000 layers per signature manifest.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator

from supplychain.errors import LimitExceededError
from supplychain.model import Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import Limits
from supplychain.oci.manifest import parse_manifest
from supplychain.store.evidence import Evidence, Layout
from supplychain.store.legacy import (
    ATT_SUFFIX,
    SIG_SUFFIX,
    evidence_from_legacy_manifest,
    legacy_tag,
)
from supplychain.store.port import FetchedManifest, RegistryPort
from supplychain.store.referrer import evidence_from_referrer, require_manifest

log = logging.getLogger(__name__)


class Looking(str, enum.Enum):
    """What the caller wants, which decides the legacy tag to look at."""

    SIGNATURES = "signatures"
    ATTESTATIONS = "attestations"
    EVERYTHING = "everything"
    """Referrers plus both legacy tags: one pass for a policy that needs both kinds."""


def discover(
    port: RegistryPort,
    repository: str,
    subject: Digest,
    looking: Looking,
    limits: Limits,
) -> Iterator[Evidence]:
    """Yield candidates lazily, so a caller that has what it needs stops fetching early."""
    opened = 0
    what_base = f"{repository}@{subject.short}"
    descriptors = port.referrers(repository, subject)
    if len(descriptors) > limits.referrers:
        raise LimitExceededError(
            f"{len(descriptors)} referrers listed, over the limit of {limits.referrers}",
            subject=what_base,
        )
    seen: set[Digest] = set()
    for desc in descriptors:
        if desc.digest in seen:
            continue
        seen.add(desc.digest)
        if desc.media_type not in mt.MANIFEST_TYPES:
            log.debug("%s: referrer %s is not an image manifest; skipped", what_base, desc.digest)
            continue
        opened += 1
        if opened > limits.referrers_opened:
            raise LimitExceededError(
                f"more than {limits.referrers_opened} referrer manifests to open",
                subject=what_base,
                hint="the repository holds too many referrers for this image",
            )
        what = f"referrer {repository}@{desc.digest.short}"
        fetched = port.manifest_by_digest(repository, desc.digest)
        manifest = require_manifest(_parse(fetched, what, limits), what)
        yield from evidence_from_referrer(manifest, subject, Layout.REFERRER, limits, what)

    if looking in (Looking.SIGNATURES, Looking.EVERYTHING):
        yield from _legacy(port, repository, subject, SIG_SUFFIX, Layout.LEGACY_SIG, limits)
    if looking in (Looking.ATTESTATIONS, Looking.EVERYTHING):
        yield from _legacy(port, repository, subject, ATT_SUFFIX, Layout.LEGACY_ATT, limits)


def _legacy(
    port: RegistryPort,
    repository: str,
    subject: Digest,
    suffix: str,
    layout: Layout,
    limits: Limits,
) -> Iterator[Evidence]:
    tag = legacy_tag(subject, suffix)
    what = f"{repository}:{tag}"
    fetched = port.manifest_by_tag(repository, tag)
    if fetched is None:
        return
    manifest = require_manifest(_parse(fetched, what, limits), what)
    yield from evidence_from_legacy_manifest(manifest, layout, limits, what)


def _parse(fetched: FetchedManifest, what: str, limits: Limits) -> object:
    return parse_manifest(
        fetched.raw,
        digest=fetched.digest,
        content_type=fetched.content_type,
        what=what,
        limits=limits,
    )
