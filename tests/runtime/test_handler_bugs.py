"""A bug in a job or in the alert pipeline fails the invocation without leaving its event claimed: FC's retry
(or the next invocation) runs the event again instead of being told it is "in progress" elsewhere."""

from __future__ import annotations

import json

import pytest

from acrguard.cli.exitcodes import ExitCode
from acrguard.events.dedup import processed
from acrguard.state.sqlite import SqliteStateStore
from tests.cli.helpers import run, whitelist_data, write

TIMER = {"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
         "payload": json.dumps({"job": "whitelist_guard"})}


def _claims(state) -> dict:
    store = SqliteStateStore(state)
    try:
        return processed(store)
    finally:
        store.close()


@pytest.mark.parametrize("where", ["job", "alerts"])
def test_a_bug_releases_the_claim_so_the_retry_runs_the_event(cloud, tmp_path, monkeypatch, where):
    """The invocation fails as an internal error; the event is neither claimed nor done; the next run does it."""
    from acrguard.alerts.pipeline import AlertPipeline
    from acrguard.jobs import load

    state = tmp_path / "state.db"
    config = write(tmp_path / "acrguard.yaml", whitelist_data(cloud, state=str(state)))
    event = tmp_path / "timer.json"
    event.write_text(json.dumps(TIMER), encoding="utf-8")

    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    if where == "job":
        monkeypatch.setattr(type(load("whitelist_guard")), "sweep", bug)
    else:
        monkeypatch.setattr(AlertPipeline, "process", bug)
    first = run("invoke", "whitelist_guard", "--event", event, "--config", config)
    assert first.exit_code == ExitCode.SOFTWARE, first.output
    assert _claims(state) == {}
    monkeypatch.undo()
    second = run("invoke", "whitelist_guard", "--event", event, "--config", config)
    assert second.exit_code in (ExitCode.OK, ExitCode.ATTENTION), second.output
    result = json.loads(second.stdout[second.stdout.index("{\n"):])
    assert result["events"][0]["status"] == "done"
