"""Figure 2, wall time at cloud latency: each sweep with 30 ms added to every call and per-operation rate limits.

The lower bound a job could reach with the same minimum calls (``bench.minimum``) is

    T_min = max( max over actions a of N_a / R_a  +  L ,   depth x L )

where ``N_a`` is the minimum number of calls of action ``a``, ``R_a`` the rate the local cloud
allows it (``localcloud.ratelimit``; every operation is limited on its own, so different
operations may run side by side), ``L`` the injected latency, and ``depth`` the calls that must
follow one another whatever the concurrency (list pages before the items they name, a user's
keys before its policies before their documents before its key hygiene; writes to one route
table or one ACL in plan order). Goal: wall time / T_min at most 1.2. The job's SDK modules and its
own code are imported before the clock starts (a warm function has them; importing them is figure 4's
cold start).

No RAM, ACR, VPC or CEN per-operation QPS figure is documented in the reference notes, so the
limits are the local cloud's stated default (``localcloud.ratelimit.DEFAULT_RULES``: 100 calls a
second per operation and account). Worlds are smaller than figure 1's to keep the bench under
five minutes; each figure names its world.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench import minimum, worlds
from bench.common import Figure, calls_by_action, load_config, run_sweep, running_cloud, scratch_dir

GOAL = 1.2
LATENCY_MS = 30
#: fresh runs per figure in a full bench run; the median is reported
RUNS = 3
BENCH = "latency"


def _limited(world: dict[str, Any]) -> dict[str, Any]:
    return {**world, "rate_limits": "default"}


def _bound(need: minimum.Minimum, cloud: Any, products: dict[str, str], depth: int) -> tuple[float, dict[str, Any]]:
    """``T_min`` and how it was reached."""
    from localcloud.ratelimit import rate_limits

    limits = rate_limits(cloud)
    latency = LATENCY_MS / 1000
    per_action = {}
    for action, count in need.calls.items():
        rule = limits.rule_for(products.get(action, "*"), action)
        rate = rule.rate if rule is not None else math.inf
        per_action[action] = count / rate
    slowest = max(per_action, key=per_action.get) if per_action else ""
    by_rate = (per_action.get(slowest, 0.0) + latency) if per_action else 0.0
    by_depth = depth * latency
    return max(by_rate, by_depth), {"slowest_action": slowest, "rate_bound_s": round(by_rate, 3),
                                    "depth": depth, "depth_bound_s": round(by_depth, 3)}


def _warm(job: str, config: Any) -> None:
    """Make the process what a warm function is before timing: the job's SDK modules and its own code imported
    (one sweep over no instances). Importing them is a cold start, which figure 4 measures."""
    import importlib

    from acrguard.functions import function

    for module in function(job).sdk_modules:
        importlib.import_module(module)
    run_sweep(job, config.model_copy(update={"instances": (), "pull_keys": None}))


#: the per-second rate windows (``localcloud.ratelimit``) the warm-up's calls must leave before the clock starts
WINDOW_S = 1.1


def _measure(job: str, cloud: Any, config: Any) -> tuple[float, Counter[str], int, dict[str, str], Any]:
    before = cloud.requests.last_seq()
    _warm(job, config)
    if cloud.requests.last_seq() != before:  # a warm-up that called the cloud (the audit) must not eat the budget
        time.sleep(WINDOW_S)
    cloud.inject(latency_ms=LATENCY_MS)
    since = cloud.requests.last_seq()
    started = time.perf_counter()
    error = None
    try:
        run_sweep(job, config)
    except Exception as exc:  # a sweep that gives up under throttling is a result too
        error = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    requests = [r for r in cloud.requests.all() if r.seq > since]
    products = {r.action: r.product for r in requests}
    throttled = sum(1 for r in requests if r.error_code == "Throttling.User")
    return seconds, calls_by_action(cloud, since), throttled, products, error


def _figure(name: str, seconds: float, bound: float, how: dict[str, Any], made: Counter[str], throttled: int,
            error: str | None, note: str) -> Figure:
    calls = sum(made.values())
    details = {"wall_s": round(seconds, 2), "bound_s": round(bound, 3), **how, "calls": calls,
               "throttled": throttled, "calls_per_s": round(calls / seconds, 1) if seconds else None,
               "mean_calls_in_flight": round(calls * LATENCY_MS / 1000 / seconds, 2) if seconds else None,
               "error": error}
    value: float | str = round(seconds / bound, 2) if bound and error is None else "failed"
    measured = (f" Measured {calls} calls in {seconds:.2f} s ({details['calls_per_s']}/s, "
                f"{details['mean_calls_in_flight']} in flight on average, {throttled} throttled); bound "
                f"{bound:.2f} s ({how['slowest_action']} at its limit, or {how['depth']} dependent round trips)."
                + (f" The sweep failed: {error}" if error else ""))
    return Figure(BENCH, name, value, GOAL, "x", note=note + measured, details=details)


def audit(users: int, policies: int) -> Figure:
    """The discovery audit of a smaller generated account."""
    with running_cloud(_limited(worlds.audit_world(users, policies))) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.audit_config(cloud, str(tmp / "state.db")))
        need = minimum.audit_minimum(minimum.ram_facts(cloud))
        seconds, made, throttled, products, error = _measure("pullkey_auditor", cloud, config)
        bound, how = _bound(need, cloud, products, need.depth)
    return _figure(f"pull-key audit ({users:,} users, {policies:,} custom policies)", seconds, bound, how, made,
                   throttled, error, f"Bound from the cheaper minimum design ({need.facts['design']}). The auditor "
                   "reads with pull_keys.workers threads (16 by default) per stage, the stages overlapping (a "
                   "policy's holders are listed as soon as its document shows it can grant pulling, each holder "
                   "examined as soon as it is named; per user, each user carried from its keys to its policies and "
                   "key hygiene), and paces each RAM operation to pull_keys.rate_limit_per_s (100/s by default, a "
                   "call's place in the window held until a second after its answer).")


def keeper(instances: int) -> Figure:
    """The first sweep of a few instances with four empty targets each."""
    with running_cloud(_limited(worlds.keeper_world(instances))) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.keeper_config(cloud, str(tmp / "state.db"), instances))
        need = minimum.keeper_minimum(cloud, config)
        seconds, made, throttled, products, error = _measure("endpoint_keeper", cloud, config)
        bound, how = _bound(need, cloud, products, 1 + int(need.facts["writes on the busiest target"]))
    return _figure(f"endpoint sweep ({instances} instances x 4 targets)", seconds, bound, how, made, throttled, error,
                   "The keeper reads every target and instance side by side (16 workers), each instance discovered "
                   "while its targets are read, and writes different targets side by side; the writes to one table "
                   "follow one another, each checked by one status poll. The bound counts neither the polls nor the "
                   "discovery.")


def whitelist(instances: int) -> Figure:
    """A whitelist sweep (two adds and one removal per instance)."""
    with running_cloud(_limited(worlds.whitelist_world(instances))) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.whitelist_config(cloud, str(tmp / "state.db"), instances))
        need = minimum.whitelist_minimum(cloud, config)
        seconds, made, throttled, products, error = _measure("whitelist_guard", cloud, config)
        bound, how = _bound(need, cloud, products, 1 + int(need.facts["writes per instance"]))
    return _figure(f"whitelist sweep ({instances} instances)", seconds, bound, how, made, throttled, error,
                   "run_sweep checks up to 8 instances side by side; each instance's writes stay in plan order "
                   "(adds before removals).")


def median_of(runs: int, measure: Callable[[], Figure]) -> Figure:
    """The run with the median value of ``runs`` fresh runs (timings on a shared machine move run to run);
    its note names every run's value. A failed run counts as the slowest."""
    figures = [measure() for _ in range(runs)]
    ranked = sorted(figures, key=lambda f: f.value if isinstance(f.value, (int, float)) else math.inf)
    chosen = ranked[(len(ranked) - 1) // 2]
    values = ", ".join(f.value_text() for f in figures)
    return replace(chosen, note=f"{chosen.note} Median of {runs} runs ({values}).",
                   details={**chosen.details, "runs": [f.value for f in figures]})


def run(quick: bool = False) -> list[Figure]:
    """Every wall-time figure (``quick``: smaller worlds, one run each; else the median of ``RUNS``)."""
    if quick:
        return [audit(150, 30), keeper(1), whitelist(5)]
    return [median_of(RUNS, lambda: audit(500, 100)), median_of(RUNS, lambda: keeper(3)),
            median_of(RUNS, lambda: whitelist(20))]
