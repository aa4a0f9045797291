"""The upscale study (``svgai quality upscale``) on a real drawing whose vector original is the truth."""

from __future__ import annotations

from svgai.images import encode_png
from svgai.quality import comparison_size, render
from svgai.quality_study import summarise_upscale, upscale_rows

DRAWING = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
    '<circle cx="10" cy="10" r="6" fill="#d62828"/><circle cx="28" cy="12" r="4" fill="#2a9d8f"/>'
    '<path d="M4 36 L36 22 L37 30 Z" fill="#1d3557"/></svg>'
)


def test_the_upscale_study_reports_gains_against_the_truth_and_the_proxy_per_size_band() -> None:
    width, height, _ = comparison_size(40, 40)
    image = {"image_id": "drawing", "source": "test", "kind": "vector", "width": 40, "height": 40,
             "png": encode_png(render(DRAWING, 40, 40)), "reference_png": encode_png(render(DRAWING, width, height))}
    rows = upscale_rows([image], (1, 3), ("spline",))
    assert [(r["mode"], r["upscale"]) for r in rows] == [("spline", 1), ("spline", 3)]
    plain, upscaled = summarise_upscale(rows)
    assert plain["long_side"] == upscaled["long_side"] == "1-64"
    assert plain["gain"] == 0.0 and plain["bytes_ratio"] == 1.0
    assert upscaled["gain"] == round(rows[1]["quality"] - rows[0]["quality"], 4) > 0.03
    assert upscaled["better_share"] == 1.0 and upscaled["gain_by_proxy"] > 0.0
