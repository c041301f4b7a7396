"""Secrets never leave acrguard: not in a log line, an alert, an export, an exception or the state.

Every function runs end to end with known secret values: the AccessKey secret in the config (of a
RAM user holding exactly the function's deployed policies), or the STS secret and token of the
function's role in the FC context, the DingTalk webhook token and signing secret, and a
``customAccessKeySecret`` in the cluster's ConfigMap. Each run goes through its normal path, then
through failures that carry text around: every API call dropped (the exception FC logs), and a
robot that answers with an error echoing its URL. Everything a person or a log store could see
is then searched for the secrets: stdout (the decision logs), every log record at DEBUG, the
bodies of the chat messages, the export files, the exception and its traceback, the state
document. AccessKey ids may appear only masked in acrguard's own output.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from acrguard.errors import StateError, TransientCloudError
from acrguard.functions import function
from support import ACCOUNT, INSTANCE_ID, REGION, ROOT_KEY, fc_credentials, function_policies, make_factory, ram_section
from tests.pullkeys.pullworld import KEYS
from tests.resilience.auditworld import CONFIGMAP_SECRET, audit_config, audit_world
from tests.resilience.auditworld import DING as AUDIT_DING
from tests.resilience.harness import Functions, timer
from tests.resilience.keeperworld import DING as KEEPER_DING
from tests.resilience.keeperworld import move_endpoint, routes_config, routes_world
from tests.resilience.whitelistworld import DING as WHITELIST_DING
from tests.resilience.whitelistworld import whitelist_config, whitelist_world

AK_SECRET = "AkSecretNeverShownInAnyLog0001"
#: the RAM user whose AccessKey the "config-key" variant puts in the config (secret ``AK_SECRET``)
USER, USER_KEY = "acrguard-runner", "LTAI5tFunctionRunner001"
SIGNING_SECRET = "SECdingSigningSecretNeverShown0001"
JOBS = ("whitelist_guard", "pullkey_auditor", "endpoint_keeper")
TOKENS = {"whitelist_guard": WHITELIST_DING, "pullkey_auditor": AUDIT_DING, "endpoint_keeper": KEEPER_DING}


def with_secret_keys(data: dict[str, Any], job: str) -> dict[str, Any]:
    """The world with the root AccessKey's secret set to ``AK_SECRET`` (the test's own set-up signs with it), and
    the RAM user ``USER`` with exactly ``job``'s deployed policies and an AccessKey whose secret is ``AK_SECRET``."""
    for key in data["accounts"][ACCOUNT]["access_keys"]:
        if key["id"] == ROOT_KEY:
            key["secret"] = AK_SECRET
    policies = [{"name": name, "type": "Custom"} for name in function_policies(function(job).fc_name)]
    ram_section(data).setdefault("users", []).append(
        {"name": USER, "policies": policies, "access_keys": [{"id": USER_KEY, "secret": AK_SECRET}]})
    return data


@pytest.fixture(params=JOBS)
def job(request) -> str:
    """The function under test."""
    return request.param


@pytest.fixture(params=["config-key", "sts"])
def credentials(request) -> str:
    """Where the function's credentials come from: the config file (``USER``'s key), or its role's STS token in the FC
    context."""
    return request.param


@pytest.fixture
def world(job):
    """The job's world, its robot signing with ``SIGNING_SECRET``, the root key's secret ``AK_SECRET``."""
    build = {"whitelist_guard": whitelist_world, "pullkey_auditor": audit_world,
             "endpoint_keeper": routes_world}[job]
    return with_secret_keys(build(secret=SIGNING_SECRET), job)


def job_config(job: str, cloud: Any, tmp_path: Path, credentials: str) -> Path:
    """The job's config: the key and secret in the file, or no credentials (the FC context's are used)."""
    options = {"cloud_options": {"key": USER_KEY, "secret": AK_SECRET, "credentials": credentials == "config-key"},
               "secret": SIGNING_SECRET}
    if job == "whitelist_guard":
        return whitelist_config(cloud, tmp_path, **options)
    if job == "pullkey_auditor":
        return audit_config(cloud, tmp_path, **options)
    exports = [{"format": "linux", "destination": str(tmp_path / "exports" / "routes.sh"), "next_hop": "10.0.0.1"},
               {"format": "hosts", "destination": str(tmp_path / "exports" / "hosts")}]
    return routes_config(cloud, tmp_path, exports=exports, **options)


def provoke_a_message(cloud: Any, job: str) -> None:
    """Change the world so the next run has a new group of findings to tell at once."""
    if job == "whitelist_guard":
        from localcloud.products.cr import AclEntry

        instance = cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
        instance.acl.append(AclEntry("10.0.0.0/8", "too broad"))  # a new rule: whitelist.too-broad
    elif job == "pullkey_auditor":
        from alibabacloud_ram20150501 import models as ram_models

        from acrguard.clients import call

        factory = make_factory(cloud, secret=AK_SECRET)
        call("ram", "AttachPolicyToUser", factory.ram().attach_policy_to_user, ram_models.AttachPolicyToUserRequest(
            policy_name="AliyunContainerRegistryFullAccess", policy_type="System", user_name="ack-puller"))
    else:
        move_endpoint(cloud, "192.168.10.99")


def test_no_secret_reaches_logs_alerts_exports_errors_or_state(cloud, tmp_path, job, credentials, capsys, caplog):
    """A normal run, a run with every call dropped and a robot echoing its URL leak no secret anywhere."""
    caplog.set_level(logging.DEBUG)
    sts = fc_credentials(cloud, job)  # what FC hands the function's handler
    secrets = [AK_SECRET, SIGNING_SECRET, TOKENS[job], CONFIGMAP_SECRET, sts.access_key_secret, sts.security_token]
    context_credentials = SimpleNamespace(access_key_id=sts.access_key_id, access_key_secret=sts.access_key_secret,
                                          security_token=sts.security_token)
    functions = Functions(cloud, job_config(job, cloud, tmp_path, credentials), as_role=False,
                          credentials=context_credentials if credentials == "sts" else None)
    assert functions.deliver(job, timer(job, 0)).status == "done"

    cloud.inject(drop=True)  # every API call: the invocation fails, FC logs the exception
    errors: list[str] = []
    try:
        functions.invoke(job, timer(job, 1))
    except (TransientCloudError, StateError) as exc:
        errors.append("".join(traceback.format_exception(exc)) + repr(exc))
    cloud.faults.clear()

    provoke_a_message(cloud, job)
    echo = f"upstream failed for access_token={TOKENS[job]} secret {SIGNING_SECRET} {AK_SECRET}"
    cloud.chat.fail("dingtalk", status=503, body=echo, times=1)
    assert functions.deliver(job, timer(job, 2)).status == "done"

    seen = {"stdout/stderr": "".join(capsys.readouterr()), "log records": caplog.text,
            "exceptions": "\n".join(errors),
            "chat bodies": "\n".join(m.raw.decode("utf-8", errors="replace") for m in cloud.chat.messages()),
            "state": (tmp_path / "state.db").read_bytes().decode("utf-8", errors="replace"),
            "exports": "\n".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "exports").glob("*")))
            if (tmp_path / "exports").exists() else ""}
    assert seen["stdout/stderr"] and errors, "the normal and the failing paths both ran"
    assert any(m.status == 503 for m in cloud.chat.messages()) and cloud.chat.accepted(), "the robot failed, then took"
    assert all(m.query.get("sign") for m in cloud.chat.messages()), "every message was signed with the secret"
    leaks = {where: [s for s in secrets if s in text] for where, text in seen.items()}
    assert not any(leaks.values()), f"secrets leaked: {leaks}"
    # AccessKey ids are not secrets, but acrguard shows them masked; third-party DEBUG lines (the
    # SDK's request URLs) are not acrguard's output and FC keeps them off at its INFO level.
    full_ids = [ROOT_KEY, USER_KEY, sts.access_key_id, *KEYS.values()]
    ours = {**seen, "log records": "\n".join(r.getMessage() for r in caplog.records
                                              if r.name.startswith(("acrguard", "fc.")))}
    unmasked = {where: [k for k in full_ids if k in text] for where, text in ours.items()}
    assert not any(unmasked.values()), f"AccessKey ids shown in full: {unmasked}"
