"""The quality predictor's networks: an image encoder and a head, for a teacher and a student.

Shapes (``P = svgai.params.ENCODED_DIM``, ``F = svgai_quality.features.FEATURE_DIM``)::

    Encoder   pixels (N, 3, 128, 128) ⊕ features (N, F)  ->  embedding (N, E)
    Head      embedding (N, E) ⊕ params (N, P)           ->  ssim (N,), log_svg_bytes (N,)

The encoder is torchvision's MobileNetV3-small (``weights=None``: trained here from scratch) whose
pooled output is joined by the hand-made features and projected to ``E``. That projection is the
image half of the head's first layer — ``W·[image; params] = W_image·image + W_params·params`` —
so an image is embedded once and each parameter set then costs only the small rest of the head.
The head ends in a sigmoid for SSIM and de-standardises log SVG bytes, so exported graphs give
final values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torchvision.models import mobilenet_v3_small

from svgai.params import ENCODED_DIM
from svgai_quality.features import FEATURE_DIM, IMAGE_SIZE


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild a network before loading its weights."""

    width: float
    """MobileNetV3-small width multiplier."""
    embedding: int
    """Embedding size E (the head's first layer width)."""
    hidden: tuple[int, ...]
    """Widths of the head's further hidden layers."""
    dropout: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> Architecture:
        return cls(
            width=float(values["width"]),  # type: ignore[arg-type]
            embedding=int(values["embedding"]),  # type: ignore[call-overload]
            hidden=tuple(int(h) for h in values["hidden"]),  # type: ignore[attr-defined]
            dropout=float(values["dropout"]),  # type: ignore[arg-type]
        )


TEACHER = Architecture(width=1.0, embedding=1024, hidden=(512, 256), dropout=0.2)
STUDENT = Architecture(width=0.5, embedding=256, hidden=(128,), dropout=0.1)
"""The student: half-width encoder, a 256-wide embedding and one hidden layer (→256→128→2)."""


class Encoder(nn.Module):
    """Image (pixels in [0, 1] + hand-made features) → embedding."""

    feature_mean: torch.Tensor
    feature_std: torch.Tensor

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        backbone = mobilenet_v3_small(weights=None, width_mult=arch.width)
        self.backbone = backbone.features
        channels = int(backbone.classifier[0].in_features)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.project = nn.Linear(channels + FEATURE_DIM, arch.embedding)
        self.register_buffer("feature_mean", torch.zeros(FEATURE_DIM))
        self.register_buffer("feature_std", torch.ones(FEATURE_DIM))

    def forward(self, pixels: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        image = self.pool(self.backbone((pixels - 0.5) * 4.0)).flatten(1)
        scaled = (features - self.feature_mean) / self.feature_std
        return self.project(torch.cat([image, scaled], dim=1))


class Head(nn.Module):
    """Embedding ⊕ encoded parameters → (SSIM, log SVG bytes)."""

    bytes_mean: torch.Tensor
    bytes_std: torch.Tensor

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.params = nn.Linear(ENCODED_DIM, arch.embedding, bias=False)
        layers: list[nn.Module] = []
        width = arch.embedding
        for hidden in arch.hidden:
            layers += [nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(arch.dropout), nn.Linear(width, hidden)]
            width = hidden
        layers += [nn.BatchNorm1d(width), nn.ReLU(), nn.Linear(width, 2)]
        self.trunk = nn.Sequential(*layers)
        self.register_buffer("bytes_mean", torch.zeros(()))
        self.register_buffer("bytes_std", torch.ones(()))

    def raw(self, embedding: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """``(N, 2)``: SSIM logit and standardised log bytes — the space the losses live in."""
        return self.trunk(embedding + self.params(params))

    def finish(self, raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw outputs → (SSIM in [0, 1], log SVG bytes)."""
        return torch.sigmoid(raw[:, 0]), raw[:, 1] * self.bytes_std + self.bytes_mean

    def forward(self, embedding: torch.Tensor, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.finish(self.raw(embedding, params))


class QualityModel(nn.Module):
    """Encoder and head together: one row per (image, parameter set) — the TorchScript form."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        self.encoder = Encoder(arch)
        self.head = Head(arch)

    def forward(
        self, pixels: torch.Tensor, features: torch.Tensor, params: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.encoder(pixels, features), params)


def example_inputs(batch: int = 2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs of the right shapes (pixels, features, params), for tracing and export."""
    generator = torch.Generator().manual_seed(0)
    return (
        torch.rand(batch, 3, IMAGE_SIZE, IMAGE_SIZE, generator=generator),
        torch.rand(batch, FEATURE_DIM, generator=generator),
        torch.rand(batch, ENCODED_DIM, generator=generator),
    )


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
