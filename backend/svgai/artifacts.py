"""Whether the trained artifacts the router needs are where svgai looks, and one plain line if not.

Without them svgai still converts (every method falls back to VTracer's defaults), which a user
would not notice; ``svgai convert`` prints ``missing_models()`` once instead of a fallback per method.
"""

from __future__ import annotations

from svgai.methods.base import METHODS_DIR_ENV, methods_dir

FIX = ("install svgai and its predictor from the repository (pip install . plugins/svgai-quality), or set "
       f"SVGAI_MODEL_DIR to a folder like the repository's models/ and {METHODS_DIR_ENV} to its methods/")


def _predictor_missing() -> str | None:
    try:
        from svgai_quality.predictor import MANIFEST, MODEL_DIR_ENV, find_model_dir
    except ImportError:
        return "the quality predictor plugin (pip install plugins/svgai-quality)"
    from svgai.errors import ModelUnavailable

    try:
        folder = find_model_dir()
    except ModelUnavailable:
        return f"the quality model (no {MANIFEST} found; ${MODEL_DIR_ENV} is not set)"
    return None if (folder / MANIFEST).is_file() else f"the quality model ({folder / MANIFEST})"


def missing_models() -> str | None:
    """``None`` when the quality model and the method artifacts are found, else what is missing and the fix."""
    missing = [what for what in (_predictor_missing(),) if what]
    folder = methods_dir()
    if not folder.is_dir() or not any(folder.glob("*.json")):
        missing.append(f"the methods' artifacts ({folder})")
    if not missing:
        return None
    return f"no trained models: {' and '.join(missing)} not found, so VTracer's defaults are used; fix: {FIX}"
