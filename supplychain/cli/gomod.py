"""``supplychain gomod graph DIR``: the module graph Go would select, for humans and scripts.

Text output is what ``go list -m all`` and ``go mod graph`` print (so the two can be diffed),
plus a line per module whose go.mod was unavailable offline. JSON (``--format json``) has stable
keys: ``schemaVersion``, ``mainModules``, ``pruning``, ``buildList`` (path, version, replace,
indirect, h1), ``edges`` (from, to — module@version as required), ``unknown``, ``warnings``.
Never uses the network; the go toolchain, when installed, is run offline as the last source.
"""

from __future__ import annotations

import json
from typing import Any

import click

from supplychain.catalog.golang.analysis import Analysis, analyze
from supplychain.cli.context import SETTINGS
from supplychain.cli.main import cli

SCHEMA_VERSION = 1


@cli.group("gomod")
def gomod() -> None:
    """Go module graphs (offline)."""


@gomod.command("graph")
@click.argument("target", type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--gomodcache",
    type=click.Path(file_okay=False),
    help="Module cache to read dependency go.mod files from (default: $GOMODCACHE).",
)
@click.option(
    "--graph-file",
    type=click.Path(exists=True, dir_okay=False),
    help="A saved `go mod graph` output to use where the module cache has no go.mod.",
)
@click.option("--no-go", is_flag=True, help="Never run the go toolchain, even offline.")
def graph_command(
    target: str, fmt: str, gomodcache: str | None, graph_file: str | None, no_go: bool
) -> int:
    """Print the build list and requirement graph of the module or workspace at TARGET
    (a directory, go.mod or go.work)."""
    analysis = analyze(
        target, gomodcache=gomodcache, graph_file=graph_file, use_go=False if no_go else None
    )
    if fmt == "json":
        click.echo(json.dumps(_as_json(analysis), indent=2, sort_keys=True))
    else:
        for line in _as_text(analysis):
            click.echo(line)
    if analysis.warnings and not SETTINGS.quiet:
        for warning in analysis.warnings:
            click.echo(f"supplychain: warning: {warning}", err=True)
    return 0


def _as_text(analysis: Analysis) -> list[str]:
    lines = ["# build list" + (" (from vendor/modules.txt)" if analysis.vendored else "")]
    if analysis.vendored:
        lines += [
            item.mod.path if item.main else f"{item.mod.path} {item.mod.version}"
            for item in analysis.build_list
        ]
    else:
        lines += analysis.graph.list_lines()
    lines.append("# graph")
    lines += analysis.graph.graph_lines()
    for mod in sorted(analysis.graph.unknown):
        lines.append(f"# unknown: go.mod of {mod} unavailable offline")
    return lines


def _as_json(analysis: Analysis) -> dict[str, Any]:
    build_list = []
    for item in analysis.build_list:
        entry: dict[str, Any] = {"path": item.mod.path, "version": item.mod.version or None}
        entry["main"] = item.main
        if item.replace is not None:
            entry["replace"] = {
                "path": item.replace.new_path,
                "version": item.replace.new_version or None,
            }
        if item.indirect:
            entry["indirect"] = True
        if item.h1:
            entry["h1"] = item.h1
        build_list.append(entry)
    graph = analysis.graph
    return {
        "schemaVersion": SCHEMA_VERSION,
        "mainModules": [m.path for m in analysis.workspace.mains],
        "pruning": graph.pruning,
        "buildListSource": "vendor" if analysis.vendored else "mvs",
        "buildList": build_list,
        "edges": [
            {"from": str(mod), "to": str(req)}
            for mod in graph.walk()
            for req in graph.required.get(mod, ())
        ],
        "unknown": sorted(str(m) for m in graph.unknown),
        "warnings": analysis.warnings,
    }
