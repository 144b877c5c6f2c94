"""The cosign v3 layout: a Sigstore bundle as an OCI 1.1 referrer manifest (FORMATS §3).

Writing: an artifact manifest with the empty config, exactly one bundle layer and ``subject``
= the signed image, pushed by digest only. Reading: the ``subject`` and every annotation are
unsigned, so a referrer only says "there is a bundle in this blob"; it is opened by digest and
the signed statement inside decides. A referrer whose own ``subject`` is not the digest we asked
about is skipped as a mismatched hint (the registry may list anything).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from supplychain.errors import InvalidInputError, UnsupportedError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import Limits
from supplychain.oci.manifest import ImageManifest
from supplychain.store import media
from supplychain.store.evidence import Evidence, EvidenceKind, Layout
from supplychain.store.legacy import check_layer_size, evidence_from_legacy_manifest

log = logging.getLogger(__name__)

EMPTY_CONFIG = Descriptor(mt.OCI_EMPTY, Digest.parse(mt.EMPTY_DIGEST), len(mt.EMPTY_JSON))


def rfc3339_utc(moment: datetime) -> str:
    """``2026-01-01T00:00:00Z``: UTC, whole seconds, as cosign writes ``created``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_bundle_referrer(
    subject: Descriptor, bundle: bytes, predicate_type: str, created: datetime
) -> tuple[bytes, Descriptor]:
    """Referrer manifest bytes and the bundle layer descriptor (push the layer blob first).

    ``dev.sigstore.bundle.predicateType`` is written so hubs that look only at annotations
    (Artifact Hub, FORMATS §8) show "Signed"; nothing we verify reads it back.
    """
    layer = Descriptor(media.BUNDLE_V03, Digest.of(bundle), len(bundle))
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": media.BUNDLE_V03,
        "config": EMPTY_CONFIG.to_json(),
        "layers": [layer.to_json()],
        "subject": {
            "mediaType": subject.media_type,
            "digest": str(subject.digest),
            "size": subject.size,
        },
        "annotations": {
            media.ANN_BUNDLE_CONTENT: "dsse-envelope",
            media.ANN_BUNDLE_PREDICATE_TYPE: predicate_type,
            media.ANN_CREATED: rfc3339_utc(created),
        },
    }
    return json.dumps(manifest, separators=(",", ":")).encode(), layer


def evidence_from_referrer(
    manifest: ImageManifest, subject: Digest, layout: Layout, limits: Limits, what: str
) -> list[Evidence]:
    """The signed objects a referrer manifest carries, or ``[]`` if it refers to something else.

    Bundle referrers must have exactly one bundle layer (cosign's reader rule); the older
    experimental cosign referrers (§2.7) carry legacy layers and are read like ``.sig``/``.att``.
    Other artifact types (an SBOM, a BuildKit attestation manifest) are not signatures: skipped.
    """
    if manifest.subject is None or manifest.subject.digest != subject:
        log.info("%s: referrer does not refer to %s; skipped", what, subject.short)
        return []
    bundle_layers = [
        layer for layer in manifest.layers if layer.media_type.startswith(media.BUNDLE_PREFIX)
    ]
    if bundle_layers:
        if len(bundle_layers) != 1 or len(manifest.layers) != 1:
            raise InvalidInputError(
                f"bundle referrer must have exactly one layer, has {len(manifest.layers)}",
                subject=what,
            )
        layer = bundle_layers[0]
        check_layer_size(layer, EvidenceKind.BUNDLE, limits, what)
        return [
            Evidence(
                kind=EvidenceKind.BUNDLE,
                layout=layout,
                manifest_digest=manifest.digest,
                layer=layer,
                predicate_type_hint=manifest.annotations.get(media.ANN_BUNDLE_PREDICATE_TYPE),
            )
        ]
    if manifest.effective_artifact_type in (media.COSIGN_SIG_ARTIFACT, media.INTOTO_ARTIFACT):
        return evidence_from_legacy_manifest(manifest, layout, limits, what)
    log.info("%s: referrer of type %r carries no signature", what, manifest.effective_artifact_type)
    return []


def require_manifest(parsed: object, what: str) -> ImageManifest:
    """Signature carriers are image manifests; an index in their place is refused."""
    if not isinstance(parsed, ImageManifest):
        raise UnsupportedError("expected an image manifest, got an index", subject=what)
    return parsed
