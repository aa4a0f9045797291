"""Method 3 training: PPO (stable-baselines3 + gymnasium) with the quality predictor as simulator.

Training-only (imports torch); the run-time side is ``svgai.methods.ppo`` on ONNX Runtime. Read top
to bottom: settings, environment, training loop, export, measurement.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from svgai.errors import ModelUnavailable
from svgai.methods.objective import trace_work, value
from svgai.methods.ppo import ACTIONS, STEP, apply, load_policy, observation
from svgai.model_folder import methods_dir, portable
from svgai.params import ENCODED_DIM, decode, defaults, encode
from svgai.router import DEFAULT_CONSTRAINTS
from svgai.training.methods import Images, standardize, write_metrics

EPISODE_STEPS = 8
REWARD_SCALE = 100.0
"""SSIM changes per step are ~0.001-0.02; PPO learns better from rewards of order one."""
SEED = 0


class ParameterEnv(gym.Env):  # type: ignore[misc]
    """One episode = one training image: start at VTracer's defaults, move one parameter per step."""

    def __init__(self, predictor: Any, images: Images, mean: np.ndarray, scale: np.ndarray) -> None:
        self.predictor = predictor
        self.images = images
        self.z = (images.features - mean) / scale
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (self.z.shape[1] + ENCODED_DIM,), np.float32)
        self.action_space = gym.spaces.Discrete(len(ACTIONS))

    def objective(self, encoded: np.ndarray) -> float:
        """The router's default objective value of the predicted quality, bytes and tracing work."""
        prediction = self.predictor.predict(self.rgb, encoded[None, :].astype(np.float32))
        work = trace_work([decode(encoded)], self.rgb.shape[1], self.rgb.shape[0])
        return float(value(prediction.quality, prediction.svg_bytes, DEFAULT_CONSTRAINTS, self.reference, work)[0])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.index = int(self.np_random.integers(len(self.images.ids)))
        self.rgb = self.images.rgb[self.index]
        self.state = encode(defaults())
        self.reference = float(self.predictor.predict(self.rgb, self.state[None, :]).svg_bytes[0])
        self.value = self.objective(self.state)
        self.steps = 0
        return observation(self.z[self.index], self.state), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.state = apply(self.state, int(action))
        value = self.objective(self.state)
        reward = (value - self.value) * REWARD_SCALE
        self.value = value
        self.steps += 1
        return observation(self.z[self.index], self.state), reward, False, self.steps >= EPISODE_STEPS, {}


def export_onnx(model: Any, path: Path, observation_dim: int) -> None:
    """The actor (features -> logits over ``ACTIONS``) as ONNX with input ``observation``."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.extractor = model.policy.mlp_extractor
            self.head = model.policy.action_net

        def forward(self, observation: torch.Tensor) -> torch.Tensor:
            return self.head(self.extractor.forward_actor(observation))

    torch.onnx.export(
        Logits().eval(), (torch.zeros(1, observation_dim),), str(path), input_names=["observation"],
        output_names=["logits"], dynamic_axes={"observation": {0: "batch"}}, dynamo=False,
    )


def predicted_gain(env: ParameterEnv, policy_path: Path) -> dict[str, float]:
    """Mean predicted objective of the exported policy's walk vs the defaults, over the training images."""
    policy = load_policy(policy_path)
    gains = []
    for i, rgb in enumerate(env.images.rgb):
        env.rgb, env.index = rgb, i
        env.reference = float(env.predictor.predict(rgb, encode(defaults())[None, :]).svg_bytes[0])
        visited = policy.walk(env.images.features[i])
        gains.append(env.objective(encode(visited[0])) - env.objective(encode(defaults())))
    return {"mean_predicted_gain": float(np.mean(gains)), "images": len(gains)}


def train_policy(train: Images, timesteps: int) -> dict[str, Any]:
    """Train PPO on ``train`` images, export ``ppo.onnx``, return the settings and measured figures."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from svgai_quality.predictor import LocalQualityPredictor

    try:
        predictor = LocalQualityPredictor(cache_size=len(train.ids) + 1)
    except ModelUnavailable as e:
        raise ModelUnavailable(f"PPO trains on the quality predictor as its simulator: {e}") from None
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    mean, scale = standardize(train.features)
    env = ParameterEnv(predictor, train, mean, scale)

    class Progress(BaseCallback):  # type: ignore[misc]
        def _on_training_start(self) -> None:
            self.bar = tqdm(total=timesteps, desc="ppo", unit="step")

        def _on_step(self) -> bool:
            self.bar.update(1)
            return True

        def _on_training_end(self) -> None:
            self.bar.close()

    started = time.perf_counter()
    model = PPO("MlpPolicy", env, n_steps=512, batch_size=128, n_epochs=5, learning_rate=3e-4, gamma=0.9,
                policy_kwargs={"net_arch": [64, 64]}, seed=SEED, device="cpu", verbose=0)
    model.learn(total_timesteps=timesteps, callback=Progress())
    seconds = time.perf_counter() - started
    path = methods_dir() / "ppo.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        "artifact": path.name, "actions": [list(a) for a in ACTIONS], "step": STEP, "encoded_dim": ENCODED_DIM,
        "feature_mean": mean.tolist(), "feature_scale": scale.tolist(), "steps": EPISODE_STEPS,
        # which model simulated (its figures live in that model's config.json, not copied here)
        "simulator": {"model_dir": portable(predictor.model_dir), "variant": predictor.variant,
                      "version": predictor.manifest.get("version")},
    }
    export_onnx(model, path, env.z.shape[1] + ENCODED_DIM)
    write_metrics("ppo", {"method": "ppo", **settings})  # the run-time loader needs these before measuring
    fit = {"timesteps": timesteps, "train_images": len(train.ids), "seconds": round(seconds, 1),
           "ssim_per_kb": DEFAULT_CONSTRAINTS.ssim_per_kb, "quality_per_trace": DEFAULT_CONSTRAINTS.quality_per_trace, "reward_scale": REWARD_SCALE, **predicted_gain(env, path)}
    return {**settings, "fit": fit}
