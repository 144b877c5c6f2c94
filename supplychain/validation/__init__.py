"""SBOM validation: rules as code, profiles as data (policies/*.yaml), findings out.

Entry points: :func:`load_profile`, :func:`validate_file`, :func:`validate_document`; the
renderers in :mod:`supplychain.validation.render`.
"""

from supplychain.validation.engine import (
    RunState,
    validate_document,
    validate_file,
    validate_target,
)
from supplychain.validation.profiles import load_profile

__all__ = ["RunState", "load_profile", "validate_document", "validate_file", "validate_target"]
