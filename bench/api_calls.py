"""Figure 1, API calls: each job's full sweep, calls made divided by the minimum the world requires.

The calls made are every OpenAPI request the local cloud answered during the sweep (its request
log); the minimum is derived from the world by ``bench.minimum`` (list pages + one fetch per
distinct object + one write per change), never from acrguard's code. Goal: at most 1.05.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench import minimum, worlds
from bench.common import Figure, calls_by_action, load_config, run_sweep, running_cloud, scratch_dir

GOAL = 1.05
BENCH = "api-calls"

#: Status reads the keeper makes after its own writes (a filter parameter names the entry written).
POLL_FILTERS = {"DescribeRouteEntryList": ("DestinationCidrBlock", "RouteEntryId"),
                "ListTransitRouterRouteEntries": ("TransitRouterRouteEntryDestinationCidrBlock",
                                                  "TransitRouterRouteEntryIds"),
                "DescribeRouteServicesInCen": ("Host",)}


def _excess(made: Counter[str], needed: Counter[str]) -> dict[str, int]:
    return {a: made[a] - needed.get(a, 0) for a in sorted(set(made) | set(needed)) if made[a] != needed.get(a, 0)}


def _ratio_figure(name: str, made: Counter[str], need: minimum.Minimum, note: str,
                  extra: dict[str, Any] | None = None) -> Figure:
    total = sum(made.values())
    return Figure(BENCH, name, round(total / need.total, 3) if need.total else float("inf"), GOAL, "x", note=note,
                  details={"calls": total, "minimum": need.total, "made_by_action": dict(made),
                           "minimum_by_action": dict(need.calls), "difference_by_action": _excess(made, need.calls),
                           "minimum_derivation": need.lines, "world": need.facts, **(extra or {})})


def audit(users: int, policies: int, group_share: float = 0.05, pull_users: int | None = None) -> list[Figure]:
    """The full discovery audit of a generated account, against the cheaper of the two minimum designs.

    ``pull_users``: keep only that many users able to pull (``worlds.sparse_pull_world``); None
    keeps the generator's share (about one user in ten).
    """
    world = worlds.audit_world(users, policies, group_share) if pull_users is None else \
        worlds.sparse_pull_world(users, policies, pull_users, group_share)
    with running_cloud(world) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.audit_config(cloud, str(tmp / "state.db")))
        facts = minimum.ram_facts(cloud)
        started = time.perf_counter()
        result = run_sweep("pullkey_auditor", config)
        seconds = time.perf_counter() - started
        made = calls_by_action(cloud)
    per_user = minimum.audit_minimum_per_user(facts)
    per_policy = minimum.audit_minimum_per_policy(facts)
    need = minimum.audit_minimum(facts)
    total = sum(made.values())
    judged = result.summary.get("identities")
    pulling = f"{pull_users} pull users" if pull_users is not None else f"{len(facts.pull_users):,} pull users"
    name = f"pull-key audit ({users:,} users, {policies:,} custom policies, {pulling}, {group_share:.0%} in groups)"
    cross = {"identities_judged": judged, "pull_users_by_bench_matcher": len(facts.pull_users),
             "seconds_at_zero_latency": round(seconds, 1), "read_plan": result.summary.get("read_plan"),
             "per_user_minimum": per_user.total, "per_policy_minimum": per_policy.total,
             "calls_per_user_minimum": round(total / per_user.total, 3) if per_user.total else None,
             "calls_per_policy_minimum": round(total / per_policy.total, 3) if per_policy.total else None}
    return [_ratio_figure(name, made, need,
                          f"Minimum: the cheaper design for this world, {need.facts['design']} ({need.total:,} calls; "
                          f"per user {per_user.total:,}, per policy {per_policy.total:,}). Per user: ListUsers pages, "
                          "ListAccessKeys per user, attachment lists per key holder. Per policy: ListPolicies pages "
                          "(DefaultVersion, AttachmentCount), the default version of each attached policy, "
                          "ListEntitiesForPolicy only for those that grant pulling, then only their holders. Key "
                          "hygiene: per pull user, or the IMS credential report (at most 3,500 users) where it is "
                          "fewer calls.", cross)]


def audit_figures(quick: bool = False) -> list[Figure]:
    """The audit's figures: the bench world, and a big account where only 20 users pull."""
    users, policies = (1_000, 200) if quick else (10_000, 2_000)
    return [*audit(users, policies), *audit(users, policies, pull_users=20)]


def keeper(instances: int) -> list[Figure]:
    """The first full sweep of ``instances`` instances with four empty route targets each."""
    with running_cloud(worlds.keeper_world(instances)) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.keeper_config(cloud, str(tmp / "state.db"), instances))
        need = minimum.keeper_minimum(cloud, config, status_checks=True)
        bare = minimum.keeper_minimum(cloud, config)
        started = time.perf_counter()
        run_sweep("endpoint_keeper", config)
        seconds = time.perf_counter() - started
        made = calls_by_action(cloud)
    extra = {"seconds_at_zero_latency": round(seconds, 2), "status_checks_in_minimum": need.total - bare.total}
    name = f"endpoint sweep ({instances} instances x 4 targets)"
    return [
        _ratio_figure(name, made, need,
                      "Counted strictly: every call, against the minimum with the status reads the documented "
                      "behaviour of each write requires (minimum.STATUS_CHECKS: a VPC/VBR table refuses a write "
                      "while another entry is changing, so each write is read back before the next; one read per "
                      "transit-router or cloud-service target written; an IPsec connection read before and after "
                      "its one write).", extra),
        _ratio_figure(f"{name}, against reads and writes alone", made, bare,
                      "The same sweep against a minimum with no status read at all (for comparison: a keeper that "
                      "never checked its writes could not know a table had settled).", extra),
    ]


def whitelist(instances: int) -> list[Figure]:
    """A whitelist sweep over ``instances`` instances, each needing two adds and one removal."""
    with running_cloud(worlds.whitelist_world(instances)) as cloud, scratch_dir() as tmp:
        config = load_config(worlds.whitelist_config(cloud, str(tmp / "state.db"), instances))
        need = minimum.whitelist_minimum(cloud, config)
        run_sweep("whitelist_guard", config)
        made = calls_by_action(cloud)
    return [_ratio_figure(f"whitelist sweep ({instances} instances)", made, need,
                          "One GetInstanceEndpoint per instance plus one write per entry added or removed.")]


def run(quick: bool = False) -> list[Figure]:
    """Every API-call figure (``quick``: 1,000-user audits instead of 10,000)."""
    return [*audit_figures(quick), *keeper(20), *whitelist(20)]
