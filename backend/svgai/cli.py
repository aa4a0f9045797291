"""The ``svgai`` command.

User mistakes (a missing file, a bad parameter, an output path that cannot be written, ...) exit with
status 2 and one line on stderr, before any conversion work; ``--debug`` shows the traceback.
Sub-command groups that need heavy imports (dataset, model, bench) are loaded only when called.

Exit statuses (``svgai.exits``): 0 done; 1 a bug (traceback); 2 a user mistake or a missing optional
install; 3 the SVG is written but misses ``--target-ssim``; 4 the SVG is written but could not be
measured; 143 stopped by SIGTERM (child processes are killed first).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import click

from svgai import __version__
from svgai.errors import InvalidOutput, SvgaiError
from svgai.exits import (
    TARGET_MISSED,
    UNMEASURED,
    USER_ERROR,
    conversion_status,
    exit_on_sigterm,
    missing_extra,
)
from svgai.files import check_output_path, write_atomically
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
        except (SvgaiError, ModuleNotFoundError) as e:
            message = missing_extra(e) if isinstance(e, ModuleNotFoundError) else str(e)
            if message is None or (ctx.obj and ctx.obj.get("debug")):
                raise
            click.echo(f"error: {message}", err=True)
            ctx.exit(USER_ERROR)


@click.group(cls=SvgaiGroup)
@click.version_option(__version__, prog_name="svgai")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Turn raster logos into SVG with VTracer, with parameters chosen by a quality predictor."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    configure_logging("DEBUG" if debug else None)


@cli.command()
@click.argument("image", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(), help="Where to write the SVG (default: IMAGE with .svg).")
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
    output: str | None,
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
    out = check_output_path(image.with_suffix(".svg") if output is None else output, source=image)
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
    try:
        write_atomically(out, result["svg"])
    except OSError as e:
        raise InvalidOutput(f"{out}: cannot be written ({e.strerror or e})") from None
    report = {k: v for k, v in result.items() if k != "svg"}
    report["output"] = str(out)
    report["total_ms"] = round((time.perf_counter() - started) * 1e3, 1)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        alpha = ", transparency kept" if report["input_has_alpha"] and background is None else ""
        quality = "not measured" if report["ssim"] is None else \
            f"quality {report['quality']:.4f} (SSIM at 1x {report['ssim']:.4f})"
        click.echo(
            f"{out}: {quality}, {report['svg_bytes']:,} bytes, "
            f"{report['path_count']} paths, {report['total_ms']:.0f} ms (method: {report['method']}{alpha})"
        )
        for failure in report.get("fallbacks", []):
            click.echo(f"  fallback: {failure['method']}: {failure['reason']}")
    status = conversion_status(report)
    if status == UNMEASURED:
        click.echo(f"warning: the SVG was written but measuring it failed: {report['measure_error']}", err=True)
    elif status == TARGET_MISSED:
        click.echo(f"warning: SSIM {report['ssim']:.4f} misses the target {target_ssim}", err=True)
    click.get_current_context().exit(status)


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
    exit_on_sigterm()
    cli(prog_name="svgai")


if __name__ == "__main__":
    main()
