"""The one plugin manager: built-in methods and third-party plugins, loaded the same way.

Built-ins are the modules in ``DEFAULT_PLUGINS``; third-party plugins come from the entry-point
group ``svgai``. A plugin that cannot be imported, or whose hooks do not match ``svgai.hookspecs``,
is skipped with an error log naming it (and listed by ``svgai plugins``); the others keep working.
Set ``SVGAI_TRACE_HOOKS=1`` to log every hook call with its arguments and results.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pluggy

from svgai import hookspecs
from svgai.errors import PluginError
from svgai.hookspecs import PERFORMANCE_KEYS, PerformanceInfo
from svgai.log import get_logger

log = get_logger("plugins")

DEFAULT_PLUGINS: tuple[str, ...] = (
    "svgai.methods.defaults",
    "svgai.methods.feature_mapping",
    "svgai.methods.regression",
    "svgai.methods.ppo",
    "svgai.methods.search",
)
ENTRY_POINT_GROUP = hookspecs.PROJECT
TRACE_ENV = "SVGAI_TRACE_HOOKS"
PERFORMANCE_TIMEOUT_S = 10.0
"""A plugin that takes longer to report its performance (it may be loading a model) is unavailable."""


@dataclass
class Broken:
    """A plugin that was skipped at load time, and why."""

    name: str
    source: str
    error: str


@dataclass
class Plugins:
    """The plugin manager with where each plugin came from and the plugins that failed to load."""

    manager: pluggy.PluginManager
    sources: dict[str, str] = field(default_factory=dict)
    broken: list[Broken] = field(default_factory=list)


def new_manager() -> pluggy.PluginManager:
    """An empty plugin manager that knows svgai's hook specs (tests register their own plugins)."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs.BasePredictor)
    manager.add_hookspecs(hookspecs.BaseMethod)
    if os.environ.get(TRACE_ENV):
        # warning level: whoever sets the variable wants to see the trace without changing the log level
        manager.trace.root.setwriter(lambda message: log.warning("hook_trace", call=message.rstrip()))
        manager.enable_tracing()
    return manager


def register(plugins: Plugins, name: str, load: Any, source: str) -> None:
    """Import a plugin with ``load()`` and register it; on any failure record it and log an error."""
    try:
        plugin = load()
        plugins.manager.register(plugin, name=name)
        unknown = [
            impl.name
            for impl in plugins.manager.get_hookcallers(plugin) or []
            if impl.spec is None
        ]
        if unknown:
            plugins.manager.unregister(plugin)
            raise pluggy.PluginValidationError(plugin, f"implements unknown hooks: {', '.join(unknown)}")
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
        plugins.broken.append(Broken(name=name, source=source, error=error))
        log.error("plugin_skipped", plugin=name, source=source, error=error)
        return
    plugins.sources[name] = source
    log.debug("plugin_registered", plugin=name, source=source)


def load_plugins() -> Plugins:
    """A fresh manager with ``DEFAULT_PLUGINS`` and every ``svgai`` entry point registered."""
    plugins = Plugins(manager=new_manager())
    for module in DEFAULT_PLUGINS:
        register(plugins, module.rpartition(".")[2], lambda m=module: importlib.import_module(m), "built-in")
    # One entry point at a time (not pluggy's load_setuptools_entrypoints, which stops at the first
    # broken one): a broken third-party plugin must not take the others down with it.
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP or plugins.manager.get_plugin(ep.name) is not None:
                continue
            source = f"{dist.metadata['name']} {dist.version} (entry point {ep.value})"
            register(plugins, ep.name, ep.load, source)
    return plugins


_loaded: Plugins | None = None
_lock = threading.Lock()


def get_plugins() -> Plugins:
    """The process-wide plugins, loaded on first use."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = load_plugins()
        return _loaded


def call_plugin(manager: pluggy.PluginManager, name: str, hook: str, **kwargs: Any) -> Any:
    """Call one plugin's implementation of ``hook`` (a real hook call: tracing sees it)."""
    others = [plugin for other, plugin in manager.list_name_plugin() if other != name]
    results = manager.subset_hook_caller(hook, remove_plugins=others)(**kwargs)
    if not results:
        raise PluginError(f"plugin {name!r} returned nothing from {hook}")
    return results[0]


def implementers(manager: pluggy.PluginManager, hook: str) -> list[str]:
    """Names of the plugins that implement ``hook``, in registration order."""
    caller = getattr(manager.hook, hook, None)
    return [] if caller is None else [impl.plugin_name for impl in caller.get_hookimpls()]


class TimedOut(Exception):
    """A plugin call did not return within the time it was given (it is abandoned, not stopped)."""


def call_within(fn: Callable[[], Any], timeout_s: float) -> Any:
    """Run ``fn`` in a daemon thread; return its result, re-raise its error, or raise ``TimedOut``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # a plugin's panic is still just a failed plugin
            box["error"] = e

    worker = threading.Thread(target=run, daemon=True, name="svgai-plugin-call")
    worker.start()
    worker.join(max(timeout_s, 0.0))
    if worker.is_alive():
        raise TimedOut(f"timed out after {timeout_s * 1e3:.0f} ms")
    if "error" in box:
        error = box["error"]
        if isinstance(error, Exception):
            raise error
        raise PluginError(f"{type(error).__name__}: {error}")
    return box["value"]


def predictor_names(manager: pluggy.PluginManager) -> list[str]:
    """Names of the plugins that predict quality (batch predictors first)."""
    return list(dict.fromkeys(implementers(manager, "predict_candidates") + implementers(manager, "predict_quality")))


def performance_of(manager: pluggy.PluginManager, name: str) -> PerformanceInfo:
    """A plugin's performance info, checked; a plugin that fails to report is unavailable.

    A method that needs a quality predictor is available only when one is registered and loads (its
    own performance info says available): a method cannot see the other plugins, so this is checked here.
    """
    info = _reported(manager, name)
    if info["available"] and info["needs_predictor"]:
        others = [p for p in predictor_names(manager) if p != name]
        loaded = [p for p in others if _reported(manager, p)["available"]]
        if not loaded:
            found = f"{', '.join(others)} did not load" if others else "none is registered"
            info = info.copy()
            info["available"], info["reason"] = False, f"needs a quality predictor and {found}"
    return info


def _reported(manager: pluggy.PluginManager, name: str) -> PerformanceInfo:
    """What the plugin itself reports, checked for shape and finite numbers."""
    try:
        info = call_within(lambda: call_plugin(manager, name, "get_performance_info"), PERFORMANCE_TIMEOUT_S)
        missing = [k for k in PERFORMANCE_KEYS if k not in info] if isinstance(info, Mapping) else list(PERFORMANCE_KEYS)
        if missing:
            raise PluginError(f"its performance info lacks {', '.join(missing)}")
        if not isinstance(info["available"], bool):
            raise PluginError(f"its performance info has available={info['available']!r}, not a bool")
        for key in ("expected_quality", "latency_p50_ms", "latency_p95_ms"):
            value = info[key]
            if value is not None and not (isinstance(value, int | float) and np.isfinite(value)):
                raise PluginError(f"its performance info has {key}={value!r}, not a finite number or None")
        return PerformanceInfo(**{k: info[k] for k in PERFORMANCE_KEYS})  # type: ignore[typeddict-item]
    except Exception as e:
        return PerformanceInfo(
            available=False, reason=f"get_performance_info failed: {type(e).__name__}: {e}",
            expected_quality=None, quality_source=None, latency_p50_ms=None, latency_p95_ms=None,
            calls=0, failures=0, needs_predictor=False,
        )


def hooks_of(manager: pluggy.PluginManager, plugin: object) -> list[str]:
    """Names of the hooks ``plugin`` implements."""
    return sorted(caller.name for caller in manager.get_hookcallers(plugin) or [])
