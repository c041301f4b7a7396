"""The cloud state backend: one OSS object per record, each written with compare-and-swap.

The record ``<key>`` is the object ``<root>records/<key>`` (``root`` is a function's state folder,
``state/acrguard-endpoint-keeper/``); its version is the object's ETag. ``get`` is one
``GetObject`` (a missing object is no record; one that is not JSON is a ``StateError`` naming the
object, and is never overwritten); ``list`` pages through ``ListObjectsV2``; ``get_many`` reads
several objects at once (a few threads).

OSS ``PutObject`` has no ``If-Match`` (neither the PutObject API page nor the SDK's
``PutObjectRequest`` offers one; only reads take ``If-Match``), so compare-and-swap is built from the
one atomic primitive OSS offers, ``x-oss-forbid-overwrite: true`` (create-if-absent, ``409
FileAlreadyExists``):

* **Create** (``expected_version`` None): ``PutObject`` with forbid-overwrite, a true compare-and-swap
  on its own.
* **Update or delete**: take the record's lock, ``<root>locks/<key>``, by creating it with
  forbid-overwrite (its body names the holder: a random token, host, pid; only one writer can create
  it; the others wait, briefly, bounded by ``lock_wait_seconds``, and give up with ``StateConflict``
  if the record changed meanwhile or the lock stays held; a 409 on a lock whose token is ours is our
  own retried request). Then ``HeadObject`` the record: if its ETag is not the version the caller
  read, release and raise ``StateConflict``. No one else can write between this check and the write,
  because every updater and deleter holds the lock and a create fails on an existing object. Then
  ``PutObject`` (``Content-MD5``) or ``DeleteObject``, and release (``DeleteObject`` of the lock;
  best effort: a lock left behind only expires).

Stale locks (a writer that crashed holding one) expire ``lock_ttl_seconds`` after they were written,
measured on the server's clock (the lock's ``Last-Modified`` against the response's ``Date``), so
client clock skew does not matter. Breaking a stale lock must itself be exclusive, or two breakers
could each delete the other's fresh lock: a breaker first creates the tombstone
``<root>locks-broken/<key>/<ETag of the stale lock>`` with forbid-overwrite, and only the one that
created it deletes the lock (the ETag is unique per lock because each body holds a new token).
Tombstones are tiny, one per crash, and kept so that a slow second breaker cannot reuse one. A holder
that finds it has held a lock for half the TTL neither writes nor deletes the lock (``StateError``),
so a holder is never still acting once its lock may be broken, as long as one request takes less
than half the TTL (the client's timeouts and retries keep it far shorter).

**Migration.** Before, a function's state was one JSON document (``legacy_key``,
``state/<function>/acrguard.json``), and before that all functions shared ``shared_key``
(``state/acrguard.json``; a function takes its part of it, ``adopt``). On first use, a store whose
migration marker (the record ``keys.MIGRATION``) is missing reads the function's document (or its part
of the shared one) once, creates its records with forbid-overwrite (an existing record is left as it
is, so a migration that crashed half-way and runs again neither loses nor duplicates anything), and
creates the marker last. The documents are never written. A document that cannot be parsed is
reported (``StateError``) and left as it is; nothing is written then. A read-only store reads an
unmigrated document as records in memory. The remaining assumption is that no two instances of one
function migrate at the same moment (FC reserved concurrency 1): a slow second migration could
otherwise create again a record the first run already deleted.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from acrguard.clients import call_oss
from acrguard.errors import CloudCallError, StateConflict, StateError, TransientCloudError
from acrguard.state import keys as layout
from acrguard.state.base import Record, StateStore, check_key

log = logging.getLogger(__name__)

#: objects listed per ListObjectsV2 page (the API's maximum; its default is 100)
LIST_PAGE = 1000
#: concurrent reads and migration writes
WORKERS = 8


@dataclass(frozen=True)
class _Lock:
    """A lock we created: its object key, its token and when (monotonic) we started creating it."""

    key: str
    token: str
    since: float


@dataclass(frozen=True)
class _Holder:
    """The current lock object as read back: who holds it and how old it is on the server's clock."""

    token: str | None
    description: str
    etag: str
    age_seconds: float


class OssStateStore(StateStore):
    """State as one OSS object per record under ``root`` (see the module docstring for the compare-and-swap)."""

    def __init__(self, client: Any, bucket: str, root: str, *, lock_ttl_seconds: float = 120.0,
                 lock_wait_seconds: float = 10.0, legacy_key: str | None = None, shared_key: str | None = None,
                 adopt: Callable[[dict[str, Any]], dict[str, Any]] | None = None, read_only: bool = False) -> None:
        if not bucket or not root.endswith("/") or root.startswith("/"):
            raise ValueError("the OSS state store needs a bucket and a folder (ending with '/')")
        if shared_key is not None and shared_key == legacy_key:
            raise ValueError("the shared state document to carry over cannot be the function's own document")
        self.client = client
        self.bucket = bucket
        self.root = root
        self.records = f"{root}records/"
        self.locks = f"{root}locks/"
        self.legacy_key = legacy_key
        self.shared_key = shared_key
        self.adopt = adopt
        self.read_only = read_only
        self.lock_ttl_seconds = lock_ttl_seconds
        self.lock_wait_seconds = lock_wait_seconds
        self.location = f"oss://{bucket}/{self.records}"
        self._migrated = False
        self._overlay: dict[str, Record] | None = None

    def _object(self, key: str) -> str:
        return self.records + check_key(key)

    # -- migration ---------------------------------------------------------------------------------
    def _ready(self) -> None:
        """Migrate the document of before once, before anything else (see the module docstring)."""
        if self._migrated:
            return
        if self._read_record(layout.MIGRATION) is None:
            document, source = self._legacy_document()
            if document is not None:
                records = layout.split_document(document)
                if self.read_only:
                    self._overlay = {key: Record(key, value, "legacy") for key, value in records.items()}
                else:
                    self._create_all(records)
            if not self.read_only and (document is not None or self.legacy_key or self.shared_key):
                marker = {"from": source, "records": 0 if document is None else len(layout.split_document(document)),
                          "at": time.time()}
                self._create_quietly(layout.MIGRATION, marker)
        self._migrated = True

    def _legacy_document(self) -> tuple[dict[str, Any] | None, str]:
        for key, adopt in ((self.legacy_key, None), (self.shared_key, self.adopt)):
            if key is None:
                continue
            found = self._read_json(key)
            if found is not None:
                document = found[0]
                return (adopt(document) if adopt is not None else document), f"oss://{self.bucket}/{key}"
        return None, ""

    def _create_all(self, records: dict[str, Any]) -> None:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(lambda item: self._create_quietly(*item), records.items()))

    def _create_quietly(self, key: str, value: Any) -> None:
        """Create a record unless it exists (a migration run again leaves what it wrote before)."""
        with contextlib.suppress(StateConflict):
            self._create(self._object(key), self._body(value))

    @staticmethod
    def _body(value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          default=str).encode("utf-8")

    # -- reading -----------------------------------------------------------------------------------
    def _read_json(self, object_key: str) -> tuple[Any, str] | None:
        """The JSON value at ``object_key`` and its ETag, or None when there is no such object."""
        import alibabacloud_oss_v2 as oss

        location = f"oss://{self.bucket}/{object_key}"
        try:
            result = call_oss("GetObject", self.client.get_object,
                              oss.GetObjectRequest(bucket=self.bucket, key=object_key))
        except CloudCallError as err:
            if err.code == "NoSuchKey":
                return None
            raise self._failure("read", err, location) from None
        try:
            raw = result.body.read()
        finally:
            result.body.close()
        self.stats.reads += 1
        try:
            value: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StateError(f"state in {location} is corrupt (not UTF-8 JSON: {exc}); it was left untouched: fix "
                             "or remove the object to start again") from None
        if object_key in (self.legacy_key, self.shared_key) and not isinstance(value, dict):
            raise StateError(f"state in {location} is corrupt (expected a JSON object, found "
                             f"{type(value).__name__}); it was left untouched")
        return value, result.etag

    def _read_record(self, key: str) -> Record | None:
        found = self._read_json(self._object(key))
        if found is None:
            return None
        return Record(key, found[0], found[1])

    def get(self, key: str) -> Record | None:
        """The record at ``key`` (one GetObject)."""
        self._ready()
        found = self._read_record(key)
        if found is None and self._overlay is not None and key in self._overlay:
            return self._copy(self._overlay[key])
        return found

    @staticmethod
    def _copy(record: Record) -> Record:
        return Record(record.key, json.loads(json.dumps(record.value)), record.version)

    def get_many(self, keys: Iterable[str] | None = None, *, prefix: str | None = None) -> dict[str, Record]:
        """The records at ``keys`` (or under ``prefix``), read a few at a time."""
        self._ready()
        if keys is None:
            if prefix is None:
                raise ValueError("get_many needs keys or a prefix")
            keys = self.list(prefix)
        wanted = list(dict.fromkeys(keys))
        if len(wanted) <= 1:
            found = [self._read_record(key) for key in wanted]
        else:
            with ThreadPoolExecutor(max_workers=min(WORKERS, len(wanted))) as pool:
                found = list(pool.map(self._read_record, wanted))
        records = {record.key: record for record in found if record is not None}
        if self._overlay is not None:
            records.update({k: self._copy(r) for k, r in self._overlay.items() if k in wanted and k not in records})
        return records

    def list(self, prefix: str, *, before: str | None = None) -> list[str]:
        """The record keys under ``prefix`` (before ``before``), sorted: ``ListObjectsV2`` pages."""
        import alibabacloud_oss_v2 as oss

        self._ready()
        found: list[str] = []
        token: str | None = None
        cut = len(self.records)
        while True:
            request = oss.ListObjectsV2Request(bucket=self.bucket, prefix=self.records + prefix, max_keys=LIST_PAGE,
                                               continuation_token=token)
            try:
                result = call_oss("ListObjectsV2", self.client.list_objects_v2, request)
            except CloudCallError as err:
                raise self._failure("list", err) from None
            for item in result.contents or ():
                key = str(item.key)[cut:]
                if before is not None and key >= before:
                    return self._with_overlay(found, prefix, before)
                found.append(key)
            if not result.is_truncated or not result.next_continuation_token:
                return self._with_overlay(found, prefix, before)
            token = result.next_continuation_token

    def _with_overlay(self, found: list[str], prefix: str, before: str | None) -> list[str]:
        if self._overlay is None:
            return found
        extra = {k for k in self._overlay if k.startswith(prefix) and (before is None or k < before)}
        return sorted(set(found) | extra)

    def _current_version(self, object_key: str) -> str | None:
        """The object's ETag now (None when it does not exist)."""
        import alibabacloud_oss_v2 as oss

        try:
            return call_oss("HeadObject", self.client.head_object,
                            oss.HeadObjectRequest(bucket=self.bucket, key=object_key)).etag
        except CloudCallError as err:
            if err.code == "NoSuchKey":
                return None
            raise self._failure("check", err) from None

    # -- writing -----------------------------------------------------------------------------------
    def put(self, key: str, value: Any, expected_version: str | None) -> str:
        """Write ``value`` if the record is still at ``expected_version`` (``StateConflict`` otherwise)."""
        if self.read_only:
            raise StateError("the state is open read-only: this run writes nothing")
        self._ready()
        object_key = self._object(key)
        body = self._body(value)
        if expected_version is None:
            return self._create(object_key, body)
        lock = self._acquire(object_key, expected_version)
        try:
            current = self._current_version(object_key)
            if current != expected_version:
                raise StateConflict(f"state record {key} in {self.location} is at version {current}, not "
                                    f"{expected_version} as read")
            self._check_lease(lock)
            try:
                result = self._put(object_key, body, forbid_overwrite=False)
            except CloudCallError as err:
                raise self._failure("write", err) from None
        finally:
            self._release(lock)
        return result.etag

    def _create(self, object_key: str, body: bytes) -> str:
        try:
            return self._put(object_key, body, forbid_overwrite=True).etag
        except CloudCallError as err:
            if err.code != "FileAlreadyExists":
                raise self._failure("write", err) from None
        # Our own create, retried by the SDK after its answer was lost, also ends here.
        ours = '"' + hashlib.md5(body).hexdigest().upper() + '"'
        if self._current_version(object_key) != ours:
            raise StateConflict(f"state record {object_key} in oss://{self.bucket} was created by another writer")
        return ours

    def delete(self, key: str, expected_version: str) -> None:
        """Delete the record if it is still at ``expected_version`` (under its lock)."""
        import alibabacloud_oss_v2 as oss

        if self.read_only:
            raise StateError("the state is open read-only: this run writes nothing")
        self._ready()
        object_key = self._object(key)
        lock = self._acquire(object_key, expected_version)
        try:
            current = self._current_version(object_key)
            if current is None:
                return
            if current != expected_version:
                raise StateConflict(f"state record {key} in {self.location} is at version {current}, not "
                                    f"{expected_version} as read")
            self._check_lease(lock)
            try:
                call_oss("DeleteObject", self.client.delete_object,
                         oss.DeleteObjectRequest(bucket=self.bucket, key=object_key))
            except CloudCallError as err:
                raise self._failure("delete", err) from None
            self.stats.deletes += 1
        finally:
            self._release(lock)

    def _put(self, key: str, body: bytes, *, forbid_overwrite: bool) -> Any:
        import alibabacloud_oss_v2 as oss

        md5 = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")
        request = oss.PutObjectRequest(bucket=self.bucket, key=key, body=body, content_md5=md5,
                                       content_type="application/json; charset=utf-8",
                                       forbid_overwrite=forbid_overwrite)
        self.stats.writes += 1
        self.stats.bytes_written += len(body)
        return call_oss("PutObject", self.client.put_object, request)

    # -- the locks -------------------------------------------------------------------------------
    def _lock_key(self, object_key: str) -> str:
        return self.locks + object_key[len(self.records):]

    def _acquire(self, object_key: str, expected_version: str | None) -> _Lock:
        """Create the record's lock object, waiting a bounded time for a live holder; break a stale one."""
        lock_key = self._lock_key(object_key)
        token = uuid.uuid4().hex
        body = json.dumps({"token": token, "host": socket.gethostname(), "pid": os.getpid(),
                           "ttl_seconds": self.lock_ttl_seconds}).encode("utf-8")
        deadline = time.monotonic() + self.lock_wait_seconds
        delay = 0.02
        holder = _Holder(None, "another writer", "", 0.0)
        while True:
            since = time.monotonic()
            try:
                self._put(lock_key, body, forbid_overwrite=True)
                return _Lock(lock_key, token, since)
            except CloudCallError as err:
                if err.code != "FileAlreadyExists":
                    raise self._failure("lock", err) from None
            holder = self._read_lock(lock_key) or holder
            if holder.token == token:
                return _Lock(lock_key, token, since)  # our own request was retried after it had succeeded
            if holder.etag and holder.age_seconds >= self.lock_ttl_seconds:
                self._break(lock_key, holder)
            elif self._current_version(object_key) != expected_version:
                raise StateConflict(f"state record {object_key} changed while {holder.description} held its lock")
            if time.monotonic() >= deadline:
                raise StateConflict(f"state record {object_key} is locked by {holder.description} (for "
                                    f"{holder.age_seconds:.0f}s; it expires after {self.lock_ttl_seconds:.0f}s)")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _read_lock(self, lock_key: str) -> _Holder | None:
        """The lock object's holder and age, or None if there is no lock."""
        import alibabacloud_oss_v2 as oss

        try:
            result = call_oss("GetObject", self.client.get_object,
                              oss.GetObjectRequest(bucket=self.bucket, key=lock_key))
        except CloudCallError as err:
            if err.code == "NoSuchKey":
                return None
            raise self._failure("lock", err) from None
        try:
            raw = result.body.read()
        finally:
            result.body.close()
        try:
            info = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            info = {}
        if not isinstance(info, dict):
            info = {}
        description = f"writer {info.get('host', '?')}/{info.get('pid', '?')}"
        server_now = parsedate_to_datetime(result.headers.get("Date")) if result.headers.get("Date") else None
        age = (server_now - result.last_modified).total_seconds() if server_now and result.last_modified else 0.0
        token = info.get("token") if isinstance(info.get("token"), str) else None
        return _Holder(token, description, result.etag, age)

    def _break(self, lock_key: str, holder: _Holder) -> None:
        """Remove a stale lock, exclusively: only the breaker that creates its tombstone deletes it."""
        import alibabacloud_oss_v2 as oss

        tombstone = f"{self.root}locks-broken/{lock_key[len(self.locks):]}/{holder.etag.strip(chr(34))}"
        record = json.dumps({"broken_by": {"host": socket.gethostname(), "pid": os.getpid()},
                             "holder": holder.description, "age_seconds": holder.age_seconds}).encode("utf-8")
        try:
            self._put(tombstone, record, forbid_overwrite=True)
        except CloudCallError as err:
            if err.code == "FileAlreadyExists":
                return  # another writer broke it first
            raise self._failure("lock", err) from None
        log.warning("breaking the stale state lock of %s on oss://%s/%s (%.0fs old, TTL %.0fs)", holder.description,
                    self.bucket, lock_key, holder.age_seconds, self.lock_ttl_seconds)
        try:
            call_oss("DeleteObject", self.client.delete_object,
                     oss.DeleteObjectRequest(bucket=self.bucket, key=lock_key))
        except CloudCallError as err:
            raise self._failure("lock", err) from None

    def _check_lease(self, lock: _Lock) -> None:
        held = time.monotonic() - lock.since
        if held >= self.lock_ttl_seconds / 2:
            raise StateError(f"held the state lock oss://{self.bucket}/{lock.key} for {held:.0f}s, over half its "
                             f"{self.lock_ttl_seconds:.0f}s TTL; not writing, since another writer may break it")

    def _release(self, lock: _Lock) -> None:
        """Delete our lock (best effort; one left behind expires after the TTL)."""
        import alibabacloud_oss_v2 as oss

        if time.monotonic() - lock.since >= self.lock_ttl_seconds / 2:
            log.warning("leaving the state lock oss://%s/%s to expire: held for over half its TTL", self.bucket,
                        lock.key)
            return
        try:
            call_oss("DeleteObject", self.client.delete_object,
                     oss.DeleteObjectRequest(bucket=self.bucket, key=lock.key))
        except CloudCallError as err:
            log.warning("could not release the state lock oss://%s/%s (%s); it expires after %.0fs", self.bucket,
                        lock.key, err, self.lock_ttl_seconds)

    # -- errors ----------------------------------------------------------------------------------
    def _failure(self, what: str, err: CloudCallError, location: str | None = None) -> Exception:
        """Transient failures stay transient (FC retries the run); the rest become ``StateError``."""
        if isinstance(err, TransientCloudError):
            return err
        return StateError(f"cannot {what} state in {location or self.location}: {err}")
