"""Keys, payloads, DSSE, bundles, sign and verify: bytes and digests in, verdicts out."""
