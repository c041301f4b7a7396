"""acrguard's state: one small JSON document behind ``StateStore`` (SQLite file or OSS object).

``open_store(config.state, factory)`` opens the backend the config names. The OSS SDK is
imported only when an OSS store is used, so the SQLite path never loads it.
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

__all__ = ["SCHEMA_VERSION", "OssStateStore", "Snapshot", "SqliteStateStore", "StateConflict", "StateError",
           "StateStore", "open_store"]


def open_store(config: StateConfig, factory: ClientFactory | None = None) -> StateStore:
    """The store ``config`` names: a SQLite file, or an OSS object read with ``factory``'s credentials."""
    if config.backend == "sqlite":
        return SqliteStateStore(config.path)
    if config.backend == "oss":
        if factory is None:
            raise StateError("state backend 'oss' needs cloud credentials: open it with a ClientFactory")
        if not config.bucket:
            raise StateError("state backend 'oss' needs state.bucket")
        client = factory.oss(config.region, endpoint=config.endpoint)
        return OssStateStore(client, config.bucket, config.key, lock_ttl_seconds=config.lock_ttl_seconds)
    raise StateError(f"unknown state backend {config.backend!r}; expected 'sqlite' or 'oss'")
