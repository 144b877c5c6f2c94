"""Declared licences normalised to SPDX expressions, without inventing anything.

Package metadata spells licences every way there is (``GPL-2+``, ``Expat``, ``MIT License``,
``License :: OSI Approved :: BSD License``). A consumer's policy engine can only act on SPDX ids,
so known spellings become ids (license-expression's SPDX licensing, plus a small table of
Debian DEP-5 and trove names it does not know), and anything else becomes a
``LicenseRef-<slug>-<8 hex>`` carrying the raw text, never a guess (SBOM.md §F.3).
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from license_expression import Licensing, get_spdx_licensing

from supplychain.model.sbom import ExtractedLicense, slug

# Spellings license-expression does not know, lower-cased → SPDX id.
_ALIASES = {
    "expat": "MIT",
    "mit license": "MIT",
    "the mit license": "MIT",
    "mit/x11": "MIT",
    "x11": "X11",
    "gpl-1": "GPL-1.0-only",
    "gpl-1+": "GPL-1.0-or-later",
    "gpl-2": "GPL-2.0-only",
    "gpl-2+": "GPL-2.0-or-later",
    "gpl-3": "GPL-3.0-only",
    "gpl-3+": "GPL-3.0-or-later",
    "lgpl-2": "LGPL-2.0-only",
    "lgpl-2+": "LGPL-2.0-or-later",
    "lgpl-2.1": "LGPL-2.1-only",
    "lgpl-2.1+": "LGPL-2.1-or-later",
    "lgpl-3": "LGPL-3.0-only",
    "lgpl-3+": "LGPL-3.0-or-later",
    "agpl-3": "AGPL-3.0-only",
    "agpl-3+": "AGPL-3.0-or-later",
    "gfdl-1.2+": "GFDL-1.2-or-later",
    "gfdl-1.3+": "GFDL-1.3-or-later",
    "apache-2": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache-2.0 license": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "apache license version 2.0": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0",
    "bsd-2-clause license": "BSD-2-Clause",
    "bsd-3-clause license": "BSD-3-Clause",
    "new bsd license": "BSD-3-Clause",
    "simplified bsd license": "BSD-2-Clause",
    "isc license": "ISC",
    "isc license (iscl)": "ISC",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "python software foundation license": "PSF-2.0",
    "psf": "PSF-2.0",
    "psfl": "PSF-2.0",
    "zlib/libpng": "Zlib",
    "zope public license": "ZPL-2.1",
    "the unlicense (unlicense)": "Unlicense",
    "artistic": "Artistic-1.0-Perl",
    "perl": "Artistic-1.0-Perl OR GPL-1.0-or-later",
    # Fedora/RHEL "callaway" short names still found in RHEL ≤ 9 rpm headers.
    "gplv2": "GPL-2.0-only",
    "gplv2+": "GPL-2.0-or-later",
    "gplv3": "GPL-3.0-only",
    "gplv3+": "GPL-3.0-or-later",
    "lgplv2": "LGPL-2.0-only",
    "lgplv2+": "LGPL-2.0-or-later",
    "lgplv3": "LGPL-3.0-only",
    "lgplv3+": "LGPL-3.0-or-later",
    "asl 2.0": "Apache-2.0",
    "mplv2.0": "MPL-2.0",
}

# Trove classifiers (PyPI) → SPDX, only where the classifier names one licence exactly.
_CLASSIFIERS = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: BSD License": "",  # which BSD is unknown: no id
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": (
        "GPL-2.0-or-later"
    ),
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": (
        "GPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": (
        "LGPL-2.0-or-later"
    ),
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": (
        "LGPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}

_OPERATOR = re.compile(r"(\(|\)|\s+(?:and|or|with)\s+|\s*[|&,;]\s*)", re.IGNORECASE)
_MAX_RAW = 4096


@dataclass(frozen=True)
class DeclaredLicense:
    """An SPDX expression, the ``LicenseRef-`` definitions it needs, and what metadata said."""

    expression: str
    extracted: tuple[ExtractedLicense, ...]
    raw: str


@functools.lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


@functools.lru_cache(maxsize=4096)
def _known(symbol: str) -> str | None:
    """The canonical SPDX expression for one licence name, or ``None``."""
    alias = _ALIASES.get(symbol.strip().lower())
    if alias:
        return alias
    if symbol.startswith("LicenseRef-") and re.fullmatch(r"LicenseRef-[A-Za-z0-9.\-]+", symbol):
        return symbol
    if not re.fullmatch(r"[A-Za-z0-9.+\-]+", symbol.strip()):
        return None
    return _validated(symbol.strip())


def _validated(text: str) -> str | None:
    """license-expression's normalised form of a fully known expression, else ``None``.

    The library raises assorted exceptions (even AttributeError) on odd input: any of them
    just means "not a known SPDX expression".
    """
    try:
        info = _licensing().validate(text)
    except Exception:
        return None
    if info.errors or not info.normalized_expression:
        return None
    return str(info.normalized_expression)


def license_ref(raw: str) -> ExtractedLicense:
    """A ``LicenseRef-<slug>-<8 hex>`` for a name we cannot map, keeping the raw text."""
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
    return ExtractedLicense(f"LicenseRef-{slug(raw, 40)}-{digest}", raw, raw[:200])


@functools.lru_cache(maxsize=8192)
def normalize(raw: str | None) -> DeclaredLicense | None:
    """``raw`` metadata as an SPDX expression; ``None`` when it says nothing usable."""
    if raw is None:
        return None
    text = " ".join(raw.split())[:_MAX_RAW]
    if not text or text.upper() in ("NOASSERTION", "NONE", "UNKNOWN", "UNKNOWN LICENSE"):
        return None
    whole = _known(text)
    if whole is not None:
        return DeclaredLicense(whole, (), raw)
    valid = _validated(text)
    if valid is not None:
        return DeclaredLicense(valid, (), raw)
    return _by_symbols(text, raw)


def _by_symbols(text: str, raw: str) -> DeclaredLicense:
    """Map each licence name between operators; an expression that still does not parse
    becomes a single ``LicenseRef-`` for the whole text."""
    out: list[str] = []
    extracted: list[ExtractedLicense] = []
    for token in _OPERATOR.split(text):
        if not token or not token.strip():
            continue
        word = token.strip().lower()
        if token in ("(", ")"):
            out.append(token)
        elif word in ("and", "&", ",", ";"):
            out.append(" AND ")
        elif word in ("or", "|"):
            out.append(" OR ")
        elif word == "with":
            out.append(" WITH ")
        else:
            known = _known(token.strip())
            if known is None:
                ref = license_ref(token.strip())
                extracted.append(ref)
                known = ref.license_id
            out.append(f"({known})" if " " in known else known)
    expression = "".join(out).strip()
    try:
        _licensing().parse(expression, validate=False, strict=False)
        ok = bool(expression) and not expression.endswith(("AND", "OR", "WITH"))
        # SPDX only allows listed exceptions after WITH.
        ok = ok and "WITH LicenseRef-" not in expression
    except Exception:  # license-expression's errors are not all ExpressionError
        ok = False
    if not ok:
        ref = license_ref(text)
        return DeclaredLicense(ref.license_id, (ref,), raw)
    return DeclaredLicense(expression, tuple(extracted), raw)


def from_classifiers(classifiers: list[str]) -> DeclaredLicense | None:
    """``License ::`` trove classifiers joined with AND; ``None`` if none maps to an id."""
    ids = sorted({_CLASSIFIERS[c] for c in classifiers if _CLASSIFIERS.get(c)})
    if not ids:
        return None
    return DeclaredLicense(" AND ".join(ids), (), "; ".join(classifiers))


def combine(parts: list[DeclaredLicense]) -> DeclaredLicense | None:
    """Several licences that all apply (e.g. every ``License:`` of a DEP-5 file): AND."""
    exprs = sorted({p.expression for p in parts})
    if not exprs:
        return None
    wrapped = [e if len(exprs) == 1 or " " not in e else f"({e})" for e in exprs]
    extracted = {e.license_id: e for p in parts for e in p.extracted}
    return DeclaredLicense(
        " AND ".join(wrapped),
        tuple(extracted[k] for k in sorted(extracted)),
        "; ".join(sorted({p.raw for p in parts})),
    )


def from_dep5(text: str) -> DeclaredLicense | None:
    """Licences of a Debian machine-readable copyright file (DEP-5); free text → ``None``.

    Every ``License:`` short name of the ``Files:`` paragraphs applies to some file, so the
    package's declared licence is their conjunction. One pass over the lines: copyright files
    can be long (full licence texts) and there is one per package.
    """
    if not text.lstrip()[:7].lower().startswith("format:"):
        return None
    names: set[str] = set()
    in_files, license_name = False, ""
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if in_files and license_name:
                names.add(license_name)
            in_files, license_name = False, ""
            continue
        if line[0] in " \t#":
            continue
        head = line[:8].lower()
        if head.startswith("files:"):
            in_files = True
        elif head.startswith("license:") and not license_name:
            license_name = line[8:].strip()
    parts = [p for p in (normalize(n) for n in sorted(names)) if p is not None]
    return combine(parts)
