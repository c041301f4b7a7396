"""Each function's own OSS state folder, and the carrying over of the document all functions shared before."""

from __future__ import annotations

import json
from typing import Any

import alibabacloud_oss_v2 as oss
import pytest

from acrguard.config.state import StateConfig
from acrguard.state import StateError, keys, open_store
from acrguard.state.document import read_document
from acrguard.state.perjob import share_of
from support import (
    ACCOUNT,
    REGION,
    ROOT_KEY,
    ROOT_SECRET,
    base_world,
    fc_credentials,
    make_factory,
    with_function_roles,
)

BUCKET = "acrguard-state"
CONFIG = StateConfig(backend="oss", bucket=BUCKET, key="state/acrguard.json", region=REGION)
KEEPER_KEY = "state/acrguard-endpoint-keeper/acrguard.json"
GUARD_KEY = "state/acrguard-whitelist-guard/acrguard.json"

#: the one document all four functions wrote before each had its own
SHARED: dict[str, Any] = {
    "schema": 1,
    "processed_events": {"endpoint_keeper|timer:a": {"state": "done", "at": 1.0, "expires": 9e9},
                         "whitelist_guard|acs.cr#1": {"state": "done", "at": 1.0, "expires": 9e9}},
    "alerts": {
        "groups": {
            "routes.changed|cri-1": {"rule": "routes.changed", "scope": "cri-1", "job": "endpoint_keeper",
                                     "findings": {}, "notified": {}},
            "whitelist.unmanaged|cri-1": {"rule": "whitelist.unmanaged", "scope": "cri-1", "job": "whitelist_guard",
                                          "findings": {}, "notified": {"ops": {"pending": {"firing": ["f1"]}}}},
        },
        "robots": {"r1": {"sent": [1.0]}}, "channels": {}, "delivering": {"token": "t", "until": 9e9},
    },
    "routes": {"owned": {"cri-1": {"vco-1": ["100.64.1.0/24"]}}},
    "hysteresis": {"whitelist:cri-1": {"x": {}}},
}


@pytest.fixture
def world() -> dict[str, Any]:
    """The base world with the state bucket and each function's role (its deployed policies)."""
    data = with_function_roles(base_world(), assumer=False)
    data["oss"] = {"buckets": [{"name": BUCKET, "account": ACCOUNT, "region": REGION}]}
    return data


def put(factory: Any, key: str, document: dict[str, Any]) -> str:
    """Write ``document`` at ``key`` (the root key); its ETag."""
    return factory.oss().put_object(oss.PutObjectRequest(bucket=BUCKET, key=key,
                                                         body=json.dumps(document).encode())).etag


def stored(factory: Any, key: str) -> dict[str, Any]:
    """The JSON object at ``key``."""
    return json.loads(factory.oss().get_object(oss.GetObjectRequest(bucket=BUCKET, key=key)).body.read())


def role_factory(cloud: Any, job: str) -> Any:
    """A client factory signed with ``job``'s role credentials, as Function Compute hands them over."""
    creds = fc_credentials(cloud, job)
    return make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token)


def test_each_job_has_a_folder_named_after_its_function_beside_the_key():
    """The job's document sits in a folder named after its function, beside the configured key."""
    assert CONFIG.job_key("endpoint_keeper") == KEEPER_KEY
    assert CONFIG.job_prefix("pullkey_auditor") == "state/acrguard-pullkey-auditor/"
    custom = StateConfig(backend="oss", bucket=BUCKET, key="prod/acrguard/state.json")
    assert custom.job_key("whitelist_guard") == "prod/acrguard/acrguard-whitelist-guard/state.json"
    assert StateConfig(backend="oss", bucket=BUCKET, key="state.json").job_key("image_advisor") == \
        "acrguard-image-advisor/state.json"


def record_keys(cloud: Any) -> set[str]:
    """Every object key a PutObject wrote so far."""
    return {r.params.get("Key") for r in cloud.requests.filter(product="oss", action="PutObject")}


def test_a_job_writes_its_own_records_and_never_the_shared_document(cloud, factory):
    """With a job, the store reads and writes only records under that function's folder."""
    store = open_store(CONFIG, factory, job="endpoint_keeper")
    store.update("routes/owned/cri-1", lambda value: value.update({"vpn_connection:vco-1": {}}))
    assert stored(factory, "state/acrguard-endpoint-keeper/records/routes/owned/cri-1") == {"vpn_connection:vco-1": {}}
    assert all(key.startswith("state/acrguard-endpoint-keeper/") for key in record_keys(cloud))


def test_the_first_run_migrates_its_share_of_the_shared_document(cloud, factory):
    """Before it has records a job takes its part of the shared document, once; the document is never written."""
    etag = put(factory, CONFIG.key, SHARED)
    store = open_store(CONFIG, factory, job="endpoint_keeper")

    expected = keys.join_records(keys.split_document(share_of(SHARED, "endpoint_keeper")))  # empty maps left out
    assert expected["routes"] == SHARED["routes"] and expected["hysteresis"] == SHARED["hysteresis"]
    assert read_document(store) == expected
    assert list(read_document(store)["processed_events"]) == ["endpoint_keeper|timer:a"]
    assert list(read_document(store)["alerts"]["groups"]) == ["routes.changed|cri-1"]
    assert "delivering" not in read_document(store)["alerts"]
    assert factory.oss().head_object(oss.HeadObjectRequest(bucket=BUCKET, key=CONFIG.key)).etag == etag
    assert stored(factory, CONFIG.key) == SHARED and KEEPER_KEY not in record_keys(cloud)

    mark = cloud.requests.last_seq()
    open_store(CONFIG, factory, job="endpoint_keeper").get("routes/owned/cri-1")
    assert [r.params.get("Key") for r in cloud.requests.filter(product="oss", since=mark)] == [
        "state/acrguard-endpoint-keeper/records/_meta/migration",
        "state/acrguard-endpoint-keeper/records/routes/owned/cri-1"]


def test_the_functions_own_document_wins_over_the_shared_one(cloud, factory):
    """A function that already had a document of its own migrates that one, not its share of the shared one."""
    put(factory, CONFIG.key, SHARED)
    put(factory, GUARD_KEY, {"schema": 1, "hysteresis": {"whitelist:cri-9": {"h": {}}}})
    store = open_store(CONFIG, factory, job="whitelist_guard")
    assert read_document(store) == {"hysteresis": {"whitelist:cri-9": {"h": {}}}}


def test_a_message_owed_in_the_shared_document_goes_to_its_own_job_only():
    """An alert group (with what it still owes a channel) moves to the job that raised it, and to no other."""
    guard, keeper = share_of(SHARED, "whitelist_guard"), share_of(SHARED, "endpoint_keeper")
    assert list(guard["alerts"]["groups"]) == ["whitelist.unmanaged|cri-1"]
    assert guard["alerts"]["groups"]["whitelist.unmanaged|cri-1"]["notified"]["ops"]["pending"]
    assert "whitelist.unmanaged|cri-1" not in keeper["alerts"]["groups"]
    assert list(guard["processed_events"]) == ["whitelist_guard|acs.cr#1"]
    assert SHARED["alerts"]["delivering"] and len(SHARED["processed_events"]) == 2  # the original is untouched


def test_an_unreadable_shared_document_is_reported_and_left_alone(cloud, factory):
    """A corrupt shared document is a state error naming it: unknown is not absent, and nothing is written."""
    factory.oss().put_object(oss.PutObjectRequest(bucket=BUCKET, key=CONFIG.key, body=b"[1, 2]"))
    mark = cloud.requests.last_seq()
    store = open_store(CONFIG, factory, job="whitelist_guard")
    with pytest.raises(StateError, match=f"oss://{BUCKET}/{CONFIG.key}"):
        store.update("x", lambda value: value.__setitem__("x", 1))
    assert cloud.requests.filter(product="oss", action="PutObject", since=mark) == []


def test_a_read_only_store_reads_the_share_and_writes_nothing(cloud, factory):
    """A plan (read-only) sees the job's share of the shared document and creates nothing."""
    put(factory, CONFIG.key, SHARED)
    mark = cloud.requests.last_seq()
    store = open_store(CONFIG, factory, job="whitelist_guard", read_only=True)
    assert read_document(store)["hysteresis"] == SHARED["hysteresis"]
    with pytest.raises(StateError, match="read-only"):
        store.put("x", {}, None)
    assert cloud.requests.filter(product="oss", action="PutObject", since=mark) == []


def test_each_role_writes_its_own_records_and_not_another_functions(cloud, factory):
    """As deployed, the auditor's role may keep its own state but cannot write the keeper's (its ownership ledger)."""
    put(factory, CONFIG.key, SHARED)
    auditor = role_factory(cloud, "pullkey_auditor")
    open_store(CONFIG, auditor, job="pullkey_auditor").update("x", lambda value: value.__setitem__("x", 1))
    assert stored(factory, "state/acrguard-pullkey-auditor/records/x")["x"] == 1

    with pytest.raises(StateError, match="AccessDenied"):
        open_store(CONFIG, auditor, job="endpoint_keeper").update(
            "routes/owned/cri-1", lambda value: value["vco-1"].append("10.0.0.0/8"))
    keeper = open_store(CONFIG, role_factory(cloud, "endpoint_keeper"), job="endpoint_keeper")
    assert read_document(keeper)["routes"] == SHARED["routes"]


def test_alert_list_shows_every_functions_groups(cloud, factory, tmp_path):
    """``acrguard alert list`` on OSS state reads each function's records and lists their groups side by side."""
    from tests.cli.helpers import run as cli

    group = SHARED["alerts"]["groups"]["routes.changed|cri-1"]
    open_store(CONFIG, factory, job="endpoint_keeper").put("alerts/groups/cri-1/routes.changed", group, None)
    put(factory, CONFIG.key, SHARED)  # the guard has no records yet: its share of the shared document
    endpoints = cloud.endpoints()
    config = tmp_path / "acrguard.yaml"
    config.write_text(json.dumps({
        "cloud": {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http", "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET}},
        "state": {"backend": "oss", "bucket": BUCKET, "key": CONFIG.key, "region": REGION}}), encoding="utf-8")
    result = cli("alert", "list", "--config", config, "--all", "--json")
    assert result.exit_code == 0, result.output
    jobs = sorted((g["rule"], g["job"]) for g in json.loads(result.output)["groups"])
    assert jobs == [("routes.changed", "endpoint_keeper"), ("whitelist.unmanaged", "whitelist_guard")]
