"""Registry-backed image source: the tag is resolved once, everything after is by digest.

``open_remote`` parses the reference, resolves a tag to a candidate digest (HEAD, or GET when
the registry sends no ``Docker-Content-Digest``), then GETs the manifest *by that digest* and
checks the bytes hash to it (oci/registry.py). From then on the source reports only that
digest, and every child manifest, config and layer is fetched by the digest its parent lists,
so a tag moved by an attacker between two calls changes nothing (SECURITY.md class E, NT-E6).

Blob streams come from the registry client as the same
:class:`~supplychain.oci.verified.VerifiedStream` every other source returns (one behaviour:
drain-and-verify when the ``with`` block ends), and are handed over as they are: each byte is
hashed once, by that stream, not again by a wrapper.
"""

from __future__ import annotations

import logging
from typing import BinaryIO, cast

from supplychain.errors import LimitExceededError
from supplychain.model import Descriptor, Digest
from supplychain.oci.auth import CredentialSource
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.manifest import ImageManifest, Manifest
from supplychain.oci.reference import ImageRef
from supplychain.oci.referrers import Referrers
from supplychain.oci.registry import RegistryClient
from supplychain.oci.source import ImageSource, SourceKind, SourceSpec
from supplychain.oci.verified import VerifiedStream

log = logging.getLogger("supplychain.oci.remote")


class RemoteSource(ImageSource):
    """An image in a registry, pinned to the digest its reference resolved to on open."""

    kind = SourceKind.REGISTRY

    def __init__(
        self,
        ref: ImageRef,
        client: RegistryClient,
        *,
        limits: Limits = DEFAULT_LIMITS,
        owns_client: bool = True,
    ) -> None:
        self.ref = ref
        self.client = client
        self._owns_client = owns_client
        self._finder: Referrers | None = None
        self.display = ref.name
        self.limits = limits
        if ref.digest is not None:
            # The digest wins over any tag (SBOM.md §A.1): nothing to resolve.
            fetched = client.get_manifest(ref.repository, ref.digest)
        else:
            assert ref.tag is not None  # ImageRef guarantees a tag or a digest
            candidate = client.resolve(ref.repository, ref.tag)
            fetched = client.get_manifest(ref.repository, candidate.digest, expected=candidate)
        super().__init__(display=ref.name, top=fetched.manifest, tag=ref.tag, limits=limits)

    @property
    def repository(self) -> str:
        return self.ref.repository

    def pinned(self) -> str:
        return f"{self.ref.name}@{self.digest}"

    def fetch_manifest(self, descriptor: Descriptor) -> Manifest:
        """Child manifests come from the manifests endpoint, by digest, size-checked."""
        fetched = self.client.get_manifest(
            self.ref.repository, descriptor.digest, expected=descriptor
        )
        return fetched.manifest

    def open_blob(self, descriptor: Descriptor) -> VerifiedStream:
        """The client's stream is already verified (digest, size, caps): no second hash."""
        return self.client.open_blob(self.ref.repository, descriptor)

    def _open_blob_raw(self, descriptor: Descriptor) -> BinaryIO:
        """Unused (:meth:`open_blob` is overridden); kept for the interface, verified anyway."""
        return cast(BinaryIO, self.open_blob(descriptor))

    def referrers(self, digest: Digest | None = None) -> list[Descriptor] | None:
        """Referrers of ``digest`` (default: the resolved top digest), each one verified.

        The registry's list (referrers API, or the ``sha256-<hex>`` fallback tag) is only a
        hint (FORMATS.md §1.7): every candidate is fetched by digest and kept only if its own
        ``subject`` names ``digest``. The descriptors returned carry the artifact type and
        annotations of the verified manifest, not the hint's. More candidates than
        ``Limits.referrers_opened`` is an error rather than a silently shortened list.
        """
        target = digest or self.digest
        if target is None:  # pragma: no cover - a registry source always has a digest
            return None
        repo = self.ref.repository
        finder = self._referrers_finder()
        candidates = list(finder.find(repo, target))
        if len(candidates) > self.limits.referrers_opened:
            raise LimitExceededError(
                f"{len(candidates)} referrers listed, over the limit of "
                f"{self.limits.referrers_opened} to open",
                subject=f"{self.ref.name}@{target}",
            )
        verified: list[Descriptor] = []
        for candidate in candidates:
            fetched = finder.open_verified(repo, target, candidate)
            if fetched is None:
                log.info("ignoring referrer %s: its subject is not %s", candidate.digest, target)
                continue
            manifest = fetched.manifest
            artifact_type = (
                manifest.effective_artifact_type
                if isinstance(manifest, ImageManifest)
                else manifest.artifact_type
            )
            verified.append(
                Descriptor(
                    media_type=fetched.media_type,
                    digest=fetched.digest,
                    size=len(fetched.raw),
                    annotations=dict(manifest.annotations),
                    artifact_type=artifact_type,
                )
            )
        return verified

    def _referrers_finder(self) -> Referrers:
        if self._finder is None:
            self._finder = Referrers(self.client)
        return self._finder

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


def open_remote(
    spec: SourceSpec,
    *,
    limits: Limits = DEFAULT_LIMITS,
    insecure_registries: tuple[str, ...] = (),
    credentials: CredentialSource | None = None,
) -> RemoteSource:
    """Open ``spec`` (a registry reference) as a :class:`RemoteSource`.

    Plain HTTP only for loopback registries and hosts in ``insecure_registries``. A malformed
    reference is a UsageError (2); a registry that cannot be reached is a NetworkError (3).
    """
    ref = ImageRef.parse(spec.location)
    insecure = ref.registry.lower() in {h.lower() for h in insecure_registries}
    client = RegistryClient.for_ref(ref, credentials=credentials, limits=limits, insecure=insecure)
    try:
        return RemoteSource(ref, client, limits=limits)
    except BaseException:
        client.close()
        raise


__all__ = ["RemoteSource", "open_remote"]
