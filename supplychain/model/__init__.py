"""Frozen value types with no I/O; an instance cannot exist in an invalid state."""

from supplychain.model.descriptor import Descriptor, Platform
from supplychain.model.digest import Digest

__all__ = ["Descriptor", "Digest", "Platform"]
