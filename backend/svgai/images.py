"""Load rasters from anything a user has at hand and turn them into RGB uint8 on white.

Every mode Pillow reads (RGBA, LA, P with transparency, 16-bit, grayscale, CMYK, the first frame of
a GIF) comes out the same way: 8-bit RGB, alpha composited over white — the exact raster the label
is measured on (docs/quality.md).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from svgai.errors import InvalidImage

MAX_PIXELS = 40_000_000
"""Images with more pixels are refused before decoding (a guard against decompression bombs)."""

ImageSource = str | os.PathLike | bytes | bytearray | np.ndarray | Image.Image


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Return ``source`` as an ``(H, W, 3)`` uint8 array composited over white.

    ``source`` may be a path, encoded bytes, a numpy array (H×W, H×W×3 or H×W×4; uint8, uint16 or
    float in [0, 1]) or a PIL image. Raises ``InvalidImage`` saying what was wrong.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels)
    if isinstance(source, Image.Image):
        return _from_pil(source, max_pixels, "the PIL image")
    if isinstance(source, bytes | bytearray):
        if not source:
            raise InvalidImage("the image data is empty (0 bytes)")
        return _decode(io.BytesIO(bytes(source)), max_pixels, "the image bytes")
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.exists():
            raise InvalidImage(f"{path}: no such file")
        if path.is_dir():
            raise InvalidImage(f"{path}: is a directory, not an image file")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InvalidImage(f"{path}: cannot be read ({e.strerror})") from None
        if not data:
            raise InvalidImage(f"{path}: the file is empty (0 bytes)")
        return _decode(io.BytesIO(data), max_pixels, str(path))
    raise InvalidImage(
        f"cannot load an image from {type(source).__name__}; "
        "accepted: a path, bytes, a numpy array or a PIL image"
    )


def _decode(stream: io.BytesIO, max_pixels: int, what: str) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            _check_size(image.size, max_pixels, what)
            image.seek(0)  # first frame of an animation
            image.load()
    except InvalidImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        if isinstance(e, UnidentifiedImageError):
            raise InvalidImage(
                f"{what}: not a recognised image format (accepted: PNG, JPEG, GIF, BMP, TIFF, WebP, ...)"
            ) from None
        raise InvalidImage(f"{what}: image too large (more than {max_pixels:,} pixels)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise InvalidImage(f"{what}: the image data is truncated or corrupt ({e})") from None
    return _from_pil(image, max_pixels, what)


def _check_size(size: tuple[int, int], max_pixels: int, what: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise InvalidImage(f"{what}: image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise InvalidImage(
            f"{what}: image too large ({width}x{height} = {width * height:,} pixels; "
            f"the limit is {max_pixels:,})"
        )


def _from_pil(image: Image.Image, max_pixels: int, what: str) -> np.ndarray:
    _check_size(image.size, max_pixels, what)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(image, dtype=np.float64)
        top = 65535.0 if a.max(initial=0) > 255 or mode.startswith("I;16") else 255.0
        gray = np.clip(np.round(a / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "F":
        a = np.asarray(image, dtype=np.float64)
        gray = np.clip(np.round(a * 255.0 if a.max(initial=0) <= 1.0 else a), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if mode == "CMYK":
        image = image.convert("RGB")
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    return _over_white(rgba)


def _over_white(rgba: np.ndarray) -> np.ndarray:
    rgb = rgba[..., :3].astype(np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    out = rgb * alpha + 255.0 * (1.0 - alpha)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _from_array(array: np.ndarray, max_pixels: int) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise InvalidImage(
            f"an image array must be HxW, HxWx3 or HxWx4; got shape {a.shape}"
        )
    _check_size((a.shape[1], a.shape[0]), max_pixels, "the array")
    if a.dtype == np.uint8:
        pass
    elif a.dtype == np.uint16:
        a = np.round(a.astype(np.float64) / 257.0).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        if not np.all(np.isfinite(a)) or a.min() < 0.0 or a.max() > 1.0:
            raise InvalidImage("a float image array must hold finite values in [0, 1]")
        a = np.round(a * 255.0).astype(np.uint8)
    else:
        raise InvalidImage(f"an image array must be uint8, uint16 or float in [0, 1]; got {a.dtype}")
    if a.ndim == 2:
        a = a[..., None]
    if a.shape[2] == 1:
        return np.repeat(a, 3, axis=2)
    if a.shape[2] == 4:
        return _over_white(a)
    return np.ascontiguousarray(a)


def encode_png(rgb: np.ndarray) -> bytes:
    """Encode an RGB uint8 array as PNG bytes with the fastest compression (for VTracer's input)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()
