"""ActionTrail records: older and newer shapes, Ims and Ram, and nothing secret kept."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from acrguard.events import ActionTrailRecord, BareActionTrailRecord, decode_event

FIXTURES = Path(__file__).parent / "fixtures"


def record(name: str) -> ActionTrailRecord:
    """The ActionTrail record of fixture ``name``."""
    return decode_event((FIXTURES / name).read_bytes()).record


def test_newer_shape_fields_are_read():
    """A current record: int eventVersion, eventRW, empty errorCode, attributes, referenced resources."""
    rec = record("cr_acl_delete_apicall.json")
    assert (rec.event_name, rec.event_version, rec.event_rw, rec.event_type) == (
        "DeleteInstanceEndpointAclPolicy", "1", "Write", "ApiCall")
    assert rec.error_code is None and rec.failure is None
    assert rec.service_name == "cr" and rec.event_source == "cr.cn-hangzhou.aliyuncs.com"
    assert rec.event_time.isoformat() == "2024-05-14T02:21:05+00:00"
    assert rec.user_identity.mfa_authenticated is False
    assert rec.referenced_resources == {"ACS::CR::Instance": ("cri-test0000000000001",)}
    assert rec.param("instanceid") == "cri-test0000000000001"


def test_older_shape_with_string_version_and_session_attributes():
    """An older Ram record: eventVersion "1", no eventRW or errorCode, ``sessionAttributes``."""
    rec = record("ram_attach_policy_to_user_old_shape.json")
    assert (rec.event_version, rec.event_rw, rec.error_code, rec.service_name) == ("1", None, None, "Ram")
    assert rec.user_identity.mfa_authenticated is False
    assert rec.user_identity.session_created == "2024-05-14T05:00:11Z"
    assert rec.failure is None and not rec.is_read


def test_session_attributes_directly_under_user_identity_are_read():
    """The oldest identity shape keeps ``sessionAttributes`` beside ``type``."""
    doc = json.loads((FIXTURES / "ram_attach_policy_to_user_old_shape.json").read_text())
    identity = doc["data"]["userIdentity"]
    identity["sessionAttributes"] = identity.pop("sessionContext")["sessionAttributes"]
    identity["sessionAttributes"]["mfaAuthenticated"] = "true"
    assert decode_event(doc).record.user_identity.mfa_authenticated is True


def test_eventname_key_casing_is_tolerated():
    """``EventName`` instead of ``eventName`` is found, with the value as written."""
    rec = record("ram_detach_policy_eventname_casing.json")
    assert rec.event_name == "detachpolicyfromuser"
    assert rec.name_is("DetachPolicyFromUser") and not rec.name_is("AttachPolicyToUser")


def test_request_parameters_keep_numbers_and_dotted_names():
    """Gateway keys such as ``stsTokenPlayerUid`` stay numbers; flattened names with dots are findable."""
    rec = record("actiontrail_lookup_events_read.json")
    assert rec.request_parameters["stsTokenPlayerUid"] == 1754986938260026
    assert rec.param("stsTokenPlayerUid") == "1754986938260026"
    assert rec.param("LookupAttribute.1.Key") == "EventRW"
    assert rec.is_read


def test_request_parameter_json_is_used_when_request_parameters_is_absent():
    """Newer records also carry ``requestParameterJson``; it is enough on its own."""
    doc = json.loads((FIXTURES / "cr_acl_delete_apicall.json").read_text())
    doc["data"].pop("requestParameters")
    assert decode_event(doc).record.param("Entry") == "198.51.100.0/24"


def test_new_access_key_secret_is_never_kept():
    """CreateAccessKey's response carries the new secret: only the key id and status survive parsing."""
    event = decode_event((FIXTURES / "ims_create_access_key.json").read_bytes())
    assert event.record.response_facts == {"AccessKey.AccessKeyId": "LTAI5tFakePullKey0017",
                                           "AccessKey.Status": "Active"}
    assert "FAKE-SECRET" not in repr(event) and "FAKE-SECRET" not in json.dumps(asdict(event), default=str)


def test_password_parameter_is_masked():
    """CreateLoginProfile's Password parameter is replaced by ``****`` at parse time."""
    event = decode_event((FIXTURES / "ims_create_login_profile_console.json").read_bytes())
    assert event.record.request_parameters["Password"] == "****"
    assert "FAKE-Passw0rd" not in repr(event)


def test_secret_keys_are_masked_at_any_depth():
    """Secret-looking keys nested in parameters are masked too; ordinary ``stsToken*`` gateway keys are not."""
    doc = json.loads((FIXTURES / "cr_acl_delete_apicall.json").read_text())
    doc["data"]["requestParameters"]["Nested"] = {"Credentials": {"AccessKeySecret": "abc"}, "list": [{"Token": "t"}]}
    doc["data"]["requestParameters"]["stsTokenPrincipalName"] = "role/session"
    params = decode_event(doc).record.request_parameters
    assert params["Nested"] == {"Credentials": "****", "list": [{"Token": "****"}]}
    assert params["stsTokenPrincipalName"] == "role/session"


def test_failed_calls_report_why():
    """A non-empty errorCode, or ACR's IsSuccess=false in the body, is a failure."""
    assert record("cr_acl_delete_failed.json").failure == "errorCode=NoPermission"
    assert record("cr_acl_create_rejected_in_body.json").failure == "IsSuccess=false (Code=ACL_ENTRY_INVALID)"


@pytest.mark.parametrize(("name", "display"), [
    ("cr_acl_delete_apicall.json", "ram-user:alice"),
    ("cr_endpoint_status_assumed_role.json", "assumed-role:ops-admin/ops-session"),
    ("ims_create_user_published.json", "root-account"),
    ("actiontrail_ecs_delete_disk.json", "system:ecs.aliyuncs.com"),
])
def test_identity_display_names_the_caller(name, display):
    """Each identity type reads as who it is."""
    assert record(name).user_identity.display == display


def test_actor_for_alerts_has_who_where_what_and_when():
    """The Actor built from a record carries identity, IP, user agent, key id, time, name and event id."""
    event = decode_event((FIXTURES / "cr_endpoint_status_assumed_role.json").read_bytes())
    actor = event.record.actor(event_id=event.id)
    assert (actor.identity, actor.source_ip, actor.access_key_id, actor.event_name, actor.event_id) == (
        "assumed-role:ops-admin/ops-session", "203.0.113.90", "STS.NUfakeTemporaryKey0003",
        "UpdateInstanceEndpointStatus", "a3b4c5d6-e7f8-4901-9bcc-ddeeff000008")
    assert actor.event_time == "2024-05-14T02:21:05+00:00"
    assert actor.user_agent.startswith("AlibabaCloud")


def test_console_operation_has_no_access_key():
    """Console calls carry no AccessKey id; the identity is still complete."""
    rec = record("cr_acl_create_console.json")
    assert rec.event_type == "ConsoleOperation" and rec.user_identity.access_key_id is None
    assert rec.user_identity.mfa_authenticated is True and rec.user_agent == "AliyunConsole"


def test_bare_record_is_recognised():
    """An ActionTrail record with no envelope (RawData delivery) is typed as such."""
    event = decode_event((FIXTURES / "actiontrail_raw_record.json").read_bytes())
    assert isinstance(event, BareActionTrailRecord)
    assert event.correlation_id == "actiontrail#d6e7f809-1a2b-4c34-9eff-001122000027"
