"""Routing: which job handles each event, which resources it touches, and why others are ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.events import (
    ENDPOINT_KEEPER,
    IMAGE_ADVISOR,
    JOBS,
    PULLKEY_AUDITOR,
    WHITELIST_GUARD,
    decode_event,
    decode_events,
    handled_events,
    route,
)
from acrguard.events.patterns import sample_events
from acrguard.events.routing import RULES

FIXTURES = Path(__file__).parent / "fixtures"
INSTANCE = "cr-instance/cri-test0000000000001"

#: fixture -> (kind, handled, functions, resources, a phrase of the reason)
EXPECTED: dict[str, tuple[str, bool, tuple[str, ...], tuple[str, ...], str]] = {
    "actiontrail_ecs_delete_disk.json": ("actiontrail", False, (), (),
                                         "not an event acrguard handles (Ecs DeleteDisk)"),
    "actiontrail_lookup_events_read.json": ("actiontrail", False, (), (), "read-only event"),
    "actiontrail_raw_record.json": ("actiontrail_raw", False, (), (), "with it, whitelist_guard would handle it"),
    "cloudevent_oss_object_created.json": ("cloudevent", False, (), (), "not an event acrguard handles"),
    "cr_acl_create_console.json": ("actiontrail", True, (WHITELIST_GUARD,), (INSTANCE,), "whitelist guard"),
    "cr_acl_create_rejected_in_body.json": ("actiontrail", False, (), (), "IsSuccess=false (Code=ACL_ENTRY_INVALID)"),
    "cr_acl_delete_aliyun_service_event.json": ("actiontrail", False, (), (), "AliyunServiceEvent"),
    "cr_acl_delete_apicall.json": ("actiontrail", True, (WHITELIST_GUARD,), (INSTANCE,), "whitelist guard"),
    "cr_acl_delete_data_string.json": ("actiontrail", True, (WHITELIST_GUARD,), (INSTANCE,), "whitelist guard"),
    "cr_acl_delete_failed.json": ("actiontrail", False, (), (), "errorCode=NoPermission: the call failed"),
    "cr_artifact_build_completed.json": ("acr_artifact", False, (), (), "tolerated and ignored"),
    "cr_artifact_push_completed.json": ("acr_artifact", True, (IMAGE_ADVISOR,),
                                        (INSTANCE, "cr-repository/cri-test0000000000001/apps/web",
                                         "cr-tag/cri-test0000000000001/apps/web:v1.4.2"), "image advisor"),
    "cr_artifact_push_completed_sparse.json": ("acr_artifact", True, (IMAGE_ADVISOR,),
                                               (INSTANCE, "cr-repository/cri-test0000000000001/apps/worker",
                                                "cr-tag/cri-test0000000000001/apps/worker:latest"), "image advisor"),
    "cr_artifact_scan_completed.json": ("acr_artifact", False, (), (), "tolerated and ignored"),
    "cr_endpoint_status_assumed_role.json": ("actiontrail", True, (WHITELIST_GUARD,), (INSTANCE,), "whitelist guard"),
    "cr_vpc_endpoint_linked_vpc_create.json": ("actiontrail", True, (ENDPOINT_KEEPER,),
                                               (INSTANCE, "vpc/vpc-bp1fakevpc00000013",
                                                "vswitch/vsw-bp1fakevsw0000013"),
                                               "endpoint keeper"),
    "cr_vpc_endpoint_linked_vpc_delete_console.json": ("actiontrail", True, (ENDPOINT_KEEPER,),
                                                       (INSTANCE, "vpc/vpc-bp1fakevpc00000013",
                                                        "vswitch/vsw-bp1fakevsw0000013"), "endpoint keeper"),
    "ims_add_user_to_group.json": ("actiontrail", True, (PULLKEY_AUDITOR,),
                                   ("ram-user/acr-puller", "ram-group/pullers"), "re-audits that user"),
    "ims_create_access_key.json": ("actiontrail", True, (PULLKEY_AUDITOR,),
                                   ("ram-user/acr-puller", "access-key/LTAI****0017"), "AccessKeys"),
    "ims_create_login_profile_console.json": ("actiontrail", True, (PULLKEY_AUDITOR,), ("ram-user/acr-puller",),
                                              "console access"),
    "ims_create_user_published.json": ("actiontrail", False, (), (), "not an event acrguard handles (Ims CreateUser)"),
    "ims_update_access_key_self.json": ("actiontrail", True, (PULLKEY_AUDITOR,),
                                        ("ram-user/acr-puller", "access-key/LTAI****0017"), "AccessKeys"),
    "legacy_acr_webhook.json": ("legacy_acr_webhook", False, (), (), "cr:Artifact:PushCompleted"),
    "ram_attach_policy_to_group.json": ("actiontrail", True, (PULLKEY_AUDITOR,),
                                        ("ram-group/pullers", "ram-policy/Custom:acr-pull"), "group's members"),
    "ram_attach_policy_to_user_old_shape.json": ("actiontrail", True, (PULLKEY_AUDITOR,),
                                                 ("ram-user/acr-puller",
                                                  "ram-policy/System:AliyunContainerRegistryFullAccess"),
                                                 "re-audits that user"),
    "ram_create_policy_version.json": ("actiontrail", True, (PULLKEY_AUDITOR,), ("ram-policy/Custom:acr-pull",),
                                       "policy's document"),
    "ram_detach_policy_eventname_casing.json": ("actiontrail", True, (PULLKEY_AUDITOR,),
                                                ("ram-user/acr-puller",
                                                 "ram-policy/System:AliyunContainerRegistryFullAccess"),
                                                "re-audits that user"),
    "ram_set_default_policy_version.json": ("actiontrail", True, (PULLKEY_AUDITOR,), ("ram-policy/Custom:acr-pull",),
                                            "policy's document"),
    "timer_json_payload.json": ("timer", True, (IMAGE_ADVISOR,), (), "payload names the job"),
    "timer_no_payload.json": ("timer", True, JOBS, (), "names no job"),
    "timer_plain_payload.json": ("timer", True, (PULLKEY_AUDITOR,), (), "trigger's name names the job"),
    "vpc_route_entry_delete.json": ("actiontrail", True, (ENDPOINT_KEEPER,),
                                    ("route-table/vtb-bp1fakeroutetab0015", "route-entry/rte-bp1fakerouteent0015"),
                                    "endpoint keeper"),
}


def load(name: str):
    """A fixture decoded as JSON, for a test to modify."""
    return json.loads((FIXTURES / name).read_text())


def test_every_single_event_fixture_has_an_expectation():
    """Adding a fixture means saying how it routes (the batch is checked separately)."""
    singles = {p.name for p in FIXTURES.glob("*.json")} - {"batch_two_events.json"}
    assert singles == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_routes_as_expected(name):
    """Each sample is handled by the expected job, touching the expected resources, or ignored for a reason."""
    kind, handled, functions, resources, phrase = EXPECTED[name]
    result = route(decode_event((FIXTURES / name).read_bytes()))
    assert (result.kind, result.handled, result.functions) == (kind, handled, functions)
    assert tuple(str(r) for r in result.resources) == resources
    assert phrase in result.reason
    assert result.correlation_id


def test_cloud_events_correlate_by_source_and_id():
    """The correlation id of an EventBridge event is its source plus its id."""
    result = route(decode_event((FIXTURES / "cr_acl_delete_apicall.json").read_bytes()))
    assert result.correlation_id == "acs.cr#e1d2c3b4-a596-4788-99aa-bbccdd000006"
    assert (result.id, result.source, result.type, result.actor) == (
        "e1d2c3b4-a596-4788-99aa-bbccdd000006", "acs.cr", "cr:ActionTrail:ApiCall", "ram-user:alice")


@pytest.mark.parametrize("spelling", ["deleteinstanceendpointaclpolicy", "DELETEINSTANCEENDPOINTACLPOLICY",
                                      "DeleteInstanceEndPointAclPolicy"])
def test_event_names_compare_case_insensitively(spelling):
    """Any casing of a routed event name routes the same way."""
    doc = load("cr_acl_delete_apicall.json")
    doc["data"]["eventName"] = spelling
    result = route(decode_event(doc))
    assert result.handled and result.functions == (WHITELIST_GUARD,)


@pytest.mark.parametrize("code", ["NoPermission", "Forbidden.RAM", "InvalidParameter", "Throttling.User"])
def test_failed_calls_are_skipped_whatever_the_code(code):
    """A non-empty errorCode means the call changed nothing: ignored, with the code in the reason."""
    doc = load("ims_create_access_key.json")
    doc["data"]["errorCode"] = code
    result = route(decode_event(doc))
    assert not result.handled and result.functions == () and result.resources == ()
    assert result.reason.startswith(f"errorCode={code}: the call failed")


def test_empty_error_code_is_success():
    """An empty errorCode (newer records) is not a failure."""
    doc = load("ims_create_access_key.json")
    doc["data"]["errorCode"] = ""
    assert route(decode_event(doc)).handled


@pytest.mark.parametrize(("service", "host", "source", "etype"), [
    ("Ims", "ims-share.aliyuncs.com", "acs.ram", "ram:ActionTrail:ApiCall"),
    ("Ram", "ram.aliyuncs.com", "acs.ram", "ram:ActionTrail:ApiCall"),
    ("Ims", "ims-share.aliyuncs.com", "acs.ims", "ims:ActionTrail:ApiCall"),
    (None, None, "acs.ram", "ram:ActionTrail:ApiCall"),
])
def test_ram_events_route_whether_logged_as_ims_or_ram(service, host, source, etype):
    """RAM user/key APIs are matched under Ims and Ram, whichever field names the product."""
    doc = load("ims_create_access_key.json")
    doc["source"], doc["type"] = source, etype
    for key, value in (("serviceName", service), ("eventSource", host)):
        if value is None:
            doc["data"].pop(key)
        else:
            doc["data"][key] = value
    assert route(decode_event(doc)).functions == (PULLKEY_AUDITOR,)


def test_same_event_name_from_another_product_is_not_routed():
    """A routed name logged by an unrelated product (all product hints say ecs) is not acrguard's."""
    doc = load("vpc_route_entry_delete.json")
    doc["source"], doc["type"] = "acs.ecs", "ecs:ActionTrail:ApiCall"
    doc["data"]["serviceName"], doc["data"]["eventSource"] = "Ecs", "ecs.aliyuncs.com"
    result = route(decode_event(doc))
    assert not result.handled and "not an event acrguard handles" in result.reason


def test_missing_ids_ask_for_a_sweep_with_a_warning():
    """A routed event with no resource id found is still handled, as a full sweep, with a warning naming it."""
    doc = load("cr_acl_delete_apicall.json")
    doc["data"]["requestParameters"].pop("InstanceId")
    doc["data"].pop("requestParameterJson")
    result = route(decode_event(doc))
    assert result.handled and result.sweep and result.resources == ()
    assert "DeleteInstanceEndpointAclPolicy" in result.warnings[0]


def test_access_key_created_for_oneself_names_the_caller():
    """CreateAccessKey without UserName acts on the calling RAM user."""
    doc = load("ims_create_access_key.json")
    doc["data"]["requestParameters"].pop("UserPrincipalName")
    doc["data"]["userIdentity"]["userName"] = "ci-bot"
    result = route(decode_event(doc))
    assert [str(r) for r in result.resources] == ["ram-user/ci-bot", "access-key/LTAI****0017"]


def test_access_key_ids_are_masked_in_results():
    """No full AccessKey id appears in a routing result."""
    result = route(decode_event((FIXTURES / "ims_create_access_key.json").read_bytes()))
    assert "LTAI5tFakePullKey0017" not in json.dumps(result.to_json())


def test_policy_version_events_default_to_custom_policies():
    """Policy versions exist only for custom policies, so the type defaults to Custom."""
    result = route(decode_event((FIXTURES / "ram_set_default_policy_version.json").read_bytes()))
    assert [str(r) for r in result.resources] == ["ram-policy/Custom:acr-pull"]
    assert result.details == {"version": "v2"}


def test_timer_payload_with_unknown_job_warns_and_falls_back():
    """A payload naming no known job falls back to the trigger name, with a warning listing the known jobs."""
    timer = {"triggerTime": "2024-05-14T07:00:00Z", "triggerName": "whitelist-every-5m",
             "payload": json.dumps({"jobs": ["whitelist-guard", "nope"]})}
    result = route(decode_event(timer))
    assert result.functions == (WHITELIST_GUARD,) and result.sweep
    assert "nope" in result.warnings[0]


def test_batch_routes_each_event():
    """Each event of a batch gets its own result."""
    results = [route(e) for e in decode_events((FIXTURES / "batch_two_events.json").read_bytes())]
    assert [(r.kind, r.handled) for r in results] == [("actiontrail", True), ("timer", True)]


@pytest.mark.parametrize(("job", "event"), sample_events(), ids=lambda v: v if isinstance(v, str) else v["id"])
def test_every_table_entry_routes_to_its_job(job, event):
    """A minimal successful event for every routed (type, eventName) reaches its job and finds resources."""
    result = route(decode_event(event))
    assert result.handled and result.functions == (job,)
    assert result.resources and not result.sweep


def test_handled_events_cover_every_rule_and_every_job():
    """The exported table lists each job's names, and only the table's."""
    listed = {(h.job, n) for h in handled_events() for n in (h.event_names or h.types)}
    from_rules = {(r.job, n if r.kind == "actiontrail" else f"cr:Artifact:{n}") for r in RULES for n in r.names}
    assert listed == from_rules
    assert {h.job for h in handled_events()} == set(JOBS)
    pullkey = next(h for h in handled_events() if h.job == PULLKEY_AUDITOR)
    assert set(pullkey.event_names) == {
        "AttachPolicyToUser", "DetachPolicyFromUser", "AttachPolicyToGroup", "DetachPolicyFromGroup", "AddUserToGroup",
        "RemoveUserFromGroup", "CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion",
        "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "CreateLoginProfile", "DeleteLoginProfile"}
    assert pullkey.type_suffixes == (":ActionTrail:ApiCall", ":ActionTrail:ConsoleOperation")


def test_route_refuses_undecoded_input():
    """route() takes typed events; raw dicts are a programming error."""
    with pytest.raises(TypeError):
        route({"id": "x"})
