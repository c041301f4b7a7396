"""Ctrl-C: the command stops at once with 130, and an interrupted invocation leaves no claim behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from acrguard.cli.exitcodes import ExitCode
from acrguard.events.dedup import processed
from acrguard.state.sqlite import SqliteStateStore
from tests.cli.helpers import routes_data, run, whitelist_data, write
from tests.routes.keeperworld import keeper_world, writes

TIMER = {"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
         "payload": json.dumps({"job": "whitelist_guard"})}


@pytest.fixture
def world():
    return keeper_world(delay=0)


def test_sigint_stops_routes_apply_at_once_with_130(cloud, tmp_path):
    """A SIGINT while route tables are slow to answer ends ``routes apply`` within a second, not after the reads."""
    config = write(tmp_path / "acrguard.yaml", routes_data(cloud, state=str(tmp_path / "state.db")))
    slow = cloud.inject(action="DescribeRouteEntryList", latency_ms=8000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_ACCESS")}
    # a shell's background job starts with SIGINT ignored, and Python keeps it so: give the command the default
    proc = subprocess.Popen([sys.executable, "-m", "acrguard", "routes", "apply", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 30
        while slow.matched == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        if slow.matched == 0:
            ended = proc.poll()
            pytest.fail(f"the sweep never reached the slow read (exit {ended}): "
                        f"{proc.communicate(timeout=5)[1][-3000:] if ended is not None else 'still running'}")
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert elapsed < 3.0, f"took {elapsed:.1f} s to stop"
    assert "interrupted: writes in flight may or may not have happened" in err
    assert writes(cloud) == []


def test_an_interrupted_invoke_releases_its_claim(cloud, tmp_path, monkeypatch):
    """Ctrl-C inside the job exits 130 and forgets the event's claim: the next invocation handles it at once."""
    from acrguard.jobs import load

    state = tmp_path / "state.db"
    config = write(tmp_path / "acrguard.yaml", whitelist_data(cloud, state=str(state)))
    event = tmp_path / "timer.json"
    event.write_text(json.dumps(TIMER), encoding="utf-8")

    def interrupted(self, ctx):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(load("whitelist_guard")), "sweep", interrupted)
    first = run("invoke", "whitelist_guard", "--event", event, "--config", config)
    assert first.exit_code == ExitCode.INTERRUPTED, first.output
    store = SqliteStateStore(state)
    try:
        assert processed(store) == {}
    finally:
        store.close()
    monkeypatch.undo()
    second = run("invoke", "whitelist_guard", "--event", event, "--config", config)
    assert second.exit_code == ExitCode.OK, second.output
    result = json.loads(second.stdout[second.stdout.index("{\n"):])
    assert result["status"] == "ok" and result["events"][0]["status"] == "done"
