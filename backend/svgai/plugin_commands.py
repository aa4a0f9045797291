"""``svgai plugins``: what is loaded, where it came from, and its live performance info."""

from __future__ import annotations

import json
from typing import Any

import click

from svgai.plugins import Plugins, get_plugins, hooks_of, performance_of


def describe(plugins: Plugins) -> list[dict[str, Any]]:
    """One row per plugin: name, source, hooks, live performance info (or the load error)."""
    rows: list[dict[str, Any]] = []
    for name, plugin in plugins.manager.list_name_plugin():
        rows.append(
            {
                "name": name,
                "source": plugins.sources.get(name, "registered in process"),
                "hooks": hooks_of(plugins.manager, plugin),
                "performance": performance_of(plugins.manager, name),
            }
        )
    rows += [{"name": b.name, "source": b.source, "hooks": [], "error": b.error} for b in plugins.broken]
    return rows


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--probe", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Route this image once first, so that latencies are measured live.")
def plugins_command(as_json: bool, probe: str | None) -> None:
    """List the plugins, their hooks and their live performance info."""
    plugins = get_plugins()
    if probe:
        from svgai.router import IntelligentRouter

        for name in IntelligentRouter(plugins.manager).method_names():
            IntelligentRouter(plugins.manager).choose(probe, method=name)
    rows = describe(plugins)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'plugin':<16} {'available':<9} {'quality':>7} {'p50 ms':>8} {'p95 ms':>8} {'calls':>5} {'fail':>4}  hooks")
    for row in rows:
        if "error" in row:
            click.echo(f"{row['name']:<16} BROKEN: {row['error']}  ({row['source']})")
            continue
        info = row["performance"]
        click.echo(
            f"{row['name']:<16} {'yes' if info['available'] else 'no':<9} {_fmt(info['expected_quality'], 4):>7} "
            f"{_fmt(info['latency_p50_ms'], 2):>8} {_fmt(info['latency_p95_ms'], 2):>8} "
            f"{info['calls']:>5} {info['failures']:>4}  {', '.join(row['hooks'])}"
        )
        if not info["available"]:
            click.echo(f"{'':<16} unavailable: {info['reason']}")
        elif info["needs_predictor"]:
            click.echo(f"{'':<16} needs a quality predictor")
    click.echo("quality: mean real SSIM of a method's choices, or Pearson r of a predictor, on held-out images")
