"""The client-side call pacer: at most ``limit`` calls of each operation per period, counted from their answers."""

from __future__ import annotations

import threading

import pytest

from acrguard.ratelimit import CallPacer, FlowControl, Override, published_quotas, quota_for


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


# -- FlowControl: every operation paced to its published quota -------------------------------------------------

def flow(share: float = 0.9, overrides: dict[str, Override] | None = None) -> tuple[FlowControl, FakeTime]:
    time = FakeTime()
    return FlowControl(share, overrides, clock=lambda: time.now, sleep=time.sleep), time


def calls_started_within(control: FlowControl, time: FakeTime, product: str, action: str, seconds: float) -> int:
    """How many calls (each answered at once) start before ``seconds`` have passed."""
    started = 0
    while True:
        with control.slot(product, action):
            if time.now >= seconds:
                return started
            started += 1


def test_a_quota_used_at_a_share_keeps_its_window_and_leaves_the_rest():
    """300/60(s) at 0.9 is 270 places a minute; 3/1(s) at 0.9 is 3 places per 1.11 s (never 4 in a second)."""
    control, _ = flow()
    vpc = control.pace("vpc", "CreateRouteEntry")
    assert vpc is not None and (vpc.limit, vpc.period_s, vpc.places, vpc.window_s) == (300, 60.0, 270, 60.0)
    cen = control.pace("cbn", "CreateTransitRouterRouteEntry")
    assert cen is not None and cen.places == 3 and cen.window_s == pytest.approx(1 / 0.9)
    assert cen.places / cen.window_s == pytest.approx(0.9 * 3)


def test_calls_over_the_share_of_a_quota_wait():
    """At 0.9 of RAM's 100/1(s), 90 calls start in the first second and 180 before the second one ends."""
    control, time = flow()
    assert calls_started_within(control, time, "ram", "ListUsers", 0.999) == 90
    assert control.stats()["ram:ListUsers"]["waited_s"] == pytest.approx(1.0)


def test_an_exact_override_wins_over_a_product_wide_one_and_pace_false_paces_nothing():
    """``cbn:CreateTransitRouterRouteEntry`` beats ``cbn:*``; ``pace: false`` leaves the operation unpaced."""
    control, _ = flow(overrides={"cbn:CreateTransitRouterRouteEntry": Override(limit=10, period_s=1, share=1.0),
                                 "cbn:*": Override(share=0.5), "cr:GetInstance": Override(pace=False)})
    tr = control.pace("cbn", "CreateTransitRouterRouteEntry")
    assert tr is not None and (tr.places, tr.window_s, tr.source) == (10, 1.0, "cloud.flow_control.operations")
    other = control.pace("cbn", "ResolveAndRouteServiceInCen")
    assert other is not None and other.share == 0.5 and other.places == 2
    assert control.pace("cr", "GetInstance") is None


def test_throttled_answers_are_counted_per_operation():
    """``throttled`` counts answers the cloud throttled anyway (another client using the quota)."""
    control, _ = flow()
    with control.slot("vpc", "CreateRouteEntry"):
        pass
    control.throttled("vpc", "CreateRouteEntry")
    assert control.stats()["vpc:CreateRouteEntry"] == {"calls": 1, "waited_s": 0.0, "throttled": 1,
                                                       "quota": "300/60(s)", "share": 0.9}
    assert control.throttled_total == 1


def test_every_shipped_figure_names_its_source_and_says_whether_it_is_published():
    """Each rule has a positive figure and a source: a URL when published, an assumption otherwise."""
    rules = published_quotas()
    assert rules[-1].product == "*" and rules[-1].actions == ("*",)
    for rule in rules:
        assert rule.limit >= 1 and rule.period_s > 0 and rule.source
        assert rule.source.startswith("https://") if rule.published else rule.source.startswith("assumed:")


def test_every_operation_acrguard_calls_has_a_figure_of_its_own_product():
    """No call site falls through to the catch-all rule: each product's figures were looked up."""
    from acrguard.deploy.callsites import SourceIndex, package_dir

    sites, _ = SourceIndex(package_dir()).call_sites()
    uncovered = sorted({f"{s.product}:{s.api}" for s in sites if s.product != "oss"
                        and (quota_for(s.product, s.api) or published_quotas()[-1]).product == "*"})
    assert uncovered == []


@pytest.mark.parametrize("share", [0, -0.1, 1.01])
def test_a_share_outside_zero_to_one_is_refused(share):
    """The share of a quota is above 0 and at most 1."""
    with pytest.raises(ValueError, match="share"):
        FlowControl(share)


def test_a_fresh_flow_control_keeps_the_settings_and_none_of_the_places():
    """Another account's calls get the same share and overrides, and a quota of their own."""
    control, time = flow(0.5, {"cr:GetInstance": Override(limit=1, period_s=1)})
    with control.slot("cr", "GetInstance"):
        pass
    other = control.fresh()
    assert other.share == 0.5 and other.pace("cr", "GetInstance") == control.pace("cr", "GetInstance")
    with other.slot("cr", "GetInstance") as waited:
        assert waited == 0.0 and time.slept == []


def test_the_first_throttled_answer_of_an_operation_is_logged_once(caplog):
    """Throttling despite pacing means another client uses the quota: said once per operation, then counted."""
    control, _ = flow()
    with caplog.at_level("WARNING", logger="acrguard.flow_control"):
        for _ in range(3):
            control.throttled("cbn", "CreateTransitRouterRouteEntry")
    assert len(caplog.records) == 1 and "cbn:CreateTransitRouterRouteEntry" in caplog.records[0].getMessage()
    assert control.stats()["cbn:CreateTransitRouterRouteEntry"]["throttled"] == 3
