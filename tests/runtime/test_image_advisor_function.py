"""The image advisor function end to end: FC-shaped invocations, ACR push events, the local cloud, DingTalk.

Someone pushes a 1.5 GiB image; the PushCompleted event (built in the shape of the fixture, with
this world's instance, repository and tag) reaches the function; one chat message gives the size
and the fix. The same tag pushed again, the same event delivered twice, and a small image send
nothing more. In enforce mode the function creates the repository's acceleration rule once. The
function runs as its deployed role, with its state in the documented bucket.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest

from support import ACCOUNT, INSTANCE_ID, INSTANCE_NAME, REGION
from tests.advisor.helpers import LARGE, SMALL, advisor_world, config_data
from tests.runtime.helpers import dingtalk_channel, function_world, oss_state, run_function, write_config

DING = "dingtokenadvisor00001"
FIXTURE = Path(__file__).resolve().parents[1] / "events" / "fixtures" / "cr_artifact_push_completed.json"
TIMER = json.dumps({"triggerTime": "2026-11-25T03:00:00Z", "triggerName": "daily-sweep",
                    "payload": json.dumps({"job": "image_advisor"})}).encode()


@pytest.fixture
def world():
    data = advisor_world()
    data["chat"] = {"dingtalk": {DING: {}}}
    return function_world(data)


def advisor_config(cloud, tmp_path, advisor: dict) -> Path:
    data = config_data(cloud, str(tmp_path / "state.db"), advisor)
    data["state"] = oss_state()
    data["alerts"] = {"channels": [dingtalk_channel(cloud, DING)]}
    return write_config(tmp_path, data)


def pushed(cloud, repository: str, tag: str, size: int) -> bytes:
    """Store the tag in the local cloud, and the PushCompleted event for it in the fixture's shape."""
    namespace, name = repository.split("/")
    backend = cloud.backend("cr", ACCOUNT, REGION)
    backend.push_image(INSTANCE_ID, namespace, name, tag, size)
    live = backend.instances[INSTANCE_ID].repository(namespace, name)
    event = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))
    event["id"] = str(uuid.uuid4())
    event["data"].update(InstanceId=INSTANCE_ID, InstanceName=INSTANCE_NAME, RepoId=live.id,
                         RepoNamespaceName=namespace, RepoName=name, Tag=tag, Digest=live.tag(tag).digest,
                         ImageSize=size)
    return json.dumps(event).encode()


def run(cloud, event: bytes, config_path: Path, request_id: str = "req-1"):
    return run_function(cloud, "image_advisor", event, config_path, request_id)


def messages(cloud) -> list:
    return cloud.chat.accepted("dingtalk")


def test_a_large_push_is_reported_once(cloud, tmp_path):
    """One message for a large push; a re-push of the tag, a duplicate delivery, another large tag of the same
    repository and a small push add none."""
    config = advisor_config(cloud, tmp_path, {})
    large = pushed(cloud, "apps/web", "v3", LARGE)

    first = run(cloud, large, config)

    assert first["status"] == "ok" and first["events"][0]["status"] == "done"
    assert first["events"][0]["alerts"]["new"] == 1
    sent = messages(cloud)
    assert len(sent) == 1
    assert "apps/web:v3" in sent[0].text and "1.5 GiB" in sent[0].text and "ACCELERATED_IMAGE" in sent[0].text

    assert run(cloud, large, config, "req-2")["events"][0]["status"] == "duplicate"
    again = run(cloud, pushed(cloud, "apps/web", "v3", LARGE), config, "req-3")
    assert again["events"][0]["status"] == "done" and again["events"][0]["alerts"]["new"] == 0
    other = run(cloud, pushed(cloud, "apps/web", "v5", LARGE + 1), config, "req-5")
    assert other["events"][0]["findings"] == 1 and other["events"][0]["alerts"]["new"] == 0
    small = run(cloud, pushed(cloud, "apps/web", "v4", SMALL), config, "req-4")
    assert small["events"][0]["findings"] == 0
    assert len(messages(cloud)) == 1


def test_enforce_creates_the_rule_once_and_says_so(cloud, tmp_path):
    """In enforce mode a large push creates one ACCELERATED_IMAGE rule and one message reports it."""
    config = advisor_config(cloud, tmp_path, {"policy": "enforce"})

    result = run(cloud, pushed(cloud, "apps/web", "v3", LARGE), config)
    run(cloud, pushed(cloud, "apps/web", "v5", LARGE), config, "req-2")

    assert result["events"][0]["changes"] and "CreateArtifactBuildRule" in result["events"][0]["changes"][0]
    assert cloud.requests.count("cr", "CreateArtifactBuildRule") == 1
    assert any("enabled on-demand loading for apps/web" in m.text for m in messages(cloud))


def test_the_daily_timer_sweeps_the_configured_repositories(cloud, tmp_path):
    """The timer runs the sweep: the large tag among the newest tags of apps/* is reported."""
    config = advisor_config(cloud, tmp_path, {"repositories": ["apps/*"]})
    result = run(cloud, TIMER, config)
    assert result["events"][0]["status"] == "done" and result["events"][0]["findings"] == 1
    assert cloud.requests.count("cr", "ListRepository") == 1
