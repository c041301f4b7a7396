"""The one document of before becomes records on first use: once, completely, and never at the document's expense."""

from __future__ import annotations

import json
import re
import sqlite3

import alibabacloud_oss_v2 as oss
import pytest

from acrguard.state import OssStateStore, SqliteStateStore, StateError, keys
from acrguard.state.document import read_document

#: a document as acrguard wrote it before records (every section the code kept)
DOCUMENT = {
    "schema": 1,
    "processed_events": {"whitelist_guard|acs.cr#1": {"state": "done", "at": 1.0, "expires": 9e9},
                         "endpoint_keeper|timer:a": {"state": "done", "at": 2.0, "expires": 9e9}},
    "alerts": {
        "groups": {"whitelist.unmanaged|cri-1": {"rule": "whitelist.unmanaged", "scope": "cri-1",
                                                  "job": "whitelist_guard", "first_seen": 5.0, "findings": {},
                                                  "notified": {"ops": {"pending": {"firing": ["f1"]}}}},
                   "pullkey.key-too-old|ram-user/bob": {"rule": "pullkey.key-too-old", "scope": "ram-user/bob",
                                                        "job": "pullkey_auditor", "findings": {}, "notified": {}}},
        "robots": {"r1": {"sent": [1.0], "blocked_until": 0.0}},
        "channels": {"ops": {"rejected": {"config": "c", "at": 3.0, "error": "e"}}},
        "delivering": {"token": "t", "until": 9e9},
    },
    "hysteresis": {"routes:cri-1": {"oss": {"100.118.28.1": {"first_seen": 1.0, "last_seen": 1.0, "misses": 0,
                                                            "first_missed": None}}}},
    "routes": {"owned": {"cri-1": {"vpn_connection:vco-1": {"100.118.28.0/24": "oss"}}},
               "refused": {"vbr_route_table:vtb-1": {"100.118.28.0/24": {"family": "oss", "code": "quota",
                                                                          "reason": "r", "at": 1.0}}},
               "exported": {"cri-1": {"oss": {"prefixes": ["100.118.28.0/24"], "records": {}}}},
               "retiring": {"cri-1": {"vpn_connection:vco-1": {}}}},
    "whitelist_leases": {"cri-1": {"token": "x", "until": 1.0}},
}


def legacy_file(path, document=DOCUMENT, text: str | None = None) -> None:
    """A SQLite file as acrguard wrote it before: one document in the row id 1 of ``acrguard_state``."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE acrguard_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, "
                   "data TEXT NOT NULL)")
        db.execute("INSERT INTO acrguard_state VALUES (1, 7, ?)", (text if text is not None else json.dumps(document),))


def without_schema(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "schema"}


def test_the_layout_splits_a_document_into_records_and_joins_them_back():
    """Every section of the document has its records, and the records make up the same document."""
    records = keys.split_document(DOCUMENT)
    assert keys.join_records(records) == without_schema(DOCUMENT)
    assert records[keys.group("pullkey.key-too-old|ram-user/bob")]["job"] == "pullkey_auditor"
    assert keys.group("pullkey.key-too-old|ram-user/bob") == "alerts/groups/ram-user%2Fbob/pullkey.key-too-old"
    assert records["hysteresis/routes%3Acri-1"] == DOCUMENT["hysteresis"]["routes:cri-1"]
    assert records["alerts/delivering"] == {"token": "t", "until": 9e9}


def test_a_sqlite_document_is_migrated_once_on_first_use(tmp_path):
    """A writer opening a file of before writes every record and the marker; the old table stays as it was."""
    path = tmp_path / "state.db"
    legacy_file(path)
    store = SqliteStateStore(path)
    assert read_document(store) == without_schema(DOCUMENT)
    assert store.get(keys.MIGRATION).value["records"] == len(keys.split_document(DOCUMENT))
    with sqlite3.connect(path) as db:
        assert json.loads(db.execute("SELECT data FROM acrguard_state").fetchone()[0]) == DOCUMENT
    store.update("hysteresis/routes%3Acri-1", lambda value: value.clear())
    again = SqliteStateStore(path)  # a second opening migrates nothing again: the deleted record stays deleted
    assert again.get("hysteresis/routes%3Acri-1") is None


def test_a_sqlite_migration_that_crashed_leaves_nothing_half_done(tmp_path):
    """The records and the marker are one transaction: an interrupted migration leaves no record, the next one all."""
    path = tmp_path / "state.db"
    legacy_file(path)
    with sqlite3.connect(path) as db:  # what a crash inside the transaction leaves: the schema, no row
        db.execute("CREATE TABLE acrguard_records (namespace TEXT NOT NULL, key TEXT NOT NULL, version TEXT NOT NULL, "
                   "value TEXT NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID")
        db.execute("INSERT INTO acrguard_records VALUES ('', 'hysteresis/routes%3Acri-1', 'v', '{\"oss\":{}}')")
    store = SqliteStateStore(path)
    assert store.get("hysteresis/routes%3Acri-1").value == {"oss": {}}  # an existing record is never overwritten
    assert store.get(keys.group("whitelist.unmanaged|cri-1")) is not None
    assert len(store.list("")) == len(keys.split_document(DOCUMENT)) + 1  # and each record once, with the marker


def test_an_unreadable_sqlite_document_is_reported_and_left_as_it_is(tmp_path):
    """A document that is not JSON stops the store with StateError; nothing is written, the row stays."""
    path = tmp_path / "state.db"
    legacy_file(path, text='{"routes": {')
    with pytest.raises(StateError, match="corrupt"):
        SqliteStateStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT data FROM acrguard_state").fetchone()[0] == '{"routes": {'
        assert db.execute("SELECT count(*) FROM acrguard_records").fetchone()[0] == 0


def _put(oss_backend, key: str, body: bytes) -> None:
    oss_backend.client.put_object(oss.PutObjectRequest(bucket=oss_backend.bucket, key=key, body=body))


def test_an_oss_document_is_migrated_once_and_never_written(cloud, oss_backend):
    """The function's document becomes records (created, never overwritten), the marker last; the document stays."""
    _put(oss_backend, "acrguard/acrguard.json", json.dumps(DOCUMENT).encode())
    store = OssStateStore(oss_backend.client, oss_backend.bucket, "acrguard/", legacy_key="acrguard/acrguard.json")
    assert read_document(store) == without_schema(DOCUMENT)
    puts = [r.params["Key"] for r in cloud.requests.filter(product="oss", action="PutObject")]
    assert puts[-1] == "acrguard/records/_meta/migration" and "acrguard/acrguard.json" not in puts[1:]
    assert json.loads(oss_backend.raw("acrguard/acrguard.json", record=False)) == DOCUMENT
    mark = cloud.requests.last_seq()
    OssStateStore(oss_backend.client, oss_backend.bucket, "acrguard/", legacy_key="acrguard/acrguard.json").get("x")
    assert [r.params["Key"] for r in cloud.requests.filter(product="oss", since=mark)] == [
        "acrguard/records/_meta/migration", "acrguard/records/x"]  # later runs read the marker, not the document


def test_an_oss_migration_that_crashed_half_way_completes_without_duplicates(cloud, oss_backend):
    """Records a crashed migration created are left as they are; the rest and the marker are created next time."""
    _put(oss_backend, "acrguard/acrguard.json", json.dumps(DOCUMENT).encode())
    _put(oss_backend, "acrguard/records/hysteresis/routes%3Acri-1", b'{"oss": {}}')
    store = OssStateStore(oss_backend.client, oss_backend.bucket, "acrguard/", legacy_key="acrguard/acrguard.json")
    assert store.get("hysteresis/routes%3Acri-1").value == {"oss": {}}
    assert len(store.list("")) == len(keys.split_document(DOCUMENT)) + 1


def test_an_unreadable_oss_document_is_reported_and_nothing_is_written(cloud, oss_backend):
    """A document that is not a JSON object stops the store; no record and no marker are created."""
    _put(oss_backend, "acrguard/acrguard.json", b"[1, 2]")
    mark = cloud.requests.last_seq()
    store = OssStateStore(oss_backend.client, oss_backend.bucket, "acrguard/", legacy_key="acrguard/acrguard.json")
    with pytest.raises(StateError, match=re.escape("oss://acrguard-state/acrguard/acrguard.json")):
        store.update("x", lambda value: value.update(x=1))
    assert cloud.requests.filter(product="oss", action="PutObject", since=mark) == []
