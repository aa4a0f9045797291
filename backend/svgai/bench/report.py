"""The Markdown form of a ``svgai bench`` report, with the targets (``svgai.targets``) side by side."""

from __future__ import annotations

from typing import Any

from svgai.targets import PREDICTOR

Row = tuple[str, str, float | None, bool, str]


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1e3:.1f} µs" if value < 0.1 else f"{value:.3g} ms"


def _figure_row(name: str, fig: dict[str, Any] | None, note: str = "") -> str:
    if not fig or "p50_ms" not in fig:
        return f"| {name} | unavailable | | | | {note} |"
    return (f"| {name} | {_ms(fig['p50_ms'])} | {_ms(fig['p95_ms'])} | {_ms(fig['p99_ms'])} | "
            f"{fig['spread_pct']:.0f}% ({fig['repeats']}×{fig['calls'] // max(fig['repeats'], 1)}) | {note} |")


def _get(report: dict[str, Any], *keys: str) -> Any:
    node: Any = report
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def figures(report: dict[str, Any]) -> dict[str, float | None]:
    """The bench's figures under the names of ``svgai.targets.PREDICTOR`` (accuracy is read, not measured)."""
    variant = _get(report, "predictor", "variant")
    size = _get(report, "variants", variant or "", "bytes")
    runs = [r for r in _get(report, "fresh_process", "runtime") or [] if "peak_rss_mb" in r]
    return {
        "predict_new_image_p50_ms": _get(report, "predictor", "new_image", "p50_ms"),
        "predict_new_image_p95_ms": _get(report, "predictor", "new_image", "p95_ms"),
        "predict_cached_p50_ms": _get(report, "predictor", "cached_image", "p50_ms"),
        "predict_1024_encoded_p50_ms": _get(report, "predictor", "batch", "1024", "p50_ms"),
        "batched_speed_up": _get(report, "speed_up", "batched_speed_up"),
        "student_mb": size / 1e6 if size else None,
        "pearson": _get(report, "model", "accuracy", "pearson"),
        "mae": _get(report, "model", "accuracy", "mae"),
        "process_peak_rss_mb": max((r["peak_rss_mb"] for r in runs), default=None),
    }


def targets(report: dict[str, Any]) -> list[Row]:
    """(label, bound, measured value, met, unit) for each target the bench measures or reads."""
    measured = figures(report)
    runs = _get(report, "fresh_process", "runtime") or []
    torch_free = all(not r.get("torch_imported", True) for r in runs) if runs else None
    rows: list[Row] = []
    for target in PREDICTOR:
        if target.name not in measured:
            continue
        value = measured[target.name]
        label, met = target.label, value is not None and target.met(value)
        if target.name in ("pearson", "mae"):
            label += " *"
        if target.name == "process_peak_rss_mb":  # the target also asks for a torch-free process
            label += f" (torch imported: {torch_free is False})"
            met = met and torch_free is True
        rows.append((label, target.bound, value, met, target.unit))
    return rows


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "unavailable"
    if unit == "ms":
        return _ms(value)
    if not unit:
        return f"{value:.3f}"
    return f"{value:,.0f}×" if unit == "×" else f"{value:.1f} {unit}"


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown tables (the README pastes the first ones)."""
    env = report["environment"]
    cpu = env["cpu"]
    simd = ", ".join(k for k, v in cpu["simd"].items() if v) or "none of AVX2/AVX-512/VNNI/AMX"
    ort = env.get("onnxruntime") or {}
    lines = [
        f"## svgai bench ({report['svgai']})",
        "",
        f"`{report['command']}` — {cpu['model']}, {cpu['usable_cpus']} usable CPUs ({simd}); "
        f"onnxruntime {ort.get('version', 'not installed')}; {report['settings']['images']} images from "
        f"{report['images']['origin']} ({', '.join(report['images']['sizes'])}), "
        f"{report['settings']['repeats']} repeats; run took {report['elapsed_s']:.0f} s; 1-minute load average "
        f"{report['load_average_start']:.1f} at start, {report['load_average_end']:.1f} at end (other work on the machine).",
        "",
    ]
    if "unavailable" in report["model"]:
        lines += [f"**Predictor: unavailable** — {report['model']['unavailable']}", ""]
    lines += ["| target (docs/targets.md) | target | measured | met |", "|---|---|---|---|"]
    for name, target, value, passes, unit in targets(report):
        met = "–" if value is None else ("yes" if passes else "**no**")
        lines.append(f"| {name} | {target} | {_value(value, unit)} | {met} |")
    if "accuracy_source" in report["model"]:
        lines += ["", f"\\* accuracy is not measured by the bench: read from {report['model']['accuracy_source']}."]
    loop = report["real_loop"]
    predictor = report.get("predictor") or {}
    lines += [
        "",
        "| per call | p50 | p95 | p99 | spread of p50 over repeats | note |",
        "|---|---|---|---|---|---|",
        _figure_row("real loop, per candidate (VTracer + resvg + quality)", loop["per_candidate"],
                    f"mean quality {loop['mean_quality']:.3f} over {loop['conversions']} conversions"),
        _figure_row("predict_quality, new image", predictor.get("new_image"), "decode + features + encoder + head"),
        _figure_row("… of which: PNG decode (load_image)", predictor.get("new_image_decode"), "256×256 file"),
        _figure_row("… of which: resize + hand-made features (prepare)", predictor.get("new_image_features"), ""),
        _figure_row("predict_quality, cached image", predictor.get("cached_image"), "embedding cached"),
    ]
    for size, fig in (predictor.get("batch") or {}).items():
        per = f"{fig['p50_ms'] / int(size) * 1e3:.2f} µs per candidate"
        lines.append(_figure_row(f"predict, batch of {size} (encoded)", fig, per))
    lines += [
        _figure_row("predict, 1024 parameter dicts", predictor.get("batch_1024_as_dicts"), "validation + encoding included"),
        _figure_row("model load", predictor.get("load"), f"variant {predictor.get('variant', '–')}"),
    ]
    speed = report.get("speed_up")
    if speed:
        lines += ["", f"Per candidate: real loop {_ms(speed['real_loop_ms_per_candidate'])}, batched prediction "
                  f"{_ms(speed['batched_1024_ms_per_candidate'])} — **{speed['batched_speed_up']:,.0f}× cheaper**; "
                  f"a cached `predict_quality` call {speed['cached_predict_quality_speed_up']:,.0f}×, a new image "
                  f"{speed['new_image_predict_quality_speed_up']:,.0f}×."]
    lines += _sections(report)
    return "\n".join(lines) + "\n"


def _sections(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    variants = report.get("variants") or {}
    if variants and "unavailable" not in variants:
        lines += ["", "| variant | encoder + head | load p50 | new image p50 | batch 1024 p50 |", "|---|---|---|---|---|"]
        for name, v in variants.items():
            if "unavailable" in v:
                lines.append(f"| {name} | unavailable: {v['unavailable']} | | | |")
                continue
            lines.append(f"| {name} | {v['bytes'] / 1e6:.2f} MB | {_ms(v['load']['p50_ms'])} | "
                         f"{_ms(v['new_image']['p50_ms'])} | {_ms(v['batch_1024']['p50_ms'])} |")
    threads = report.get("threads") or {}
    if threads and "unavailable" not in threads:
        lines += ["", "| ONNX Runtime threads | machine | new image p50 / p95 | batch 1024 p50 / p95 |", "|---|---|---|---|"]
        for key, t in threads.items():
            count, _, load = key.partition("_threads_")
            lines.append(f"| {count} | {load.replace('_', ' ')} | {_ms(t['new_image']['p50_ms'])} / "
                         f"{_ms(t['new_image']['p95_ms'])} | {_ms(t['batch_1024']['p50_ms'])} / {_ms(t['batch_1024']['p95_ms'])} |")
    graph = report.get("graph_optimization") or {}
    if graph and "unavailable" not in graph:
        lines += ["", "| graph optimization | encoder, one image p50 | head, 1024 rows p50 |", "|---|---|---|"]
        lines += [f"| {level} | {_ms(g['encoder_one_image']['p50_ms'])} | {_ms(g['head_1024']['p50_ms'])} |"
                  for level, g in graph.items()]
    lines += _memory_and_torchscript(report)
    return lines


def _memory_and_torchscript(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    fresh = report.get("fresh_process") or {}
    runtime = [r for r in fresh.get("runtime", []) if "peak_rss_mb" in r]
    if runtime:
        lines += ["", "| fresh process: load + predict 1024 | peak RSS | torch imported | load |", "|---|---|---|---|"]
        rows = [("runtime (onnxruntime + numpy + Pillow)", r) for r in runtime]
        rows += [("same, torch imported first", r) for r in fresh.get("with_torch_imported") or [] if "peak_rss_mb" in r]
        lines += [f"| {name} | {r['peak_rss_mb']:.0f} MB | {r['torch_imported']} | {_ms(r['load_ms'])} |" for name, r in rows]
    ts = report.get("torchscript") or {}
    if ts and "unavailable" not in ts:
        lines += ["", f"TorchScript (torch {ts['torch']}, {ts['threads']} thread; whole model per row, no embedding cache):", "",
                  "| TorchScript | batch 1 p50 | batch 64 p50 |", "|---|---|---|"]
        for precision in ("fp32", "int8"):
            if f"{precision}_batch_1" in ts:
                lines.append(f"| {precision} | {_ms(ts[f'{precision}_batch_1']['p50_ms'])} | {_ms(ts[f'{precision}_batch_64']['p50_ms'])} |")
    missing = [f"- {name}: {section['unavailable']}" for name, section in report.items()
               if isinstance(section, dict) and "unavailable" in section]
    if missing:
        lines += ["", "Not measured in this run:", *missing]
    return lines
