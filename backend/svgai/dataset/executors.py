"""Where the labelling tasks run: a process pool (default) or a Ray cluster.

Both executors take ``Task``s and yield label rows as they are measured. A hung or crashed
conversion costs only itself: the pool kills that worker, records the conversion as ``timeout``
(or ``error`` when the worker died), starts a fresh worker and carries on with the image's remaining
sets. On Ray a task that overruns ``timeout_s`` per set is cancelled and its sets become ``timeout``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol, TypeVar

from svgai.dataset.jobs import Task, label_row, run_task
from svgai.errors import SvgaiError
from svgai.log import get_logger

log = get_logger("dataset.executors")
T = TypeVar("T")


class Executor(Protocol):
    """Runs labelling tasks and yields each label row as it is measured."""

    workers: int

    def run(self, tasks: Iterable[Task]) -> Iterator[dict[str, Any]]: ...


def default_workers() -> int:
    """One worker per CPU core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _worker(conn: Connection) -> None:
    conn.send(("ready", None))
    while True:
        task = conn.recv()
        if task is None:
            return
        for row in run_task(task):
            conn.send(("row", row))
        conn.send(("done", None))


@dataclass
class _Slot:
    process: Any
    conn: Connection
    ready: bool = False
    task: Task | None = None
    remaining: deque[tuple[int, Any]] = field(default_factory=deque)
    deadline: float = 0.0


class ProcessExecutor:
    """A pool of ``workers`` processes; ``timeout_s`` bounds each single conversion."""

    def __init__(self, workers: int | None = None, timeout_s: float = 60.0) -> None:
        self.workers = workers or default_workers()
        self.timeout_s = timeout_s
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        self._context: Any = multiprocessing.get_context(method)
        if method == "forkserver":
            # Workers replaced after a time-out then start from a server that has svgai imported.
            self._context.set_forkserver_preload([__name__])

    def _start(self) -> _Slot:
        here, there = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker, args=(there,), daemon=True)
        process.start()
        there.close()
        return _Slot(process, here)

    def run(self, tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
        """Label every task; rows come in completion order."""
        pending = deque(tasks)
        slots = [self._start() for _ in range(min(self.workers, len(pending)))]
        try:
            while pending or any(s.task for s in slots):
                for slot in slots:
                    if slot.ready and slot.task is None and pending:
                        self._assign(slot, pending.popleft())
                busy = [s.deadline for s in slots if s.task is not None]
                timeout = max(0.0, min(busy) - time.monotonic()) if busy else None
                ready = wait([s.conn for s in slots], timeout)
                for index, slot in enumerate(slots):
                    if slot.conn in ready:
                        rows, replace = self._receive(slot, pending)
                    elif slot.task is not None and time.monotonic() >= slot.deadline:
                        rows, replace = self._fail(slot, pending, "timeout", f"no result within {self.timeout_s:g} s"), True
                    else:
                        continue
                    yield from rows
                    if replace:
                        slots[index] = self._start()
        finally:
            for slot in slots:
                self._stop(slot)

    def _assign(self, slot: _Slot, task: Task) -> None:
        slot.task, slot.remaining = task, deque(task.sets)
        slot.deadline = time.monotonic() + self.timeout_s
        slot.conn.send(task)

    def _receive(self, slot: _Slot, pending: deque[Task]) -> tuple[list[dict[str, Any]], bool]:
        try:
            kind, payload = slot.conn.recv()
        except (EOFError, OSError):
            slot.process.join(1.0)
            if not slot.ready:
                raise SvgaiError(f"a labelling worker could not start (exit code {slot.process.exitcode})") from None
            if slot.task is None:
                log.warning("idle_worker_died", exit_code=slot.process.exitcode)
                self._stop(slot)
                return [], True
            why = f"the worker process died (exit code {slot.process.exitcode})"
            return self._fail(slot, pending, "error", why), True
        if kind == "ready":
            slot.ready = True
        elif kind == "row":
            slot.remaining.popleft()
            slot.deadline = time.monotonic() + self.timeout_s
            return [payload], False
        else:
            slot.task = None
        return [], False

    def _fail(self, slot: _Slot, pending: deque[Task], status: str, why: str) -> list[dict[str, Any]]:
        """Record the conversion in flight as failed and put the image's other sets back in the queue."""
        assert slot.task is not None
        self._stop(slot)
        if not slot.remaining:  # every row arrived; only the worker's "done" was lost
            return []
        set_index, params = slot.remaining.popleft()
        log.warning("conversion_failed", image_id=slot.task.image_id, set_index=set_index, status=status, why=why)
        if slot.remaining:
            pending.appendleft(slot.task.remaining(tuple(slot.remaining)))
        return [label_row(slot.task.image_id, set_index, params, status=status, error=why)]

    @staticmethod
    def _stop(slot: _Slot) -> None:
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join()
        slot.conn.close()


def _ray_label(task: Task) -> list[dict[str, Any]]:
    return list(run_task(task))


def connect_ray(address: str | None, workers: int | None) -> Any:
    """The ``ray`` module, initialised: connected to ``address``, or a new local Ray of ``workers`` CPUs."""
    try:
        import ray
    except ImportError:
        raise SvgaiError("the Ray executor needs Ray: pip install 'svgai[ray]'") from None
    if not ray.is_initialized():
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None:
            options["num_cpus"] = workers or default_workers()
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise SvgaiError(f"cannot start or reach Ray at {address or 'a new local cluster'}: {e}") from None
    return ray


def ray_map(
    ray: Any, remote: Any, items: Iterable[T], *, in_flight: int, deadline_s: Callable[[T], float]
) -> Iterator[tuple[T, Any, str, str]]:
    """Run ``remote`` (a Ray remote function of one item) over ``items``, ``in_flight`` at a time.

    Yields ``(item, result, status, why)`` in completion order: status ``ok`` with the result, or
    ``error`` (the task raised) / ``timeout`` (cancelled after ``deadline_s(item)`` seconds) with ``None``.
    """
    pending = deque(items)
    flight: dict[Any, tuple[T, float]] = {}
    while pending or flight:
        while pending and len(flight) < in_flight:
            item = pending.popleft()
            flight[remote.remote(item)] = (item, time.monotonic() + deadline_s(item))
        finished, _ = ray.wait(list(flight), num_returns=1, timeout=1.0)
        for ref in finished:
            item, _ = flight.pop(ref)
            try:
                result = ray.get(ref)
            except Exception as e:
                yield item, None, "error", f"{type(e).__name__}: {str(e)[:300]}"
            else:
                yield item, result, "ok", ""
        for ref, (item, deadline) in list(flight.items()):
            if time.monotonic() >= deadline:
                ray.cancel(ref, force=True)
                del flight[ref]
                yield item, None, "timeout", f"no result within {deadline_s(item):g} s"


class RayExecutor:
    """Runs each task as a Ray task on the cluster at ``address`` (a new local Ray when ``None``).

    The cluster's nodes need svgai installed: tasks run ``svgai.dataset.jobs.run_task`` there.
    """

    def __init__(self, address: str | None = None, workers: int | None = None, timeout_s: float = 60.0) -> None:
        self._ray = connect_ray(address, workers)
        self.workers = int(self._ray.cluster_resources().get("CPU", 1))
        self.timeout_s = timeout_s
        self._remote = self._ray.remote(num_cpus=1, max_retries=0)(_ray_label)

    def run(self, tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
        """Label every task, keeping about one task in flight per CPU of the cluster."""
        done = ray_map(self._ray, self._remote, tasks, in_flight=self.workers,
                       deadline_s=lambda task: self.timeout_s * len(task.sets))
        for task, rows, status, why in done:
            if status == "ok":
                yield from rows
            else:
                yield from self._failed(task, status, why)

    @staticmethod
    def _failed(task: Task, status: str, why: str) -> Iterator[dict[str, Any]]:
        log.warning("task_failed", image_id=task.image_id, status=status, why=why)
        for set_index, params in task.sets:
            yield label_row(task.image_id, set_index, params, status=status, error=why)


def make_executor(kind: str, *, workers: int | None, address: str | None, timeout_s: float) -> Executor:
    """``"process"`` or ``"ray"``."""
    if kind == "process":
        return ProcessExecutor(workers, timeout_s)
    if kind == "ray":
        return RayExecutor(address, workers, timeout_s)
    raise SvgaiError(f"unknown executor {kind!r}; accepted: process, ray")
