"""Regenerate spdx-license-list.json from the licence data our dependencies already ship.

Why vendored: validation must be offline and reproducible; a list that changed under us with a
dependency upgrade would change verdicts silently. Sources: the SPDX id enum of the CycloneDX
schema bundle (cyclonedx-python-lib, SPDX licence list 3.28.0: licences and exceptions together)
and ScanCode's licence index (license-expression) to tell exceptions from licences. The
deprecated ids are the SPDX list's ``isDeprecatedLicenseId`` entries, written out here.

Run: python supplychain/validation/data/make_license_list.py
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import license_expression

DEPRECATED = [
    "AGPL-1.0",
    "AGPL-3.0",
    "BSD-2-Clause-FreeBSD",
    "BSD-2-Clause-NetBSD",
    "bzip2-1.0.5",
    "eCos-2.0",
    "GFDL-1.1",
    "GFDL-1.2",
    "GFDL-1.3",
    "GPL-1.0",
    "GPL-1.0+",
    "GPL-2.0",
    "GPL-2.0+",
    "GPL-2.0-with-autoconf-exception",
    "GPL-2.0-with-bison-exception",
    "GPL-2.0-with-classpath-exception",
    "GPL-2.0-with-font-exception",
    "GPL-2.0-with-GCC-exception",
    "GPL-3.0",
    "GPL-3.0+",
    "GPL-3.0-with-autoconf-exception",
    "GPL-3.0-with-GCC-exception",
    "LGPL-2.0",
    "LGPL-2.0+",
    "LGPL-2.1",
    "LGPL-2.1+",
    "LGPL-3.0",
    "LGPL-3.0+",
    "Net-SNMP",
    "Nunit",
    "StandardML-NJ",
    "wxWindows",
    "Nokia-Qt-exception-1.1",
]
# Licences whose id merely contains "exception" (ScanCode files the MPL one as an exception; so
# does spdx-tools, VALIDATION.md §5 row 2b).
NOT_EXCEPTIONS = {"MPL-2.0-no-copyleft-exception", "CAL-1.0-Combined-Work-Exception"}


def _looks_like_exception(spdx_id: str) -> bool:
    low = spdx_id.lower()
    named = low.endswith("-exception") or "-exception-" in low
    return named and "-with-" not in low and spdx_id not in NOT_EXCEPTIONS


def main() -> None:
    bundle = resources.files("cyclonedx.schema._res") / "spdx.SNAPSHOT.schema.json"
    enum = json.loads(bundle.read_text("utf-8"))
    ids = set(enum["enum"])
    exceptions = {
        row["spdx_license_key"]
        for row in license_expression.get_license_index()
        if row.get("is_exception") and row.get("spdx_license_key") in ids
    }
    exceptions |= {i for i in ids if _looks_like_exception(i)}
    exceptions -= NOT_EXCEPTIONS
    out = {
        "source": f"cyclonedx spdx.schema.json {enum.get('$comment', '')}; scancode licensedb",
        "licenseListVersion": "3.28.0",
        "licenses": sorted(ids - exceptions, key=str.lower),
        "exceptions": sorted(exceptions, key=str.lower),
        "deprecated": sorted(d for d in DEPRECATED if d in ids),
    }
    target = Path(__file__).with_name("spdx-license-list.json")
    target.write_text(json.dumps(out, indent=0) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
