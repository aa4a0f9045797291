"""The import graph: no cycles, and the runtime (predicting, routing, converting) stays torch-free.

Read statically from the source with ``ast`` (so a cycle hidden in a function-level import counts
too), and checked once for real in a fresh interpreter. See docs/architecture.md.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"svgai": ROOT / "backend" / "svgai", "svgai_quality": ROOT / "plugins" / "svgai-quality" / "svgai_quality"}
TRAINING_ONLY = {"torch", "torchvision", "gymnasium", "sklearn", "stable_baselines3"}
RUNTIME = (
    "svgai", "svgai.params", "svgai.images", "svgai.vectorize", "svgai.quality", "svgai.router", "svgai.plugins",
    "svgai.scoring", "svgai.hookspecs", "svgai.features", "svgai.conversion", "svgai.cli", "svgai.plugin_commands",
    "svgai.model_folder", "svgai.files", "svgai.version",
    "svgai.methods.base", "svgai.methods.defaults", "svgai.methods.feature_mapping", "svgai.methods.objective",
    "svgai.methods.ppo", "svgai.methods.regression", "svgai.methods.search",
    "svgai_quality", "svgai_quality.plugin", "svgai_quality.predictor",
)


def modules() -> dict[str, Path]:
    """Every module of the two packages by dotted name."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def _imported(node: ast.AST) -> Iterator[str]:
    """Dotted names an import statement imports (``from p import m`` names ``p.m`` when ``m`` is a module)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            yield full if full in MODULES else node.module


def _module_level(tree: ast.Module) -> Iterator[ast.AST]:
    """Statements run at import time: not function bodies, not ``if TYPE_CHECKING:`` blocks."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending += node.orelse
            continue
        yield node
        pending += [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]


def graph(*, module_level_only: bool) -> dict[str, set[str]]:
    """Module -> the names it imports (svgai's own modules resolved, others by top-level package)."""
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = _module_level(tree) if module_level_only else ast.walk(tree)
        targets = set()
        for node in nodes:
            for imported in _imported(node):
                while imported not in MODULES and "." in imported:
                    imported = imported.rpartition(".")[0]
                if imported != name:
                    targets.add(imported)
        edges[name] = targets
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the package modules, or ``None``."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges[node] & MODULES.keys()):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def loaded_at_import(module: str, edges: dict[str, set[str]]) -> set[str]:
    """Everything importing ``module`` imports: its own modules, their packages, third-party packages."""
    seen: set[str] = set()
    pending = [module]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in MODULES:
            parents = [current.rsplit(".", i)[0] for i in range(1, current.count(".") + 1)]
            pending += [*edges[current], *parents]
    return seen


def test_the_package_import_graph_has_no_cycle() -> None:
    assert cycle(graph(module_level_only=False)) is None


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycle({"svgai.router": {"svgai.plugins"}, "svgai.plugins": {"svgai.router", "json"}}) == [
        "svgai.plugins", "svgai.router", "svgai.plugins"]


def test_runtime_modules_never_import_training_libraries_at_module_level() -> None:
    edges = graph(module_level_only=True)
    for module in RUNTIME:
        assert module in MODULES, module
        reached = loaded_at_import(module, edges)
        heavy = {name.partition(".")[0] for name in reached} & TRAINING_ONLY
        assert not heavy, f"importing {module} imports {heavy}"


def test_importing_the_runtime_for_real_loads_no_training_library() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {list(RUNTIME)!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(set({sorted(TRAINING_ONLY)!r}) & set(sys.modules))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_process_that_only_predicts_does_not_load_opencv() -> None:
    """OpenCV (about 24 MB resident) is for tracing and measuring; the predictor's memory target has no room for it."""
    code = "import sys\nfrom svgai_quality.predictor import LocalQualityPredictor\nprint('cv2' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
