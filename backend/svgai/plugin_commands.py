"""``svgai plugins``: what is loaded, from which distribution, what implements it, and how it performs."""

from __future__ import annotations

import inspect
import json
from typing import Any

import click
import pluggy

from svgai.plugins import Plugins, get_plugins, hooks_of, performance_of

PREDICT_HOOKS = ("predict_candidates", "predict_quality")


def implementation_of(manager: pluggy.PluginManager, plugin: object) -> str:
    """``module:Class`` of the object whose methods implement the hooks, else the plugin module's name.

    A module may bind its hooks to an instance's methods (``svgai_quality.plugin`` does); the
    instance's class is then what implements the plugin.
    """
    owners = {
        type(impl.function.__self__)
        for caller in manager.get_hookcallers(plugin) or []
        for impl in caller.get_hookimpls()
        if impl.plugin is plugin and inspect.ismethod(impl.function)
    }
    if len(owners) == 1:
        owner = owners.pop()
        return f"{owner.__module__}:{owner.__qualname__}"
    if inspect.ismodule(plugin):
        return plugin.__name__
    return f"{type(plugin).__module__}:{type(plugin).__qualname__}"


def describe(plugins: Plugins) -> list[dict[str, Any]]:
    """One row per plugin: where it came from, what implements it, its hooks and live performance.

    ``expected_quality`` means different things for a method and a predictor, so it is split:
    ``method_objective`` for a plugin that proposes parameters, ``predictor_pearson`` for one that
    only predicts.
    """
    rows: list[dict[str, Any]] = []
    for name, plugin in plugins.manager.list_name_plugin():
        hooks = hooks_of(plugins.manager, plugin)
        info = performance_of(plugins.manager, name)
        is_method = "propose_params" in hooks
        distribution, version = plugins.distributions.get(name, (None, None))
        rows.append({
            "name": name,
            "distribution": distribution,
            "version": version,
            "object": implementation_of(plugins.manager, plugin),
            "source": plugins.sources.get(name, "registered in process"),
            "hooks": hooks,
            "method_objective": info["expected_quality"] if is_method else None,
            "predictor_pearson": info["expected_quality"] if not is_method and set(PREDICT_HOOKS) & set(hooks) else None,
            "performance": info,
        })
    for broken in plugins.broken:
        distribution, version = plugins.distributions.get(broken.name, (None, None))
        rows.append({"name": broken.name, "distribution": distribution, "version": version, "object": None,
                     "source": broken.source, "hooks": [], "error": broken.error})
    return rows


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--probe", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Route this image once first, so that latencies are measured live.")
def plugins_command(as_json: bool, probe: str | None) -> None:
    """List the plugins: distribution, implementing object, hooks and live performance."""
    plugins = get_plugins()
    if probe:
        from svgai.router import IntelligentRouter

        for name in IntelligentRouter(plugins.manager).method_names():
            IntelligentRouter(plugins.manager).choose(probe, method=name)
    rows = describe(plugins)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'plugin':<16} {'available':<9} {'objective':>9} {'Pearson r':>9} {'p50 ms':>8} {'p95 ms':>8} "
               f"{'calls':>5} {'fail':>4}  distribution / implemented by")
    for row in rows:
        origin = f"{row['distribution'] or 'no distribution'} {row['version'] or ''}".rstrip()
        if "error" in row:
            click.echo(f"{row['name']:<16} BROKEN: {row['error']}  ({origin}; {row['source']})")
            continue
        info = row["performance"]
        click.echo(
            f"{row['name']:<16} {'yes' if info['available'] else 'no':<9} {_fmt(row['method_objective'], 4):>9} "
            f"{_fmt(row['predictor_pearson'], 4):>9} {_fmt(info['latency_p50_ms'], 2):>8} "
            f"{_fmt(info['latency_p95_ms'], 2):>8} {info['calls']:>5} {info['failures']:>4}  {origin}  {row['object']}"
        )
        click.echo(f"{'':<16} hooks: {', '.join(row['hooks'])}")
        if not info["available"]:
            click.echo(f"{'':<16} unavailable: {info['reason']}")
    click.echo("objective: mean quality with the price on size of a method's real choices on validation images (svgai methods fit); "
               "Pearson r: of a predictor's predicted with real SSIM on the test split (svgai model validate)")
