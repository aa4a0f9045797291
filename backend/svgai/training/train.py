"""Train the quality predictor: first a teacher, then a compact student distilled from it.

Read top to bottom: configuration, targets and loss, one generic fitting loop with early stopping
on the validation split (the best checkpoint is kept, not the last), then ``train`` which runs
teacher → distillation and writes both checkpoints as safetensors.

Targets. The measured quality (docs/quality.md) is concentrated near 1, so the network predicts its
logit (clipped to ``QUALITY_RANGE``) and is trained on three terms, each divided by its variance on
the train split: squared error of the logit (ranks near-perfect results), squared error in quality
space (what is reported), and squared error of standardised log SVG bytes; plus, weighted by
``within_weight``, the squared error of each image's qualities centred on that image's mean — the
error of the predicted *differences* between one image's parameter sets, which is all the router's
choice among them depends on (``svgai.training.metrics.within_image_errors``). Distillation:
``0.7 · loss(student, teacher) + 0.3 · loss(student, ground truth)``.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm import tqdm

from svgai.files import write_atomically
from svgai.log import get_logger
from svgai.training.data import Split, load_splits, read_card
from svgai.training.models import STUDENT, TEACHER, Architecture, QualityModel

log = get_logger(__name__)

QUALITY_RANGE = (0.02, 0.9995)
FEATURE_STD_FLOOR = 1e-3


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of a training run (all recorded in training.json)."""

    dataset: str
    out: str = "build/model"
    seed: int = 0
    threads: int = 2
    device: str = "cpu"
    batch_images: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    teacher_epochs: int = 30
    student_epochs: int = 40
    patience: int = 6
    distill_weight: float = 0.7
    within_weight: float = 0.0
    """Weight of the within-image term (0: the three plain terms only). On dataset-v4's validation split a
    weight of 1 gave the student the same accuracy as none (README, "What it measures"), so it is off."""
    limit: int | None = None
    teacher: Architecture = TEACHER
    student: Architecture = STUDENT


@dataclass
class Targets:
    """Per-row targets in the loss space: quality logit, quality, standardised log bytes; ``(N, K)`` each."""

    logit: torch.Tensor
    quality: torch.Tensor
    bytes: torch.Tensor


@dataclass
class Scales:
    """Train-split variances that weigh the three loss terms."""

    logit: float
    quality: float
    bytes: float
    within: float = 1.0
    within_weight: float = 0.0
    """The within-image term's weight (``TrainConfig.within_weight``); its variance is ``within``."""


@dataclass
class FitResult:
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def quality_logit(quality: np.ndarray | torch.Tensor) -> torch.Tensor:
    clipped = torch.as_tensor(quality, dtype=torch.float32).clamp(*QUALITY_RANGE)
    return torch.log(clipped) - torch.log1p(-clipped)


def truth_targets(split: Split, bytes_mean: float, bytes_std: float) -> Targets:
    return Targets(
        logit=quality_logit(split.quality),
        quality=torch.from_numpy(split.quality),
        bytes=(torch.from_numpy(split.log_bytes) - bytes_mean) / bytes_std,
    )


def centred(values: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``values`` ``(B, K)`` minus the mean of their image's ``rows``, at ``rows`` (``(R,)``, row-major)."""
    mask = rows.to(values.dtype)
    means = (values * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True).clamp(min=1.0)
    return (values - means)[rows]


def loss_terms(raw: torch.Tensor, targets: Targets, rows: torch.Tensor, scales: Scales) -> torch.Tensor:
    """Scaled loss of raw outputs ``(R, 2)`` against the targets at ``rows`` (a mask over ``(B, K)``)."""
    predicted = torch.sigmoid(raw[:, 0])
    logit_error = (raw[:, 0] - targets.logit[rows]) ** 2 / scales.logit
    quality_error = (predicted - targets.quality[rows]) ** 2 / scales.quality
    bytes_error = (raw[:, 1] - targets.bytes[rows]) ** 2 / scales.bytes
    loss = logit_error + quality_error + bytes_error
    if scales.within_weight:
        dense = raw.new_zeros(rows.shape).masked_scatter(rows, predicted)
        within = (centred(dense, rows) - centred(targets.quality, rows)) ** 2 / scales.within
        loss = loss + scales.within_weight * within
    return loss.mean()


def raw_rows(
    model: QualityModel, split: Split, images: torch.Tensor, device: torch.device, *, augment: bool = False
) -> torch.Tensor:
    """Raw outputs for every ok row of the given images: embed each image once, then run the head.

    ``augment`` mirrors the batch's pixels left-right and/or top-bottom at random: a mirrored logo
    traces to the mirrored SVG of the same quality and size, so it is a free extra view of a small
    dataset (the hand-made features do not change under mirroring).
    """
    pixels = torch.from_numpy(split.pixels[images.numpy()]).to(device).permute(0, 3, 1, 2).float() / 255.0
    if augment:
        mirrored = [axis for axis, flip in zip((2, 3), (torch.rand(2) < 0.5).tolist(), strict=True) if flip]
        if mirrored:
            pixels = torch.flip(pixels, mirrored)
    features = torch.from_numpy(split.features[images.numpy()]).to(device)
    embedding = model.encoder(pixels, features)
    ok = torch.from_numpy(split.ok[images.numpy()]).to(device)
    sets = ok.shape[1]
    expanded = embedding.unsqueeze(1).expand(-1, sets, -1)[ok]
    params = torch.from_numpy(split.params[images.numpy()]).to(device)[ok]
    return model.head.raw(expanded, params)


def evaluate(
    model: QualityModel, split: Split, targets: Targets, scales: Scales, config: TrainConfig
) -> float:
    """Mean ground-truth loss over the split, the model in eval mode."""
    device = torch.device(config.device)
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(split), config.batch_images * 4):
            images = torch.arange(start, min(start + config.batch_images * 4, len(split)))
            rows = torch.from_numpy(split.ok[images.numpy()])
            raw = raw_rows(model, split, images, device).cpu()
            total += float(loss_terms(raw, _slice(targets, images), rows, scales)) * int(rows.sum())
            count += int(rows.sum())
    return total / max(count, 1)


def _slice(targets: Targets, images: torch.Tensor) -> Targets:
    return Targets(targets.logit[images], targets.quality[images], targets.bytes[images])


def fit(
    model: QualityModel,
    splits: dict[str, Split],
    goals: list[tuple[float, Targets]],
    val_targets: Targets,
    scales: Scales,
    epochs: int,
    config: TrainConfig,
    label: str,
) -> FitResult:
    """Train on a weighted sum of losses against several target sets; keep the best val checkpoint."""
    train, val = splits["train"], splits["val"]
    device = torch.device(config.device)
    model.to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    steps = epochs * math.ceil(len(train) / config.batch_images)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.learning_rate, total_steps=steps)
    order = torch.Generator().manual_seed(config.seed)
    best_state, best_loss, best_epoch, waited = copy.deepcopy(model.state_dict()), math.inf, 0, 0
    result = FitResult(best_epoch=0, best_val_loss=math.inf, epochs_run=0, seconds=0.0)
    started = time.perf_counter()
    for epoch in tqdm(range(1, epochs + 1), desc=f"train {label}", unit="epoch"):
        model.train()
        permutation = torch.randperm(len(train), generator=order)
        train_loss = 0.0
        for start in range(0, len(train), config.batch_images):
            images = permutation[start : start + config.batch_images]
            if len(images) < 2:
                continue
            rows = torch.from_numpy(train.ok[images.numpy()]).to(device)
            raw = raw_rows(model, train, images, device, augment=True)
            loss = sum(
                weight * loss_terms(raw, _slice(_to(targets, device), images.to(device)), rows, scales)
                for weight, targets in goals
            )
            optimizer.zero_grad()
            loss.backward()  # type: ignore[union-attr]
            optimizer.step()
            schedule.step()
            train_loss += float(loss.detach()) * len(images)  # type: ignore[union-attr]
        val_loss = evaluate(model, val, val_targets, scales, config)
        result.history.append({"epoch": epoch, "train_loss": train_loss / len(train), "val_loss": val_loss})
        log.info(
            "epoch",
            model=label,
            epoch=epoch,
            train_loss=round(train_loss / len(train), 5),
            val_loss=round(val_loss, 5),
        )
        if val_loss < best_loss:
            best_state, best_loss, best_epoch, waited = copy.deepcopy(model.state_dict()), val_loss, epoch, 0
        else:
            waited += 1
            if waited >= config.patience:
                break
    model.load_state_dict(best_state)
    model.to("cpu").eval()
    result.best_epoch, result.best_val_loss, result.epochs_run = best_epoch, best_loss, len(result.history)
    result.seconds = time.perf_counter() - started
    return result


def _to(targets: Targets, device: torch.device) -> Targets:
    return Targets(targets.logit.to(device), targets.quality.to(device), targets.bytes.to(device))


def new_model(arch: Architecture, train: Split, bytes_mean: float, bytes_std: float) -> QualityModel:
    """A freshly initialised model whose input/output scalers come from the train split."""
    model = QualityModel(arch)
    model.encoder.feature_mean.copy_(torch.from_numpy(train.features.mean(axis=0)))
    model.encoder.feature_std.copy_(
        torch.from_numpy(np.maximum(train.features.std(axis=0), FEATURE_STD_FLOOR))
    )
    model.head.bytes_mean.fill_(bytes_mean)
    model.head.bytes_std.fill_(bytes_std)
    return model


def teacher_targets(teacher: QualityModel, split: Split, config: TrainConfig) -> Targets:
    """The teacher's predictions for every row of a split, as distillation targets."""
    raw = torch.zeros((*split.ok.shape, 2))
    with torch.no_grad():
        for start in range(0, len(split), config.batch_images * 4):
            images = torch.arange(start, min(start + config.batch_images * 4, len(split)))
            ok = torch.from_numpy(split.ok[images.numpy()])
            block = raw[images]
            block[ok] = raw_rows(teacher, split, images, torch.device("cpu"))
            raw[images] = block
    return Targets(logit=raw[..., 0], quality=torch.sigmoid(raw[..., 0]), bytes=raw[..., 1])


def save_checkpoint(model: QualityModel, path: Path, extra: dict[str, Any]) -> None:
    """Weights as safetensors; the architecture and ``extra`` as string metadata (no pickle)."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    metadata = {
        "architecture": json.dumps(model.arch.to_dict()),
        **{k: json.dumps(v) for k, v in extra.items()},
    }
    save_file(tensors, str(path), metadata=metadata)


def train(config: TrainConfig) -> dict[str, Any]:
    """Train teacher then student on ``config.dataset``; write checkpoints and training.json to ``config.out``."""
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    torch.set_num_threads(config.threads)
    torch.use_deterministic_algorithms(True, warn_only=config.device != "cpu")
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    card = read_card(Path(config.dataset))
    splits = load_splits(Path(config.dataset), ("train", "val"), limit=config.limit)
    train_split = splits["train"]
    ok_bytes = train_split.log_bytes[train_split.ok]
    bytes_mean, bytes_std = float(ok_bytes.mean()), float(max(ok_bytes.std(), 1e-3))
    truth = {name: truth_targets(split, bytes_mean, bytes_std) for name, split in splits.items()}
    ok = torch.from_numpy(train_split.ok)
    scales = Scales(
        logit=float(truth["train"].logit[ok].var()) + 1e-6,
        quality=float(truth["train"].quality[ok].var()) + 1e-6,
        bytes=1.0,
        within=float(centred(truth["train"].quality, ok).var()) + 1e-6,
        within_weight=config.within_weight,
    )
    teacher = new_model(config.teacher, train_split, bytes_mean, bytes_std)
    teacher_fit = fit(
        teacher,
        splits,
        [(1.0, truth["train"])],
        truth["val"],
        scales,
        config.teacher_epochs,
        config,
        "teacher",
    )
    torch.manual_seed(config.seed + 1)
    student = new_model(config.student, train_split, bytes_mean, bytes_std)
    distilled = teacher_targets(teacher, train_split, config)
    goals = [(config.distill_weight, distilled), (1.0 - config.distill_weight, truth["train"])]
    student_fit = fit(student, splits, goals, truth["val"], scales, config.student_epochs, config, "student")
    summary = {
        "config": {
            **asdict(config),
            "teacher": config.teacher.to_dict(),
            "student": config.student.to_dict(),
        },
        "dataset": card,
        "rows": {name: split.rows for name, split in splits.items()},
        "images": {name: len(split) for name, split in splits.items()},
        "scales": asdict(scales),
        "teacher": asdict(teacher_fit),
        "student": asdict(student_fit),
    }
    save_checkpoint(teacher, out / "teacher.safetensors", {"best_epoch": teacher_fit.best_epoch})
    save_checkpoint(student, out / "student.safetensors", {"best_epoch": student_fit.best_epoch})
    write_atomically(out / "training.json", json.dumps(summary, indent=2, default=str))
    log.info(
        "trained",
        out=str(out),
        teacher_s=round(teacher_fit.seconds, 1),
        student_s=round(student_fit.seconds, 1),
    )
    return summary
