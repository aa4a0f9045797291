"""The one plugin manager: built-in methods and third-party plugins, loaded the same way.

Built-ins are the modules in ``DEFAULT_PLUGINS``; third-party plugins come from the entry-point
group ``svgai``. A plugin that cannot be imported, or whose hooks do not match ``svgai.hookspecs``,
is skipped with an error log naming it (and listed by ``svgai plugins``); the others keep working.
Set ``SVGAI_TRACE_HOOKS=1`` to log every hook call with its arguments and results.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pluggy

from svgai import hookspecs
from svgai.errors import PluginError
from svgai.hookspecs import PERFORMANCE_KEYS, PerformanceInfo
from svgai.log import get_logger
from svgai.supervision import TimedOut, supervision_of
from svgai.version import __version__

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
"""``performance_of`` (``svgai plugins``) waits this long for a plugin (it may be loading a model)."""
PERFORMANCE_TTL_S = 5.0
"""Routing reuses a plugin's performance info this long, then refreshes it in the background."""


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
    distributions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Plugin name -> (distribution, version) it was installed with, broken plugins included."""


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


def register(plugins: Plugins, name: str, load: Any, source: str, distribution: tuple[str, str] | None = None) -> None:
    """Import a plugin with ``load()`` and register it; on any failure record it and log an error."""
    if distribution is not None:
        plugins.distributions[name] = distribution
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
        register(plugins, module.rpartition(".")[2], lambda m=module: importlib.import_module(m), "built-in",
                 (hookspecs.PROJECT, __version__))
    # One entry point at a time (not pluggy's load_setuptools_entrypoints, which stops at the first
    # broken one): a broken third-party plugin must not take the others down with it.
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP or plugins.manager.get_plugin(ep.name) is not None:
                continue
            source = f"{dist.metadata['name']} {dist.version} (entry point {ep.value})"
            register(plugins, ep.name, ep.load, source, (dist.metadata["name"], dist.version))
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


def call_within(manager: pluggy.PluginManager, name: str, fn: Callable[[], Any], timeout_s: float) -> Any:
    """Run ``fn`` in plugin ``name``'s lane (``svgai.supervision``): its result or error, ``TimedOut`` or ``Busy``."""
    return supervision_of(manager).lane(name).call(fn, timeout_s)


def check_performance(info: Any) -> PerformanceInfo:
    """A plugin's answer to ``get_performance_info``, checked and copied; ``PluginError`` says what is wrong."""
    missing = [k for k in PerformanceInfo.__required_keys__ if k not in info] if isinstance(info, Mapping) else ["all keys"]
    if missing:
        raise PluginError(f"its performance info lacks {', '.join(sorted(missing))}")
    if not isinstance(info["available"], bool):
        raise PluginError(f"its performance info has available={info['available']!r}, not a bool")
    checked = {k: info.get(k) for k in PERFORMANCE_KEYS}
    for key in ("expected_quality", "expected_error", "defaults_error", "latency_p50_ms", "latency_p95_ms"):
        value = checked[key]
        if value is not None and not (isinstance(value, int | float) and np.isfinite(value)):
            raise PluginError(f"its performance info has {key}={value!r}, not a finite number or None")
    return PerformanceInfo(**checked)  # type: ignore[typeddict-item]


def unavailable(reason: str) -> PerformanceInfo:
    """The performance info of a plugin that could not report its own."""
    return PerformanceInfo(
        available=False, reason=reason, expected_quality=None, quality_source=None, latency_p50_ms=None,
        latency_p95_ms=None, calls=0, failures=0, needs_predictor=False, expected_error=None,
        defaults_error=None,
    )


def predictor_names(manager: pluggy.PluginManager) -> list[str]:
    """Names of the plugins that predict quality (batch predictors first)."""
    return list(dict.fromkeys(implementers(manager, "predict_candidates") + implementers(manager, "predict_quality")))


def performance_of(manager: pluggy.PluginManager, name: str, timeout_s: float = PERFORMANCE_TIMEOUT_S) -> PerformanceInfo:
    """A plugin's live performance info, checked; a plugin that fails to report in time is unavailable.

    A method that needs a quality predictor is available only when one is registered and loads (its
    own performance info says available): a method cannot see the other plugins, so this is checked here.
    """
    info = _reported(manager, name, timeout_s)
    if info["available"] and info["needs_predictor"]:
        others = [p for p in predictor_names(manager) if p != name]
        loaded = [p for p in others if _reported(manager, p, timeout_s)["available"]]
        if not loaded:
            found = f"{', '.join(others)} did not load" if others else "none is registered"
            info = info.copy()
            info["available"], info["reason"] = False, f"needs a quality predictor and {found}"
    return info


def _reported(manager: pluggy.PluginManager, name: str, timeout_s: float) -> PerformanceInfo:
    """What the plugin itself reports within ``timeout_s`` (in its lane), checked; unavailable if it does not."""
    try:
        info: PerformanceInfo = call_within(manager, name, functools.partial(_report, manager, name), timeout_s)
    except TimedOut as e:
        return unavailable(f"get_performance_info {e}")
    return info


def _report(manager: pluggy.PluginManager, name: str) -> PerformanceInfo:
    """Ask ``name`` for its performance info, check it and cache it (runs in the plugin's lane)."""
    try:
        info = check_performance(call_plugin(manager, name, "get_performance_info"))
    except Exception as e:
        info = unavailable(f"get_performance_info failed: {type(e).__name__}: {e}")
    supervision_of(manager).remember(name, info)
    return info


def cached_performance(manager: pluggy.PluginManager, names: Sequence[str], wait_s: float, *,
                       fresh: bool = False) -> dict[str, PerformanceInfo]:
    """The performance info of ``names`` as routing reads it: from a cache, never waiting long.

    An *available* plugin's info younger than ``PERFORMANCE_TTL_S`` is used as it is; older, it is used
    too and refreshed in the background. Plugins never asked, or unavailable when last asked (a fit may
    just have written the artifact they lacked), are asked at once, all in parallel, and waited for at
    most ``wait_s``; one that has not answered by then keeps its cached info, or is unavailable for
    this routing. ``fresh=True`` asks every plugin so, whatever the cache holds.
    """
    supervision = supervision_of(manager)
    found: dict[str, PerformanceInfo] = {}
    asked: dict[str, Future[Any]] = {}
    for name in dict.fromkeys(names):
        cached = supervision.remembered(name)
        usable = cached is not None and cached[1]["available"] and not fresh
        if cached is not None:
            found[name] = cached[1]
            if usable and cached[0] <= PERFORMANCE_TTL_S:
                continue
        try:
            future = supervision.lane(name).submit(functools.partial(_report, manager, name))
        except TimedOut as e:
            found.setdefault(name, unavailable(f"get_performance_info {e}"))
            continue
        if not usable:
            asked[name] = future
    futures.wait(asked.values(), timeout=max(wait_s, 0.0))
    for name, future in asked.items():
        if future.done():
            found[name] = future.result()
        elif name not in found:
            found[name] = unavailable(f"get_performance_info did not answer within {wait_s * 1e3:.0f} ms")
    return {name: found[name] for name in names}


def hooks_of(manager: pluggy.PluginManager, plugin: object) -> list[str]:
    """Names of the hooks ``plugin`` implements."""
    return sorted(caller.name for caller in manager.get_hookcallers(plugin) or [])
