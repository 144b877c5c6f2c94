"""The neutral SBOM model rendered as SPDX 2.3 JSON and CycloneDX JSON, deterministically."""
