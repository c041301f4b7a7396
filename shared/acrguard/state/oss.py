"""The cloud state backend: one JSON object in an OSS bucket, written with compare-and-swap.

The document is ``oss://<bucket>/<key>``; its version is the object's ETag. ``load`` is one
``GetObject`` (a missing object is an empty snapshot; one that is not a JSON object is a
``StateError`` naming the object, and is never overwritten).

OSS ``PutObject`` has no ``If-Match``, so ``save`` builds compare-and-swap from the one atomic
primitive OSS offers, ``x-oss-forbid-overwrite: true`` (create-if-absent, ``409 FileAlreadyExists``):

1. **Lock.** Create ``<key>.lock`` with forbid-overwrite. Its body names the holder (a random
   token, host, pid). Only one writer can create it; the others wait (briefly, bounded by
   ``lock_wait_seconds``) and give up with ``StateConflict`` if the document changed meanwhile
   or the lock stays held. A 409 on a lock whose token is ours is our own retried request.
2. **Check.** ``HeadObject`` the document: if its ETag is not the version the caller read
   (or the document appeared when the caller read none), release and raise ``StateConflict``.
   No one else can write between this check and step 3, because every writer holds the lock.
3. **Write.** ``PutObject`` the document with ``Content-MD5`` (and forbid-overwrite when the
   caller read no document, which is a true compare-and-swap on its own). The new ETag is the
   new version.
4. **Release.** ``DeleteObject`` the lock (best effort: a lock left behind only expires).

Stale locks (a writer that crashed between 1 and 4) expire ``lock_ttl_seconds`` after they were
written, measured on the server's clock (the lock's ``Last-Modified`` against the response's
``Date``), so client clock skew does not matter. Breaking a stale lock must itself be exclusive,
or two breakers could each delete the other's fresh lock: a breaker first creates the tombstone
``<key>.lock-broken/<ETag of the stale lock>`` with forbid-overwrite, and only the one that
created it deletes the lock (the ETag is unique per lock because each body holds a new token).
Tombstones are tiny, one per crash, and kept so that a slow second breaker cannot reuse one.

The remaining assumption is the usual one for leases: a live holder finishes within the TTL. A
holder that finds it has held the lock for half the TTL neither writes nor deletes the lock
(``StateError``), so a holder is never still acting once its lock may be broken, as long as one
request takes less than half the TTL (the client's timeouts and retries keep it far shorter).
Writers are serialized by FC reserved concurrency 1 in the first place; this is the second line.

Each function has a document of its own (``acrguard.state.perjob``). Opened with ``shared_key``
(the document all functions shared before) and ``adopt`` (the function's part of it), a store
whose document does not exist yet loads that part of the shared one, with no version: its first
write creates the function's own document (forbid-overwrite), and the shared one is never written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from acrguard.clients import call_oss
from acrguard.errors import CloudCallError, StateConflict, StateError, TransientCloudError
from acrguard.state.base import Snapshot, StateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Lock:
    """A lock we created: its token and when (monotonic) we started creating it."""

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
    """State as one JSON object in OSS (see the module docstring for the compare-and-swap)."""

    def __init__(self, client: Any, bucket: str, key: str, *, lock_ttl_seconds: float = 120.0,
                 lock_wait_seconds: float = 10.0, shared_key: str | None = None,
                 adopt: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        if not bucket or not key:
            raise ValueError("the OSS state store needs a bucket and an object key")
        if shared_key == key:
            raise ValueError("the shared state document to carry over cannot be the store's own document")
        self.client = client
        self.bucket = bucket
        self.key = key
        self.shared_key = shared_key
        self.adopt = adopt
        self.lock_key = f"{key}.lock"
        self.lock_ttl_seconds = lock_ttl_seconds
        self.lock_wait_seconds = lock_wait_seconds

    @property
    def location(self) -> str:
        """``oss://bucket/key``, for messages."""
        return f"oss://{self.bucket}/{self.key}"

    # -- reading ---------------------------------------------------------------------------------
    def load(self) -> Snapshot:
        """Read the document; a missing one is empty (or the share of the old shared one), an unparsable one is
        reported and left alone."""
        found = self._read(self.key)
        if found is not None:
            return Snapshot(*found)
        if self.shared_key is None:
            return Snapshot({}, None)
        shared = self._read(self.shared_key)
        if shared is None:
            return Snapshot({}, None)
        data = shared[0]
        return Snapshot(self.adopt(data) if self.adopt is not None else data, None)

    def _read(self, key: str) -> tuple[dict[str, Any], str] | None:
        """The JSON object at ``key`` and its ETag, or None when there is no such object."""
        import alibabacloud_oss_v2 as oss

        location = f"oss://{self.bucket}/{key}"
        try:
            result = call_oss("GetObject", self.client.get_object,
                                oss.GetObjectRequest(bucket=self.bucket, key=key))
        except CloudCallError as err:
            if err.code == "NoSuchKey":
                return None
            raise self._failure("read", err, location) from None
        try:
            raw = result.body.read()
        finally:
            result.body.close()
        try:
            data: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StateError(f"state in {location} is corrupt (not UTF-8 JSON: {exc}); it was left "
                             "untouched: fix or remove the object to start again") from None
        if not isinstance(data, dict):
            raise StateError(f"state in {location} is corrupt (expected a JSON object, found "
                             f"{type(data).__name__}); it was left untouched")
        return data, result.etag

    def _current_version(self) -> str | None:
        """The document's ETag now (None when it does not exist)."""
        import alibabacloud_oss_v2 as oss

        try:
            return call_oss("HeadObject", self.client.head_object,
                              oss.HeadObjectRequest(bucket=self.bucket, key=self.key)).etag
        except CloudCallError as err:
            if err.code == "NoSuchKey":
                return None
            raise self._failure("check", err) from None

    # -- writing ---------------------------------------------------------------------------------
    def save(self, snapshot: Snapshot) -> Snapshot:
        """Write if the stored version is still ``snapshot.version`` (``StateConflict`` otherwise)."""
        body = json.dumps(snapshot.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          default=str).encode("utf-8")
        lock = self._acquire(snapshot.version)
        try:
            current = self._current_version()
            if current != snapshot.version:
                raise StateConflict(f"state in {self.location} is at version {current}, not {snapshot.version} "
                                    "as read")
            self._check_lease(lock)
            try:
                result = self._put(self.key, body, forbid_overwrite=snapshot.version is None,
                                   content_type="application/json; charset=utf-8")
            except CloudCallError as err:
                if err.code != "FileAlreadyExists":
                    raise self._failure("write", err) from None
                # Our own create, retried by the SDK after its answer was lost, also ends here.
                ours = '"' + hashlib.md5(body).hexdigest().upper() + '"'
                if self._current_version() != ours:
                    raise StateConflict(f"state in {self.location} was created by another writer") from None
                return Snapshot(snapshot.data, ours)
        finally:
            self._release(lock)
        return Snapshot(snapshot.data, result.etag)

    def _put(self, key: str, body: bytes, *, forbid_overwrite: bool, content_type: str) -> Any:
        import alibabacloud_oss_v2 as oss

        md5 = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")
        request = oss.PutObjectRequest(bucket=self.bucket, key=key, body=body, content_md5=md5,
                                       content_type=content_type, forbid_overwrite=forbid_overwrite)
        return call_oss("PutObject", self.client.put_object, request)

    # -- the lock --------------------------------------------------------------------------------
    def _acquire(self, expected_version: str | None) -> _Lock:
        """Create the lock object, waiting a bounded time for a live holder; break a stale one."""
        token = uuid.uuid4().hex
        body = json.dumps({"token": token, "host": socket.gethostname(), "pid": os.getpid(),
                           "ttl_seconds": self.lock_ttl_seconds}).encode("utf-8")
        deadline = time.monotonic() + self.lock_wait_seconds
        delay = 0.02
        holder = _Holder(None, "another writer", "", 0.0)
        while True:
            since = time.monotonic()
            try:
                self._put(self.lock_key, body, forbid_overwrite=True, content_type="application/json")
                return _Lock(token, since)
            except CloudCallError as err:
                if err.code != "FileAlreadyExists":
                    raise self._failure("lock", err) from None
            holder = self._read_lock() or holder
            if holder.token == token:
                return _Lock(token, since)  # our own request was retried after it had succeeded
            if holder.etag and holder.age_seconds >= self.lock_ttl_seconds:
                self._break(holder)
            elif self._current_version() != expected_version:
                raise StateConflict(f"state in {self.location} changed while {holder.description} held its lock")
            if time.monotonic() >= deadline:
                raise StateConflict(f"state in {self.location} is locked by {holder.description} (for "
                                    f"{holder.age_seconds:.0f}s; it expires after {self.lock_ttl_seconds:.0f}s)")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _read_lock(self) -> _Holder | None:
        """The lock object's holder and age, or None if there is no lock."""
        import alibabacloud_oss_v2 as oss

        try:
            result = call_oss("GetObject", self.client.get_object,
                                oss.GetObjectRequest(bucket=self.bucket, key=self.lock_key))
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

    def _break(self, holder: _Holder) -> None:
        """Remove a stale lock, exclusively: only the breaker that creates its tombstone deletes it."""
        import alibabacloud_oss_v2 as oss

        tombstone = f"{self.key}.lock-broken/{holder.etag.strip(chr(34))}"
        record = json.dumps({"broken_by": {"host": socket.gethostname(), "pid": os.getpid()},
                             "holder": holder.description, "age_seconds": holder.age_seconds}).encode("utf-8")
        try:
            self._put(tombstone, record, forbid_overwrite=True, content_type="application/json")
        except CloudCallError as err:
            if err.code == "FileAlreadyExists":
                return  # another writer broke it first
            raise self._failure("lock", err) from None
        log.warning("breaking the stale state lock of %s on %s (%.0fs old, TTL %.0fs)", holder.description,
                    self.location, holder.age_seconds, self.lock_ttl_seconds)
        try:
            call_oss("DeleteObject", self.client.delete_object,
                       oss.DeleteObjectRequest(bucket=self.bucket, key=self.lock_key))
        except CloudCallError as err:
            raise self._failure("lock", err) from None

    def _check_lease(self, lock: _Lock) -> None:
        held = time.monotonic() - lock.since
        if held >= self.lock_ttl_seconds / 2:
            raise StateError(f"held the state lock on {self.location} for {held:.0f}s, over half its "
                             f"{self.lock_ttl_seconds:.0f}s TTL; not writing, since another writer may break it")

    def _release(self, lock: _Lock) -> None:
        """Delete our lock (best effort; one left behind expires after the TTL)."""
        import alibabacloud_oss_v2 as oss

        if time.monotonic() - lock.since >= self.lock_ttl_seconds / 2:
            log.warning("leaving the state lock on %s to expire: held for over half its TTL", self.location)
            return
        try:
            call_oss("DeleteObject", self.client.delete_object,
                       oss.DeleteObjectRequest(bucket=self.bucket, key=self.lock_key))
        except CloudCallError as err:
            log.warning("could not release the state lock on %s (%s); it expires after %.0fs", self.location,
                        err, self.lock_ttl_seconds)

    # -- errors ----------------------------------------------------------------------------------
    def _failure(self, what: str, err: CloudCallError, location: str | None = None) -> Exception:
        """Transient failures stay transient (FC retries the run); the rest become ``StateError``."""
        if isinstance(err, TransientCloudError):
            return err
        return StateError(f"cannot {what} state in {location or self.location}: {err}")
