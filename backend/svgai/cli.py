"""The ``svgai`` command.

User mistakes (a missing file, a bad parameter, an output path that cannot be written, ...) exit with
status 2 and one line on stderr, before any conversion work; ``--debug`` shows the traceback.
Sub-command groups that need heavy imports (dataset, model, bench) are loaded only when called.

Exit statuses (``svgai.exits``): 0 done; 1 an image of a batch failed, or a bug (traceback); 2 a user
mistake or a missing optional install; 3 the SVG is written but misses ``--target-ssim``; 4 the SVG
is written but could not be measured; 143 stopped by SIGTERM (child processes are killed first).
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
from svgai.errors import SvgaiError
from svgai.exits import (
    TARGET_MISSED,
    UNMEASURED,
    USER_ERROR,
    conversion_status,
    exit_on_sigterm,
    missing_extra,
)
from svgai.log import configure_logging

LAZY_COMMANDS = {
    "dataset": ("svgai.dataset.commands:dataset", "Build the labelled dataset of (image, VTracer parameters) -> measured quality."),
    "model": ("svgai.training.commands:model", "Train, export and validate the quality predictor (training extras)."),
    "bench": ("svgai.bench.commands:bench", "Benchmarks: predictor vs the real loop, load, batch vs VTracer, start-up."),
    "eval": ("svgai.evaluation:eval_group", "Measure the router against VTracer's defaults and random search, with real conversions."),
    "plugins": ("svgai.plugin_commands:plugins_command", "List the plugins, their hooks and their live performance info."),
    "methods": ("svgai.training.fit:methods", "Fit and validate the built-in parameter-choosing methods."),
    "quality": ("svgai.quality_study:quality_group", "The quality measure: the study that chose its terms (docs/quality.md)."),
}
"""Sub-commands imported only when called: name -> (module:attribute, the one-line help `svgai --help` shows)."""


def _module_exists(name: str) -> bool:
    """Whether module ``name`` is installed, importing none of its packages but the top one."""
    package, _, leaf = name.rpartition(".")
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        return False
    folders = spec.submodule_search_locations if spec is not None else None
    return any((Path(folder) / f"{leaf}.py").is_file() or (Path(folder) / leaf / "__init__.py").is_file()
               for folder in folders or ())


class SvgaiGroup(click.Group):
    """A group that imports heavy sub-commands lazily and turns SvgaiError into one clear line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._available_lazy()])

    def _available_lazy(self) -> list[str]:
        return [name for name, (target, _) in LAZY_COMMANDS.items() if _module_exists(target.partition(":")[0])]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in LAZY_COMMANDS:
            return command
        if cmd_name not in self._available_lazy():
            return None
        module, _, attr = LAZY_COMMANDS[cmd_name][0].partition(":")
        loaded: click.Command = getattr(importlib.import_module(module), attr)
        return loaded

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, without importing the lazy sub-commands (their help line is in LAZY_COMMANDS)."""
        rows = []
        for name in self.list_commands(ctx):
            own = super().get_command(ctx, name)
            rows.append((name, own.get_short_help_str(formatter.width) if own else LAZY_COMMANDS[name][1]))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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


@cli.command(epilog="Exit status: 0 when every image converted (or was up to date), 1 when any image "
                    "of several failed (the summary counts them), 2 for a usage mistake; for one image, 3 when "
                    "its SVG misses --target-ssim and 4 when it could not be measured (the SVG is written).")
@click.argument("inputs", nargs=-1, required=True, metavar="IMAGE...")
@click.option("-o", "--output", default=None, metavar="PATH",
              help="The SVG for one IMAGE (default: IMAGE with .svg; - for stdout); a folder for several.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A VTracer parameter (repeatable); see `svgai params`.")
@click.option("--preset", "preset_name", default=None, metavar="bw|poster|photo",
              help="Start from one of VTracer's CLI presets (explicit parameters; --param overrides them).")
@click.option("--method", default=None, help="Force one parameter-choosing method (see `svgai plugins`).")
@click.option("--target-ssim", type=float, default=None, help="Quality the router aims for.")
@click.option("--budget-ms", type=float, default=None, help="Time the router may spend choosing.")
@click.option("--ssim-per-kb", type=float, default=None,
              help="Size preference: quality each kilobyte over VTracer's defaults must buy (0: size is free).")
@click.option("--quality-per-trace", type=float, default=None,
              help="Time preference: quality each extra raster's worth of pixels traced (upscale f traces f² "
                   "times the pixels) must buy (0: time is free).")
@click.option("--timeout", "timeout_s", type=float, default=None, help="Give up on VTracer after this many seconds.")
@click.option("--background", default=None, metavar="COLOUR",
              help="Flatten the image onto this CSS colour first (default: keep its transparency).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--recursive", is_flag=True, help="Take images from sub-folders of a folder too.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Worker processes (default: usable CPU cores).")
@click.option("--force", is_flag=True, help="Convert even when the SVG is newer than its image.")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write one JSON line per image (params, method, quality, bytes, time, fallbacks, error).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a self-contained HTML page comparing each image with its SVG.")
@click.option("--executor", type=click.Choice(["process", "ray"]), default="process", show_default=True,
              help="Run the batch in local processes or on Ray.")
@click.option("--address", default=None, help="The Ray cluster to join (default: a new local Ray).")
@click.pass_context
def convert(ctx: click.Context, inputs: tuple[str, ...], output: str | None, recursive: bool, jobs: int | None,
            force: bool, manifest: Path | None, report: Path | None, executor: str, address: str | None,
            as_json: bool, **options: Any) -> None:
    """Convert images to SVG and report the measured quality.

    IMAGE... are files, folders (their images), glob patterns, or - for standard input. One image
    prints one line (or its JSON report). Several are converted in parallel, skipping SVGs newer
    than their image unless --force, and end with a summary table.
    """
    from svgai.batch import EXIT_FAILED, Options, convert_job, one_image, plan, run_batch, with_progress
    from svgai.manifest import summarize, summary_table, write_manifest

    if address is not None and executor != "ray":
        raise click.UsageError("--address names a Ray cluster: give it with --executor ray")
    settings = Options(**options)
    todo = plan(inputs, output, settings, recursive=recursive)
    started = time.perf_counter()
    warning = None
    if not (settings.params or settings.preset_name):  # the router chooses: it needs the models
        from svgai.artifacts import missing_models

        warning = missing_models()
        if warning:
            click.echo(f"warning: {warning}", err=True)
    status = 0
    if one_image(inputs) and executor == "process":
        full, done = convert_job(todo[0])
        records = [done]
        _print_one(full, as_json, fallbacks=not warning)  # the warning said why the methods fell back
        status = conversion_status(full)
        if status == UNMEASURED:
            click.echo(f"warning: the SVG was written but measuring it failed: {full['measure_error']}", err=True)
        elif status == TARGET_MISSED:
            click.echo(f"warning: quality {full['quality']:.4f} misses the target {options['target_ssim']}", err=True)
    else:
        batch = run_batch(todo, workers=jobs, force=force, executor=executor, address=address)
        records = list(with_progress(batch, len(todo)))
        summary = summarize(records, time.perf_counter() - started)
        click.echo(json.dumps({"summary": summary, "images": records}, indent=2) if as_json
                   else summary_table(summary, records))
    if manifest is not None:
        write_manifest(manifest, records)
    if report is not None:
        from svgai.report import write_report

        write_report(report, records)
    failed = sum(r["status"] == "failed" for r in records)
    if failed:
        click.echo(f"{failed} of {len(records)} images failed", err=True)
        status = EXIT_FAILED
    ctx.exit(status)


def _print_one(report: dict[str, Any], as_json: bool, *, fallbacks: bool) -> None:
    """One image's result: its JSON report, or one line and its fallbacks (on stderr when the SVG owns stdout)."""
    aside = report["output"] == "-"
    if as_json:
        click.echo(json.dumps(report, indent=2), err=aside)
        return
    alpha = ", transparency kept" if report["input_has_alpha"] and report["background"] is None else ""
    quality = "not measured" if report["quality"] is None else \
        f"quality {report['quality']:.4f} (SSIM at 1x {report['ssim']:.4f})"
    click.echo(f"{report['output']}: {quality}, {report['svg_bytes']:,} bytes, {report['path_count']} paths, "
               f"{report['total_ms']:.0f} ms (method: {report['method']}{alpha})", err=aside)
    for failure in report["fallbacks"] if fallbacks else []:
        click.echo(f"  fallback: {failure['method']}: {failure['reason']}", err=aside)


@cli.command("report")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"),
              show_default=True, help="The HTML page to write.")
def report_command(manifest: Path, output: Path) -> None:
    """Write the HTML report of a manifest: each image next to its SVG.

    MANIFEST is the JSON Lines file of `svgai convert --manifest`; the page is self-contained.
    """
    from svgai.manifest import read_manifest
    from svgai.report import write_report

    write_report(output, read_manifest(manifest))
    click.echo(f"wrote {output}")


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
