"""A static, self-contained HTML page that shows each conversion of a batch next to its image.

Per image: the raster (with its transparency), the SVG as the browser draws it, a difference
heat-map (the SVG rendered by resvg at the raster's size; red with the per-pixel largest channel
difference, colour over white or alpha, as its alpha, over the faded image), and a 4× zoom of the edgiest window of the image
— the raster enlarged with nearest-neighbour, the SVG rendered by resvg at 4× — where staircases and
lost details show. Then the measured quality and its parts, bytes, paths, method, parameters and
fallback trail. Everything is inlined as ``data:`` URIs; the table sorts by a click on its headers.
"""

from __future__ import annotations

import base64
import html
import io
import string
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from svgai.files import save
from svgai.images import over_white
from svgai.manifest import ImageRecord, summarize

ZOOM = 4
CROP = 32
"""Side of the zoomed window in raster pixels (smaller images use their whole side)."""
HEAT_GAIN = 3
"""A channel difference of 255 / HEAT_GAIN or more is drawn fully opaque."""


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _png(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return _data_uri("image/png", buffer.getvalue())


def difference(reference: np.ndarray, rendered: np.ndarray) -> np.ndarray:
    """``(H, W)`` per-pixel difference of two ``(H, W, 4)`` RGBA rasters: the largest of the colour
    channels (both composited over white, as a viewer sees them) and of the alpha channel."""
    colour = np.abs(over_white(reference).astype(np.int16) - over_white(rendered).astype(np.int16)).max(axis=2)
    alpha = np.abs(reference[..., 3].astype(np.int16) - rendered[..., 3].astype(np.int16))
    return np.maximum(colour, alpha)


def heat_map(reference: np.ndarray, rendered: np.ndarray) -> np.ndarray:
    """``(H, W, 4)`` uint8: red whose alpha is the per-pixel ``difference`` (times the gain)."""
    heat = np.zeros((*reference.shape[:2], 4), dtype=np.uint8)
    heat[..., 0] = 220
    heat[..., 3] = np.clip(difference(reference, rendered) * HEAT_GAIN, 0, 255).astype(np.uint8)
    return heat


def edge_window(rgb: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size``×``size`` window with the most edge energy (sum of gradients)."""
    gray = rgb.astype(np.float32).mean(axis=2)
    energy = np.zeros_like(gray)
    energy[:, 1:] += np.abs(np.diff(gray, axis=1))
    energy[1:, :] += np.abs(np.diff(gray, axis=0))
    integral = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size] + integral[:-size, :-size]
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(top), int(left)


def _visuals(record: ImageRecord) -> dict[str, str]:
    """The data URIs of one converted image's pictures (transparency kept), plus its mean difference."""
    from svgai.images import load_rgba
    from svgai.quality import render

    rgba = load_rgba(record["input"])
    svg = Path(record["output"]).read_text(encoding="utf-8")
    height, width = rgba.shape[:2]
    rendered = render(svg, width, height)
    size = min(CROP, width, height)
    top, left = edge_window(over_white(rgba), size)
    crop = rgba[top : top + size, left : left + size]
    enlarged = np.asarray(Image.fromarray(crop).resize((size * ZOOM, size * ZOOM), Image.Resampling.NEAREST))
    zoomed = render(svg, width * ZOOM, height * ZOOM)[
        top * ZOOM : (top + size) * ZOOM, left * ZOOM : (left + size) * ZOOM
    ]
    return {
        "original": _png(rgba),
        "svg": _data_uri("image/svg+xml", svg.encode("utf-8")),
        "heat": _png(heat_map(rgba, rendered)),
        "zoom_original": _png(enlarged),
        "zoom_svg": _png(np.ascontiguousarray(zoomed)),
        "window": f"{size}×{size} px at ({left}, {top})",
        "difference": f"{difference(rgba, rendered).mean():.2f}",
    }


def _img(uri: str, alt: str, cls: str = "") -> str:
    return f'<img src="{uri}" alt="{html.escape(alt)}" class="{cls}">'


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def _details(title: str, items: list[str]) -> str:
    if not items:
        return f"<p class=muted>{title}: none</p>"
    listed = "".join(f"<li>{item}</li>" for item in items)
    return f"<details><summary>{title} ({len(items)})</summary><ul>{listed}</ul></details>"


def _row(index: int, record: ImageRecord) -> str:
    name = html.escape(Path(record["input"]).name)
    quality = record.get("quality")
    sort_quality = quality if quality is not None else -1.0
    note = record.get("error") or ("" if record["status"] == "ok" else record["status"])
    pictures = ["<td></td>"] * 4
    if record["status"] == "ok":
        try:
            v = _visuals(record)
        except Exception as e:  # a moved or edited file must not cost the whole report
            note = f"cannot show the pictures: {e}"
        else:
            pictures = [
                f"<td>{_img(v['original'], name + ' (raster)')}</td>",
                f"<td>{_img(v['svg'], name + ' (SVG)')}</td>",
                f'<td><div class=stack>{_img(v["original"], "", "under")}{_img(v["heat"], name + " (difference)")}</div>'
                f"<small>mean |Δ| {v['difference']}</small></td>",
                f"<td class=zoom>{_img(v['zoom_original'], name + ' raster ×4')}{_img(v['zoom_svg'], name + ' SVG ×4')}"
                f"<small>{v['window']}</small></td>",
            ]
    parts = "<br>".join(f"{html.escape(k)} {_fmt(v)}" for k, v in (record.get("measures") or {}).items())
    params = [f"{html.escape(k)}={_fmt(v)}" for k, v in (record.get("params") or {}).items()]
    trail = [f"{html.escape(f['method'])}: {html.escape(f['reason'])}" for f in record.get("fallbacks") or []]
    return (
        f'<tr class="{record["status"]}"><td data-value="{index}">{index + 1}</td>'
        f'<td data-value="{name}"><b title="{html.escape(record["input"])}">{name}</b><br>'
        f'<small title="{html.escape(record["output"])}">→ {html.escape(Path(record["output"]).name)}</small>'
        f"<small class=note>{html.escape(note)}</small></td>"
        + "".join(pictures)
        + f'<td data-value="{sort_quality}"><b>{_fmt(quality)}</b><br><small>{parts}</small></td>'
        f'<td data-value="{record.get("svg_bytes") or 0}">{_fmt(record.get("svg_bytes"))}'
        f"<br><small>image {_fmt(record.get('input_bytes'))}</small></td>"
        f'<td data-value="{record.get("path_count") or 0}">{_fmt(record.get("path_count"))}</td>'
        f"<td>{_fmt(record.get('method'))}<br><small>{_fmt(record.get('time_ms'), 0)} ms</small>"
        f"{_details('params', params)}{_details('fallbacks', trail)}</td></tr>"
    )


def render_report(records: Sequence[ImageRecord], title: str = "svgai conversions") -> str:
    """The page's HTML for ``records`` (the lines of a manifest)."""
    summary = summarize(records, wall_s=0.0)
    mean = summary["mean_quality"]
    template = string.Template(resources.files("svgai").joinpath("templates/report.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=html.escape(title),
        summary=(f"{summary['images']} images: {summary['ok']} converted, {summary['skipped']} skipped, "
                 f"{summary['failed']} failed · mean quality {_fmt(mean)} · SVG bytes {summary['svg_bytes']:,} "
                 f"(images {summary['input_bytes']:,})"),
        rows="\n".join(_row(i, r) for i, r in enumerate(records)),
    )


def write_report(path: Path, records: Sequence[ImageRecord]) -> None:
    """Write the page for ``records`` to ``path`` (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save(path, render_report(records))
