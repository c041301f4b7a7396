"""The invocation's result and its "done" log line tell what pacing cost: calls, waits, throttled answers."""

from __future__ import annotations

import json

from tests.cli.helpers import run, whitelist_data, write

TIMER = {"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
         "payload": json.dumps({"job": "whitelist_guard"})}


def _result(output: str) -> dict:
    return json.loads(output[output.index("{\n"):])


def test_the_result_counts_the_paced_calls_and_a_throttled_answer(cloud, tmp_path):
    """Every OpenAPI call of the sweep is counted; one Throttling.User answer is counted and retried."""
    config = write(tmp_path / "acrguard.yaml", whitelist_data(cloud, state=str(tmp_path / "state.db")))
    event = tmp_path / "timer.json"
    event.write_text(json.dumps(TIMER), encoding="utf-8")
    cloud.inject(product="cr", action="GetInstanceEndpoint", code="Throttling.User", status=400, times=1)
    since = cloud.requests.last_seq()

    outcome = run("invoke", "whitelist_guard", "--event", event, "--config", config)

    result = _result(outcome.stdout)
    assert result["events"][0]["status"] == "done", outcome.output
    flow = result["flow_control"]
    made = [r for r in cloud.requests.all() if r.seq > since and r.product != "oss"]
    assert flow["calls"] == len(made) > 0
    assert flow["throttled"] == 1
    done = [json.loads(line) for line in outcome.stdout.splitlines()
            if line.startswith("{") and '"decision": "done"' in line]
    assert done and done[-1]["flow_control"] == flow, outcome.stdout
