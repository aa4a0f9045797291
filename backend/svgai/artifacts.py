"""Whether the trained artifacts the router needs are where svgai looks, and one plain line if not.

Without them svgai still converts (every method falls back to VTracer's defaults), which a user
would not notice; ``svgai convert`` prints ``missing_models()`` once instead of a fallback per method.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from svgai.errors import ModelUnavailable
from svgai.model_folder import MANIFEST, METHODS_DIR_ENV, MODEL_DIR_ENV, find_model_dir, methods_dir

FIX = (f"install svgai and its predictor from the repository (pip install . plugins/svgai-quality), or set "
       f"{MODEL_DIR_ENV} to a folder like the repository's models/ and {METHODS_DIR_ENV} to its methods/")


def _found(folder: Callable[[], Path]) -> Path | None:
    try:
        return folder()
    except ModelUnavailable:
        return None


def missing_models() -> str | None:
    """``None`` when the predictor, its model and the methods' artifacts are found, else what is missing and the fix."""
    missing = []
    model = _found(find_model_dir)
    if model is None or not (model / MANIFEST).is_file():
        missing.append(f"the quality model ({model / MANIFEST if model else f'no {MANIFEST} where svgai looks'})")
    methods = _found(methods_dir)
    if methods is None or not any(methods.glob("*.json")):
        missing.append(f"the methods' artifacts ({methods or 'no model folder'})")
    if importlib.util.find_spec("svgai_quality") is None:
        missing.append("the quality predictor plugin (svgai-quality)")
    if not missing:
        return None
    return f"no trained models: {' and '.join(missing)} not found, so VTracer's defaults are used; fix: {FIX}"
