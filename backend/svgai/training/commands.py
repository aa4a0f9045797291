"""``svgai model train | export | validate`` — the quality predictor's life cycle on the command line.

svgai model train    --dataset data/dataset --out build/model     # teacher, then distilled student
svgai model export   --train-dir build/model --out models         # ONNX (+int8, pruned), TorchScript, safetensors
svgai model validate --dataset data/dataset --models models       # measures everything into models/config.json
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import click

# torch's OpenMP threads otherwise spin in barriers; on a small machine shared with other jobs that
# made a training step ten times slower (measured: 12 s instead of 1 s per teacher batch).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DEFAULT_DATASET = "data/dataset"
DEFAULT_TRAIN_DIR = "build/model"
DEFAULT_MODELS = "models"


def _command() -> str:
    return "svgai " + shlex.join(sys.argv[1:])


@click.group()
def model() -> None:
    """Train, export and validate the quality predictor (needs the training extras: torch)."""


@model.command()
@click.option(
    "--dataset", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATASET, show_default=True
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_TRAIN_DIR, show_default=True
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=int, default=2, show_default=True, help="torch CPU threads.")
@click.option("--device", default="cpu", show_default=True, help="torch device (cpu, cuda).")
@click.option("--teacher-epochs", type=int, default=30, show_default=True)
@click.option("--student-epochs", type=int, default=40, show_default=True)
@click.option(
    "--patience",
    type=int,
    default=6,
    show_default=True,
    help="Epochs without val improvement before stopping.",
)
@click.option("--within-weight", type=click.FloatRange(0.0), default=0.0, show_default=True,
              help="Weight of the loss on each image's centred qualities (how its parameter sets differ).")
@click.option("--limit", type=int, default=None, help="Use at most this many images per split (quick runs).")
def train(
    dataset: Path,
    out: Path,
    seed: int,
    threads: int,
    device: str,
    teacher_epochs: int,
    student_epochs: int,
    patience: int,
    within_weight: float,
    limit: int | None,
) -> None:
    """Train a teacher, then distil the compact student from it; keep the best val checkpoints."""
    from svgai.training.train import TrainConfig
    from svgai.training.train import train as run_training

    config = TrainConfig(
        dataset=str(dataset),
        out=str(out),
        seed=seed,
        threads=threads,
        device=device,
        teacher_epochs=teacher_epochs,
        student_epochs=student_epochs,
        patience=patience,
        within_weight=within_weight,
        limit=limit,
    )
    summary = run_training(config)
    for name in ("teacher", "student"):
        fit = summary[name]
        click.echo(
            f"{name}: best epoch {fit['best_epoch']}/{fit['epochs_run']}, val loss {fit['best_val_loss']:.4f}, "
            f"{fit['seconds']:.0f} s"
        )
    click.echo(f"checkpoints in {out}")


@model.command()
@click.option(
    "--train-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_TRAIN_DIR,
    show_default=True,
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_MODELS, show_default=True
)
@click.option("--prune-amount", type=click.FloatRange(0.0, 0.95), default=0.3, show_default=True)
def export(train_dir: Path, out: Path, prune_amount: float) -> None:
    """Export the student: ONNX encoder + head (fp32, int8, pruned), TorchScript, safetensors."""
    from svgai.training.export import export as run_export

    manifest = run_export(train_dir, out, prune_amount=prune_amount, command=_command())
    click.echo(json.dumps(manifest["export"]["parity"], indent=2))
    click.echo(f"{len(manifest['artifacts'])} artifacts and {out / 'config.json'} written")


@model.command()
@click.option(
    "--dataset", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DATASET, show_default=True
)
@click.option(
    "--models",
    "model_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_MODELS,
    show_default=True,
)
@click.option(
    "--train-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_TRAIN_DIR,
    show_default=True,
    help="Where the teacher checkpoint is (skipped if absent).",
)
@click.option("--repeats", type=int, default=200, show_default=True, help="Timed calls per latency figure.")
@click.option("--limit", type=int, default=None, help="Use at most this many test images (quick runs).")
def validate(dataset: Path, model_dir: Path, train_dir: Path, repeats: int, limit: int | None) -> None:
    """Measure accuracy, latency, sizes and memory on the test split; write them into config.json."""
    from svgai.training.validate import validate as run_validation

    report = run_validation(model_dir, dataset, train_dir, repeats=repeats, command=_command(), limit=limit)
    for name, check in report["targets"].items():
        click.echo(
            f"{'ok  ' if check['met'] else 'MISS'} {name:30s} {check['measured']!s:>24} (target {check['target']})"
        )
    click.echo(f"torch imported by a predicting process: {report['memory']['torch_imported']}")
