"""The client-side call pacer: at most ``limit`` calls of each operation per period, counted from their answers."""

from __future__ import annotations

import threading

import pytest

from acrguard.ratelimit import CallPacer


class FakeTime:
    """A clock that moves when the pacer sleeps, or when a test says a call took time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(limit: int, margin: float = 0.0) -> tuple[CallPacer, FakeTime]:
    time = FakeTime()
    return CallPacer(limit, 1.0, margin, clock=lambda: time.now, sleep=time.sleep), time


def call(paced: CallPacer, time: FakeTime, operation: str, takes: float = 0.0) -> float:
    """One paced call lasting ``takes`` seconds; how long it waited to start."""
    with paced.slot(operation) as waited:
        time.now += takes
    return waited


def test_calls_within_the_limit_start_at_once():
    """Up to ``limit`` calls of one operation in a period do not wait."""
    paced, time = pacer(3)
    assert [call(paced, time, "ListUsers") for _ in range(3)] == [0.0, 0.0, 0.0] and time.slept == []


def test_a_place_is_free_again_one_period_after_its_calls_answer():
    """The call over the limit starts one period after the oldest answer, not after the oldest start."""
    paced, time = pacer(2)
    call(paced, time, "ListUsers", takes=0.03)  # answered at 0.03
    time.now = 0.5
    call(paced, time, "ListUsers", takes=0.03)  # answered at 0.53
    assert call(paced, time, "ListUsers") == pytest.approx(0.5) and time.now == pytest.approx(1.03)
    assert call(paced, time, "ListUsers") == pytest.approx(0.5)


def test_the_margin_widens_the_period():
    """With a 10 % margin a place stays taken 1.1 periods after its answer."""
    paced, time = pacer(1, margin=0.1)
    call(paced, time, "ListUsers")
    assert call(paced, time, "ListUsers") == pytest.approx(1.1)


def test_each_operation_has_its_own_places():
    """A busy operation does not hold up another one."""
    paced, time = pacer(1)
    call(paced, time, "ListAccessKeys")
    assert call(paced, time, "GetLoginProfile") == 0.0 and time.slept == []
    assert call(paced, time, "ListAccessKeys") == pytest.approx(1.0)


def test_when_every_place_is_in_a_call_the_next_waits_for_an_answer():
    """With the only place held by a running call, a second caller starts after that call ends (and a period)."""
    paced = CallPacer(1, 0.05)
    order: list[str] = []
    started, release = threading.Event(), threading.Event()

    def first() -> None:
        with paced.slot("ListUsers"):
            order.append("first starts")
            started.set()
            release.wait(2)
            order.append("first ends")

    def second() -> None:
        with paced.slot("ListUsers"):
            order.append("second starts")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    started.wait(2)
    threads[1].start()
    release.set()
    for thread in threads:
        thread.join(2)
    assert order == ["first starts", "first ends", "second starts"]


def test_per_second_builds_a_pacer_or_none():
    """A rate of 100/s is 100 calls a second, 0.5/s one call every two seconds, None no pacing at all."""
    assert CallPacer.per_second(None) is None
    fast = CallPacer.per_second(100.0)
    assert fast is not None and (fast.limit, fast.period_s) == (100, 1.0)
    slow = CallPacer.per_second(0.5)
    assert slow is not None and (slow.limit, slow.period_s) == (1, 2.0)


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_a_bad_limit_is_refused(limit):
    """The limit must be a positive integer."""
    with pytest.raises(ValueError, match="limit"):
        CallPacer(limit)
