"""Hostile manifests through the layout readers: our errors only, never a crash (NT-I9)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.errors import Error
from supplychain.model import Digest
from supplychain.oci.limits import DEFAULT_LIMITS
from supplychain.oci.manifest import ImageManifest, parse_manifest
from supplychain.store import media
from supplychain.store.evidence import Layout
from supplychain.store.legacy import evidence_from_legacy_manifest
from supplychain.store.referrer import evidence_from_referrer

SUBJECT = Digest.of(b"subject")
DIGESTS = st.sampled_from([str(SUBJECT), str(Digest.of(b"x")), "sha256:ABC", "md5:00", "", "x"])
MEDIA = st.sampled_from(
    [media.SIMPLE_SIGNING_LAYER, media.DSSE_LAYER, media.BUNDLE_V03, "text/plain", ""]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 2**40), st.text(max_size=12))
ANNOTATIONS = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [media.ANN_SIGNATURE, media.ANN_REKOR_BUNDLE, media.ANN_PREDICATE_TYPE, "k"]
        ),
        st.one_of(st.text(max_size=16), st.sampled_from(["c2ln", "c2ln=", "-_-_", ""])),
        max_size=3,
    ),
    SCALARS,
)


def descriptor() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {"mediaType": MEDIA, "digest": DIGESTS, "size": st.integers(-1, 2**31)},
            optional={"annotations": ANNOTATIONS, "artifactType": SCALARS},
        ),
        SCALARS,
    )


MANIFESTS = st.fixed_dictionaries(
    {
        "schemaVersion": st.sampled_from([2, 2, 1, "2"]),
        "config": descriptor(),
        "layers": st.lists(descriptor(), max_size=4),
    },
    optional={
        "mediaType": st.sampled_from(["application/vnd.oci.image.manifest.v1+json", "x/y"]),
        "subject": descriptor(),
        "artifactType": st.one_of(MEDIA, st.just(media.COSIGN_SIG_ARTIFACT), SCALARS),
        "annotations": ANNOTATIONS,
    },
)


@settings(max_examples=300, deadline=None)
@given(MANIFESTS)
def test_layout_readers_raise_only_our_errors(doc: dict[str, Any]) -> None:
    raw = json.dumps(doc).encode()
    try:
        manifest = parse_manifest(raw)
        if not isinstance(manifest, ImageManifest):
            return
        evidence_from_legacy_manifest(manifest, Layout.LEGACY_SIG, DEFAULT_LIMITS, "fuzz")
        evidence_from_referrer(manifest, SUBJECT, Layout.REFERRER, DEFAULT_LIMITS, "fuzz")
    except Error:
        pass
