"""acrguard's state: one small JSON document behind ``StateStore`` (SQLite file or OSS object).

``open_store(config.state, factory)`` opens the backend the config names. The OSS SDK is
imported only when an OSS store is used, so the SQLite path never loads it. ``read_only=True``
(every plan and other command that writes nothing) creates nothing and refuses every write: a
SQLite file is opened read-only (a missing one is an empty state), an OSS store is wrapped in
``ReadOnlyStore``.

``job`` names the function whose state to open: in OSS each function has its own document
(``state.job_key(job)``, see ``acrguard.state.perjob``); the SQLite file, local to one machine,
stays one document for every job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acrguard.errors import StateConflict, StateError
from acrguard.state.base import SCHEMA_VERSION, Snapshot, StateStore
from acrguard.state.oss import OssStateStore
from acrguard.state.sqlite import SqliteStateStore

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.state import StateConfig

__all__ = ["SCHEMA_VERSION", "OssStateStore", "ReadOnlyStore", "Snapshot", "SqliteStateStore", "StateConflict",
           "StateError", "StateStore", "open_store"]


class ReadOnlyStore(StateStore):
    """Another store, readable only: ``save`` raises ``StateError`` (a run that must write nothing)."""

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner

    def load(self) -> Snapshot:
        """The inner store's document."""
        return self.inner.load()

    def save(self, snapshot: Snapshot) -> Snapshot:
        """Refused: this run writes nothing."""
        raise StateError("the state is open read-only: this run writes nothing")

    def close(self) -> None:
        """Close the inner store."""
        self.inner.close()


def open_store(config: StateConfig, factory: ClientFactory | None = None, *, read_only: bool = False,
               job: str | None = None) -> StateStore:
    """The store ``config`` names: a SQLite file, or an OSS object read with ``factory``'s credentials.

    With ``job``, the OSS object is that function's own (``config.job_key(job)``), started from its
    part of the document all functions shared before (``config.key``) until its first write.
    """
    if config.backend == "sqlite":
        return SqliteStateStore(config.path, read_only=read_only)
    if config.backend == "oss":
        if factory is None:
            raise StateError("state backend 'oss' needs cloud credentials: open it with a ClientFactory")
        if not config.bucket:
            raise StateError("state backend 'oss' needs state.bucket")
        client = factory.oss(config.region, endpoint=config.endpoint)
        if job is None:
            store = OssStateStore(client, config.bucket, config.key, lock_ttl_seconds=config.lock_ttl_seconds)
        else:
            from acrguard.state.perjob import share_of

            store = OssStateStore(client, config.bucket, config.job_key(job), lock_ttl_seconds=config.lock_ttl_seconds,
                                  shared_key=config.key, adopt=lambda document: share_of(document, job))
        return ReadOnlyStore(store) if read_only else store
    raise StateError(f"unknown state backend {config.backend!r}; expected 'sqlite' or 'oss'")
