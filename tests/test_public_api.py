"""The public API: the names ``svgai`` exports, and the README's usage snippet run for real."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import svgai
from svgai.hookspecs import Constraints
from svgai.quality import Conversion, convert
from svgai.router import IntelligentRouter, Routed

ROOT = Path(__file__).resolve().parents[1]


def readme_snippet() -> str:
    """The README's Python usage block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) == 1, "the README has one Python usage block"
    return str(blocks[0])


def test_the_readme_usage_snippet_runs_on_the_example_logo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(readme_snippet(), namespace)
    report = namespace["report"]
    assert isinstance(report, dict) and 0.5 < report["quality"] <= 1.0
    assert str(namespace["svg"]).lstrip().startswith("<?xml") and report["svg_bytes"] > 0
    conversion = namespace["conversion"]
    assert isinstance(conversion, Conversion) and conversion.params["mode"] == "polygon"
    assert 0.0 <= float(namespace["predicted"]) <= 1.0  # type: ignore[arg-type]
    assert np.asarray(namespace["batch"].quality).shape == (8,)  # type: ignore[attr-defined]


def test_the_exported_names_are_the_library_objects() -> None:
    assert svgai.convert is convert and svgai.Conversion is Conversion
    assert svgai.IntelligentRouter is IntelligentRouter and svgai.Routed is Routed
    assert svgai.Constraints is Constraints
    assert {"convert", "IntelligentRouter", "LocalQualityPredictor", "SvgaiError"} <= set(dir(svgai))
    with pytest.raises(AttributeError, match="no attribute 'route_everything'"):
        _ = svgai.route_everything  # type: ignore[attr-defined]


def test_importing_svgai_imports_no_router_model_or_image_library() -> None:
    code = "import json, sys, svgai; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
    code += "('onnxruntime', 'skimage', 'vtracer', 'pluggy', 'numpy') or m in ('svgai.router', 'svgai.quality'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
