"""Media types and annotation keys of the cosign and Sigstore registry layouts.

Kept apart from ``oci.mediatypes`` because these names belong to cosign/Sigstore conventions,
not to OCI itself. Every annotation listed here is an unsigned hint (SECURITY class K): the
store uses them to find candidates and to write interoperable artefacts, never to decide.
"""

from __future__ import annotations

from supplychain.signing import intoto

SIMPLE_SIGNING_LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_LAYER = "application/vnd.dsse.envelope.v1+json"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle"
COSIGN_SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
"""cosign's experimental OCI 1.1 signature referrer (FORMATS §2.7, read only)."""
INTOTO_ARTIFACT = "application/vnd.in-toto+json"
"""cosign's experimental attestation referrer (FORMATS §2.7, read only)."""

ANN_SIGNATURE = "dev.cosignproject.cosign/signature"
ANN_CERTIFICATE = "dev.sigstore.cosign/certificate"
ANN_CHAIN = "dev.sigstore.cosign/chain"
ANN_REKOR_BUNDLE = "dev.sigstore.cosign/bundle"
ANN_RFC3161 = "dev.sigstore.cosign/rfc3161timestamp"
ANN_PREDICATE_TYPE = "predicateType"
ANN_BUNDLE_CONTENT = "dev.sigstore.bundle.content"
ANN_BUNDLE_PREDICATE_TYPE = "dev.sigstore.bundle.predicateType"
ANN_CREATED = "org.opencontainers.image.created"

SIGN_PREDICATE = intoto.SIGN_PREDICATE
"""The only predicate type that makes a DSSE statement count as an image *signature*."""
