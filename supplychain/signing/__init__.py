"""Keys, payloads, DSSE, bundles, sign and verify: bytes and digests in, verdicts out.

Stable API for the store layer (signatures and attestations on registries):

* ``keys``: ``generate()``, ``load_private_key_file(path, password_source)``,
  ``load_public_key_file(path)``, ``PublicKey``/``PrivateKey``.
* ``sign``: ``sign_digest(digest, key)`` → cosign v3 signature bundle bytes;
  ``attest(digest, predicate_type, predicate, key)`` → attestation bundle bytes;
  ``sign_simple_signing(digest, reference, key)`` → (payload, DER signature) for legacy ``.sig``;
  ``sign_envelope(statement, key)`` → DSSE envelope for legacy ``.att``; ``sign_blob``.
* ``verify``: ``verify_bundle(raw, digest, authority, expect=..., trust=..., require_tlog=...)``,
  ``verify_simple_signing(payload, signature, digest, key, rekor_bundle=...)``,
  ``verify_envelope(raw, digest, key, expect=...)``; each returns ``Verified`` (the signed,
  digest-bound content) or raises a RejectedError. Authorities: ``KeyAuthority(PublicKey)`` or
  ``identity.Identity(subject=..., issuer=...)``.
* ``policy``: ``load_policy(path)`` and ``Policy.evaluate``.

This package never imports the transport (oci, requests, oras): callers fetch and verify bytes.
"""
