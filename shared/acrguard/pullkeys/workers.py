"""Running one read per item, a few at a time, through a bounded queue (the audit's concurrency)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from acrguard.errors import CloudCallError, TransientCloudError

#: Callback reporting progress: ``(phase, done, total)``.
Progress = Callable[[str, int, int], None]
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def bounded(workers: int, items: Iterable[K], work: Callable[[K], T], *, stop: Callable[[], bool] = lambda: False,
            done: Callable[[K, T], None] | None = None, progress: Progress | None = None,
            phase: str = "") -> dict[K, T | Exception]:
    """``work(item)`` for each item, ``workers`` at a time, through a bounded queue (two items per worker).

    A worker takes the next item as soon as it finishes one, so a slow item holds up nobody; at
    most ``2 × workers`` items are started but unfinished, so ``stop()`` (checked before each item
    starts) wastes little. ``done(item, value)`` sees each answer as it arrives. A permanent
    ``CloudCallError`` is returned in place of the item's value; a transient one is raised (the
    items not started yet are dropped).
    """
    workers = max(1, workers)
    names = list(items)
    out: dict[K, T | Exception] = {}
    pending: dict[Future[T], K] = {}
    queue = iter(names)
    finished = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="acrguard-ram") as pool:
        def fill() -> None:
            while len(pending) < 2 * workers and not stop():
                name = next(queue, None)
                if name is None:
                    return
                pending[pool.submit(work, name)] = name

        fill()
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                name = pending.pop(future)
                try:
                    value = future.result()
                except TransientCloudError:
                    for other in pending:
                        other.cancel()
                    raise
                except CloudCallError as exc:
                    out[name] = exc
                else:
                    out[name] = value
                    if done is not None:
                        done(name, value)
                finished += 1
                if progress and (finished % 50 == 0 or finished == len(names)):
                    progress(phase, finished, len(names))
            fill()
    return out


class Stages:
    """Tasks in named stages, each stage with its own ``workers`` threads; a task may start tasks of any stage.

    Each stage runs first in, first out on threads of its own, so a later stage (a holder's keys)
    starts as soon as an earlier one (a policy's holders) names work for it, instead of waiting
    behind the earlier stage's queue: every operation runs at its own rate at the same time.
    ``wait()`` returns once no task is left. A task's exception stops new tasks from starting and
    is raised by ``wait()`` (the first one); a task handles the permanent errors it can live with.
    """

    def __init__(self, workers: int, stages: Iterable[str]) -> None:
        self._pools = {name: ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=f"acrguard-{name}")
                       for name in stages}
        self._pending = 0
        self._error: BaseException | None = None
        self._done = threading.Condition()

    def submit(self, stage: str, work: Callable[..., object], *args: object) -> None:
        """Run ``work(*args)`` on ``stage``'s threads (nothing once a task has failed)."""
        with self._done:
            if self._error is not None:
                return
            self._pending += 1
        self._pools[stage].submit(self._run, work, args)

    def _run(self, work: Callable[..., object], args: tuple[object, ...]) -> None:
        try:
            work(*args)
        except BaseException as exc:  # handed to wait(), which raises it
            with self._done:
                self._error = self._error or exc
        finally:
            with self._done:
                self._pending -= 1
                self._done.notify_all()

    def wait(self) -> None:
        """Block until every task (and every task they started) has finished; raise the first failure."""
        with self._done:
            while self._pending:
                self._done.wait()
        for pool in self._pools.values():
            pool.shutdown(wait=True)
        if self._error is not None:
            raise self._error
