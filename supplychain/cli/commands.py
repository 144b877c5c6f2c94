"""One import per subcommand module; each module attaches its commands to ``cli``."""

from __future__ import annotations
