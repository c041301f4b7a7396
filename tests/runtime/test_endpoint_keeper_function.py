"""The endpoint keeper function end to end: FC-shaped invocations, real-format events, the local cloud.

A timer sweep routes the registry on every target and tells DingTalk; the instance's VPC endpoint
then gets a new address, and the ActionTrail event of the (re-)link makes one invocation route it
at once and send the change notice; a duplicate delivery does nothing. Someone deleting one of
acrguard's routes by hand is undone by the event that deletion produces.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.routes.keeperworld import ALL_PREFIXES, ENI, VBR_TABLE, config_data, keeper_world, ours, vbr_routes, writes
from tests.runtime.helpers import dingtalk_channel, run_function, write_config

DING = "dingtokenkeeper000001"
NEW_ENI = "192.168.10.77"
TIMER = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "routes-sweep",
                    "payload": json.dumps({"job": "endpoint_keeper"})}).encode()
FIXTURE = Path(__file__).resolve().parents[1] / "events" / "fixtures" / "cr_vpc_endpoint_linked_vpc_create.json"


@pytest.fixture
def world():
    """Every target type, settling at once (the function waits in real time), and a DingTalk robot."""
    data = keeper_world(delay=0)
    data["chat"] = {"dingtalk": {DING: {}}}
    return data


@pytest.fixture
def config_path(cloud, tmp_path):
    def write(**options) -> Path:
        data = config_data(cloud, str(tmp_path / "state.db"), **options)
        data["alerts"] = {"group_interval_s": 1, "repeat_interval_s": 3600, "channels": [dingtalk_channel(cloud, DING)]}
        return write_config(tmp_path, data)

    return write


def run(event: bytes, config_path: Path, request_id: str = "req-1"):
    return run_function("endpoint_keeper", event, config_path, request_id)


def link_event() -> bytes:
    """The ActionTrail event of ``CreateInstanceVpcEndpointLinkedVpc`` on the test instance (a real-format record)."""
    event = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert event["data"]["requestParameters"]["InstanceId"] == INSTANCE_ID
    return json.dumps(event).encode()


def messages(cloud) -> list[str]:
    return [m.text for m in cloud.chat.accepted("dingtalk")]


def test_sweep_then_an_endpoint_change_event_routes_the_new_address_and_notifies(cloud, factory, config_path):
    """The timer converges every target; the link event adds the new /32 at once and DingTalk hears of it, once."""
    path = config_path()
    result = run(TIMER, path)
    assert result["status"] == "ok" and result["events"][0]["status"] == "done"
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    assert any("routes.changed" in text and ENI in text for text in messages(cloud))
    sent = len(messages(cloud))

    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = NEW_ENI
    cloud.dns.set(f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com", [NEW_ENI])
    time.sleep(1.1)  # alerts.group_interval_s: the notices of one group are at most one message a second
    outcome = run(link_event(), path, "req-2")

    assert outcome["events"][0]["status"] == "done"
    assert {f"{NEW_ENI}/32", f"{ENI}/32"} <= ours(vbr_routes(factory))  # the old one is held (default hold)
    new = messages(cloud)[sent:]
    assert len(new) == 1 and NEW_ENI in new[0] and "routes.changed" in new[0]
    assert "renegotiates the IPsec tunnel" in new[0]

    again = run(link_event(), path, "req-3")
    assert again["events"][0]["status"] == "duplicate"
    assert len(messages(cloud)) == sent + 1


def test_a_hand_deleted_route_is_restored_by_its_event(cloud, factory, config_path):
    """Deleting one of acrguard's VBR routes produces a vpc event; its invocation re-creates the route."""
    path = config_path()
    run(TIMER, path)
    cloud.trail.take()
    entries = call("vpc", "DescribeRouteEntryList", factory.vpc().describe_route_entry_list,
                   vpc_models.DescribeRouteEntryListRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                                            destination_cidr_block=f"{ENI}/32"))
    entry_id = entries.route_entrys.route_entry[0].route_entry_id
    call("vpc", "DeleteRouteEntry", factory.vpc().delete_route_entry,
         vpc_models.DeleteRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE, route_entry_id=entry_id))
    assert f"{ENI}/32" not in vbr_routes(factory)
    [deletion] = cloud.trail.take("DeleteRouteEntry")

    outcome = run(json.dumps(deletion).encode(), path, "req-2")

    assert outcome["events"][0]["status"] == "done"
    assert ours(vbr_routes(factory)) == ALL_PREFIXES


def test_dry_run_is_honoured_by_the_function(cloud, config_path):
    """With ``dry_run: true`` a timer sweep plans and reports, and no write call reaches the cloud."""
    result = run(TIMER, config_path(dry_run=True))
    assert result["events"][0]["status"] == "done" and result["events"][0]["changes"] == []
    assert writes(cloud) == []


def test_transient_failure_without_changes_raises_so_fc_retries(cloud, config_path):
    """Every target read throttled: nothing changed, so the invocation fails and FC retries it."""
    from acrguard.errors import TransientCloudError

    for action in ("DescribeRouteEntryList", "DescribeRouteServicesInCen", "ListTransitRouterRouteEntries",
                   "DescribeVpnConnection"):
        cloud.inject(action=action, code="Throttling.User")
    with pytest.raises(TransientCloudError):
        run(TIMER, config_path())
    cloud.faults.clear()
    assert run(TIMER, config_path(), "req-2")["events"][0]["status"] == "done"


def test_the_echo_of_its_own_route_writes_costs_no_recheck(cloud, config_path):
    """The event of a CreateRouteEntry carrying acrguard's marker is done without reading the instance again."""
    path = config_path()
    run(TIMER, path)
    own = cloud.trail.take("CreateRouteEntry")[0]
    assert own["data"]["requestParameters"]["RouteEntryName"].startswith("acrguard:")
    mark = cloud.requests.last_seq()
    outcome = run(json.dumps(own).encode(), path, "req-2")
    assert outcome["events"][0]["status"] == "done"
    assert cloud.requests.count(product="cr", since=mark) == 0


def test_unusable_state_is_reported_once_and_nothing_is_written(cloud, config_path, tmp_path):
    """A malformed routes section in the state skips the instance with a finding in chat, not a crash."""
    from acrguard.state.sqlite import SqliteStateStore

    path = config_path()
    store = SqliteStateStore(tmp_path / "state.db")
    store.update(lambda document: document.update(routes={"owned": {INSTANCE_ID: "not a ledger"}}))
    store.close()
    outcome = run(TIMER, path)
    assert outcome["events"][0]["status"] == "done"
    assert writes(cloud) == []
    assert any("routes.state-unreadable" in text for text in messages(cloud))


def test_routes_cut_short_are_told_then_the_invocation_fails_so_fc_retries(cloud, factory, config_path):
    """The second route write throttled past the SDK's retries: the first attempt tells the route it made and
    fails; FC's retry routes the rest, and the first route's notice is not sent again."""
    from acrguard.errors import TransientCloudError

    path = config_path()
    cloud.inject(action="CreateRouteEntry", code="Throttling.User", after=1, times=10)
    with pytest.raises(TransientCloudError):
        run(TIMER, path)
    [made] = ours(vbr_routes(factory))
    first = messages(cloud)
    assert any("routes.changed" in text and f"+ {made}" in text for text in first)

    cloud.faults.clear()
    assert run(TIMER, path, "req-2")["events"][0]["status"] == "done"
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    later = messages(cloud)[len(first):]
    assert any("routes.changed" in text for text in later)
    assert not any(f"+ {made}" in text for text in later)
