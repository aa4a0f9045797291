"""The ``svgai`` command.

User mistakes (a missing file, a bad parameter, ...) exit with status 2 and one line on stderr;
``--debug`` shows the traceback. Sub-command groups that need heavy imports (dataset, model, bench)
are loaded only when called.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import click

from svgai import __version__, files
from svgai.errors import SvgaiError
from svgai.log import configure_logging

LAZY_COMMANDS = {
    "dataset": "svgai.dataset.commands:dataset",
    "model": "svgai.training.commands:model",
    "bench": "svgai.bench.commands:bench",
    "eval": "svgai.evaluation:eval_group",
    "plugins": "svgai.plugin_commands:plugins_command",
    "methods": "svgai.training.fit:methods",
    "quality": "svgai.quality_study:quality_group",
}


class SvgaiGroup(click.Group):
    """A group that imports heavy sub-commands lazily and turns SvgaiError into one clear line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._available_lazy()])

    def _available_lazy(self) -> list[str]:
        names = []
        for name, target in LAZY_COMMANDS.items():
            try:
                found = importlib.util.find_spec(target.partition(":")[0]) is not None
            except ModuleNotFoundError:
                found = False
            if found:
                names.append(name)
        return names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in LAZY_COMMANDS:
            return command
        if cmd_name not in self._available_lazy():
            return None
        module, _, attr = LAZY_COMMANDS[cmd_name].partition(":")
        loaded: click.Command = getattr(importlib.import_module(module), attr)
        return loaded

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SvgaiError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {e}", err=True)
            ctx.exit(2)


@click.group(cls=SvgaiGroup)
@click.version_option(__version__, prog_name="svgai")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Turn raster logos into SVG with VTracer, with parameters chosen by a quality predictor."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    configure_logging("DEBUG" if debug else None)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (``svgai.files``); a failure is a ``click.FileError``."""
    try:
        files.write_atomically(path, text)
    except OSError as e:
        raise click.FileError(str(path), hint=e.strerror or str(e)) from None


@cli.command()
@click.argument("image", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Where to write the SVG (default: IMAGE with .svg).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A VTracer parameter (repeatable); see `svgai params`.")
@click.option("--method", default=None, help="Force one parameter-choosing method (see `svgai plugins`).")
@click.option("--target-ssim", type=float, default=None, help="Quality the router aims for.")
@click.option("--budget-ms", type=float, default=None, help="Time the router may spend choosing.")
@click.option("--ssim-per-kb", type=float, default=None,
              help="Size preference: SSIM each kilobyte over VTracer's defaults must buy (0: size is free).")
@click.option("--timeout", "timeout_s", type=float, default=None, help="Give up on VTracer after this many seconds.")
@click.option("--background", default=None, metavar="COLOUR",
              help="Flatten the image onto this CSS colour first (default: keep its transparency).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def convert(
    image: Path,
    output: Path | None,
    params: tuple[str, ...],
    method: str | None,
    target_ssim: float | None,
    budget_ms: float | None,
    ssim_per_kb: float | None,
    timeout_s: float | None,
    background: str | None,
    as_json: bool,
) -> None:
    """Convert IMAGE to SVG and report the measured quality."""
    from svgai.conversion import run_conversion

    started = time.perf_counter()
    result = run_conversion(
        image,
        params=params,
        method=method,
        target_ssim=target_ssim,
        budget_ms=budget_ms,
        ssim_per_kb=ssim_per_kb,
        timeout_s=timeout_s,
        background=background,
    )
    out = output or image.with_suffix(".svg")
    write_atomically(out, result["svg"])
    report = {k: v for k, v in result.items() if k != "svg"}
    report["output"] = str(out)
    report["total_ms"] = round((time.perf_counter() - started) * 1e3, 1)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    alpha = ", transparency kept" if report["input_has_alpha"] and background is None else ""
    click.echo(
        f"{out}: quality {report['quality']:.4f} (SSIM at 1x {report['ssim']:.4f}), {report['svg_bytes']:,} bytes, "
        f"{report['path_count']} paths, {report['total_ms']:.0f} ms (method: {report['method']}{alpha})"
    )
    for failure in report.get("fallbacks", []):
        click.echo(f"  fallback: {failure['method']}: {failure['reason']}")


@cli.command("params")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def params_command(as_json: bool) -> None:
    """Print VTracer's parameter space with defaults and accepted values."""
    from svgai.params import describe_space

    rows = describe_space()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']:<18} {row['type']:<7} default {row['default']!s:<8} {row['accepted']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def info(as_json: bool) -> None:
    """Print versions, CPU features and ONNX Runtime providers."""
    from svgai.system import environment

    env = environment()
    if as_json:
        click.echo(json.dumps(env, indent=2))
        return
    click.echo(f"python {env['python']} on {env['platform']}")
    for name, ver in env["packages"].items():
        click.echo(f"  {name:<14} {ver or 'not installed'}")
    cpu = env["cpu"]
    simd = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in cpu["simd"].items())
    click.echo(f"cpu {cpu['model']} ({cpu['machine']}): {cpu['usable_cpus']} of {cpu['logical_cpus']} CPUs usable")
    click.echo(f"  simd: {simd}")
    ort = env["onnxruntime"]
    click.echo(f"onnxruntime providers: {', '.join(ort['providers']) if ort else 'not installed'}")


def main() -> None:
    cli(prog_name="svgai")


if __name__ == "__main__":
    main()
