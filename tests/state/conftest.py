"""State tests: both backends behind one test interface, and a world with the OSS state bucket.

``backend`` is parametrized over SQLite (a file in ``tmp_path``) and OSS (an object in the local
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
STATE_KEY = "acrguard/state.json"


class SqliteBackend:
    """A SQLite file in the test's temporary directory."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    def open(self) -> StateStore:
        """A new store on the same file (another writer, as far as the store can tell)."""
        return SqliteStateStore(self.path)

    def _db(self) -> sqlite3.Connection:
        self.open().close()  # creates the schema
        return sqlite3.connect(str(self.path), isolation_level=None)

    def corrupt(self, text: bytes) -> None:
        """Store ``text`` as the document, bypassing the store."""
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO acrguard_state (id, version, data) VALUES (1, 7, ?)", (text.decode(),))

    def raw(self) -> bytes | None:
        """The stored document as bytes (None when there is none)."""
        with self._db() as db:
            row = db.execute("SELECT data FROM acrguard_state WHERE id = 1").fetchone()
        return None if row is None else row[0].encode()

    def writes(self) -> int:
        """How many times the document was written (the SQLite version counts writes)."""
        with self._db() as db:
            row = db.execute("SELECT version FROM acrguard_state WHERE id = 1").fetchone()
        return 0 if row is None else int(row[0])


class OssBackend:
    """An object in the local cloud's OSS, through the real SDK."""

    name = "oss"

    def __init__(self, cloud: LocalCloud, factory: ClientFactory, bucket: str, key: str) -> None:
        self.cloud = cloud
        self.client = factory.oss()
        self.bucket = bucket
        self.key = key
        self.location = f"oss://{bucket}/{key}"

    def open(self, **options: float) -> OssStateStore:
        """A new store on the same object."""
        return OssStateStore(self.client, self.bucket, self.key, **options)

    def corrupt(self, text: bytes) -> None:
        """Store ``text`` as the document, bypassing the store."""
        self.client.put_object(oss.PutObjectRequest(bucket=self.bucket, key=self.key, body=text))

    def raw(self, key: str | None = None) -> bytes | None:
        """The stored bytes of the document (or of ``key``), None when absent."""
        try:
            result = self.client.get_object(oss.GetObjectRequest(bucket=self.bucket, key=key or self.key))
        except oss_errors.OperationError as exc:
            if "NoSuchKey" in str(exc):
                return None
            raise
        return result.body.read()

    def writes(self) -> int:
        """Successful PutObject requests on the document's key (lock objects not counted)."""
        return sum(1 for r in self.cloud.requests.filter(product="oss", action="PutObject", ok=True)
                   if r.params.get("Key") == self.key)


@pytest.fixture
def world() -> dict[str, Any]:
    """The base world with an OSS bucket for the state document."""
    data = base_world()
    data["oss"] = {"buckets": [{"name": STATE_BUCKET, "account": ACCOUNT, "region": REGION}]}
    return data


@pytest.fixture
def oss_backend(cloud: LocalCloud, factory: ClientFactory) -> OssBackend:
    """The OSS backend on the local cloud."""
    return OssBackend(cloud, factory, STATE_BUCKET, STATE_KEY)


@pytest.fixture(params=["sqlite", "oss"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteBackend | OssBackend:
    """Each backend in turn (the contract suite runs once per backend)."""
    if request.param == "sqlite":
        return SqliteBackend(tmp_path / "state" / "acrguard.db")
    return request.getfixturevalue("oss_backend")
