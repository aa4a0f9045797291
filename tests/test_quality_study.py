"""The upscale and proxies studies (``svgai quality upscale``, ``proxies``) on a real drawing whose vector
original is the truth, and the margin study (``svgai quality margin``) on label rows."""

from __future__ import annotations

from svgai.images import encode_png
from svgai.quality import comparison_size, render
from svgai.quality_study import (
    PROXIES,
    PROXY_SETS,
    margin_rows,
    proxy_rows,
    summarise_proxies,
    summarise_upscale,
    upscale_rows,
)

DRAWING = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
    '<circle cx="10" cy="10" r="6" fill="#d62828"/><circle cx="28" cy="12" r="4" fill="#2a9d8f"/>'
    '<path d="M4 36 L36 22 L37 30 Z" fill="#1d3557"/></svg>'
)


def drawing() -> dict[str, object]:
    """The drawing as a dataset image: its 40 px raster and its ground truth at the comparison size."""
    width, height, _ = comparison_size(40, 40)
    return {"image_id": "drawing", "source": "test", "kind": "vector", "width": 40, "height": 40,
            "png": encode_png(render(DRAWING, 40, 40)), "reference_png": encode_png(render(DRAWING, width, height))}


def test_the_upscale_study_reports_gains_against_the_truth_and_the_proxy_per_size_band() -> None:
    rows = upscale_rows([drawing()], (1, 3), ("spline",))
    assert [(r["mode"], r["upscale"]) for r in rows] == [("spline", 1), ("spline", 3)]
    plain, upscaled = summarise_upscale(rows)
    assert plain["long_side"] == upscaled["long_side"] == "1-64"
    assert plain["gain"] == 0.0 and plain["bytes_ratio"] == 1.0
    assert upscaled["gain"] == round(rows[1]["quality"] - rows[0]["quality"], 4) > 0.03
    assert upscaled["better_share"] == 1.0 and upscaled["gain_by_proxy"] > 0.0


def label(image: str, set_index: int, quality: float, proxy: float | None) -> dict[str, object]:
    """A label row as ``svgai dataset build`` writes it (the fields the margin study reads), 1 kB of SVG."""
    return {"image_id": image, "set_index": set_index, "status": "ok", "quality": quality, "quality_proxy": proxy,
            "svg_bytes": 1000}


def test_the_margin_study_counts_sets_kept_over_the_defaults_by_the_proxy_that_the_truth_finds_worse() -> None:
    labels = [
        label("a", 0, 0.90, 0.90), label("a", 4, 0.95, 0.96),  # a real lead of 0.06 by the proxy, 0.05 true
        label("b", 0, 0.90, 0.90), label("b", 4, 0.88, 0.905),  # a lead of 0.005 by the proxy, really worse
        label("b", 8, 0.99, None),  # not measured against the proxy: not paired
    ]
    loose, strict = margin_rows(labels, (0.0, 0.01))
    assert loose["pairs"] == strict["pairs"] == 2
    assert loose["kept_share"] == 1.0 and loose["worse_share"] == 0.5 and loose["gain"] == round((0.05 - 0.02) / 2, 4)
    assert strict["kept_share"] == 0.5 and strict["worse_share"] == 0.0 and strict["gain"] == round(0.05 / 2, 4)


def test_the_proxies_study_scores_every_set_against_the_truth_and_each_candidate_proxy() -> None:
    rows = proxy_rows([drawing()])
    assert [r["set"] for r in rows] == list(PROXY_SETS)
    assert all(0 <= r[name] <= 1 for r in rows for name in ("truth", *PROXIES))
    # a 40 px raster of circles: the sharp proxy is closer to the truth than nearest-neighbour staircases
    table = {line["proxy"]: line for line in summarise_proxies(rows)}
    assert table["sharp (the proxy)"]["mae"] < table["nearest neighbour"]["mae"]


def test_a_proxy_that_scores_like_the_truth_orders_every_pair_and_loses_nothing() -> None:
    rows = [{"image_id": image, "set": s, "truth": t, "same": t, "reversed": 1 - t}
            for image, sets in (("a", (0.9, 0.7, 0.5)), ("b", (0.6, 0.8))) for s, t in enumerate(sets)]
    same, reversed_ = summarise_proxies(rows, ("same", "reversed"))
    assert (same["pearson"], same["mae"], same["pairs"], same["pairs_in_order"], same["regret"]) == (1.0, 0.0, 4, 1.0, 0.0)
    assert reversed_["pairs_in_order"] == 0.0 and reversed_["regret"] == round((0.4 + 0.2) / 2, 4)
