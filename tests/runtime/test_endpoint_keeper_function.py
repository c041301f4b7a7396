"""The endpoint keeper function end to end: FC-shaped invocations, real-format events, the local cloud.

A timer sweep routes the registry on every target and tells DingTalk; the instance's VPC endpoint
then gets a new address, and the ActionTrail event of the (re-)link makes one invocation route it
at once and send the change notice; a duplicate delivery does nothing. Someone deleting one of
acrguard's routes by hand is undone by the event that deletion produces. The function runs as its
deployed role, with its state and its IDC exports in the documented bucket.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call
from support import ACCOUNT, INSTANCE_ID, REGION
from tests.routes.keeperworld import (
    ALL_PREFIXES,
    AUTH_HOST,
    AUTH_IPS,
    ENI,
    SERVICE_PREFIXES,
    VBR_TABLE,
    cen_services,
    config_data,
    keeper_world,
    local_subnet,
    ours,
    tr_routes,
    vbr_routes,
    writes,
)
from tests.runtime.helpers import BUCKET, dingtalk_channel, function_world, oss_state, run_function, write_config

DING = "dingtokenkeeper000001"
NEW_ENI = "192.168.10.77"
TIMER = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "routes-sweep",
                    "payload": json.dumps({"job": "endpoint_keeper"})}).encode()
FIXTURE = Path(__file__).resolve().parents[1] / "events" / "fixtures" / "cr_vpc_endpoint_linked_vpc_create.json"
#: the IDC's hosts file, published to the bucket's exports/ folder
EXPORT = "exports/idc.hosts"


@pytest.fixture
def world():
    """Every target type, settling at once (the function waits in real time), a DingTalk robot, the roles."""
    data = keeper_world(delay=0)
    data["chat"] = {"dingtalk": {DING: {}}}
    return function_world(data)


@pytest.fixture
def config_path(cloud, tmp_path):
    def write(**options) -> Path:
        data = config_data(cloud, str(tmp_path / "state.db"), **options)
        data["state"] = oss_state()
        data["alerts"] = {"group_interval_s": 1, "repeat_interval_s": 3600, "channels": [dingtalk_channel(cloud, DING)]}
        return write_config(tmp_path, data)

    return write


def run(cloud, event: bytes, config_path: Path, request_id: str = "req-1"):
    return run_function(cloud, "endpoint_keeper", event, config_path, request_id)


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
    result = run(cloud, TIMER, path)
    assert result["status"] == "ok" and result["events"][0]["status"] == "done"
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    assert any("routes.changed" in text and ENI in text for text in messages(cloud))
    sent = len(messages(cloud))

    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].linked_vpcs[0].ip = NEW_ENI
    cloud.dns.set(f"testreg-registry-vpc.{REGION}.cr.aliyuncs.com", [NEW_ENI])
    time.sleep(1.1)  # alerts.group_interval_s: the notices of one group are at most one message a second
    outcome = run(cloud, link_event(), path, "req-2")

    assert outcome["events"][0]["status"] == "done"
    assert {f"{NEW_ENI}/32", f"{ENI}/32"} <= ours(vbr_routes(factory))  # the old one is held (default hold)
    new = messages(cloud)[sent:]
    assert len(new) == 1 and NEW_ENI in new[0] and "routes.changed" in new[0]
    assert "renegotiates the IPsec tunnel" in new[0]

    again = run(cloud, link_event(), path, "req-3")
    assert again["events"][0]["status"] == "duplicate"
    assert len(messages(cloud)) == sent + 1


def test_a_hand_deleted_route_is_restored_by_its_event(cloud, factory, config_path):
    """Deleting one of acrguard's VBR routes produces a vpc event; its invocation re-creates the route."""
    path = config_path()
    run(cloud, TIMER, path)
    cloud.trail.take()
    entries = call("vpc", "DescribeRouteEntryList", factory.vpc().describe_route_entry_list,
                   vpc_models.DescribeRouteEntryListRequest(region_id=REGION, route_table_id=VBR_TABLE,
                                                            destination_cidr_block=f"{ENI}/32"))
    entry_id = entries.route_entrys.route_entry[0].route_entry_id
    call("vpc", "DeleteRouteEntry", factory.vpc().delete_route_entry,
         vpc_models.DeleteRouteEntryRequest(region_id=REGION, route_table_id=VBR_TABLE, route_entry_id=entry_id))
    assert f"{ENI}/32" not in vbr_routes(factory)
    [deletion] = cloud.trail.take("DeleteRouteEntry")

    outcome = run(cloud, json.dumps(deletion).encode(), path, "req-2")

    assert outcome["events"][0]["status"] == "done"
    assert ours(vbr_routes(factory)) == ALL_PREFIXES


def test_every_target_converges_and_a_retired_address_leaves_every_target(cloud, factory, config_path):
    """Every target type gets every prefix it takes; an auth address gone from DNS past the hold is removed from
    each (route tables, the CEN's cloud services, the transit router, the IPsec connection's local subnet)."""
    path = config_path(safety={"hold_runs": 1, "hold_hours": 0})
    assert run(cloud, TIMER, path)["events"][0]["status"] == "done"
    assert ours(vbr_routes(factory)) == ours(tr_routes(factory)) == ALL_PREFIXES
    assert set(cen_services(factory)) == SERVICE_PREFIXES
    assert set(local_subnet(factory)) >= ALL_PREFIXES

    retired, kept = (f"{ip}/32" for ip in AUTH_IPS)
    cloud.dns.set(AUTH_HOST, [kept.removesuffix("/32")])
    for n, minute in enumerate(("10:10", "10:20"), start=2):
        later = run(cloud, TIMER.replace(b"10:00:00Z", f"{minute}:00Z".encode()), path, f"req-{n}")
        assert later["events"][0]["status"] == "done"

    remaining = ALL_PREFIXES - {retired}
    assert ours(vbr_routes(factory)) == ours(tr_routes(factory)) == remaining
    assert set(cen_services(factory)) == SERVICE_PREFIXES - {retired}
    assert retired not in local_subnet(factory) and remaining <= set(local_subnet(factory))
    refused = [r.action for r in cloud.requests.filter(since=0) if r.status == 403]
    assert refused == [], f"the keeper's role was refused {refused}"


def test_the_idc_export_is_published_to_the_bucket(cloud, factory, config_path):
    """A sweep writes the IDC's hosts file to the bucket's exports/ folder, and the next sweep leaves it as it is."""
    import alibabacloud_oss_v2 as oss

    path = config_path(exports=[{"format": "hosts", "destination": f"oss://{BUCKET}/{EXPORT}"}])
    result = run(cloud, TIMER, path)
    assert result["events"][0]["status"] == "done"
    assert f"export oss://{BUCKET}/{EXPORT} rewritten" in " ".join(result["events"][0]["changes"])
    body = factory.oss().get_object(oss.GetObjectRequest(bucket=BUCKET, key=EXPORT)).body.read().decode()
    assert ENI in body and "registry-vpc" in body
    later = run(cloud, TIMER.replace(b"10:00:00Z", b"10:10:00Z"), path, "req-2")
    assert later["events"][0]["status"] == "done" and later["events"][0]["changes"] == []


def test_dry_run_is_honoured_by_the_function(cloud, config_path):
    """With ``dry_run: true`` a timer sweep plans and reports, and no write call reaches the cloud."""
    result = run(cloud, TIMER, config_path(dry_run=True))
    assert result["events"][0]["status"] == "done" and result["events"][0]["changes"] == []
    assert writes(cloud) == []


def test_transient_failure_without_changes_raises_so_fc_retries(cloud, config_path):
    """Every target read throttled: nothing changed, so the invocation fails and FC retries it."""
    from acrguard.errors import TransientCloudError

    for action in ("DescribeRouteEntryList", "DescribeRouteServicesInCen", "ListTransitRouterRouteEntries",
                   "DescribeVpnConnection"):
        cloud.inject(action=action, code="Throttling.User")
    with pytest.raises(TransientCloudError):
        run(cloud, TIMER, config_path())
    cloud.faults.clear()
    assert run(cloud, TIMER, config_path(), "req-2")["events"][0]["status"] == "done"


def test_the_echo_of_its_own_route_writes_costs_no_recheck(cloud, config_path):
    """The event of a CreateRouteEntry carrying acrguard's marker is done without reading the instance again."""
    path = config_path()
    run(cloud, TIMER, path)
    own = cloud.trail.take("CreateRouteEntry")[0]
    assert own["data"]["requestParameters"]["RouteEntryName"].startswith("acrguard:")
    mark = cloud.requests.last_seq()
    outcome = run(cloud, json.dumps(own).encode(), path, "req-2")
    assert outcome["events"][0]["status"] == "done"
    assert cloud.requests.count(product="cr", since=mark) == 0


def test_unusable_state_is_reported_once_and_nothing_is_written(cloud, factory, config_path, tmp_path):
    """A malformed routes section in the state skips the instance with a finding in chat, not a crash."""
    from acrguard.config import load_config
    from acrguard.state import open_store
    from acrguard.state.document import edit_document

    path = config_path()
    store = open_store(load_config(path).state, factory, job="endpoint_keeper")  # the keeper's own records
    edit_document(store, lambda document: document.update(routes={"owned": {INSTANCE_ID: "not a ledger"}}))
    store.close()
    outcome = run(cloud, TIMER, path)
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
        run(cloud, TIMER, path)
    [made] = ours(vbr_routes(factory))
    first = messages(cloud)
    assert any("routes.changed" in text and f"+ {made}" in text for text in first)

    cloud.faults.clear()
    assert run(cloud, TIMER, path, "req-2")["events"][0]["status"] == "done"
    assert ours(vbr_routes(factory)) == ALL_PREFIXES
    later = messages(cloud)[len(first):]
    assert any("routes.changed" in text for text in later)
    assert not any(f"+ {made}" in text for text in later)
