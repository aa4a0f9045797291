"""Where the shipped models live, found the same way by the predictor, the methods and the commands.

The model folder is the first that applies of:

1. the ``model_dir`` argument;
2. ``$SVGAI_MODEL_DIR`` (taken as given, even before it holds a model);
3. the repository's ``models/`` (an editable install from a checkout), if it holds ``config.json``;
4. the models shipped inside the installed package (``PACKAGED_MODELS``: package data of a wheel,
   so ``pip install .`` brings them), if it holds ``config.json``;
5. ``$XDG_DATA_HOME/svgai/models`` (default ``~/.local/share/svgai/models``), if it holds
   ``config.json`` — a model of your own.

The methods' fitted files and measured figures live in its ``methods/`` subfolder, unless
``$SVGAI_METHODS_DIR`` names another folder. See docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from svgai.errors import ModelUnavailable

MODEL_DIR_ENV = "SVGAI_MODEL_DIR"
METHODS_DIR_ENV = "SVGAI_METHODS_DIR"
MANIFEST = "config.json"
"""The model folder's manifest: variants, the sha256 of every artifact, the validation figures."""
PREFERENCE = ("distilled", "quantized", "pruned")
"""Which variant a predictor takes first when none is asked for: fp32, then int8, then pruned."""
REPOSITORY_MODELS = Path(__file__).resolve().parents[2] / "models"
PACKAGED_MODELS = Path(__file__).resolve().parent / "models"
"""``svgai/models`` in the package: in a checkout a link to ``models/``, in a wheel its runtime files."""


def model_dir_candidates() -> list[Path]:
    """The folders searched for a model when none is given, in order."""
    found = []
    if os.environ.get(MODEL_DIR_ENV):
        found.append(Path(os.environ[MODEL_DIR_ENV]))
    found.append(REPOSITORY_MODELS)
    found.append(PACKAGED_MODELS)
    # without $HOME and a password entry there is no user data folder to look in
    with contextlib.suppress(RuntimeError):
        data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        found.append(Path(data_home) / "svgai" / "models")
    return found


def find_model_dir(model_dir: str | os.PathLike[str] | None = None) -> Path:
    """The model folder (see the module docstring); ``ModelUnavailable`` says where it looked."""
    if model_dir is not None:
        return Path(model_dir)
    if os.environ.get(MODEL_DIR_ENV):
        return Path(os.environ[MODEL_DIR_ENV])
    candidates = model_dir_candidates()
    for candidate in candidates:
        if (candidate / MANIFEST).is_file():
            return candidate
    raise ModelUnavailable(
        "no quality model found; looked for config.json in "
        + ", ".join(str(c) for c in candidates)
        + f" (set {MODEL_DIR_ENV} or pass model_dir; build one with `svgai model train/export/validate`)"
    )


def methods_dir() -> Path:
    """Where method artifacts and figures live: ``$SVGAI_METHODS_DIR``, else the model folder's ``methods/``."""
    override = os.environ.get(METHODS_DIR_ENV)
    return Path(override) if override else find_model_dir() / "methods"


def portable(path: Path) -> str:
    """``path`` as provenance worth committing: relative to the repository when inside it, else its name."""
    try:
        return str(path.resolve().relative_to(REPOSITORY_MODELS.parent))
    except ValueError:
        return path.name
