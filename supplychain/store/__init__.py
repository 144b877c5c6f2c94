"""Signatures, attestations and SBOMs on a registry in the cosign legacy and v3 layouts."""
