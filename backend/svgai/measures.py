"""The terms of the quality measure, on premultiplied RGBA rasters (definitions: docs/quality.md).

Every function here is pure numpy/OpenCV on arrays already rendered; ``svgai.quality`` renders the
SVG, builds the reference and combines the terms. Rasters come in as ``(H, W, 4)`` uint8 RGBA and
are compared *alpha-aware*: composited over white and over black, so a dropped or an added background
changes one of the two composites and costs quality. SSIM compares the composites' luminance; edges
are found in each colour channel of them, so an edge between two colours of equal luminance (a red
letter on a purple square) counts as much as one a greyscale copy would show.

SSIM is computed with 7×7 box windows and the sample-covariance correction, exactly what
scikit-image's ``structural_similarity`` computes with its defaults (tests check the two agree), but
with OpenCV's box filter: ~10× faster at 1024², which is what makes labelling at 4× affordable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

WINDOW = 7
_K1, _K2 = 0.01, 0.03
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
EDGE_SIGMA_PER_SCALE = 0.25
"""Gaussian σ (in comparison pixels) per unit of scale applied before taking gradients: edges a
proxy reference blurs over a few pixels and the sharp edges of a rendered SVG then overlap."""
EDGE_FLOOR = 0.05
"""Reference gradient magnitudes (one colour channel in [0, 1] per pixel, Sobel / 8) below this are not edges."""


def ssim(reference: np.ndarray, candidate: np.ndarray, data_range: float) -> float:
    """Mean SSIM of two same-shape rasters (``(H, W)`` or ``(H, W, C)``, channels averaged).

    Rasters smaller than the 7×7 window are compared on their exact values instead.
    """
    if min(reference.shape[:2]) < WINDOW:
        return float(np.mean(np.isclose(reference, candidate)))
    x = np.asarray(reference, dtype=np.float32)
    y = np.asarray(candidate, dtype=np.float32)
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    planes = [_ssim_plane(_moments(x[..., c]), y[..., c], data_range) for c in range(x.shape[2])]
    return float(np.mean(planes))


def _window_mean(z: np.ndarray) -> np.ndarray:
    return cv2.blur(z, (WINDOW, WINDOW), borderType=cv2.BORDER_REFLECT)


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A reference plane with its windowed mean and mean of squares (reused for every candidate)."""
    x = np.ascontiguousarray(x)
    return x, _window_mean(x), _window_mean(x * x)


def _ssim_plane(reference: tuple[np.ndarray, np.ndarray, np.ndarray], y: np.ndarray, data_range: float) -> float:
    x, ux, xx = reference
    y = np.ascontiguousarray(y)
    n = WINDOW * WINDOW
    cov_norm = n / (n - 1)
    uy = _window_mean(y)
    vx = cov_norm * (xx - ux * ux)
    vy = cov_norm * (_window_mean(y * y) - uy * uy)
    vxy = cov_norm * (_window_mean(x * y) - ux * uy)
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    pad = (WINDOW - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean(dtype=np.float64))


def composites(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Luminance in [0, 1] of ``rgba`` composited over white and over black (float32 planes)."""
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    luma = (rgba[..., :3].astype(np.float32) @ LUMA) / 255.0
    over_black = luma * alpha
    return over_black + (1.0 - alpha), over_black


def colour_composites(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rgba``'s colour channels in [0, 1] composited over white and over black (``(H, W, 3)`` float32)."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    over_black = rgba[..., :3].astype(np.float32) * (alpha / 255.0)
    return over_black + (1.0 - alpha), over_black


def _gradients(plane: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Sobel gradients / 8 of a plane (``(H, W)``, or ``(H, W, C)`` channel by channel) after a Gaussian of ``sigma``."""
    if sigma > 0:
        plane = cv2.GaussianBlur(plane, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    gx = cv2.Sobel(plane, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE) / 8.0
    gy = cv2.Sobel(plane, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE) / 8.0
    return gx, gy


@dataclass(frozen=True)
class _Edges:
    """A reference composite's edge pixels (over its colour channels): where, their gradients and magnitudes."""

    mask: np.ndarray
    gx: np.ndarray
    gy: np.ndarray
    magnitude: np.ndarray


def _edges_of(plane: np.ndarray, sigma: float) -> _Edges | None:
    """The edge pixels of a plane (``(H, W)`` or ``(H, W, C)``): gradient magnitude ≥ ``EDGE_FLOOR``; ``None`` without any."""
    gx, gy = _gradients(plane, sigma)
    magnitude = np.hypot(gx, gy)
    mask = magnitude >= EDGE_FLOOR
    return _Edges(mask, gx[mask], gy[mask], magnitude[mask]) if mask.any() else None


class Prepared:
    """The reference side of the terms, computed once and reused for every candidate.

    A dataset image or a router's search measures many candidates against one reference; its
    composites, SSIM window moments and edge gradients do not change between them. Where reference
    and candidate are both opaque, their composites over white and over black are the same arrays,
    and each term is computed on one of them.
    """

    def __init__(self, reference: np.ndarray, scale: float, sigma_per_scale: float = EDGE_SIGMA_PER_SCALE) -> None:
        self.shape = reference.shape
        self.sigma = sigma_per_scale * scale
        self.opaque = bool(np.all(reference[..., 3] == 255))
        self.planes = composites(reference)
        self.colours = colour_composites(reference)

    @cached_property
    def _moments(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        over_white = _moments(self.planes[0])
        return [over_white, over_white if self.opaque else _moments(self.planes[1])]

    @cached_property
    def _edges(self) -> list[_Edges | None]:
        over_white = _edges_of(self.colours[0], self.sigma)
        return [over_white, over_white if self.opaque else _edges_of(self.colours[1], self.sigma)]

    def terms(self, candidate: np.ndarray) -> tuple[float, float]:
        """``(edge_fidelity, alpha_ssim)`` of one candidate."""
        count = 1 if self.opaque and bool(np.all(candidate[..., 3] == 255)) else 2
        return (self._edge_fidelity(colour_composites(candidate)[:count]),
                self._alpha_ssim(composites(candidate)[:count]))

    def _alpha_ssim(self, planes: tuple[np.ndarray, ...]) -> float:
        """Mean SSIM over the composites given (both, or the first where both are the same)."""
        if min(self.shape[:2]) < WINDOW:
            return float(np.mean([ssim(r, c, 1.0) for r, c in zip(self.planes[:len(planes)], planes, strict=True)]))
        return float(np.mean([_ssim_plane(m, c, 1.0) for m, c in zip(self._moments[:len(planes)], planes, strict=True)]))

    def _edge_fidelity(self, colours: tuple[np.ndarray, ...]) -> float:
        """Mean edge fidelity over the composites given (both, or the first where both are the same)."""
        scores = []
        for edges, plane in zip(self._edges[:len(colours)], colours, strict=True):
            if edges is None:
                scores.append(1.0)
                continue
            cx, cy = (g[edges.mask] for g in _gradients(plane, self.sigma))
            dot = edges.gx * cx + edges.gy * cy
            cosine = np.clip(dot / (edges.magnitude * np.hypot(cx, cy) + 1e-12), 0.0, 1.0)
            scores.append(float(np.sum(edges.magnitude * cosine * cosine) / np.sum(edges.magnitude)))
        return float(np.mean(scores))


def edge_mass(reference: np.ndarray, scale: float, by_colour: bool = True) -> float:
    """How much edge ``edge_fidelity`` has to judge on ``reference``: the sum of its edge magnitudes at or
    above ``EDGE_FLOOR``, mean over the two composites and (``by_colour``) their three colour channels —
    on a grey image the same with or without ``by_colour``. ``by_colour=False`` finds them in luminance,
    as quality-v2.0 did (docs/quality.md, "Changes")."""
    sigma = EDGE_SIGMA_PER_SCALE * scale
    masses = []
    for plane in colour_composites(reference) if by_colour else composites(reference):
        edges = _edges_of(plane, sigma)
        masses.append(0.0 if edges is None else float(edges.magnitude.sum()) / (plane.shape[2] if by_colour else 1))
    return float(np.mean(masses))


def alpha_ssim(reference: np.ndarray, candidate: np.ndarray) -> float:
    """SSIM of the luminance composited over white and over black, averaged (alpha-aware)."""
    return Prepared(reference, 1.0)._alpha_ssim(composites(candidate))


def edge_fidelity(
    reference: np.ndarray, candidate: np.ndarray, scale: float, sigma_per_scale: float = EDGE_SIGMA_PER_SCALE
) -> float:
    """How well the candidate's edges follow the reference's direction, in [0, 1].

    On every pixel and colour channel where the reference has an edge (gradient magnitude ≥
    ``EDGE_FLOOR`` after a Gaussian of σ = ``sigma_per_scale`` × scale, by default
    ``EDGE_SIGMA_PER_SCALE``), the agreement is the squared cosine of the angle between the two
    gradients in that channel (0 where the candidate has no gradient or an opposite one), weighted by
    the reference's magnitude; on a grey image every channel agrees with the luminance. A staircase on a slanted or curved edge has gradients at
    0° and 90° where the reference's run at the edge's angle, so it loses; an axis-aligned edge (pixel
    art) is reproduced exactly by a staircase, so there it does not. 1.0 when the reference has no
    edges in any channel. Computed on both alpha composites, averaged.
    """
    return Prepared(reference, scale, sigma_per_scale)._edge_fidelity(colour_composites(candidate))
