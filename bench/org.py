"""An organisation's sweep: fan-out on Function Compute against the same shards in sequence, calls and messages.

The whitelist guard runs in the local cloud's Function Compute from ``functions/whitelist_guard``
(the local cloud imports its ``index.py``), with its deployed role, over a generated Resource
Directory (``localcloud.worlds.generate.org_world``): 50 member accounts x 2 regions, one ACR
instance each, every fifth member's whitelists missing the declared entry. Each call to the local
cloud takes ``LATENCY_MS`` more, as a call to the real one would.

* **wall time**: from the timer's asynchronous invocation to the last shard's end, with the
  function's reserved concurrency ``FAN_OUT`` (the shards run side by side), and with concurrency 1
  (the same shards, FC running one at a time: in sequence);
* **calls per shard**: every API call of the shards (in the member accounts, and their
  ``AssumeRole``) over the single-account minimum (one ``GetInstanceEndpoint`` per instance and one
  write per entry added); the coordinator's calls (``ListAccounts`` pages, one ``InvokeFunction``
  per shard) are reported beside them;
* **alert messages per sweep** (to a generic webhook, which has no rate limit): the messages of
  the first sweep (the drift found and fixed) and of a later sweep with nothing new (its summary
  only), after the sweep that tells the fixed drift resolved (``alerts.group_interval_s`` after the
  first).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import Figure, running_cloud

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "deploy" / "policies"
GUARD = "acrguard-whitelist-guard"
HOOK = "acrguard-bench-org"
LATENCY_MS = 30
FAN_OUT = 16
REGIONS = ("cn-hangzhou", "cn-shanghai")


def _policy(name: str) -> dict[str, Any]:
    return {"name": name, "document": json.loads((POLICIES / f"{name}.json").read_text(encoding="utf-8"))}


def world(accounts: int, concurrency: int) -> dict[str, Any]:
    """The generated organisation with the guard deployed centrally at ``concurrency``."""
    from localcloud.worlds.generate import ORG_CENTRAL, org_world

    central = {GUARD: [_policy(GUARD), _policy(f"{GUARD}-state"), _policy("acrguard-organization")]}
    data = org_world(accounts, REGIONS, central_roles=central, trusted=(GUARD,),
                     member_policies=[_policy("acrguard-member")])
    data["chat"] = {"webhook": {HOOK: {}}}
    data["accounts"][ORG_CENTRAL]["regions"][REGIONS[0]]["fc"] = {"functions": [{
        "name": GUARD, "code_dir": str(REPO / "functions" / "whitelist_guard"), "timeout": 120,
        "role": f"acs:ram::{ORG_CENTRAL}:role/{GUARD}", "reserved_concurrency": concurrency,
        "async": {"maxAsyncRetryAttempts": 2}}]}
    return data


def write_config(cloud: Any, folder: Path, accounts: int, concurrency: int) -> None:
    """The guard's config (every member's instances, their account named) and the function's variables."""
    from localcloud.worlds.generate import ORG_CENTRAL, ORG_OFFICE, ORG_OTHER, org_instance, org_member

    endpoints = cloud.endpoints()
    instances = [{"name": name, "instance_id": instance_id, "region": region, "account": org_member(index),
                  "whitelist": {"policy": "enforce", "public_endpoint": "enabled",
                                "entries": [{"cidr": ORG_OFFICE, "comment": "office"}],
                                "allowed_unmanaged": [ORG_OTHER]}}
                 for index in range(accounts) for region_index, region in enumerate(REGIONS)
                 for instance_id, name in [org_instance(index, region_index)]]
    data = {"cloud": {"region": REGIONS[0], "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                      "protocol": "http", "read_timeout_ms": 10000},
            "organization": {"resource_directory": {}, "regions": list(REGIONS), "dispatch_workers": 8},
            "instances": instances, "safety": {"hold_runs": 1, "hold_hours": 0},
            "alerts": {"group_interval_s": 1, "repeat_interval_s": 3600, "max_messages_per_run": 100,
                       "channels": [{"name": "ops", "type": "webhook",
                                     "url": f"http://{endpoints['chat']}/webhook/{HOOK}"}]},
            "state": {"backend": "sqlite", "path": str(folder / "state.db")}}
    path = folder / "acrguard.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    function = cloud.backend("fc", ORG_CENTRAL, REGIONS[0]).function(GUARD)
    function.environment = {"ACRGUARD_CONFIG": str(path), "ACRGUARD_CONFIG_TTL": "0"}
    function.reserved_concurrency = concurrency


def sweep(cloud: Any, n: int) -> tuple[float, int]:
    """Fire the timer (as FC's timer trigger does: asynchronously) and wait for every shard: seconds, messages."""
    from localcloud.worlds.generate import ORG_CENTRAL

    backend = cloud.backend("fc", ORG_CENTRAL, REGIONS[0])
    before = len(cloud.chat.accepted("webhook"))
    payload = json.dumps({"triggerTime": f"2026-06-01T{n:02d}:00:00Z", "triggerName": "sweep",
                          "payload": json.dumps({"job": "whitelist_guard"})}).encode()
    began = time.perf_counter()
    backend.runner(GUARD).invoke_async(payload)
    if not backend.drain(900):
        raise RuntimeError("the organisation's sweep did not finish in 900 s")
    seconds = time.perf_counter() - began
    failed = [r for r in backend.runner(GUARD).records if r.status != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} invocation(s) failed: {failed[0].error}")
    return seconds, len(cloud.chat.accepted("webhook")) - before


def measure(accounts: int, concurrency: int) -> dict[str, Any]:
    """One organisation at ``concurrency``: the first sweep's time, calls and messages, a later sweep's messages."""
    from localcloud.worlds.generate import ORG_CENTRAL

    with tempfile.TemporaryDirectory(prefix="acrguard-bench-org-") as folder, \
            running_cloud(world(accounts, concurrency)) as cloud:
        write_config(cloud, Path(folder), accounts, concurrency)
        cloud.inject(latency_ms=LATENCY_MS)
        seconds, first_messages = sweep(cloud, 0)
        requests = cloud.requests.all()
        members = [r for r in requests if r.account_id != ORG_CENTRAL]
        assumes = sum(1 for r in requests if r.action == "AssumeRole")
        coordinator = {a: sum(1 for r in requests if r.action == a) for a in ("ListAccounts", "InvokeFunction")}
        writes = sum(1 for r in members if r.action in ("CreateInstanceEndpointAclPolicy",
                                                          "DeleteInstanceEndpointAclPolicy"))
        shards = coordinator["InvokeFunction"]
        time.sleep(1.1)  # past alerts.group_interval_s: the next sweep tells the fixed drift resolved
        sweep(cloud, 1)
        _, steady_messages = sweep(cloud, 2)
        return {"seconds": seconds, "shards": shards, "shard_calls": len(members) + assumes, "assumes": assumes,
                "minimum": accounts * len(REGIONS) + writes, "writes": writes, "coordinator": coordinator,
                "first_messages": first_messages, "steady_messages": steady_messages,
                "peak": cloud.backend("fc", ORG_CENTRAL, REGIONS[0]).runner(GUARD).peak_running}


def run(quick: bool = False) -> list[Figure]:
    """The organisation figures (``quick``: 10 accounts instead of 50)."""
    accounts = 10 if quick else 50
    label = f"{accounts} accounts x {len(REGIONS)} regions, {LATENCY_MS} ms a call"
    fanned = measure(accounts, FAN_OUT)
    serial = measure(accounts, 1)
    per_shard = fanned["shard_calls"] / fanned["shards"]
    minimum = fanned["minimum"] / fanned["shards"]
    return [
        Figure("org", f"sweep wall time, fan-out ({label})", round(fanned["seconds"], 2), unit="s",
               note=f"{fanned['shards']} shards as asynchronous invocations of the function, reserved concurrency "
                    f"{FAN_OUT} (at most {fanned['peak']} ran at once); from the timer's invocation to the last "
                    "shard's end, summary included"),
        Figure("org", f"sweep wall time, the same shards in sequence ({label})", round(serial["seconds"], 2),
               unit="s", note="the same sweep with the function's concurrency at 1: FC runs one shard at a time"),
        Figure("org", "fan-out speed-up (in sequence / fan-out)", round(serial["seconds"] / fanned["seconds"], 2),
               unit="x",
               note="here every shard runs on a thread of one process on a 2-core machine, so the speed-up stops "
                    "where the handlers' CPU fills both cores; FC runs each shard on an instance of its own, so in "
                    "the cloud it grows with the reserved concurrency until the APIs' rate limits"),
        Figure("org", f"calls per shard / single-account minimum ({label})", round(per_shard / minimum, 2),
               limit=2.05, unit="x",
               note=f"{fanned['shard_calls']} calls for {fanned['shards']} shards ({per_shard:.2f} a shard): one "
                    f"AssumeRole per shard ({fanned['assumes']}) on top of the minimum of one GetInstanceEndpoint "
                    f"per instance and one write per entry added ({fanned['minimum']}, of which {fanned['writes']} "
                    f"writes); the coordinator made {fanned['coordinator']['ListAccounts']} ListAccounts and "
                    f"{fanned['coordinator']['InvokeFunction']} InvokeFunction calls"),
        Figure("org", "alert messages, first sweep", fanned["first_messages"],
               note=f"the drift of every fifth member ({fanned['writes']} entries) found and fixed: each instance's "
                    "finding and the notice of its fix, and one run summary, to a generic webhook; a DingTalk robot "
                    "takes 20 a minute, so there the alert pipeline sends the rest in the runs after (paced, none "
                    "lost), the summary first"),
        Figure("org", "alert messages, a sweep with nothing new", fanned["steady_messages"], limit=1,
               note="the run summary only: shards do not alert by themselves, their findings go through one "
                    "alert run per sweep"),
    ]
