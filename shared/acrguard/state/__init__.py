"""acrguard's state: small versioned records behind ``StateStore`` (rows of a SQLite file, or OSS objects).

``open_store(config.state, factory)`` opens the backend the config names. The OSS SDK is
imported only when an OSS store is used, so the SQLite path never loads it. ``read_only=True``
(every plan and other command that writes nothing) creates nothing and refuses every write: a
SQLite file is opened read-only (a missing one is an empty state), an OSS store refuses writes.

``job`` names the function whose state to open: in OSS each function keeps its records in its own
folder (``state.job_prefix(job)``, see ``acrguard.state.perjob``); the SQLite file, local to one
machine, holds every job's records together. ``namespace`` keeps another set of records apart
inside that (an organisation's account, ``"accounts/<id>/"``): in SQLite it is the rows'
namespace column, in OSS a folder under the function's records.

Records are named in ``acrguard.state.keys``; the one JSON document acrguard kept before is
migrated into records on first use (``acrguard.state.sqlite``, ``acrguard.state.oss``).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from acrguard.errors import StateConflict, StateError
from acrguard.state.base import SCHEMA_VERSION, ReadOnlyStore, Record, StateStore, StoreStats
from acrguard.state.oss import OssStateStore
from acrguard.state.sqlite import SqliteStateStore

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.state import StateConfig

__all__ = ["SCHEMA_VERSION", "OssStateStore", "ReadOnlyStore", "Record", "SqliteStateStore", "StateConflict",
           "StateError", "StateStore", "StoreStats", "open_store"]


def open_store(config: StateConfig, factory: ClientFactory | None = None, *, read_only: bool = False,
               job: str | None = None, namespace: str = "") -> StateStore:
    """The store ``config`` names: a SQLite file, or OSS objects read with ``factory``'s credentials.

    With ``job``, the OSS records are that function's own (under ``config.job_prefix(job)``), carried
    over on first use from its document of before (``config.job_key(job)``) or, failing that, from its
    part of the document all functions shared before that (``config.key``). ``namespace`` (ending with
    ``/``) opens the records kept apart under it.
    """
    if namespace and not namespace.endswith("/"):
        raise StateError(f"a state namespace ends with '/': {namespace!r}")
    if config.backend == "sqlite":
        return SqliteStateStore(config.path, read_only=read_only, namespace=namespace)
    if config.backend == "oss":
        if factory is None:
            raise StateError("state backend 'oss' needs cloud credentials: open it with a ClientFactory")
        if not config.bucket:
            raise StateError("state backend 'oss' needs state.bucket")
        client = factory.oss(config.region, endpoint=config.endpoint)
        options = {"lock_ttl_seconds": config.lock_ttl_seconds, "read_only": read_only}
        if job is None:
            folder = posixpath.dirname(config.key)
            root = f"{folder}/shared/" if folder else "shared/"
            legacy: dict[str, object] = {"legacy_key": config.key}
        else:
            from acrguard.state.perjob import share_of

            root = config.job_prefix(job)
            legacy = {"legacy_key": config.job_key(job), "shared_key": config.key,
                      "adopt": lambda document: share_of(document, job)}
        if namespace:
            return OssStateStore(client, config.bucket, root + namespace, **options)  # type: ignore[arg-type]
        return OssStateStore(client, config.bucket, root, **options, **legacy)  # type: ignore[arg-type]
    raise StateError(f"unknown state backend {config.backend!r}; expected 'sqlite' or 'oss'")
