"""One import per subcommand module; each module attaches its commands to ``cli``."""

from __future__ import annotations

from supplychain.cli import copy as _copy  # noqa: F401
from supplychain.cli import gomod as _gomod  # noqa: F401
from supplychain.cli import inspect as _inspect  # noqa: F401
from supplychain.cli import sbom as _sbom  # noqa: F401
from supplychain.cli import signing_blob as _signing_blob  # noqa: F401
from supplychain.cli import signing_image as _signing_image  # noqa: F401
from supplychain.cli import validate as _validate  # noqa: F401
