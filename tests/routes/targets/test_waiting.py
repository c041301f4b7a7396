"""Bounded polling and busy-retries (no cloud: the sleep is recorded instead of slept)."""

from __future__ import annotations

import pytest

from acrguard.errors import CloudCallError
from acrguard.routes.targets.waiting import Waiter


def recording_waiter(timeout_s=3.0, interval_s=1.0):
    slept: list[float] = []
    return Waiter(timeout_s=timeout_s, interval_s=interval_s, sleep=slept.append), slept


def test_until_returns_as_soon_as_the_probe_holds():
    """The probe is polled every interval until it is true."""
    waiter, slept = recording_waiter()
    answers = iter([False, False, True])
    assert waiter.until(lambda: next(answers)) is True
    assert slept == [1.0, 1.0]


def test_until_gives_up_after_the_timeout():
    """A probe that never holds returns False after timeout_s of sleeping."""
    waiter, slept = recording_waiter(timeout_s=3)
    assert waiter.until(lambda: False) is False
    assert sum(slept) == 3


def test_retrying_retries_busy_codes_only_and_reraises_at_the_end():
    """A busy code is retried until the time is up; any other error is raised at once."""
    waiter, slept = recording_waiter(timeout_s=2)
    calls = []

    def busy():
        calls.append(1)
        raise CloudCallError("CreateRouteEntry", "IncorrectRouteEntryStatus", "busy")

    with pytest.raises(CloudCallError):
        waiter.retrying(busy, {"IncorrectRouteEntryStatus"})
    assert len(calls) == 3 and sum(slept) == 2

    def broken():
        raise CloudCallError("CreateRouteEntry", "QuotaExceeded", "full")

    waiter, slept = recording_waiter()
    with pytest.raises(CloudCallError, match="QuotaExceeded"):
        waiter.retrying(broken, {"IncorrectRouteEntryStatus"})
    assert slept == []


def test_until_after_a_failed_check_waits_one_interval_before_the_first_poll():
    """``known_false``: the caller just saw the condition fail, so polling starts after one interval."""
    waiter, slept = recording_waiter(timeout_s=3)
    polls = []
    answers = iter([False, True])
    assert waiter.until(lambda: polls.append(1) or next(answers), known_false=True) is True
    assert slept == [1.0, 1.0] and len(polls) == 2
    waiter, slept = recording_waiter(timeout_s=2)
    assert waiter.until(lambda: False, known_false=True) is False
    assert sum(slept) == 2
