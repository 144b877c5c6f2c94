"""Talking to registries and reading images: every byte checked against its digest and size."""
