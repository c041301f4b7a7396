"""Figure 2, wall time at cloud latency: each sweep with 30 ms added to every call, under the published rate limits.

The local cloud runs with ``rate_limits: published`` (``localcloud.ratelimit.PUBLISHED_RULES``: each
operation's published flow-control figure, e.g. VPC route writes 300/60(s), CEN writes 3/1(s), RAM reads
100/1(s); or the emulator's stated choice where none is published). The lower bound a job could reach
with the calls the world requires (``bench.minimum``) is

    T_min = max( max over actions a of N_a / R_a  +  L ,   depth x L )

where ``N_a`` is the minimum number of calls of action ``a`` (status reads included where an operation's
documented behaviour requires them, and the reads a removal needs against another writer), ``R_a`` the
rate the published rule allows it (limit / period: every operation is limited on its own, so different
operations may run side by side), ``L`` the injected latency, and ``depth`` the calls that must follow one
another whatever the concurrency (list pages before the items they name; on a VPC/VBR table each write
and its status read before the next write; a whitelist's removals each after a read). The bound comes
from the world and the published figures, never from acrguard's plan, and counts the full quota:
acrguard paces itself to a share of it (``cloud.flow_control.share``, 0.9 by default), a cost the figure
shows. Goal: wall time / T_min at most 1.2. The job's SDK modules and its own code are imported before
the clock starts (a warm function has them; importing them is figure 4's cold start).

Calls the local cloud throttled (``Throttling.User``) and acrguard's own count of them (retried in
``acrguard.clients.call``) are reported with each figure. Worlds are smaller than figure 1's where a
figure would take minutes; each figure names its world.
"""

from __future__ import annotations

import gc
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bench import minimum, worlds
from bench.common import Figure, calls_by_action, job_context, load_config, running_cloud, scratch_dir

GOAL = 1.2
LATENCY_MS = 30
#: fresh runs per figure in a full bench run; the median is reported
RUNS = 3
BENCH = "latency"
#: the instances of the keeper's full-run figure (its wall time is set by the CEN write quota: about 50 s)
KEEPER_INSTANCES = 20
#: the entries of the one-instance whitelist figure
WHITELIST_ENTRIES = 100

#: the product of every action a minimum names (the published rules are per product and action)
PRODUCTS = {
    **{a: "ram" for a in ("ListUsers", "ListAccessKeys", "ListPoliciesForUser", "ListGroupsForUser",
                          "ListPoliciesForGroup", "GetPolicyVersion", "GetAccessKeyLastUsed", "GetLoginProfile",
                          "ListPolicies", "ListEntitiesForPolicy", "ListUsersForGroup", "ListGroups")},
    **{a: "ims" for a in ("GenerateCredentialReport", "GetCredentialReport")},
    **{a: "cr" for a in ("GetInstance", "GetInstanceVpcEndpoint", "GetInstanceEndpoint",
                         "CreateInstanceEndpointAclPolicy", "DeleteInstanceEndpointAclPolicy")},
    **{a: "vpc" for a in ("DescribeRouteEntryList", "CreateRouteEntry", "DeleteRouteEntry", "DescribeVpnConnection",
                          "ModifyVpnConnectionAttribute")},
    **{a: "cbn" for a in ("DescribeRouteServicesInCen", "ResolveAndRouteServiceInCen", "DeleteRouteServiceInCen",
                          "ListTransitRouterRouteEntries", "CreateTransitRouterRouteEntry",
                          "DeleteTransitRouterRouteEntry")},
}
#: writes whose successful calls show how much of the job was done
WRITES = frozenset({"CreateRouteEntry", "DeleteRouteEntry", "ModifyVpnConnectionAttribute",
                    "ResolveAndRouteServiceInCen", "DeleteRouteServiceInCen", "CreateTransitRouterRouteEntry",
                    "DeleteTransitRouterRouteEntry", "CreateInstanceEndpointAclPolicy",
                    "DeleteInstanceEndpointAclPolicy"})


def _limited(world: dict[str, Any]) -> dict[str, Any]:
    return {**world, "rate_limits": "published"}


def _bound(need: minimum.Minimum, cloud: Any) -> tuple[float, dict[str, Any]]:
    """``T_min`` and how it was reached: the slowest operation at its published rate, or the dependent round trips."""
    from localcloud.ratelimit import rate_limits

    limits = rate_limits(cloud)
    latency = LATENCY_MS / 1000
    per_action = {}
    rules = {}
    for action, count in need.calls.items():
        rule = limits.rule_for(PRODUCTS.get(action, "*"), action)
        rate = rule.rate if rule is not None else math.inf
        per_action[action] = count / rate
        rules[action] = f"{rule.limit}/{rule.period_s:g}(s)" if rule is not None else "unlimited"
    slowest = max(per_action, key=per_action.get) if per_action else ""
    by_rate = (per_action.get(slowest, 0.0) + latency) if per_action else 0.0
    by_depth = need.depth * latency
    return max(by_rate, by_depth), {"slowest_action": slowest, "slowest_rule": rules.get(slowest, ""),
                                    "rate_bound_s": round(by_rate, 3), "depth": need.depth,
                                    "depth_bound_s": round(by_depth, 3), "rules": rules,
                                    "minimum_by_action": dict(need.calls)}


def _sweep(job: str, config: Any) -> tuple[Any, dict[str, Any]]:
    """Run ``job``'s full sweep once; its result and acrguard's own flow-control counts (when it keeps them)."""
    from acrguard.jobs import load

    ctx = job_context(config)
    result = load(job).sweep(ctx)
    flow = getattr(ctx.factory, "flow_control", None)
    return result, (flow.stats() if flow is not None else {})


def _warm(job: str, config: Any) -> None:
    """Make the process what a warm function is before timing: the job's SDK modules and its own code imported
    (one sweep over no instances). Importing them is a cold start, which figure 4 measures."""
    import importlib

    from acrguard.functions import function

    for module in function(job).sdk_modules:
        importlib.import_module(module)
    _sweep(job, config.model_copy(update={"instances": (), "pull_keys": None}))


#: the per-second rate windows (``localcloud.ratelimit``) the warm-up's calls must leave before the clock starts
WINDOW_S = 1.1


@dataclass
class Measured:
    """One timed sweep: its wall time, the calls the cloud answered, what was throttled, and what was left undone."""

    seconds: float
    made: Counter[str]
    throttled: int
    writes_done: Counter[str]
    flow: dict[str, Any]
    error: str | None


def _measure(job: str, cloud: Any, config: Any) -> Measured:
    before = cloud.requests.last_seq()
    _warm(job, config)
    if cloud.requests.last_seq() != before:  # a warm-up that called the cloud (the audit) must not eat the budget
        time.sleep(WINDOW_S)
    cloud.inject(latency_ms=LATENCY_MS)
    since = cloud.requests.last_seq()
    # The benchmarks before this one (a 10,000-user audit) leave a large heap in this process, which a
    # function's own instance would not have: it is frozen out of the garbage collector's scans.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    error, flow = None, {}
    try:
        _, flow = _sweep(job, config)
    except Exception as exc:  # a sweep that gives up under throttling is a result too
        error = f"{type(exc).__name__}: {exc}"
    finally:
        seconds = time.perf_counter() - started
        gc.unfreeze()
    requests = [r for r in cloud.requests.all() if r.seq > since]
    throttled = sum(1 for r in requests if r.error_code == "Throttling.User")
    done = Counter(r.action for r in requests if r.action in WRITES and r.error_code is None)
    return Measured(seconds, calls_by_action(cloud, since), throttled, done, flow, error)


def _figure(name: str, run: Measured, need: minimum.Minimum, bound: float, how: dict[str, Any], note: str) -> Figure:
    calls = sum(run.made.values())
    needed_writes = {a: n for a, n in need.calls.items() if a in WRITES}
    undone = sum(max(0, n - run.writes_done.get(a, 0)) for a, n in needed_writes.items())
    paced = {op: s for op, s in run.flow.items() if s.get("waited_s") or s.get("throttled")}
    acrguard_throttled = sum(s.get("throttled", 0) for s in run.flow.values())
    details = {"wall_s": round(run.seconds, 2), "bound_s": round(bound, 3), **how, "calls": calls,
               "made_by_action": dict(run.made), "throttled": run.throttled,
               "throttled_seen_by_acrguard": acrguard_throttled, "writes_needed": sum(needed_writes.values()),
               "writes_undone": undone, "paced_operations": paced,
               "calls_per_s": round(calls / run.seconds, 1) if run.seconds else None,
               "mean_calls_in_flight": round(calls * LATENCY_MS / 1000 / run.seconds, 2) if run.seconds else None,
               "error": run.error}
    failed = run.error is not None or undone > 0
    value: float | str = round(run.seconds / bound, 2) if bound and not failed else "failed"
    measured = (f" Measured {calls} calls in {run.seconds:.2f} s ({details['calls_per_s']}/s, "
                f"{details['mean_calls_in_flight']} in flight on average, {run.throttled} throttled, "
                f"{undone} of {details['writes_needed']} writes undone); bound {bound:.2f} s "
                f"({how['slowest_action']} at its published {how['slowest_rule']}, or {how['depth']} dependent "
                "round trips)." + (f" The sweep failed: {run.error}" if run.error else ""))
    return Figure(BENCH, name, value, GOAL, "x", note=note + measured, details=details)


def audit(users: int, policies: int) -> Figure:
    """The discovery audit of a smaller generated account."""
    with running_cloud(_limited(worlds.audit_world(users, policies))) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.audit_config(cloud, str(tmp / "state.db")))
        need = minimum.audit_minimum(minimum.ram_facts(cloud))
        run = _measure("pullkey_auditor", cloud, config)
        bound, how = _bound(need, cloud)
    return _figure(f"pull-key audit ({users:,} users, {policies:,} custom policies)", run, need, bound, how,
                   f"Bound from the cheaper minimum design ({need.facts['design']}). The auditor reads with "
                   "pull_keys.workers threads (16 by default) per stage, the stages overlapping (a policy's holders "
                   "are listed as soon as its document shows it can grant pulling, each holder examined as soon as "
                   "it is named; per user, each user carried from its keys to its policies and key hygiene); every "
                   "call waits for its operation's place under cloud.flow_control (the published 100/1(s) of RAM "
                   "reads, 90% of it by default, a place held until a second after its answer).")


def keeper(instances: int) -> Figure:
    """The first sweep of ``instances`` instances with four empty targets each."""
    with running_cloud(_limited(worlds.keeper_world(instances))) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.keeper_config(cloud, str(tmp / "state.db"), instances))
        need = minimum.keeper_minimum(cloud, config, status_checks=True)
        run = _measure("endpoint_keeper", cloud, config)
        bound, how = _bound(need, cloud)
    return _figure(f"endpoint sweep ({instances} instances x 4 targets)", run, need, bound, how,
                   "The keeper reads every target and instance side by side (16 workers), then writes different "
                   "targets side by side, the targets of each kind taking turns so every write quota is in use; on "
                   "a VPC/VBR table each write is read back before the next (the table refuses a write while "
                   "another entry is changing), on a transit router table and a CEN cloud-service target the "
                   "writes follow one another and one read at the end checks them all. Every call waits for its "
                   "operation's place under cloud.flow_control (90% of each published quota by default). The "
                   "bound counts the status reads the documented behaviour requires (bench.minimum.STATUS_CHECKS), "
                   "not the discovery's DNS and registry probes.")


def whitelist(instances: int, entries: int = 2, stale: int = 1) -> Figure:
    """A whitelist sweep: ``entries`` adds and ``stale`` removals per instance."""
    with running_cloud(_limited(worlds.whitelist_world(instances, stale=stale))) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.whitelist_config(cloud, str(tmp / "state.db"), instances, entries))
        need = minimum.whitelist_minimum(cloud, config)
        run = _measure("whitelist_guard", cloud, config)
        bound, how = _bound(need, cloud)
    what = f"{instances} instances" if instances > 1 else "one instance"
    removals = f" and {stale} removal{'s' if stale != 1 else ''}" if stale else ""
    return _figure(f"whitelist sweep ({what}, {entries} adds{removals} each)",
                   run, need, bound, how,
                   "run_sweep checks up to 8 instances side by side; on each, the adds go side by side, then "
                   "each removal after its lease and a fresh read, then one read after the last removal. The "
                   "bound counts those reads (another writer may change the ACL; bench.minimum.whitelist_minimum).")


def median_of(runs: int, measure: Callable[[], Figure]) -> Figure:
    """The run with the median value of ``runs`` fresh runs (timings on a shared machine move run to run);
    its note names every run's value. A failed run counts as the slowest."""
    figures = [measure() for _ in range(runs)]
    if runs == 1:
        return figures[0]
    ranked = sorted(figures, key=lambda f: f.value if isinstance(f.value, (int, float)) else math.inf)
    chosen = ranked[(len(ranked) - 1) // 2]
    values = ", ".join(f.value_text() for f in figures)
    return replace(chosen, note=f"{chosen.note} Median of {runs} runs ({values}).",
                   details={**chosen.details, "runs": [f.value for f in figures]})


def run(quick: bool = False) -> list[Figure]:
    """Every wall-time figure (``quick``: smaller worlds, one run each; else the median of ``RUNS``).

    The keeper's full figure runs once: its wall time is set by the CEN write quota (3/1(s)) and the
    pacing, which move little from run to run, and one run takes about a minute.
    """
    if quick:
        return [audit(150, 30), keeper(3), whitelist(5), whitelist(1, WHITELIST_ENTRIES, stale=0)]
    return [median_of(RUNS, lambda: audit(500, 100)), keeper(KEEPER_INSTANCES),
            median_of(RUNS, lambda: whitelist(20)), median_of(RUNS, lambda: whitelist(1, WHITELIST_ENTRIES, stale=0))]
