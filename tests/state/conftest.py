"""State tests: both backends behind one test interface, and a world with the OSS state bucket.

``backend`` is parametrized over SQLite (a file in ``tmp_path``) and OSS (objects in the local
cloud, through the real SDK); the local cloud is only started for the OSS case.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import alibabacloud_oss_v2 as oss
import pytest
from alibabacloud_oss_v2 import exceptions as oss_errors

from acrguard.clients import ClientFactory
from acrguard.state import OssStateStore, SqliteStateStore, StateStore
from localcloud import LocalCloud
from support import ACCOUNT, REGION, base_world

STATE_BUCKET = "acrguard-state"
STATE_ROOT = "acrguard/"


class SqliteBackend:
    """A SQLite file in the test's temporary directory."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._opened: list[StateStore] = []

    def open(self, **options: Any) -> StateStore:
        """A new store on the same file (another writer, as far as the store can tell)."""
        store = SqliteStateStore(self.path, **options)
        self._opened.append(store)
        return store

    def _db(self) -> sqlite3.Connection:
        self.open().close()  # creates the schema
        return sqlite3.connect(str(self.path), isolation_level=None)

    def corrupt(self, key: str, text: bytes) -> None:
        """Store ``text`` as the record ``key``, bypassing the store."""
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO acrguard_records (namespace, key, version, value) VALUES ('', ?, "
                       "'forged', ?)", (key, text.decode("utf-8", errors="replace")))

    def raw(self, key: str) -> bytes | None:
        """The stored bytes of record ``key`` (None when there is none)."""
        with self._db() as db:
            row = db.execute("SELECT value FROM acrguard_records WHERE namespace = '' AND key = ?", (key,)).fetchone()
        return None if row is None else row[0].encode()

    def writes(self) -> int:
        """How many records the store wrote (its own counter, summed over the stores this backend opened)."""
        return sum(store.stats.writes + store.stats.deletes for store in self._opened)


class OssBackend:
    """Objects in the local cloud's OSS, through the real SDK."""

    name = "oss"

    def __init__(self, cloud: LocalCloud, factory: ClientFactory, bucket: str, root: str) -> None:
        self.cloud = cloud
        self.client = factory.oss()
        self.bucket = bucket
        self.root = root
        self.location = f"oss://{bucket}/{root}records/"

    def open(self, **options: Any) -> OssStateStore:
        """A new store on the same folder."""
        return OssStateStore(self.client, self.bucket, self.root, **options)

    def corrupt(self, key: str, text: bytes) -> None:
        """Store ``text`` as the record ``key``, bypassing the store."""
        self.client.put_object(oss.PutObjectRequest(bucket=self.bucket, key=f"{self.root}records/{key}", body=text))

    def raw(self, key: str, *, record: bool = True) -> bytes | None:
        """The stored bytes of record ``key`` (or of the object ``key`` with ``record`` False), None when absent."""
        name = f"{self.root}records/{key}" if record else key
        try:
            result = self.client.get_object(oss.GetObjectRequest(bucket=self.bucket, key=name))
        except oss_errors.OperationError as exc:
            if "NoSuchKey" in str(exc):
                return None
            raise
        return result.body.read()

    def writes(self) -> int:
        """Successful PutObject and DeleteObject requests on record objects (locks not counted)."""
        return sum(1 for r in self.cloud.requests.filter(product="oss", ok=True)
                   if r.action in ("PutObject", "DeleteObject")
                   and str(r.params.get("Key", "")).startswith(f"{self.root}records/"))


@pytest.fixture
def world() -> dict[str, Any]:
    """The base world with an OSS bucket for the state records."""
    data = base_world()
    data["oss"] = {"buckets": [{"name": STATE_BUCKET, "account": ACCOUNT, "region": REGION}]}
    return data


@pytest.fixture
def oss_backend(cloud: LocalCloud, factory: ClientFactory) -> OssBackend:
    """The OSS backend on the local cloud."""
    return OssBackend(cloud, factory, STATE_BUCKET, STATE_ROOT)


@pytest.fixture(params=["sqlite", "oss"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteBackend | OssBackend:
    """Each backend in turn (the contract suite runs once per backend)."""
    if request.param == "sqlite":
        return SqliteBackend(tmp_path / "state" / "acrguard.db")
    return request.getfixturevalue("oss_backend")
