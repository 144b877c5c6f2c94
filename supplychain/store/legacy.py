"""The cosign legacy layout: ``sha256-<hex>.sig`` / ``.att`` tags holding one image manifest.

Each signature is one layer; for ``.sig`` the layer is the simple-signing payload and the raw
signature sits in the ``dev.cosignproject.cosign/signature`` annotation, for ``.att`` the layer
is a whole DSSE envelope (FORMATS §2.2-§2.5). The tag is a hint that such a manifest exists;
the manifest itself is fetched by the digest of the bytes the tag returned, and every layer is
checked against the caps *before* any blob is read (SECURITY class F).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence

from supplychain.errors import InvalidInputError, LimitExceededError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import Limits
from supplychain.oci.manifest import ImageManifest
from supplychain.signing.encoding import b64decode_strict
from supplychain.store import media
from supplychain.store.evidence import Evidence, EvidenceKind, Layout

log = logging.getLogger(__name__)

SIG_SUFFIX = ".sig"
ATT_SUFFIX = ".att"


def legacy_tag(digest: Digest, suffix: str) -> str:
    """``sha256-<hex>.sig`` (or ``.att``): cosign's tag for the signed digest."""
    if suffix not in (SIG_SUFFIX, ATT_SUFFIX):
        raise ValueError(suffix)
    return f"{digest.tag_form}{suffix}"


def decode_signature(text: str, what: str) -> bytes:
    """Strict standard base64 with canonical padding (R7), via the signing core's one decoder."""
    try:
        return b64decode_strict(text, what=what)
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"signature annotation is not strict base64 ({exc.message})", subject=what
        ) from exc


def _layer_cap(kind: EvidenceKind, limits: Limits) -> int:
    if kind is EvidenceKind.SIMPLE_SIGNING:
        return min(limits.simple_signing_payload, limits.attachment)
    return min(limits.envelope, limits.attachment)


def check_layer_size(layer: Descriptor, kind: EvidenceKind, limits: Limits, what: str) -> None:
    """Refuse an oversized layer from its *declared* size, before a single byte is fetched."""
    cap = _layer_cap(kind, limits)
    if layer.size > cap:
        raise LimitExceededError(
            f"{kind.value} layer {layer.digest.short} declares {layer.size} bytes, "
            f"over the {cap}-byte limit",
            subject=what,
        )


def evidence_from_legacy_manifest(
    manifest: ImageManifest, layout: Layout, limits: Limits, what: str
) -> list[Evidence]:
    """Every signature layer of a ``.sig``/``.att`` (or §2.7 referrer) manifest, caps checked.

    Unknown layer media types are skipped (cosign ignores them too); a signature layer whose
    annotations are malformed is an error, never "unsigned" (SECURITY class C5).
    """
    if len(manifest.layers) > limits.signature_layers:
        raise LimitExceededError(
            f"signature manifest has {len(manifest.layers)} layers, over the limit of "
            f"{limits.signature_layers}",
            subject=what,
        )
    found: list[Evidence] = []
    for layer in manifest.layers:
        if layer.media_type == media.SIMPLE_SIGNING_LAYER:
            kind = EvidenceKind.SIMPLE_SIGNING
        elif layer.media_type == media.DSSE_LAYER:
            kind = EvidenceKind.DSSE
        else:
            log.debug("%s: ignoring layer of media type %r", what, layer.media_type)
            continue
        check_layer_size(layer, kind, limits, what)
        ann = layer.annotations
        signature: bytes | None = None
        if kind is EvidenceKind.SIMPLE_SIGNING:
            if media.ANN_SIGNATURE not in ann:
                raise InvalidInputError(
                    f"simple-signing layer {layer.digest.short} has no signature annotation",
                    subject=what,
                )
            signature = decode_signature(ann[media.ANN_SIGNATURE], what)
        found.append(
            Evidence(
                kind=kind,
                layout=layout,
                manifest_digest=manifest.digest,
                layer=layer,
                signature=signature,
                certificate=ann.get(media.ANN_CERTIFICATE) or None,
                chain=ann.get(media.ANN_CHAIN) or None,
                rekor_bundle=ann.get(media.ANN_REKOR_BUNDLE),
                rfc3161=ann.get(media.ANN_RFC3161),
                predicate_type_hint=ann.get(media.ANN_PREDICATE_TYPE),
            )
        )
    return found


# --- writing --------------------------------------------------------------------------------


def signature_layer(payload: bytes, signature: bytes) -> Descriptor:
    """The descriptor of one simple-signing layer (the payload blob plus its signature)."""
    return Descriptor(
        media_type=media.SIMPLE_SIGNING_LAYER,
        digest=Digest.of(payload),
        size=len(payload),
        annotations={media.ANN_SIGNATURE: base64.b64encode(signature).decode("ascii")},
    )


def attestation_layer(envelope: bytes, predicate_type: str) -> Descriptor:
    """The descriptor of one ``.att`` layer; ``predicateType`` is cosign's unsigned hint."""
    return Descriptor(
        media_type=media.DSSE_LAYER,
        digest=Digest.of(envelope),
        size=len(envelope),
        annotations={media.ANN_PREDICATE_TYPE: predicate_type, media.ANN_SIGNATURE: ""},
    )


def _same_layer(a: Descriptor, b: Descriptor) -> bool:
    return a.digest == b.digest and dict(a.annotations) == dict(b.annotations)


def build_legacy_manifest(
    existing: Sequence[Descriptor], new_layer: Descriptor
) -> tuple[bytes, bytes] | None:
    """Manifest and config bytes with ``new_layer`` appended; ``None`` if it is already there.

    cosign keeps one manifest per signed digest and appends a layer per signature, so earlier
    signatures survive. The config is a minimal image config whose ``diff_ids`` name the layers,
    as cosign writes it; it carries nothing a verifier uses.
    """
    if any(_same_layer(layer, new_layer) for layer in existing):
        return None
    layers = [*existing, new_layer]
    config = {
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [str(layer.digest) for layer in layers]},
    }
    config_bytes = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {
            "mediaType": mt.OCI_CONFIG,
            "digest": str(Digest.of(config_bytes)),
            "size": len(config_bytes),
        },
        "layers": [layer.to_json() for layer in layers],
    }
    return json.dumps(manifest, separators=(",", ":")).encode(), config_bytes
