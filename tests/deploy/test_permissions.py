"""Each function's permission table agrees with the code it can run and with the policy its role ships with.

The code side is read statically (``acrguard.deploy.callsites``): every ``call(product, api, …)`` /
``call_oss(api, …)`` in acrguard, and the symbols each function can reach from its entry file and
job module. The policy side is evaluated with acrguard's own policy engine (``acrguard.policy``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.deploy import permissions as perms
from acrguard.deploy.callsites import MODULE, CallSite, for_functions, function_roots
from acrguard.functions import FUNCTIONS
from acrguard.policy.evaluate import AttachedPolicy, Decision, evaluate

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "deploy" / "policies"
JOBS = sorted(FUNCTIONS)
INDEX = for_functions(REPO, JOBS)
SITES, UNRESOLVED = INDEX.call_sites()
REACHABLE = {job: INDEX.reachable(function_roots(INDEX, job)) for job in JOBS}
#: values for rendering an example resource of each kind
EXAMPLE = {"region": "cn-hangzhou", "account": "1234567890123456", "instance_id": "cri-example0000001",
           "namespace": "team", "repository": "app", "route_table_id": "vtb-example",
           "vpn_connection_id": "vco-example", "cen_id": "cen-example", "user": "ack-puller", "group": "pullers",
           "policy": "acr-pull", "entry_id": "rte-example", "cluster_id": "c0123456789abcdef0123456789abcdef",
           "bucket": "acrguard-example", "key": "acrguard.json"}


def example(job: str) -> dict[str, str]:
    """``EXAMPLE`` for ``job``: its state folder is named after its function."""
    return {**EXAMPLE, "function": perms.state_folder(job)}


def reachable_sites(job: str) -> list[CallSite]:
    return [site for site in SITES if (site.module, site.symbol) in REACHABLE[job]]


def covers(row: perms.Permission, site: CallSite) -> bool:
    return row.product == site.product and row.api == site.api and (not row.modules or site.module in row.modules)


def policy_evaluation(job: str):
    return evaluate([AttachedPolicy.of(name, (POLICIES / name).read_text(encoding="utf-8"))
                     for name in perms.POLICY_FILES[job]])


def test_every_cloud_call_names_its_product_and_api_statically():
    """No call()/call_oss() hides its API behind an expression the scanner cannot read."""
    assert SITES, "the scanner found no call site at all"
    assert UNRESOLVED == []


def test_the_scanner_sees_the_calls_the_brief_is_about():
    """Known call sites through a dict of APIs and through a wrapper are found, at their callers."""
    found = {(s.product, s.api, s.module) for s in SITES}
    assert ("cr", "UpdateInstanceEndpointStatus", "acrguard.whitelist.apply") in found  # ACTIONS[op.kind]
    assert ("ram", "ListEntitiesForPolicy", "acrguard.pullkeys.ramapi") in found  # self._call("…")
    assert ("oss", "GetObject", "acrguard.runtime.settings") in found  # call_oss


def test_function_reachability_starts_where_fc_starts():
    """Each function's job module is the one acrguard.jobs.load imports by name; no other dynamic import is reached."""
    from acrguard import jobs

    for job in JOBS:
        assert jobs._MODULES[job] == f"acrguard.jobs.{job}"
        dynamic = {(d.module, d.symbol) for d in INDEX.dynamic_imports() if (d.module, d.symbol) in REACHABLE[job]}
        # jobs.load (the job module, a root of its own) and ClientFactory.client (SDK modules only)
        assert dynamic <= {("acrguard.jobs", "load"), ("acrguard.clients", "ClientFactory")}, dynamic


def test_functions_do_not_reach_each_others_writes():
    """Reachability is by symbol, not module: the keeper borrows a formatter from the guard, not its ACL writes."""
    keeper = {(s.product, s.api) for s in reachable_sites("endpoint_keeper")}
    assert ("acrguard.whitelist.guard", "finding_dict") in REACHABLE["endpoint_keeper"]
    assert ("cr", "CreateInstanceEndpointAclPolicy") not in keeper
    assert ("acrguard.whitelist.guard", MODULE) in REACHABLE["endpoint_keeper"]


def test_every_call_site_belongs_to_a_function_or_to_the_tools():
    """A cloud call no function reaches is in the CLI, the demo or deploy check, which run outside FC."""
    reached = {(s.module, s.symbol) for job in JOBS for s in reachable_sites(job)}
    stray = [s.where for s in SITES if (s.module, s.symbol) not in reached
             and not s.module.startswith(perms.NOT_DEPLOYED)]
    assert stray == []


@pytest.mark.parametrize("job", JOBS)
def test_every_reachable_api_is_in_the_functions_table(job):
    """A function's table lists every API its code can call (with the module, where the resource depends on it)."""
    missing = sorted({f"{s.product}:{s.api} at {s.where}" for s in reachable_sites(job)
                      if not any(covers(row, s) for row in perms.PERMISSIONS[job] + perms.ORGANIZATION)})
    assert missing == [], f"{job} can call APIs its table (acrguard.deploy.permissions) does not list"


@pytest.mark.parametrize("job", JOBS)
def test_no_row_of_a_table_is_stale(job):
    """Every row of a function's table is reached by at least one call site (no grant for nothing)."""
    sites = reachable_sites(job)
    stale = [f"{row.product}:{row.api} ({row.resource.name})" for row in perms.PERMISSIONS[job]
             if not any(covers(row, s) for s in sites)]
    assert stale == []


@pytest.mark.parametrize("job", JOBS)
def test_the_deploy_policy_allows_every_action_of_the_table(job):
    """The function's policies allow each action of its table on an example resource of the row's kind (and of each
    other form RAM may authorize the call on)."""
    evaluation = policy_evaluation(job)
    assert not evaluation.unreadable
    refused = []
    for row in perms.PERMISSIONS[job]:
        for kind in (row.resource, *row.also):
            resource = kind.render(**example(job))
            for action in row.actions:
                decision = evaluation.decide(action, resource)
                if decision is not Decision.ALLOWED:
                    refused.append(f"{action} on {resource} ({row.product}:{row.api}): {decision.value}")
    assert refused == [], f"deploy/policies for {job} ({', '.join(perms.POLICY_FILES[job])}) do not allow"


@pytest.mark.parametrize("job", JOBS)
def test_the_deploy_policy_grants_nothing_beyond_the_table(job):
    """Least privilege: every action a function's own policy lists is one its table needs; no wildcards."""
    wanted = {a.lower() for a in perms.actions(job)}
    document = json.loads((POLICIES / perms.POLICY_FILES[job][0]).read_text(encoding="utf-8"))
    granted = {a for st in document["Statement"] if st["Effect"] == "Allow"
               for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert not any("*" in a for a in granted), granted
    assert sorted(a for a in granted if a.lower() not in wanted) == []


@pytest.mark.parametrize("job", JOBS)
def test_the_state_policy_is_exactly_the_state_rows(job):
    """A function's state policy grants what the state store and config rows need, and nothing more."""
    wanted = {a for row in perms.STATE for a in row.actions}
    document = json.loads((POLICIES / perms.POLICY_FILES[job][1]).read_text(encoding="utf-8"))
    granted = {a for st in document["Statement"] for a in st["Action"]}
    assert granted == wanted


@pytest.mark.parametrize("job", JOBS)
def test_a_function_writes_only_its_own_state_folder(job):
    """A function's policies let it write and read its own state folder only; the shared document is read-only."""
    evaluation = policy_evaluation(job)
    own = perms.OSS_STATE.render(**example(job))
    shared = perms.OSS_SHARED_STATE.render(**example(job))
    for action in ("oss:PutObject", "oss:DeleteObject", "oss:GetObject"):
        assert evaluation.decide(action, own) is Decision.ALLOWED, (action, own)
    for other in JOBS:
        if other != job:
            theirs = perms.OSS_STATE.render(**example(other))
            for action in ("oss:PutObject", "oss:DeleteObject", "oss:GetObject"):
                assert evaluation.decide(action, theirs) is Decision.NOT_ALLOWED, (action, theirs)
    assert evaluation.decide("oss:GetObject", shared) is Decision.ALLOWED
    assert evaluation.decide("oss:PutObject", shared) is Decision.NOT_ALLOWED
    assert evaluation.decide("oss:DeleteObject", shared) is Decision.NOT_ALLOWED


def test_the_auditor_cannot_write_the_keepers_ledger():
    """The pull-key auditor's role cannot write the endpoint keeper's state (its VPN ownership ledger)."""
    keeper = perms.OSS_STATE.render(**example("endpoint_keeper"))
    assert policy_evaluation("pullkey_auditor").decide("oss:PutObject", keeper) is Decision.NOT_ALLOWED


def test_every_function_has_a_table_and_policies():
    """The tables cover exactly the deployed functions, and each names policy files that exist."""
    assert set(perms.PERMISSIONS) == set(FUNCTIONS)
    for job, files in perms.POLICY_FILES.items():
        assert files == (f"{FUNCTIONS[job].fc_name}.json", f"{FUNCTIONS[job].fc_name}-state.json")
        assert perms.state_folder(job) == FUNCTIONS[job].fc_name
        assert all((POLICIES / name).is_file() for name in files)


def test_a_policy_missing_an_action_is_caught():
    """Dropping one action from a policy document makes the evaluation refuse it (the check can fail)."""
    document = json.loads((POLICIES / "acrguard-whitelist-guard.json").read_text(encoding="utf-8"))
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "cr:UpdateInstanceEndpointStatus"]
    evaluation = evaluate([AttachedPolicy.of("guard", json.dumps(document))])
    resource = perms.CR_INSTANCE.render(**EXAMPLE)
    assert evaluation.decide("cr:UpdateInstanceEndpointStatus", resource) is Decision.NOT_ALLOWED
    assert evaluation.decide("cr:GetInstanceEndpoint", resource) is Decision.ALLOWED
