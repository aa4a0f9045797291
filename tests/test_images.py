"""Loading rasters: every common mode becomes the same 8-bit RGB on white, pixel for pixel."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from svgai.errors import InvalidImage
from svgai.images import MAX_PIXELS, encode_png, load_image, sharp_upscale

Encoder = Callable[..., bytes]
RED, WHITE, PINK = (255, 0, 0), (255, 255, 255), (255, 127, 127)


def png_16_bit(pixels: np.ndarray, colour_type: int) -> bytes:
    """A PNG with 16 bits per sample, written by hand (Pillow cannot write 16-bit RGB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width = pixels.shape[:2]
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def pixels(rgb: np.ndarray) -> list[tuple[int, ...]]:
    return [tuple(int(v) for v in p) for p in rgb.reshape(-1, 3)]


def test_a_path_gives_rgb_uint8_of_the_image_size(two_colour_path: Path) -> None:
    rgb = load_image(two_colour_path)
    assert rgb.shape == (128, 128, 3) and rgb.dtype == np.uint8
    assert pixels(rgb[:1, :1]) == [WHITE]


def test_path_bytes_pil_and_array_sources_agree(two_colour_path: Path) -> None:
    from_path = load_image(two_colour_path)
    np.testing.assert_array_equal(load_image(str(two_colour_path)), from_path)
    np.testing.assert_array_equal(load_image(two_colour_path.read_bytes()), from_path)
    np.testing.assert_array_equal(load_image(bytearray(two_colour_path.read_bytes())), from_path)
    with Image.open(two_colour_path) as image:
        np.testing.assert_array_equal(load_image(image), from_path)
    np.testing.assert_array_equal(load_image(from_path), from_path)


def test_rgba_is_composited_over_white(encode_image: Encoder) -> None:
    image = Image.new("RGBA", (3, 1))
    image.putdata([(255, 0, 0, 255), (255, 0, 0, 128), (0, 0, 255, 0)])
    assert pixels(load_image(encode_image(image))) == [RED, PINK, WHITE]


def test_la_is_composited_over_white(encode_image: Encoder) -> None:
    image = Image.new("LA", (3, 1))
    image.putdata([(0, 255), (0, 128), (0, 0)])
    assert pixels(load_image(encode_image(image))) == [(0, 0, 0), (127, 127, 127), WHITE]


def test_palette_transparency_becomes_white(encode_image: Encoder) -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([0, 0, 255, *RED] + [0] * 762)
    image.putdata([0, 1])
    assert pixels(load_image(encode_image(image, transparency=0))) == [WHITE, RED]


def test_16_bit_grayscale_is_scaled_to_8_bit(encode_image: Encoder) -> None:
    image = Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.uint16))
    assert pixels(load_image(encode_image(image))) == [(0, 0, 0), (128, 128, 128), WHITE]


def test_16_bit_rgb_and_rgba_keep_the_high_byte() -> None:
    rgb = np.array([[[65535, 0, 32896], [0, 65535, 257]]])
    assert pixels(load_image(png_16_bit(rgb, colour_type=2))) == [(255, 0, 128), (0, 255, 1)]
    rgba = np.array([[[65535, 0, 0, 32896]]])
    assert pixels(load_image(png_16_bit(rgba, colour_type=6))) == [PINK]


def test_grayscale_and_bilevel_repeat_into_three_channels(encode_image: Encoder) -> None:
    assert pixels(load_image(encode_image(Image.new("L", (1, 1), 100)))) == [(100, 100, 100)]
    bilevel = Image.new("1", (2, 1))
    bilevel.putpixel((1, 0), 1)
    assert pixels(load_image(encode_image(bilevel))) == [(0, 0, 0), WHITE]


@pytest.mark.parametrize("format", ["JPEG", "TIFF"])
def test_cmyk_is_converted_to_rgb(encode_image: Encoder, format: str) -> None:
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))
    assert set(pixels(load_image(encode_image(cmyk, format)))) == {RED}


def test_an_animated_gif_gives_its_first_frame(encode_image: Encoder) -> None:
    palette = [*WHITE, *RED, 0, 255, 0] + [0] * 759
    frames = [Image.new("P", (4, 4), index) for index in (1, 2)]
    for frame in frames:
        frame.putpalette(palette)
    data = encode_image(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.n_frames == 2
    assert set(pixels(load_image(data))) == {RED}


def test_a_transparent_gif_frame_is_composited_over_white(encode_image: Encoder) -> None:
    frame = Image.new("P", (2, 2), 0)
    frame.putpalette([0, 0, 0, *RED] + [0] * 762)
    frame.putpixel((1, 1), 1)
    assert pixels(load_image(encode_image(frame, "GIF", transparency=0))) == [WHITE, WHITE, WHITE, RED]


@pytest.mark.parametrize("format", ["BMP", "WEBP", "TIFF"])
def test_other_common_formats_load_exactly(encode_image: Encoder, format: str) -> None:
    image = Image.new("RGB", (4, 4), RED)
    options = {"lossless": True} if format == "WEBP" else {}
    assert set(pixels(load_image(encode_image(image, format, **options)))) == {RED}


def test_arrays_of_every_accepted_shape_and_dtype() -> None:
    assert pixels(load_image(np.full((1, 1), 7, np.uint8))) == [(7, 7, 7)]
    assert pixels(load_image(np.full((1, 1, 1), 7, np.uint8))) == [(7, 7, 7)]
    assert pixels(load_image(np.array([[[255, 0, 0, 128]]], np.uint8))) == [PINK]
    assert pixels(load_image(np.array([[[65535, 0, 257]]], np.uint16))) == [(255, 0, 1)]
    assert pixels(load_image(np.array([[[1.0, 0.0, 0.5]]]))) == [(255, 0, 128)]


@pytest.mark.parametrize(
    ("array", "says"),
    [
        (np.zeros((2, 2, 2), np.uint8), "shape"),
        (np.zeros((2, 2, 3, 1), np.uint8), "shape"),
        (np.zeros((0, 5, 3), np.uint8), "no pixels"),
        (np.zeros((2, 2, 3), np.int32), "uint8, uint16 or float"),
        (np.full((2, 2, 3), 2.0), r"finite values in \[0, 1\]"),
        (np.full((2, 2, 3), np.nan), r"finite values in \[0, 1\]"),
    ],
)
def test_bad_arrays_raise_invalid_image(array: np.ndarray, says: str) -> None:
    with pytest.raises(InvalidImage, match=says):
        load_image(array)


def test_the_pixel_cap_applies_to_every_source(encode_image: Encoder, bomb_png: bytes) -> None:
    with pytest.raises(InvalidImage, match="too large"):
        load_image(bomb_png)
    with pytest.raises(InvalidImage, match="too large"):
        load_image(encode_image(Image.new("RGB", (20, 20))), max_pixels=100)
    with pytest.raises(InvalidImage, match="too large"):
        load_image(np.zeros((11, 10), np.uint8), max_pixels=100)
    assert MAX_PIXELS >= 4096 * 4096


def test_an_unsupported_source_type_is_refused() -> None:
    with pytest.raises(InvalidImage, match="a path, bytes, a numpy array or a PIL image"):
        load_image(42)  # type: ignore[arg-type]


def test_encode_png_round_trips(two_colour_path: Path) -> None:
    rgb = load_image(two_colour_path)
    np.testing.assert_array_equal(load_image(encode_png(rgb)), rgb)


def test_the_sharp_enlargement_does_not_ring() -> None:
    # A saturated square on transparency: Lanczos alone overshoots to a brighter halo inside the square.
    sprite = np.zeros((24, 24, 4), np.uint8)
    sprite[6:18, 6:18] = (208, 48, 48, 255)
    enlarged = sharp_upscale(sprite, 96, 96)
    opaque = enlarged[..., 3] == 255
    assert opaque.sum() > 40 * 40
    assert np.abs(enlarged[opaque][:, :3].astype(int) - (208, 48, 48)).max() <= 1
    assert enlarged[..., 3][~opaque].max(initial=0) < 255 and enlarged[:4, :4].max() == 0
