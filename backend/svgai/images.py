"""Load rasters from anything a user has at hand: 8-bit RGBA, alpha kept.

Every mode Pillow reads (RGBA, LA, P with transparency, 16-bit, grayscale, CMYK, the first frame of
a GIF) comes out the same way: ``load_rgba`` gives 8-bit RGBA (alpha 255 where the source has none),
which is what VTracer traces and what quality is measured against (docs/quality.md);
``load_image`` gives the same raster composited over white as RGB, the input of the predictor's
features.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageColor, ImageOps, UnidentifiedImageError

from svgai.errors import InvalidImage

MAX_PIXELS = 40_000_000
"""Images with more pixels are refused before decoding (a guard against decompression bombs)."""

ImageSource = str | os.PathLike | bytes | bytearray | np.ndarray | Image.Image


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Return ``source`` as an ``(H, W, 3)`` uint8 array composited over white (see ``load_rgba``)."""
    rgba = load_rgba(source, max_pixels=max_pixels)
    return rgba[..., :3].copy() if is_opaque(rgba) else over_white(rgba)


def is_opaque(rgba: np.ndarray) -> bool:
    """True when every pixel of an ``(H, W, 4)`` raster is fully opaque (alpha 255)."""
    return bool(rgba[..., 3].min(initial=255) == 255)


def load_rgba(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Return ``source`` as an ``(H, W, 4)`` uint8 RGBA array (alpha 255 where it has none).

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
        _check_regular_file(path)
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


def _check_regular_file(path: Path) -> None:
    """Refuse anything but a regular file before opening it: reading ``/dev/zero`` never ends and
    opening a FIFO blocks until a writer comes (``stat`` opens neither)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InvalidImage(f"{path}: no such file") from None
    except OSError as e:
        raise InvalidImage(f"{path}: cannot be read ({e.strerror})") from None
    if stat.S_ISDIR(mode):
        raise InvalidImage(f"{path}: is a directory, not an image file")
    if not stat.S_ISREG(mode):
        raise InvalidImage(f"{path}: is not a regular file (a device, FIFO or socket); accepted: an image file")


def _decode(stream: io.BytesIO, max_pixels: int, what: str) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            _check_size(image.size, max_pixels, what)
            image.seek(0)  # first frame of an animation
            image.load()
            ImageOps.exif_transpose(image, in_place=True)  # as viewers show it (a phone's orientation tag)
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
        return _opaque(np.repeat(gray[..., None], 3, axis=2))
    if mode == "F":
        a = np.asarray(image, dtype=np.float64)
        gray = np.clip(np.round(a * 255.0 if a.max(initial=0) <= 1.0 else a), 0, 255).astype(np.uint8)
        return _opaque(np.repeat(gray[..., None], 3, axis=2))
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if mode == "CMYK":
        image = image.convert("RGB")
    return np.asarray(image.convert("RGBA"), dtype=np.uint8)


def _opaque(rgb: np.ndarray) -> np.ndarray:
    alpha = np.full((*rgb.shape[:2], 1), 255, dtype=np.uint8)
    return np.concatenate([rgb, alpha], axis=2)


def over_white(rgba: np.ndarray) -> np.ndarray:
    """Composite an ``(H, W, 4)`` uint8 raster over white: ``(H, W, 3)`` uint8."""
    return flatten(rgba, (255, 255, 255))


def flatten(rgba: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """Composite an ``(H, W, 4)`` uint8 raster over an RGB colour: ``(H, W, 3)`` uint8."""
    rgb = rgba[..., :3].astype(np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    out = rgb * alpha + np.asarray(background, dtype=np.float32) * (1.0 - alpha)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


SHARPEN_CONTRAST = 0.15
"""``sharp_upscale`` snaps a pixel to its neighbourhood's min or max where the two differ by more than
this (premultiplied, [0, 1]): anti-aliased edges become sharp as a vector original's, gradients stay."""


def sharp_upscale(rgba: np.ndarray, width: int, height: int, contrast: float = SHARPEN_CONTRAST) -> np.ndarray:
    """``rgba`` enlarged to ``width``×``height`` with sharp edges: a stand-in for its vector original.

    Lanczos upscale of the premultiplied raster, kept within the values of the 3×3 source pixels around
    each pixel (no ringing halos), then every pixel whose neighbourhood (about one
    source pixel wide) spans more than ``contrast`` is snapped to the nearer of its
    neighbourhood's min and max: an anti-aliased edge becomes a sharp edge at the sub-pixel position
    its grey levels encode, as the original's is, while flat areas and gradients are left alone.
    It is the proxy reference of conversions without an original (docs/quality.md) and what the
    ``upscale`` parameter traces (svgai.vectorize).
    """
    import cv2  # here, not at the top: a process that only predicts never needs OpenCV (about 24 MB)

    scale = max(width / rgba.shape[1], height / rgba.shape[0])
    premultiplied = rgba.astype(np.float32) / 255.0
    premultiplied[..., :3] *= premultiplied[..., 3:]
    up = cv2.resize(premultiplied, (width, height), interpolation=cv2.INTER_LANCZOS4)
    if scale <= 1.0:
        return _unpremultiply(np.clip(up, 0.0, 1.0, out=up))
    # no ringing: every pixel stays within the values of the source pixels around it (a bright halo inside
    # a red shape would otherwise be an edge in the red channel that the drawing does not have); the
    # source is in [0, 1], so this clips too
    around = np.ones((3, 3), np.uint8)
    np.minimum(up, cv2.resize(cv2.dilate(premultiplied, around), (width, height), interpolation=cv2.INTER_NEAREST), out=up)
    np.maximum(up, cv2.resize(cv2.erode(premultiplied, around), (width, height), interpolation=cv2.INTER_NEAREST), out=up)
    side = 2 * round(scale / 2) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    high, low = cv2.dilate(up, kernel), cv2.erode(up, kernel)
    # OpenCV works on the interleaved channels whole; numpy on a channel slice is 3-5x slower at 1024²
    spread = cv2.split(cv2.subtract(high, low))
    spread_max = cv2.max(cv2.max(spread[0], spread[1]), cv2.max(spread[2], spread[3]))
    edge = np.nonzero(spread_max > contrast)  # only edge pixels are snapped: a few percent
    level, lowest, highest = up[edge], low[edge], high[edge]
    up[edge] = np.where(level - lowest < highest - level, lowest, highest)
    return _unpremultiply(up)


def _unpremultiply(premultiplied: np.ndarray) -> np.ndarray:
    import cv2

    alpha = cv2.extractChannel(premultiplied, 3)
    one = np.ones_like(alpha)
    rgb_and_alpha = cv2.divide(premultiplied, cv2.merge([np.maximum(alpha, 1e-6)] * 3 + [one]))
    kept = (alpha > 1e-6).astype(np.float32)  # the colour of a fully transparent pixel is black
    out: np.ndarray = cv2.multiply(rgb_and_alpha, cv2.merge([kept] * 3 + [one]), scale=1.0) * np.float32(255.0)
    np.rint(out, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def parse_colour(text: str) -> tuple[int, int, int]:
    """A CSS colour (``white``, ``#fff``, ``#1e90ff``, ``rgb(0,0,0)``) as an RGB triple, or ``InvalidImage``."""
    try:
        red, green, blue = ImageColor.getrgb(text)[:3]
    except ValueError:
        raise InvalidImage(
            f"unknown colour {text!r}; accepted: a CSS colour name (white), #rgb, #rrggbb or rgb(r, g, b)"
        ) from None
    return red, green, blue


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
        return _opaque(np.repeat(a, 3, axis=2))
    if a.shape[2] == 4:
        return np.ascontiguousarray(a)
    return _opaque(a)


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode an RGB or RGBA uint8 array as PNG bytes with the fastest compression (VTracer's input)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB").save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()
