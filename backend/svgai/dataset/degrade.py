"""Realistic degradations of a raster, as users' files have them; each returns the encoded file.

``jpeg``: re-encoded at quality 60–90 (opaque rasters only), saved back as PNG; ``blur``: resampled
down to 35–70 % and back up; ``noise``: Gaussian noise of σ 2–6 levels on the drawn pixels;
``palette``: quantized to 16–64 colours and saved as a palette (P-mode) PNG, transparency kept.
The parameters are seeded by the plan's key.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from svgai.errors import SvgaiError


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def degrade(raster: np.ndarray, kind: str, key: str) -> bytes:
    """``raster`` (``(H, W, 4)`` uint8) degraded by ``kind``, encoded as the PNG a user would have."""
    rng = np.random.default_rng(int(key[16:32], 16))
    image = Image.fromarray(raster, "RGBA")
    opaque = bool(raster[..., 3].min() == 255)
    if kind == "jpeg":
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=int(rng.integers(60, 91)))
        with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
            return _png(decoded.convert("RGB"))
    if kind == "blur":
        factor = rng.uniform(0.35, 0.7)
        small = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        blurred = image.resize(small, Image.Resampling.BILINEAR).resize(image.size, Image.Resampling.BICUBIC)
        return _png(blurred.convert("RGB") if opaque else blurred)
    if kind == "noise":
        noise = rng.normal(0.0, rng.uniform(2.0, 6.0), (*raster.shape[:2], 3))
        noisy = raster.copy()
        drawn = raster[..., 3:] > 0
        noisy[..., :3] = np.where(drawn, np.clip(raster[..., :3] + noise, 0, 255), raster[..., :3]).astype(np.uint8)
        return _png(Image.fromarray(noisy[..., :3] if opaque else noisy))
    if kind == "palette":
        colours = int(rng.integers(16, 65))
        source = image.convert("RGB") if opaque else image
        return _png(source.quantize(colours, method=Image.Quantize.FASTOCTREE))
    raise SvgaiError(f"unknown degradation {kind!r}; accepted: jpeg, blur, noise, palette")
