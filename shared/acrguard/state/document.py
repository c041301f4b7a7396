"""The records of a store seen as the one JSON document acrguard kept before, for people and tests.

``read_document`` assembles every record into that document (``acrguard.state.keys.join_records``:
``{"alerts": {"groups": ...}, "hysteresis": ..., "routes": ..., "processed_events": ...}``);
``edit_document`` lets a caller change that document and writes back only the records that changed,
each with its version check. Both read every record: they are for inspecting and repairing the
state by hand, never for a job's path.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from acrguard.state import keys
from acrguard.state.base import StateStore


def read_document(store: StateStore) -> dict[str, Any]:
    """Every record of ``store`` as the one document of before (acrguard's own bookkeeping left out)."""
    return keys.join_records(store.values(""))


def edit_document(store: StateStore, change: Callable[[dict[str, Any]], Any]) -> None:
    """Apply ``change`` to the document view and write the records it changed (``StateConflict`` if one moved)."""
    records = {key: record for key, record in store.get_many(prefix="").items() if not key.startswith("_")}
    document = keys.join_records({key: copy.deepcopy(record.value) for key, record in records.items()})
    change(document)
    wanted = keys.split_document(document)
    for key, value in sorted(wanted.items()):
        found = records.get(key)
        if found is None or found.value != value:
            store.put(key, value, None if found is None else found.version)
    for key, record in sorted(records.items()):
        if key not in wanted:
            store.delete(key, record.version)
