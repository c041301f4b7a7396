"""The local cloud's InvokeFunction: it runs the function's own code, queues Async invocations, retries and records.

The function here is a few lines written by the test (the local cloud imports a code directory's
``index.py`` as FC does); it signs nothing, so these tests are about FC's behaviour only.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from acrguard.clients import call
from acrguard.errors import CloudCallError
from acrguard.org.fanout import invoke_async
from support import ACCOUNT, REGION, base_world, make_factory

CODE = '''
import json, os, threading, time
LOCK = threading.Lock()
STATE = {"running": 0, "peak": 0, "init": 0, "calls": []}

def initialize(context):
    STATE["init"] += 1

def handler(event, context):
    data = json.loads(event)
    with LOCK:
        STATE["running"] += 1
        STATE["peak"] = max(STATE["peak"], STATE["running"])
        STATE["calls"].append(data)
    try:
        time.sleep(data.get("sleep", 0))
        if data.get("fail"):
            raise RuntimeError("asked to fail")
        return {"echo": data, "account": context.account_id, "region": context.region,
                "function": context.function.name, "has_credentials": context.credentials is not None,
                "env": os.environ.get("PROBE_VARIABLE")}
    finally:
        with LOCK:
            STATE["running"] -= 1
'''
FAILURES = f"acs:mns:{REGION}:{ACCOUNT}:/queues/failures/messages"


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    code = tmp_path / "probe"
    code.mkdir()
    (code / "index.py").write_text(CODE, encoding="utf-8")
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["fc"] = {"functions": [
        {"name": "probe", "code_dir": str(code), "environment": {"PROBE_VARIABLE": "set"}, "reserved_concurrency": 2,
         "async": {"maxAsyncRetryAttempts": 1, "destinationConfig": {"onFailure": {"destination": FAILURES}}}},
        {"name": "no-code"}]}
    return data


def backend(cloud: Any) -> Any:
    return cloud.backend("fc", ACCOUNT, REGION)


def module_state(cloud: Any) -> dict[str, Any]:
    return backend(cloud).runner("probe")._module.STATE


def test_an_async_invocation_is_accepted_at_once_and_run_from_the_code_directory(cloud, factory):
    """202 at once; the handler then runs with the event's bytes, an FC-shaped context and the function's variables."""
    invoke_async(factory, "probe", REGION, b'{"n": 1}')
    answer = [r for r in cloud.requests.all() if r.action == "InvokeFunction"][-1]
    assert answer.status == 202
    assert backend(cloud).drain(10)
    record = backend(cloud).runner("probe").records[0]
    assert record.status == "succeeded" and record.attempts == 1 and record.kind == "Async"
    assert record.result == {"echo": {"n": 1}, "account": ACCOUNT, "region": REGION, "function": "probe",
                             "has_credentials": False, "env": "set"}
    assert module_state(cloud)["init"] == 1  # the initializer, once per warm instance


def test_a_failing_async_invocation_is_retried_then_sent_to_the_failure_destination(cloud, factory):
    """maxAsyncRetryAttempts 1: two attempts, then one record for the onFailure destination."""
    invoke_async(factory, "probe", REGION, b'{"fail": true}')
    assert backend(cloud).drain(10)
    runner = backend(cloud).runner("probe")
    assert [r.attempts for r in runner.records] == [2]
    assert [(r.destination, r.error) for r in runner.failures] == [(FAILURES, "RuntimeError: asked to fail")]
    assert len(runner.records[0].attempt_errors) == 2


def test_reserved_concurrency_bounds_the_invocations_in_flight(cloud, factory):
    """Eight queued invocations of a function with reserved concurrency 2 never run more than two at once."""
    for n in range(8):
        invoke_async(factory, "probe", REGION, json.dumps({"n": n, "sleep": 0.05}).encode())
    assert backend(cloud).drain(20)
    assert module_state(cloud)["peak"] == 2 == backend(cloud).runner("probe").peak_running
    assert len(module_state(cloud)["calls"]) == 8


def test_a_sync_invocation_answers_with_the_handlers_result(cloud, factory):
    """Sync (the default) runs the handler and answers with what it returned."""
    from alibabacloud_fc20230330 import models
    from darabonba.runtime import RuntimeOptions

    body = call("fc", "InvokeFunction", factory.fc().invoke_function_with_options, "probe",
                models.InvokeFunctionRequest(body=io.BytesIO(b'{"s": 2}')), models.InvokeFunctionHeaders(),
                RuntimeOptions())
    assert json.loads(body.read())["echo"] == {"s": 2}


def test_an_unknown_invocation_type_and_a_function_without_code_are_refused(cloud, factory):
    """``x-fc-invocation-type`` is Sync or Async; a function the world gives no code cannot run."""
    from alibabacloud_fc20230330 import models
    from darabonba.runtime import RuntimeOptions

    with pytest.raises(CloudCallError) as caught:
        call("fc", "InvokeFunction", factory.fc().invoke_function_with_options, "probe",
             models.InvokeFunctionRequest(body=io.BytesIO(b"{}")),
             models.InvokeFunctionHeaders(x_fc_invocation_type="Later"), RuntimeOptions())
    assert caught.value.code == "InvalidArgument"
    with pytest.raises(CloudCallError) as caught:
        invoke_async(factory, "no-code", REGION, b"{}")
    assert caught.value.code == "FunctionNotRunnable"


def test_an_async_payload_over_128_kb_is_refused(cloud, factory):
    """FC's asynchronous payload limit is 128 KB."""
    with pytest.raises(CloudCallError) as caught:
        invoke_async(factory, "probe", REGION, b"{" + b" " * (128 * 1024) + b"}")
    assert caught.value.code == "InvalidArgument"


def test_invoking_needs_fc_invoke_function_on_the_function(cloud):
    """A RAM user without ``fc:InvokeFunction`` is refused (the authorization row's function ARN)."""
    key, secret = "LTAI5tNoInvoke0000001", "no-invoke-secret-0001"
    cloud.add_access_key(__import__("localcloud").AccessKey(id=key, secret=secret, account_id=ACCOUNT,
                                                            user_name="user-00"))
    with pytest.raises(CloudCallError) as caught:
        invoke_async(make_factory(cloud, key, secret), "probe", REGION, b"{}")
    assert caught.value.status == 403
    assert not backend(cloud).runner("probe").records
