"""What this machine and environment are: versions, CPU SIMD features, threads, ORT providers."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("svgai", "vtracer", "resvg_py", "numpy", "scikit-image", "pillow", "onnxruntime", "torch")
SIMD_FLAGS = {
    "avx2": "avx2",
    "avx512f": "avx512f",
    "avx512_vnni": "avx512_vnni",
    "avx_vnni": "avx_vnni",
    "amx_tile": "amx_tile",
    "amx_int8": "amx_int8",
    "amx_bf16": "amx_bf16",
}


def package_versions() -> dict[str, str | None]:
    """Installed version of each package svgai relies on (``None`` if absent), without importing them."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def cpu_info() -> dict[str, Any]:
    """CPU model, SIMD features relevant to ONNX Runtime, and the threads this process may use."""
    flags: set[str] = set()
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "flags" and not flags:
                flags = set(value.split())
            elif key.strip() == "model name":
                model = value.strip()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "model": model,
        "machine": platform.machine(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "simd": {name: flag in flags for name, flag in SIMD_FLAGS.items()},
    }


def onnxruntime_info() -> dict[str, Any] | None:
    """ONNX Runtime's version and execution providers, or ``None`` if it is not installed."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    return {"version": ort.__version__, "providers": ort.get_available_providers()}


def environment() -> dict[str, Any]:
    """Everything ``svgai info`` prints."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "cpu": cpu_info(),
        "onnxruntime": onnxruntime_info(),
    }
