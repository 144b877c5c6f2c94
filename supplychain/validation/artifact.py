"""What we know about the artifact an SBOM claims to describe, for the AH-XCHK cross-checks.

Filled from a chart (.tgz or directory), an ``artifacthub-pkg.yml`` or an image; the rules only
see these facts, so they are tested without archives or registries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ArtifactFacts:
    kind: str  # "chart" | "image" | "artifacthub-pkg"
    subject: str  # what the user passed, for messages
    name: str | None = None
    version: str | None = None
    license: str | None = None
    license_key: str = ""  # where the licence came from, e.g. "artifacthub.io/license"
    sha256: str | None = None  # hex digest of the chart .tgz or the image manifest/index
    created: dt.datetime | None = None
