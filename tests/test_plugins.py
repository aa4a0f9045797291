"""The plugin seam: built-ins and entry points load the same way, broken plugins are skipped by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from structlog.testing import capture_logs

import svgai
from svgai.hookspecs import PERFORMANCE_KEYS
from svgai.images import load_image
from svgai.plugin_commands import plugins_command
from svgai.plugins import DEFAULT_PLUGINS, load_plugins, performance_of
from svgai.router import IntelligentRouter

BUILT_INS = [m.rpartition(".")[2] for m in DEFAULT_PLUGINS]


def test_built_ins_are_registered_like_any_plugin_with_measured_performance() -> None:
    plugins = load_plugins()
    names = [name for name, _ in plugins.manager.list_name_plugin()]
    assert names[: len(BUILT_INS)] == BUILT_INS
    assert all(plugins.sources[name] == "built-in" for name in BUILT_INS)
    for name in BUILT_INS:
        info = performance_of(plugins.manager, name)
        assert tuple(info) == PERFORMANCE_KEYS
        assert (info["latency_p50_ms"] is None) == (info["calls"] == 0)  # nothing measured: nothing claimed


def test_latency_and_calls_are_measured_on_real_calls(two_colour_path: Path) -> None:
    plugins = load_plugins()
    before = performance_of(plugins.manager, "defaults")["calls"]
    IntelligentRouter(plugins.manager).choose(two_colour_path, method="defaults")
    info = performance_of(plugins.manager, "defaults")
    assert info["calls"] == before + 1 and info["latency_p50_ms"] is not None and info["latency_p50_ms"] > 0


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("raise ImportError('no module named torch_only_thing')\n", "ImportError: no module named torch_only_thing"),
        (
            """
            from svgai.hookspecs import hookimpl

            @hookimpl
            def propose_params(image, colour):
                return []
            """,
            "colour",
        ),
        (
            """
            from svgai.hookspecs import hookimpl

            @hookimpl
            def propose_parameters(image):
                return []
            """,
            "unknown hooks: propose_parameters",
        ),
    ],
    ids=["import-error", "bad-signature", "unknown-hook"],
)
def test_a_broken_plugin_is_skipped_with_its_name_and_the_rest_keeps_working(
    install_plugin: Callable[[str, str], None], source: str, says: str, two_colour_path: Path
) -> None:
    install_plugin("svgai_test_broken", source)
    install_plugin("svgai_test_fine", """
        from svgai.hookspecs import hookimpl
        from svgai.methods.base import CallStats, performance

        stats = CallStats()

        @hookimpl
        def get_performance_info():
            return performance(stats, error=None, metrics=None, name="svgai_test_fine")
        """)
    with capture_logs() as logs:
        plugins = load_plugins()
    broken = {b.name: b for b in plugins.broken}
    assert "svgai_test_broken" in broken and says in broken["svgai_test_broken"].error
    assert plugins.manager.get_plugin("svgai_test_broken") is None
    assert plugins.manager.get_plugin("svgai_test_fine") is not None
    assert "svgai_test_fine 0.1" in plugins.sources["svgai_test_fine"]
    assert IntelligentRouter(plugins.manager).choose(two_colour_path).candidates
    assert {"event": "plugin_skipped", "plugin": "svgai_test_broken", "log_level": "error"}.items() <= next(
        e for e in logs if e.get("plugin") == "svgai_test_broken").items()


def test_svgai_plugins_lists_plugins_hooks_and_live_performance(two_colour_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(plugins_command, ["--json", "--probe", str(two_colour_path)])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(BUILT_INS) <= set(rows)
    defaults = rows["defaults"]
    assert defaults["hooks"] == ["get_performance_info", "propose_params"] and defaults["source"] == "built-in"
    assert defaults["performance"]["available"] and defaults["performance"]["calls"] >= 1
    assert defaults["performance"]["latency_p95_ms"] >= defaults["performance"]["latency_p50_ms"] > 0
    assert (defaults["distribution"], defaults["object"]) == ("svgai", "svgai.methods.defaults")
    assert defaults["version"] == svgai.__version__
    assert defaults["method_objective"] == defaults["performance"]["expected_quality"] and defaults["predictor_pearson"] is None
    quality = rows["quality"]
    assert (quality["distribution"], quality["object"]) == ("svgai-quality", "svgai_quality.plugin:OptimizedLocalQualityPredictor")
    assert quality["method_objective"] is None and quality["predictor_pearson"] == quality["performance"]["expected_quality"]
    table = runner.invoke(plugins_command, [])
    lines = table.output.splitlines()
    assert table.exit_code == 0 and lines[0].split()[:5] == ["plugin", "available", "objective", "Pearson", "r"]
    assert any(line.startswith("defaults ") and "svgai.methods.defaults" in line for line in lines)
    assert any(line.startswith("quality ") and "svgai_quality.plugin:OptimizedLocalQualityPredictor" in line for line in lines)


def test_tracing_logs_every_hook_call(monkeypatch: pytest.MonkeyPatch, two_colour_path: Path) -> None:
    monkeypatch.setenv("SVGAI_TRACE_HOOKS", "1")
    with capture_logs() as logs:
        IntelligentRouter(load_plugins().manager).choose(two_colour_path, method="defaults")
    traced = " ".join(e["call"] for e in logs if e["event"] == "hook_trace")
    assert "propose_params" in traced and "get_performance_info" in traced


def test_the_quality_plugin_reports_the_validated_model_and_predicts(two_colour_path: Path) -> None:
    from svgai.errors import ModelUnavailable

    plugins = load_plugins()
    assert plugins.sources["quality"].startswith("svgai-quality")  # registered by its entry point
    info = performance_of(plugins.manager, "quality")
    try:
        from svgai_quality.predictor import LocalQualityPredictor

        predictor = LocalQualityPredictor()
    except ModelUnavailable as e:
        assert not info["available"] and str(e) == info["reason"]
        return
    assert info["available"]
    pearson = ((predictor.manifest.get("validation") or {}).get("accuracy") or {}).get(predictor.variant, {}).get("pearson")
    assert info["expected_quality"] == pearson
    from svgai.params import defaults, sample
    from svgai.plugins import call_plugin

    predicted = call_plugin(plugins.manager, "quality", "predict_quality", image_path=str(two_colour_path), params=defaults())
    assert 0.0 <= predicted <= 1.0
    scores = call_plugin(plugins.manager, "quality", "predict_candidates", image=load_image(two_colour_path),
                         candidates=sample(32, seed=1), encoded=None)
    assert scores.quality.shape == scores.svg_bytes.shape == (32,) and np.all(scores.svg_bytes > 0)
    after = performance_of(plugins.manager, "quality")
    assert after["calls"] >= info["calls"] + 2 and after["latency_p50_ms"] is not None


def test_search_is_available_only_when_a_quality_predictor_is_registered_and_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from svgai.methods import search
    from svgai.plugins import new_manager

    alone = new_manager()
    alone.register(search, name="search")
    info = performance_of(alone, "search")
    assert not info["available"] and info["reason"] == "needs a quality predictor and none is registered"

    assert performance_of(load_plugins().manager, "search")["available"]  # the shipped model loads
    monkeypatch.setenv("SVGAI_MODEL_DIR", str(tmp_path))  # a folder without a model
    manager = load_plugins().manager
    assert not performance_of(manager, "quality")["available"]
    info = performance_of(manager, "search")
    assert not info["available"] and info["reason"] == "needs a quality predictor and quality did not load"
