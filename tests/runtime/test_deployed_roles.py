"""The functions' tests would notice a policy that misses an action: each function runs as its deployed role.

For one representative action per function, the function's deployed policy is copied without that
action and attached to its role; a timer sweep then runs as that role against the local cloud's
RAM enforcement. The refusal must surface in chat as a finding that names the refused API, the
cloud's refusal and what to grant (for a job that cannot finish at all, the handler's own fix:
"grant the function's role the missing permission"). The same holds for the state policy: without
``oss:PutObject`` on its own state folder a function's invocation fails (so FC retries it) naming
the object it may not write.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from acrguard.errors import StateError
from localcloud import LocalCloud
from support import INSTANCE_ID, base_world, deploy_policy
from tests.advisor.helpers import advisor_world
from tests.advisor.helpers import config_data as advisor_config
from tests.routes.keeperworld import config_data as keeper_config
from tests.routes.keeperworld import keeper_world
from tests.runtime.helpers import (
    BUCKET,
    cloud_section,
    dingtalk_channel,
    function_world,
    oss_state,
    run_function,
    write_config,
)

DING = "dingtokenroles0000001"
#: the handler's fix for a job that failed on a refusal (``acrguard.runtime.handler._fix_for``)
HANDLER_FIX = "grant the function's role the missing permission (see deploy/policies/)"


def without(policy: str, action: str) -> dict[str, Any]:
    """The deployed document ``policy`` with ``action`` taken out of every statement (empty statements dropped)."""
    document = copy.deepcopy(deploy_policy(policy))
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != action]
    document["Statement"] = [s for s in document["Statement"] if s["Action"]]
    assert document != deploy_policy(policy), f"{policy} does not grant {action}"
    return document


def world_of(job: str) -> dict[str, Any]:
    """The job's test world with a DingTalk robot."""
    build = {"endpoint_keeper": lambda: keeper_world(delay=0), "image_advisor": advisor_world}.get(job, base_world)
    data = build()
    data["chat"] = {"dingtalk": {DING: {}}}
    return data


def config_of(job: str, cloud: LocalCloud, tmp_path: Path) -> Path:
    """The job's config: every sweep reaches the representative action; state in the bucket; DingTalk."""
    if job == "endpoint_keeper":
        data = keeper_config(cloud, str(tmp_path / "state.db"))
    elif job == "image_advisor":
        data = advisor_config(cloud, str(tmp_path / "state.db"), {"repositories": ["apps/*"]})
    else:
        data = {"cloud": cloud_section(cloud),
                "instances": [{"name": "test", "instance_id": INSTANCE_ID, "whitelist": {
                    "policy": "enforce", "public_endpoint": "enabled", "entries": [{"cidr": "198.51.100.0/24"}],
                    "allowed_unmanaged": ["203.0.113.0/24"]}}],
                "pull_keys": {"discover": True}}
    data["state"] = oss_state()
    data["alerts"] = {"channels": [dingtalk_channel(cloud, DING)]}
    return write_config(tmp_path, data)


def sweep(cloud: LocalCloud, job: str, path: Path) -> dict[str, Any]:
    """One timer invocation of ``job`` as its role."""
    timer = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
                        "payload": json.dumps({"job": job})}).encode()
    return run_function(cloud, job, timer, path)


#: (job, its policy, the action taken out, the API refused, the code the cloud refuses it with, the fix expected)
CASES = [
    ("endpoint_keeper", "acrguard-endpoint-keeper", "vpc:CreateRouteEntry", "CreateRouteEntry", "Forbidden.RAM",
     "RAM permissions"),
    ("whitelist_guard", "acrguard-whitelist-guard", "cr:CreateInstanceEndpointAclPolicy",
     "CreateInstanceEndpointAclPolicy", "Forbidden.RAM", "RAM permissions (cr:CreateInstanceEndpointAclPolicy)"),
    ("pullkey_auditor", "acrguard-pullkey-auditor", "ram:ListUsers", "ListUsers", "NoPermission", HANDLER_FIX),
    ("image_advisor", "acrguard-image-advisor", "cr:ListRepository", "ListRepository", "Forbidden.RAM", HANDLER_FIX),
]


@pytest.mark.parametrize(("job", "policy", "action", "api", "code", "fix"), CASES, ids=[c[0] for c in CASES])
def test_a_policy_missing_an_action_is_refused_and_reported(tmp_path, job, policy, action, api, code, fix):
    """Without one action its code needs, the function's sweep is refused and says what to grant."""
    world = function_world(world_of(job), documents={policy: without(policy, action)})
    with LocalCloud(world, seed=7) as cloud:
        result = sweep(cloud, job, config_of(job, cloud, tmp_path))

        assert result["status"] == "ok"  # reported, not retried: a refusal is permanent
        refused = {r.action for r in cloud.requests.filter(since=0) if r.status == 403}
        assert refused == {api}, f"{job} was refused {refused}, expected only {api}"
        reports = [m.text for m in cloud.chat.accepted("dingtalk") if api in m.text and code in m.text]
        assert reports, f"no chat message names the refused {api} ({code})"
        assert any(fix in text for text in reports), f"no report of {api} says {fix!r}: {reports}"


@pytest.mark.parametrize(("job", "policy", "action", "api", "code", "fix"), CASES, ids=[c[0] for c in CASES])
def test_the_deployed_policy_is_refused_nothing(tmp_path, job, policy, action, api, code, fix):
    """The same sweep with the deployed policy unchanged: nothing refused, no permission finding."""
    with LocalCloud(function_world(world_of(job)), seed=7) as cloud:
        result = sweep(cloud, job, config_of(job, cloud, tmp_path))

        assert result["status"] == "ok" and result["events"][0]["status"] == "done"
        assert [r.action for r in cloud.requests.filter(since=0) if r.status == 403] == []
        assert cloud.requests.count(action=api) >= 1, f"the sweep never calls {api}: the case proves nothing"


def test_a_state_policy_missing_its_write_fails_the_invocation_naming_the_object(tmp_path):
    """Without oss:PutObject on its own state folder the guard cannot record anything: the invocation fails (FC
    retries it) with a state error naming the object and the refusal; nothing else was refused."""
    policy = "acrguard-whitelist-guard-state"
    world = function_world(world_of("whitelist_guard"), documents={policy: without(policy, "oss:PutObject")})
    with LocalCloud(world, seed=7) as cloud, pytest.raises(StateError) as failure:
        sweep(cloud, "whitelist_guard", config_of("whitelist_guard", cloud, tmp_path))
    assert f"oss://{BUCKET}/state/acrguard-whitelist-guard/" in str(failure.value)
    assert "AccessDenied" in str(failure.value)
