"""The Ray executor labels exactly like the process pool (a small local Ray, one CPU)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from svgai.dataset.executors import ProcessExecutor, RayExecutor
from svgai.dataset.jobs import Task, task_for
from svgai.dataset.render import RenderCounts, render_unique
from svgai.dataset.sources import Icon

ray = pytest.importorskip("ray")

TIMING = ("convert_ms", "measure_ms")
ICONS = [
    Icon("tiny", "red-circle", "CC0-1.0",
         '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="9" fill="#d62828"/></svg>'),
    Icon("tiny", "two-bars", "CC0-1.0",
         '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="2" y="4" width="8" height="16" fill="#7c3aed"/>'
         '<rect x="14" y="4" width="8" height="16" fill="#f59e0b"/></svg>'),
    Icon("tiny", "triangle", "CC0-1.0",
         '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2 22 21H2z" fill="#0f766e"/></svg>'),
]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _tasks(seed: int) -> list[Task]:
    # sets 0-3 are the defaults and the presets; set 4 is the first one the seed chooses
    images = list(render_unique(ICONS, RenderCounts(), max_side=64))
    return [task_for(image.image_id, image.png, 5, seed, reference_png=image.reference_png) for image in images]


def _labels(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    kept = [{k: v for k, v in row.items() if k not in TIMING} for row in rows]
    return sorted(kept, key=lambda r: (str(r["image_id"]), int(str(r["set_index"]))))


@pytest.mark.slow
def test_ray_and_the_process_pool_give_the_same_labels(local_ray: None, tmp_path: Path) -> None:
    tasks = _tasks(seed=7)
    on_ray = RayExecutor(workers=1, timeout_s=120)
    assert on_ray.workers == 1
    from_ray = _labels(list(on_ray.run(tasks)))
    from_pool = _labels(list(ProcessExecutor(workers=2, timeout_s=120).run(tasks)))
    assert len(from_ray) == 15 and {r["status"] for r in from_ray} == {"ok"}
    assert from_ray == from_pool
    assert _labels(list(on_ray.run(_tasks(seed=8)))) != from_ray
