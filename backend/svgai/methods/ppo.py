"""Method 3, PPO: a policy that adjusts parameters step by step, run as ONNX (no torch at run time).

The environment (shared with training in ``svgai.training.policy``): the state is the image's
standardized features (``svgai.features``) with the current encoded parameters; an action moves one
numeric parameter up or down by ``STEP`` of its range or switches one categorical parameter to its
next choice. Training rewards the change in predicted quality with a size penalty (the quality predictor
is the simulator). At run time the policy walks ``steps`` greedy steps from VTracer's defaults; the
visited sets are returned, ordered by the predictor when one is available, and the router's real
conversions confirm them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from svgai.errors import ModelUnavailable
from svgai.features import image_features
from svgai.hookspecs import Constraints, PerformanceInfo, Scorer, hookimpl
from svgai.methods.base import Artifact, CallStats, artifact_performance
from svgai.methods.objective import rank, trace_work
from svgai.params import (
    CHOICES,
    COLUMNS,
    ENCODED_DIM,
    NUMBERS,
    VTracerParams,
    decode,
    defaults,
    encode,
    refresh_switches,
)

NAME = "ppo"
STEP = 0.125
"""A numeric action's change in the unit range; at least one whole step of an integer parameter
(``upscale``, 1–4, moves by a third)."""
ACTIONS: tuple[tuple[str, float], ...] = (
    *((n.name, sign * max(STEP, 1.0 / (n.high - n.low) if n.kind is int else 0.0)) for n in NUMBERS for sign in (1.0, -1.0)),
    *((c.name, 0.0) for c in CHOICES),
)
"""Action i: (parameter, change in unit range); a change of 0 means "next choice" for a category."""


_WIDTHS = {c.name: len(c.choices) for c in CHOICES}
_stats = CallStats()


def apply(encoded: np.ndarray, action: int) -> np.ndarray:
    """The encoded parameters after ``action`` (a new array; values stay in the encoding's range)."""
    name, change = ACTIONS[action]
    out = np.array(encoded, dtype=np.float32)
    start = COLUMNS[name]
    if name in _WIDTHS:
        width = _WIDTHS[name]
        out[start : start + width] = np.roll(out[start : start + width], 1)
    else:
        out[start] = np.clip(out[start] + change, 0.0, 1.0)
        refresh_switches(out)
    return out


def observation(features: np.ndarray, encoded: np.ndarray) -> np.ndarray:
    """The policy's input: standardized features then encoded parameters, float32."""
    return np.concatenate([features, encoded]).astype(np.float32)


@dataclass(frozen=True)
class Policy:
    """The exported policy network (logits over ``ACTIONS``) and the feature scaling it was trained on."""

    session: Any
    mean: np.ndarray
    scale: np.ndarray
    steps: int
    metrics: dict[str, Any]

    def walk(self, features: np.ndarray) -> list[VTracerParams]:
        """Greedy steps from the defaults; every distinct visited parameter set, last one first."""
        z = (features - self.mean) / self.scale
        state = encode(defaults())
        visited = [decode(state)]
        for _ in range(self.steps):
            logits = self.session.run(None, {"observation": observation(z, state)[None, :]})[0]
            state = apply(state, int(np.argmax(logits[0])))
            params = decode(state)
            if params not in visited:
                visited.append(params)
        return visited[::-1]


def load_policy(path: Path) -> Policy:
    import onnxruntime as ort

    metrics = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if metrics.get("actions") != [list(a) for a in ACTIONS] or metrics.get("encoded_dim") != ENCODED_DIM:
        raise ModelUnavailable(f"{path} was trained with other actions or another encoding; retrain it")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return Policy(
        session=session,
        mean=np.asarray(metrics["feature_mean"], dtype=np.float64),
        scale=np.asarray(metrics["feature_scale"], dtype=np.float64),
        steps=int(metrics["steps"]),
        metrics=metrics,
    )


_policy = Artifact(f"{NAME}.onnx", load_policy)


@hookimpl
def get_performance_info() -> PerformanceInfo:
    return artifact_performance(_stats, NAME, lambda: _policy.get().metrics)


@hookimpl
def propose_params(image: np.ndarray, constraints: Constraints, scorer: Scorer | None) -> list[Mapping[str, Any]]:
    with _stats.timed():
        visited = _policy.get().walk(image_features(image).vector())
        if scorer is None:
            return list(visited)
        scores = scorer([defaults(), *visited])
        order = rank(scores.quality[1:], scores.svg_bytes[1:], constraints, float(scores.svg_bytes[0]),
                     trace_work(visited, image.shape[1], image.shape[0]))
        return [visited[i] for i in order]
