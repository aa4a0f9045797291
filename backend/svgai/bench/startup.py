"""``svgai bench startup``: how long the command takes to answer ``--help``, in fresh processes.

Each run is a new ``python -m svgai.cli ... --help`` (what a shell loop pays per call); its
``-X importtime`` log says whether a heavy module (numpy, scikit-image, ONNX Runtime) was imported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

COMMANDS = (("--help",), ("convert", "--help"))
HEAVY = ("numpy", "skimage", "scipy", "onnxruntime", "PIL", "pyarrow")
TARGET_S = 0.5


def _imported(args: tuple[str, ...]) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "svgai.cli", *args],
                          capture_output=True, text=True, timeout=60, check=True)
    names = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return [name for name in HEAVY if name in names]


def _seconds(args: tuple[str, ...]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "svgai.cli", *args], capture_output=True, timeout=60, check=True)
    return time.perf_counter() - started


def bench_startup(repeats: int) -> dict[str, Any]:
    """Median wall time of each command over ``repeats`` fresh processes, and its heavy imports."""
    rows = []
    for args in COMMANDS:
        times = [_seconds(args) for _ in range(repeats)]
        median = statistics.median(times)
        rows.append({"command": "svgai " + " ".join(args), "median_s": round(median, 3),
                     "min_s": round(min(times), 3), "max_s": round(max(times), 3),
                     "heavy_imports": _imported(args), "target_met": median <= TARGET_S})
    return {"repeats": repeats, "target_s": TARGET_S, "python": sys.executable, "commands": rows}


def startup_markdown(result: dict[str, Any]) -> str:
    """The result as a Markdown table."""
    lines = [f"# svgai start-up ({result['repeats']} fresh processes each; target ≤ {result['target_s']} s)", "",
             "| command | median (s) | min–max (s) | heavy modules imported | target |", "|---|---:|---|---|---|"]
    for row in result["commands"]:
        heavy = ", ".join(row["heavy_imports"]) or "none"
        lines.append(f"| `{row['command']}` | {row['median_s']:.3f} | {row['min_s']:.3f}–{row['max_s']:.3f} | "
                     f"{heavy} | {'met' if row['target_met'] else 'NOT met'} |")
    return "\n".join([*lines, ""])
