"""Profiles as data: policies/*.yaml choose rules, severities and parameters.

A profile may ``extends:`` another (built-in name or path); entries it lists override the
parent's. Anything unknown — a key, a rule id, a parameter, a severity, a wrong type — is a
PolicyError (exit 2): a typo in a policy must never silently weaken it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supplychain._internal.fileio import read_bounded
from supplychain.errors import Error, PolicyError
from supplychain.validation import safeyaml
from supplychain.validation.findings import SEVERITY_NAMES
from supplychain.validation.rules.base import REGISTRY, all_rules

BUILTIN = ("artifacthub", "ntia", "spdx-2.3", "artifacthub-publish")
TOP_KEYS = frozenset({"profile", "version", "description", "extends", "fail_on", "params", "rules"})
RULE_KEYS = frozenset({"severity", "params"})
GLOBAL_PARAMS: dict[str, Any] = {"license_list_version": "3.27", "max_bytes": 64 * 1024 * 1024}
MAX_EXTENDS_DEPTH = 8
MAX_PROFILE_BYTES = 8 * 1024 * 1024  # SECURITY.md: YAML ≤ 8 MiB per file
# SECURITY.md §3: an SBOM blob is capped at 128 MiB; a profile may lower max_bytes, not raise it
# past that.
MAX_SBOM_BYTES = 128 * 1024 * 1024


@dataclass
class RuleSetting:
    severity: str
    params: dict[str, Any]


@dataclass
class Profile:
    name: str
    sha256: str
    fail_on: str = "error"
    params: dict[str, Any] = field(default_factory=lambda: dict(GLOBAL_PARAMS))
    rules: dict[str, RuleSetting] = field(default_factory=dict)


def policies_dir() -> Path:
    """The repository's policies/ directory, found next to the installed package."""
    here = Path(__file__).resolve().parents[2] / "policies"
    if not here.is_dir():
        raise PolicyError(
            "the built-in profiles are missing",
            subject=str(here),
            hint="reinstall supplychain from its source tree, or pass --profile PATH",
        )
    return here


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a user profile file by path."""
    all_rules()
    return _load(name_or_path, depth=0)


def _locate(name_or_path: str) -> Path:
    if name_or_path in BUILTIN:
        return policies_dir() / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    raise PolicyError(
        "unknown profile",
        subject=name_or_path,
        hint=f"use one of {', '.join(BUILTIN)} or a path to a YAML profile",
    )


def _load(name_or_path: str, depth: int) -> Profile:
    if depth > MAX_EXTENDS_DEPTH:
        raise PolicyError("extends chain too deep (a cycle?)", subject=name_or_path)
    path = _locate(name_or_path)
    try:
        raw = read_bounded(path, limit=MAX_PROFILE_BYTES, what=str(path))
    except Error as exc:
        raise PolicyError(exc.message, subject=str(path)) from exc
    try:
        data = safeyaml.load(raw)
    except yaml.YAMLError as exc:
        raise PolicyError("profile is not valid YAML", subject=str(path)) from exc
    if not isinstance(data, dict):
        raise PolicyError("profile must be a YAML mapping", subject=str(path))
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise PolicyError(f"unknown key(s) {sorted(unknown)}", subject=str(path))
    digest = hashlib.sha256(raw).hexdigest()
    parent_name = data.get("extends")
    if parent_name is not None:
        if not isinstance(parent_name, str):
            raise PolicyError("extends must be a profile name or path", subject=str(path))
        if parent_name not in BUILTIN and not Path(parent_name).is_absolute():
            parent_name = str(path.parent / parent_name)
        profile = _load(parent_name, depth + 1)
        profile.sha256 = hashlib.sha256((profile.sha256 + digest).encode()).hexdigest()
    else:
        profile = Profile(name="", sha256=digest)
    profile.name = str(data.get("profile") or path.stem)
    if "fail_on" in data:
        profile.fail_on = _severity(data["fail_on"], f"{path}: fail_on", allow_off=False)
    profile.params.update(_check_params(data.get("params") or {}, GLOBAL_PARAMS, f"{path}: params"))
    if not 0 < int(profile.params["max_bytes"]) <= MAX_SBOM_BYTES:
        raise PolicyError(f"max_bytes must be between 1 and {MAX_SBOM_BYTES}", subject=str(path))
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise PolicyError("rules must be a mapping of rule id to settings", subject=str(path))
    for rule_id, settings in rules.items():
        profile.rules[rule_id] = _rule_setting(rule_id, settings, profile.rules.get(rule_id), path)
    return profile


def _rule_setting(
    rule_id: Any, settings: Any, inherited: RuleSetting | None, path: Path
) -> RuleSetting:
    where = f"{path}: rules.{rule_id}"
    rule = REGISTRY.get(rule_id) if isinstance(rule_id, str) else None
    if rule is None:
        raise PolicyError("unknown rule id", subject=where)
    if isinstance(settings, str) or settings is False:
        settings = {"severity": settings}
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise PolicyError("rule settings must be a mapping", subject=where)
    unknown = set(settings) - RULE_KEYS
    if unknown:
        raise PolicyError(f"unknown key(s) {sorted(unknown)}", subject=where)
    base = inherited or RuleSetting(rule.severity, dict(rule.params))
    severity = base.severity
    if "severity" in settings:
        severity = _severity(settings["severity"], where + ".severity", allow_off=True)
    params = dict(base.params)
    params.update(_check_params(settings.get("params") or {}, rule.params, where + ".params"))
    return RuleSetting(severity, params)


def _severity(value: Any, where: str, *, allow_off: bool) -> str:
    names = SEVERITY_NAMES if allow_off else SEVERITY_NAMES[:3]
    if value is False and allow_off:
        value = "off"  # YAML 1.1 reads a bare `off` as false
    if value not in names:
        raise PolicyError(f"severity {value!r} is not one of {', '.join(names)}", subject=where)
    return str(value)


def _check_params(given: Any, defaults: dict[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise PolicyError("params must be a mapping", subject=where)
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key not in defaults:
            raise PolicyError(f"unknown parameter {key!r}", subject=where)
        default = defaults[key]
        if isinstance(default, str) and default in SEVERITY_NAMES:
            out[key] = _severity(value, f"{where}.{key}", allow_off=True)
            continue
        expected = type(default)
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is list and ok:
            ok = all(isinstance(item, str) for item in value)
        if not ok:
            raise PolicyError(f"parameter {key!r} must be a {expected.__name__}", subject=where)
        out[key] = value
    return out
