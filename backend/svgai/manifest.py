"""What a batch records: one ``ImageRecord`` per image (a line of ``--manifest``) and their summary.

``measured`` is the one place that reads the quality fields of a conversion report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypedDict

from svgai.errors import SvgaiError
from svgai.files import save

STDIO = "-"


class ImageRecord(TypedDict):
    """What happened to one image: one line of the manifest."""

    input: str
    output: str
    status: str
    """``ok``, ``skipped`` (the output is newer than the image) or ``failed``."""
    method: str | None
    params: dict[str, Any] | None
    quality: float | None
    measures: dict[str, float]
    svg_bytes: int | None
    path_count: int | None
    input_bytes: int | None
    time_ms: float
    fallbacks: list[dict[str, str]]
    error: str | None


def measured(report: dict[str, Any]) -> tuple[float | None, dict[str, float]]:
    """The measured quality of a conversion report and its parts.

    ``quality`` with its ``measures`` where the report has them, else SSIM alone — the one place
    that knows which quality fields a report carries; ``(None, {})`` when measuring failed.
    """
    if report.get("measure_error") is not None:
        return None, {}
    if "quality" in report:
        return float(report["quality"]), {k: float(v) for k, v in (report.get("measures") or {}).items()}
    return float(report["ssim"]), {"ssim": float(report["ssim"])}


def record(input: str, output: str, status: str, time_ms: float, report: dict[str, Any] | None = None,
            error: str | None = None) -> ImageRecord:
    """The record of one image; ``report`` is its conversion report when it was converted."""
    quality, measures = measured(report) if report else (None, {})
    report = report or {}
    try:
        input_bytes: int | None = os.stat(input).st_size if input != STDIO else None
    except OSError:
        input_bytes = None
    return ImageRecord(
        input=input, output=output, status=status, method=report.get("method"), params=report.get("params"),
        quality=quality, measures=measures, svg_bytes=report.get("svg_bytes"), path_count=report.get("path_count"),
        input_bytes=input_bytes, time_ms=round(time_ms, 1), fallbacks=report.get("fallbacks", []),
        error=error or report.get("measure_error"),
    )


def write_manifest(path: Path, records: Sequence[ImageRecord]) -> None:
    """The manifest: one JSON object per image and line (JSON Lines)."""
    save(path, "".join(json.dumps(r) + "\n" for r in records))


def read_manifest(path: Path) -> list[ImageRecord]:
    """The records of a manifest written by ``write_manifest``; ``InvalidImage`` if it is not one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        records: list[ImageRecord] = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as e:
        raise SvgaiError(f"{path}: not a readable manifest ({e}); expected the JSON Lines of --manifest") from None
    if not all(isinstance(r, dict) and {"input", "output", "status"} <= set(r) for r in records):
        raise SvgaiError(f"{path}: not an svgai manifest (lines need input, output and status)")
    return records


def summarize(records: Sequence[ImageRecord], wall_s: float) -> dict[str, Any]:
    """Counts by status, mean quality of the converted images, bytes in and out, time."""
    done = [r for r in records if r["status"] == "ok"]
    qualities = [r["quality"] for r in done if r["quality"] is not None]
    return {
        "images": len(records),
        **{status: sum(r["status"] == status for r in records) for status in ("ok", "skipped", "failed")},
        "mean_quality": sum(qualities) / len(qualities) if qualities else None,
        "input_bytes": sum(r["input_bytes"] or 0 for r in done),
        "svg_bytes": sum(r["svg_bytes"] or 0 for r in done),
        "wall_s": round(wall_s, 2),
    }


def summary_table(summary: dict[str, Any], records: Sequence[ImageRecord]) -> str:
    """The summary as an aligned table, then one line per failed image."""
    quality = summary["mean_quality"]
    rows = [
        ("converted", f"{summary['ok']}"),
        ("skipped (up to date)", f"{summary['skipped']}"),
        ("failed", f"{summary['failed']}"),
        ("mean quality", f"{quality:.4f}" if quality is not None else "-"),
        ("image bytes in", f"{summary['input_bytes']:,}"),
        ("SVG bytes out", f"{summary['svg_bytes']:,}"),
        ("time", f"{summary['wall_s']:.1f} s"),
    ]
    lines = [f"{name:<22}{value:>14}" for name, value in rows]
    lines += [f"failed: {r['input']}: {r['error']}" for r in records if r["status"] == "failed"]
    return "\n".join(lines)
