"""supplychain: SBOMs, digest-bound signatures and SPDX validation in one pipeline."""

__version__ = "0.1.0"

__all__ = ["__version__"]
