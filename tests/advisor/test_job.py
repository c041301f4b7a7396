"""The advisor as a job: routed push events and timer sweeps, as the runtime calls it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from acrguard.events import decode_events, route
from acrguard.jobs import JobContext, load
from acrguard.runtime.logs import DecisionLog
from acrguard.state.sqlite import SqliteStateStore
from support import INSTANCE_ID, make_factory
from tests.advisor.helpers import LARGE, push

JOB = load("image_advisor")
FIXTURES = Path(__file__).resolve().parents[1] / "events" / "fixtures"


def context(cloud, config, tmp_path) -> JobContext:
    return JobContext(config=config, factory=make_factory(cloud), store=SqliteStateStore(tmp_path / "s.db"),
                      log=DecisionLog(stream=io.StringIO()), dry_run=config.dry_run)


def test_a_routed_push_is_checked_with_the_tag_from_the_event(cloud, make_config, tmp_path):
    """The job reads instance, repository and tag from the routed event and reports the large image."""
    event = push(cloud, "apps/api", "2024.05", LARGE)
    routed = route(decode_events(json.dumps(event).encode())[0])
    result = JOB.handle(context(cloud, make_config(), tmp_path), routed, None)
    assert [f.resource for f in result.findings] == [f"{INSTANCE_ID}/apps/api"]
    assert result.scopes == {f"{INSTANCE_ID}/apps/api"}
    assert result.summary["outcomes"] == {"advise": 1} and result.summary["checked"][0]["tag"] == "2024.05"


def test_a_sparse_push_event_is_checked_too(cloud, make_config, tmp_path):
    """The sparse fixture shape (other key names, no digest or size) still names what to check."""
    push(cloud, "apps/worker", "latest", LARGE)
    raw = (FIXTURES / "cr_artifact_push_completed_sparse.json").read_bytes()
    routed = route(decode_events(raw)[0])
    result = JOB.handle(context(cloud, make_config(), tmp_path), routed, None)
    assert [f.evidence["tag"] for f in result.findings] == ["latest"]


def test_the_sweep_reports_changes_for_the_runtime(cloud, make_config, tmp_path):
    """A sweep in enforce mode lists the rules it created as changes."""
    config = make_config({"policy": "enforce", "repositories": ["apps/web"]})
    result = JOB.sweep(context(cloud, config, tmp_path))
    assert len(result.changes) == 1 and result.changes[0].startswith(f"{INSTANCE_ID}/apps/web: CreateArtifactBuildRule")
