"""What the ``svgai`` command's exit statuses mean, and the guards that keep them honest.

======  ==================================================================================
status  meaning
======  ==================================================================================
0       done: the SVG is written (and meets ``--target-ssim`` when one was given)
1       an unexpected error inside svgai (a bug): a traceback is printed
2       a user mistake or an unusable input/output (one ``error:`` line on stderr), or a
        command that needs an optional install (the line names the ``pip install``)
3       the SVG is written but misses the quality target (``target_met: false``)
4       the SVG is written but could not be measured (``measure_error`` says why)
143     stopped by SIGTERM; every child process (VTracer's worker, the fork server) is gone
======  ==================================================================================
"""

from __future__ import annotations

import signal
import types

DONE = 0
USER_ERROR = 2
TARGET_MISSED = 3
UNMEASURED = 4
TERMINATED = 128 + signal.SIGTERM

EXTRAS = {
    "torch": "train", "torchvision": "train", "onnx": "train", "onnxscript": "train",
    "safetensors": "train", "sklearn": "train", "stable_baselines3": "train", "gymnasium": "train",
    "ray": "ray",
}
"""Top-level modules of the optional dependencies, by the extra of pyproject.toml that installs them."""


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit(143)`` so that ``finally`` blocks kill child processes."""

    def stop(signum: int, frame: types.FrameType | None) -> None:
        raise SystemExit(TERMINATED)

    signal.signal(signal.SIGTERM, stop)


def conversion_status(report: dict[str, object]) -> int:
    """The exit status of a finished conversion from its report (the SVG is written either way)."""
    if report.get("measure_error") is not None:
        return UNMEASURED
    if report.get("target_met") is False:
        return TARGET_MISSED
    return DONE


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """One line naming the install command when ``error`` is a missing optional dependency, else ``None``."""
    module = (error.name or "").partition(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return f"this command needs the {extra!r} extras ({module} is not installed); install them with: " \
        f"pip install -e \".[{extra}]\""

