"""Figure 3, the event path: one ActionTrail event of each handled kind through the real function handler.

Each scenario starts a warm function instance the way FC does (``functions/<name>/index.py``
loaded once, its ``initialize`` run, one timer sweep so the state is converged), makes a change
through the real SDK as someone else would, takes the ActionTrail event the local cloud produced
for it (for the VPC endpoint link, which the local cloud does not serve, a published-format record
from ``tests/events/fixtures``), and hands the event's bytes to ``handler(event, context)``.

Two figures per event (and two more for each event after a big pull-key audit, see below):

* **calls / needed**: the OpenAPI calls the invocation made, against the calls the event needs,
  derived from the world (the touched resource re-read, the identities it concerns, one write per
  thing to repair). Goal: 1.0.
* **in-process time**: the invocation's wall time minus the time the local cloud was busy
  answering its API, registry and DNS requests (``bench.cloudtime.ServerTimer``), at zero
  injected latency; the median of five repetitions where the scenario can repeat. Goal: under
  50 ms. Alerts have no channel here, so no chat delivery is timed; state is the SQLite store.

**At account scale** (``scale_events``): a real full audit of a 10,000-user account (1,000 with
``--quick``; ``worlds.audit_world``) leaves its alert groups in the state (about 5,000 groups). Then
one event of each function runs with that state present (the auditor's in the audited world; the
whitelist guard and the keeper on a copy of its state file, as functions sharing one SQLite file do),
and each gets, besides its in-process time, **state bytes written**: what the state store wrote for
the event (its own count, reported by the handler as ``state.bytes_written``: the SQLite rows' key and
value bytes). Goals: under 50 ms, and at most 64 KB written per event.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from bench import minimum, worlds
from bench.cloudtime import ServerTimer
from bench.common import Figure, calls_by_action, running_cloud, scratch_dir

BENCH = "event-path"
TIME_GOAL_MS = 50.0
#: state bytes one event may write, whatever the size of the account
BYTES_GOAL_KB = 64.0
#: the users of the audited account (``--quick``: fewer)
AUDIT_USERS, QUICK_AUDIT_USERS = 10_000, 1_000
REPEATS = 5
LINK_FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "events" / "fixtures" / \
    "cr_vpc_endpoint_linked_vpc_create.json"
ALICE_KEY, ALICE_SECRET = "LTAI5tBenchAliceKey001", "bench-alice-secret-001"
TIMER = {"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep"}


class WarmFunction:
    """One function instance kept warm: handler module loaded, initializer run, config cached."""

    def __init__(self, name: str, config: dict[str, Any], directory: Path) -> None:
        from acrguard.functions import function
        from acrguard.runtime import settings
        from acrguard.runtime.local import load_handler_module, make_context

        self.spec = function(name)
        path = directory / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        self._previous = os.environ.get("ACRGUARD_CONFIG")
        os.environ["ACRGUARD_CONFIG"] = str(path)
        settings.clear_cache()
        self.module = load_handler_module(self.spec)
        self.context = make_context(self.spec, worlds.REGION, worlds.ACCOUNT)
        with contextlib.redirect_stdout(io.StringIO()):
            self.module.initialize(self.context)

    def __call__(self, event: bytes) -> dict[str, Any]:
        """Invoke the handler (its decision log is kept off the console)."""
        with contextlib.redirect_stdout(io.StringIO()):
            return self.module.handler(event, self.context)

    def timer(self) -> dict[str, Any]:
        """A timer invocation (a full sweep)."""
        return self(json.dumps({**TIMER, "payload": json.dumps({"job": self.spec.name})}).encode())

    def close(self) -> None:
        """Restore the environment."""
        from acrguard.runtime import settings

        if self._previous is None:
            os.environ.pop("ACRGUARD_CONFIG", None)
        else:
            os.environ["ACRGUARD_CONFIG"] = self._previous
        settings.clear_cache()


@contextlib.contextmanager
def warm(name: str, config: dict[str, Any], directory: Path) -> Iterator[WarmFunction]:
    """A warm instance of function ``name`` with ``config``."""
    instance = WarmFunction(name, config, directory)
    try:
        yield instance
    finally:
        instance.close()


def _invoke(fn: WarmFunction, cloud: Any, timer: ServerTimer, event: dict[str, Any]) -> tuple[Counter[str], float,
                                                                                               float, Any]:
    since = cloud.requests.last_seq()
    started = time.perf_counter()
    result = fn(json.dumps(event).encode())
    ended = time.perf_counter()
    busy = timer.busy(started, ended)
    return calls_by_action(cloud, since), ended - started, busy, result


def _status(result: Any) -> str:
    events = result.get("events") or [{}] if isinstance(result, dict) else [{}]
    return str(events[0].get("status", result.get("status") if isinstance(result, dict) else result))


def _figures(kind: str, needed: minimum.Minimum, runs: list[tuple[Counter[str], float, float, Any]],
             note: str, polls: Counter[str] | None = None) -> list[Figure]:
    made, _, _, result = runs[0]
    in_process = [1000 * (w - b) for _, w, b, _ in runs]
    calls = sum(made.values())
    diff = {a: made[a] - needed.calls.get(a, 0) for a in sorted(set(made) | set(needed.calls))
            if made[a] != needed.calls.get(a, 0)}
    common = {"event": kind, "status": _status(result), "made_by_action": dict(made),
              "needed_by_action": dict(needed.calls), "difference_by_action": diff, "needed_derivation": needed.lines}
    if polls:
        common["status_polls"] = dict(polls)
    extra = "; made - needed: " + ", ".join(f"{a} {n:+d}" for a, n in diff.items()) if diff else ""
    if polls:
        extra += f" (status polls: {', '.join(f'{a} {n}' for a, n in polls.items())})"
    return [
        Figure(BENCH, f"{kind}: calls / needed", round(calls / needed.total, 2) if needed.total else float("inf"),
               1.0, "x", note=f"{note} {calls} calls, {needed.total} needed{extra}.",
               details={**common, "calls": calls, "needed": needed.total}),
        Figure(BENCH, f"{kind}: in-process time", round(statistics.median(in_process), 1), TIME_GOAL_MS, "ms",
               note=f"median of {len(runs)}: wall {1000 * statistics.median(w for _, w, _, _ in runs):.1f} ms minus "
                    f"the local cloud's own {1000 * statistics.median(b for _, _, b, _ in runs):.1f} ms "
                    f"({calls} calls)",
               details={**common, "in_process_ms": [round(x, 1) for x in in_process],
                        "wall_ms": [round(1000 * w, 1) for _, w, _, _ in runs],
                        "cloud_ms": [round(1000 * b, 1) for _, _, b, _ in runs]}),
    ]


def _sdk(factory: Any, product: str, api: str, **params: Any) -> Any:
    """Call ``api`` of ``product`` with snake_case parameters through acrguard's ``call`` (the real SDK)."""
    import importlib

    from acrguard.clients import call

    module = {"ram": "alibabacloud_ram20150501", "cr": "alibabacloud_cr20181201", "vpc": "alibabacloud_vpc20160428"}
    models = importlib.import_module(f"{module[product]}.models")
    method = "".join("_" + c.lower() if c.isupper() else c for c in api).lstrip("_")
    client = getattr(factory, product)()
    return call(product, api, getattr(client, method), getattr(models, f"{api}Request")(**params))


def _factory(key: str = worlds.ROOT_KEY, secret: str = worlds.ROOT_SECRET, cloud: Any = None) -> Any:
    from acrguard.clients import ClientFactory, EndpointOverride
    from acrguard.credentials import StaticCredentials

    return ClientFactory(worlds.REGION, credentials=StaticCredentials(key, secret),
                         override=EndpointOverride(cloud.endpoints()["openapi"], oss_endpoint=cloud.endpoints()["oss"]))


# -- whitelist guard -----------------------------------------------------------------------------

def whitelist_event() -> list[Figure]:
    """Someone deletes a declared whitelist entry; the guard restores it."""
    runs = _whitelist_runs()
    needed = minimum.Minimum()
    needed.need("GetInstanceEndpoint", 1, "re-read the one instance the event names")
    needed.need("CreateInstanceEndpointAclPolicy", 1, "restore the one declared entry that was deleted")
    needed.need("GetCallerIdentity", 1, "tell acrguard's own writes from others' (the actor here is alice)")
    return _figures("whitelist ACL entry deleted (DeleteInstanceEndpointAclPolicy)", needed, runs,
                    "Only the named instance is read; the deleted entry is written back.")


# -- pull-key auditor ----------------------------------------------------------------------------

def _ram_holders(cloud: Any, policy: tuple[str, str]) -> tuple[list[str], list[str]]:
    ram = cloud.backend("ram", worlds.ACCOUNT, None)
    groups = [g.name for g in ram.groups.values() if any((r.type, r.name) == policy for r in g.policies)]
    users = [u.name for u in ram.users.values() if any((r.type, r.name) == policy for r in u.policies)]
    for group in groups:
        users += [u for u in ram.groups[group].members if u not in users]
    return users, groups


def _toggle_full_access(cloud: Any, root: Any, user: str, index: int) -> dict[str, Any]:
    """The ``index``-th change to ``user``: attach AliyunContainerRegistryFullAccess (even), detach it (odd); its
    ActionTrail event."""
    api = "AttachPolicyToUser" if index % 2 == 0 else "DetachPolicyFromUser"
    _sdk(root, "ram", api, policy_name="AliyunContainerRegistryFullAccess", policy_type="System", user_name=user)
    (event,) = cloud.trail.take(api)
    return event


def auditor_events() -> list[Figure]:
    """A policy attached to (then detached from) a pull user; a new default version of a shared policy."""
    with running_cloud(worlds.audit_world(300, 60)) as cloud, scratch_dir() as tmp, ServerTimer(cloud) as timer:
        config = worlds.audit_config(cloud, str(tmp / "state.db"))
        root = _factory(cloud=cloud)
        facts = minimum.ram_facts(cloud)
        user = facts.pull_users[0]
        with warm("pullkey_auditor", config, tmp) as fn:
            fn.timer()
            cloud.trail.take()
            runs = []
            for index in range(REPEATS):
                event = _toggle_full_access(cloud, root, user, index)
                if index == 0:
                    user_needed = minimum.reaudit_minimum(minimum.ram_facts(cloud, [user]))
                runs.append(_invoke(fn, cloud, timer, event))
            figures = _figures("RAM policy attached to a pull user (AttachPolicyToUser)", user_needed, runs,
                               "Only the touched user is read again; policy documents are fetched again because no "
                               "cache survives between invocations.")
            ram = cloud.backend("ram", worlds.ACCOUNT, None)
            shared = max((p for p in ram.policies.values() if p.type == "Custom" and
                          minimum.grants_pull(p.default_version.document) and len(p.versions) < 5),
                         key=lambda p: len(_ram_holders(cloud, ("Custom", p.name))[0]))
            holders, groups = _ram_holders(cloud, ("Custom", shared.name))
            policy_runs = []
            for _ in range(REPEATS):
                previous = shared.default_version.version_id
                _sdk(root, "ram", "CreatePolicyVersion", policy_name=shared.name, set_as_default=True,
                     policy_document=shared.default_version.document)
                _sdk(root, "ram", "DeletePolicyVersion", policy_name=shared.name, version_id=previous)
                (event,) = cloud.trail.take("CreatePolicyVersion")
                cloud.trail.take()
                if not policy_runs:
                    policy_needed = minimum.reaudit_minimum(minimum.ram_facts(cloud, holders), entities=1,
                                                            group_lists=len(groups))
                policy_runs.append(_invoke(fn, cloud, timer, event))
    figures += _figures(f"RAM policy new default version (CreatePolicyVersion, {len(holders)} holders)",
                        policy_needed, policy_runs,
                        "Every holder of the policy (directly or through a group) is re-audited.")
    return figures


# -- endpoint keeper -----------------------------------------------------------------------------

def _keeper_needed(reads: dict[str, int], writes: dict[str, int], why: str,
                   checks: dict[str, int]) -> minimum.Minimum:
    """The calls an endpoint event needs: discovery, the targets' reads, the writes, and the status reads the
    documented behaviour of each write requires (``minimum.STATUS_CHECKS``, as the sweep's minimum counts them)."""
    needed = minimum.Minimum()
    needed.need("GetInstance", 1, "the instance the event concerns (status)")
    needed.need("GetInstanceVpcEndpoint", 1, "its ENI addresses (the event is not trusted for them)")
    for action, count in reads.items():
        needed.need(action, count, why)
    for action, count in writes.items():
        needed.need(action, count, "one per prefix to add or remove on a target (one IPsec write for both)")
    for action, count in checks.items():
        needed.need(action, count, minimum.STATUS_CHECKS[action])
    return needed


def _polls(made: Counter[str], cloud: Any, since: int) -> Counter[str]:
    from bench.api_calls import POLL_FILTERS

    return Counter(r.action for r in cloud.requests.all()
                   if r.seq > since and any(p in r.params for p in POLL_FILTERS.get(r.action, ())))


def _delete_route_by_hand(cloud: Any, root: Any, destination: str) -> dict[str, Any]:
    """Delete acrguard's route to ``destination`` from the VBR table with the root key; its ActionTrail event."""
    rows = _sdk(root, "vpc", "DescribeRouteEntryList", region_id=worlds.REGION, route_table_id="vtb-vbr1",
                destination_cidr_block=destination)
    _sdk(root, "vpc", "DeleteRouteEntry", region_id=worlds.REGION, route_table_id="vtb-vbr1",
         route_entry_id=rows.route_entrys.route_entry[0].route_entry_id)
    (event,) = cloud.trail.take("DeleteRouteEntry")
    cloud.trail.take()
    return event


def keeper_events() -> list[Figure]:
    """A hand-deleted acrguard route on a VBR table; the instance's VPC endpoint linked to a new address."""
    with running_cloud(worlds.keeper_world(2)) as cloud, scratch_dir() as tmp, ServerTimer(cloud) as timer:
        config = worlds.keeper_config(cloud, str(tmp / "state.db"), 2)
        root = _factory(cloud=cloud)
        eni = f"{worlds.eni(0)}/32"
        with warm("endpoint_keeper", config, tmp) as fn:
            fn.timer()
            cloud.trail.take()
            runs, route_polls = [], Counter()
            for _ in range(REPEATS):
                event = _delete_route_by_hand(cloud, root, eni)
                since = cloud.requests.last_seq()
                runs.append(_invoke(fn, cloud, timer, event))
                route_polls = route_polls or _polls(runs[-1][0], cloud, since)
            route_needed = _keeper_needed({"DescribeRouteEntryList": 1}, {"CreateRouteEntry": 1},
                                          "the one table the event names", {"DescribeRouteEntryList": 1})
            figures = _figures("route entry deleted by hand (DeleteRouteEntry on a VBR table)", route_needed, runs,
                               "The event names one table; the keeper re-reads the instance's endpoint "
                               "(discovery) and that table only, and reads its write back once (a status read "
                               "the write's documented behaviour requires, counted as needed).", route_polls)
            record = cloud.backend("cr", worlds.ACCOUNT, worlds.REGION).instances[worlds.instance_id(0)]
            connection = cloud.backend("vpc", worlds.ACCOUNT, worlds.REGION).vpn_connections["vco-1"]
            subnets = [ipaddress.ip_network(item) for item in connection.local_subnet]
            vpn_covered = all(any(ipaddress.ip_address(a) in net for net in subnets)
                              for a in ("192.168.7.77", worlds.eni(0)))
            link_runs, link_polls = [], Counter()
            for index in range(REPEATS):  # the ENI moves to a new address and back: each event swaps the /32
                address = "192.168.7.77" if index % 2 == 0 else worlds.eni(0)
                record.linked_vpcs[0].ip = address
                cloud.dns.set(worlds.vpc_domain(0), [address])
                event = json.loads(LINK_FIXTURE.read_text(encoding="utf-8"))
                event["id"] = str(uuid.uuid4())
                event["data"]["requestParameters"]["InstanceId"] = worlds.instance_id(0)
                event["data"].pop("requestParameterJson", None)
                since = cloud.requests.last_seq()
                link_runs.append(_invoke(fn, cloud, timer, event))
                link_polls = link_polls or _polls(link_runs[-1][0], cloud, since)
                cloud.trail.take()
    # the IPsec connection needs a write only when its LocalSubnet does not already cover both addresses
    vpn_writes = 0 if vpn_covered else 1
    link_needed = _keeper_needed({"DescribeRouteEntryList": 1, "DescribeRouteServicesInCen": 1,
                                         "ListTransitRouterRouteEntries": 1, "DescribeVpnConnection": 1},
                                 {"CreateRouteEntry": 1, "CreateTransitRouterRouteEntry": 1,
                                  "DeleteRouteEntry": 1, "DeleteTransitRouterRouteEntry": 1,
                                  "ModifyVpnConnectionAttribute": vpn_writes},
                                 "every target of the instance (a new address may need routing on each)",
                                 {"DescribeRouteEntryList": 2, "ListTransitRouterRouteEntries": 1,
                                  "DescribeVpnConnection": 2 * vpn_writes})
    figures += _figures("VPC endpoint linked (CreateInstanceVpcEndpointLinkedVpc, new ENI address)", link_needed,
                        link_runs, "The new /32 goes to the three targets that take the vpc_endpoint family and the "
                        "old one leaves them (the bench config holds removals for 1 run, 0 hours; the IPsec "
                        "connection is written only if its LocalSubnet does not already cover both "
                        "addresses, in one write, read again before it and once after it; each "
                        "VBR write read back, the transit router table read once after its writes: the status "
                        "reads counted as needed).", link_polls)
    return figures


# -- at account scale: the state of a big audit present ----------------------------------------------

def _state_size(path: Path) -> tuple[int, int, int]:
    """Alert groups, records and bytes of the state file (read with SQLite, not through acrguard)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        records, size = db.execute("SELECT count(*), coalesce(sum(length(key) + length(value)), 0) "
                                   "FROM acrguard_records").fetchone()
        groups = db.execute("SELECT count(*) FROM acrguard_records WHERE key LIKE 'alerts/groups/%'").fetchone()[0]
    return int(groups), int(records), int(size)


def _copy_state(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite state file, log included (the backup API)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _scale_figures(kind: str, runs: list[tuple[Counter[str], float, float, Any]], present: str) -> list[Figure]:
    in_process = [1000 * (w - b) for _, w, b, _ in runs]
    written = [int(((r or {}).get("state") or {}).get("bytes_written", 0)) for _, _, _, r in runs]
    records = [int(((r or {}).get("state") or {}).get("writes", 0)) for _, _, _, r in runs]
    details = {"event": kind, "status": _status(runs[0][3]), "in_process_ms": [round(x, 1) for x in in_process],
               "state_bytes_written": written, "state_records_written": records,
               "wall_ms": [round(1000 * w, 1) for _, w, _, _ in runs],
               "cloud_ms": [round(1000 * b, 1) for _, _, b, _ in runs]}
    return [
        Figure(BENCH, f"{kind}, {present}: in-process time", round(statistics.median(in_process), 1), TIME_GOAL_MS,
               "ms", note=f"median of {len(runs)}: wall {1000 * statistics.median(w for _, w, _, _ in runs):.1f} ms "
                          f"minus the local cloud's own {1000 * statistics.median(b for _, _, b, _ in runs):.1f} ms",
               details=details),
        Figure(BENCH, f"{kind}, {present}: state bytes written", round(max(written) / 1024, 1), BYTES_GOAL_KB, "KB",
               note=f"the most of {len(runs)} events ({', '.join(f'{b / 1024:.1f}' for b in written)} KB; "
                    f"{max(records)} records at most)", details=details),
    ]


def scale_events(quick: bool = False) -> list[Figure]:
    """One event of each function with the state of a big pull-key audit present (see the module docstring)."""
    users = QUICK_AUDIT_USERS if quick else AUDIT_USERS
    figures: list[Figure] = []
    with scratch_dir() as keep:
        saved = keep / "audited.db"
        with running_cloud(worlds.audit_world(users, users // 5)) as cloud, scratch_dir() as tmp, \
                ServerTimer(cloud) as timer:
            config = worlds.audit_config(cloud, str(tmp / "state.db"))
            root = _factory(cloud=cloud)
            user = minimum.ram_facts(cloud).pull_users[0]
            with warm("pullkey_auditor", config, tmp) as fn:
                started = time.perf_counter()
                fn.timer()  # the full audit: its alert groups are the state every later event lives with
                audit_s = time.perf_counter() - started
                cloud.trail.take()
                _copy_state(tmp / "state.db", saved)
                groups, records, size = _state_size(saved)
                present = f"{users:,}-user audit's state present"
                runs = []
                for index in range(REPEATS):
                    event = _toggle_full_access(cloud, root, user, index)
                    runs.append(_invoke(fn, cloud, timer, event))
        figures.append(Figure(BENCH, f"state of a {users:,}-user audit", round(size / 1e6, 2), None, "MB",
                              note=f"{groups:,} alert groups in {records:,} records; the audit itself took "
                                   f"{audit_s:.1f} s", details={"groups": groups, "records": records,
                                                                "bytes": size, "audit_s": round(audit_s, 1)}))
        figures += _scale_figures("RAM policy attached to a pull user", runs, present)
        figures += _scale_figures("whitelist ACL entry deleted", _whitelist_runs(saved), present)
        figures += _scale_figures("route entry deleted by hand", _keeper_runs(saved), present)
    return figures


def _whitelist_runs(state: Path | None = None) -> list[tuple[Counter[str], float, float, Any]]:
    """The whitelist scenario's events (alice deletes a declared entry), on a fresh state or a copy of ``state``."""
    world = worlds.whitelist_world(3)
    world["accounts"][worlds.ACCOUNT]["global"]["ram"]["users"].append(
        {"name": "alice", "access_keys": [{"id": ALICE_KEY, "secret": ALICE_SECRET}],
         # an operator of the registry, who may edit its whitelist (the local cloud authorizes every call)
         "policies": [{"name": "AliyunContainerRegistryFullAccess", "type": "System"}]})
    with running_cloud(world) as cloud, scratch_dir() as tmp, ServerTimer(cloud) as timer:
        if state is not None:
            _copy_state(state, tmp / "state.db")
        config = worlds.whitelist_config(cloud, str(tmp / "state.db"), 3)
        alice = _factory(ALICE_KEY, ALICE_SECRET, cloud)
        with warm("whitelist_guard", config, tmp) as fn:
            fn.timer()
            cloud.trail.take()
            runs = []
            entry = worlds.declared_entries(0)[0]
            for _ in range(REPEATS):
                _sdk(alice, "cr", "DeleteInstanceEndpointAclPolicy", instance_id=worlds.instance_id(0),
                     endpoint_type="internet", entry=entry)
                (event,) = cloud.trail.take("DeleteInstanceEndpointAclPolicy")
                cloud.trail.take()
                runs.append(_invoke(fn, cloud, timer, event))
    return runs


def _keeper_runs(state: Path) -> list[tuple[Counter[str], float, float, Any]]:
    """The keeper's hand-deleted route events on a copy of ``state``."""
    with running_cloud(worlds.keeper_world(2)) as cloud, scratch_dir() as tmp, ServerTimer(cloud) as timer:
        _copy_state(state, tmp / "state.db")
        config = worlds.keeper_config(cloud, str(tmp / "state.db"), 2)
        root = _factory(cloud=cloud)
        eni = f"{worlds.eni(0)}/32"
        with warm("endpoint_keeper", config, tmp) as fn:
            fn.timer()
            cloud.trail.take()
            runs = []
            for _ in range(REPEATS):
                runs.append(_invoke(fn, cloud, timer, _delete_route_by_hand(cloud, root, eni)))
    return runs


SCENARIOS: dict[str, Callable[[], list[Figure]]] = {
    "whitelist": whitelist_event, "auditor": auditor_events, "keeper": keeper_events,
}


def run(quick: bool = False) -> list[Figure]:
    """Every event-path figure: each event alone, then each with a big audit's state present."""
    figures: list[Figure] = []
    for scenario in SCENARIOS.values():
        figures += scenario()
    return figures + scale_events(quick)
