"""One state document per function in OSS, and the carrying over of the document they all shared before.

Each function keeps its OSS state in ``<folder of state.key>/<function name>/`` (``StateConfig.job_key``),
so its RAM role can write that folder and nothing else: the pull-key auditor cannot write the
keeper's ownership ledger. Before, all four functions wrote the one object ``state.key``. A
function whose own document does not exist yet starts from its part of that shared one
(``share_of``), read once and never written, and creates its own with its first write. Later runs
read only their own document; the shared one may be deleted once every function has written its
own (``oss://<bucket>/<state.key>`` is then read by nobody).

What a function takes from the shared document:

* ``processed_events``: its own entries (keyed ``<job>|<event id>``), so a redelivered event it
  already handled stays a duplicate;
* ``alerts``: the groups of its own findings (with their notification logs and anything still
  owed to a channel), so nothing is told twice or lost; the robots' send times (rate limits) and
  the channels' rejections; not ``delivering`` (the lease of a run of the shared document);
* every other section as it is (hysteresis, the keeper's ``routes`` ledgers and refusals): each
  function reads only its own sections, and a hold-down counter or an ownership ledger must not
  be lost by the move (an ownership ledger is the keeper's memory of which VPN prefixes it added).

Commands that show every function's state at once (``acrguard alert list``) read each document
(``every_document``) and put their alert groups side by side (``merged_alerts``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.state import StateConfig

#: the sections filtered by job (``acrguard.events.dedup.SECTION`` and ``acrguard.alerts.state.SECTION``)
PROCESSED_EVENTS = "processed_events"
ALERTS = "alerts"


def share_of(document: dict[str, Any], job: str) -> dict[str, Any]:
    """``job``'s part of the document all functions shared (see the module docstring); ``document`` is untouched."""
    mine = copy.deepcopy(document)
    processed = mine.get(PROCESSED_EVENTS)
    if isinstance(processed, dict):
        mine[PROCESSED_EVENTS] = {key: entry for key, entry in processed.items()
                                  if isinstance(key, str) and key.startswith(f"{job}|")}
    alerts = mine.get(ALERTS)
    if isinstance(alerts, dict):
        alerts.pop("delivering", None)
        groups = alerts.get("groups")
        if isinstance(groups, dict):
            alerts["groups"] = {key: group for key, group in groups.items()
                                if isinstance(group, dict) and group.get("job") == job}
    return mine


def every_document(config: StateConfig, factory: ClientFactory) -> dict[str, dict[str, Any]]:
    """Each function's OSS state document, read only (its share of the shared one until it has its own)."""
    from acrguard.functions import FUNCTIONS
    from acrguard.state import open_store

    documents = {}
    for job in FUNCTIONS:
        store = open_store(config, factory, read_only=True, job=job)
        try:
            documents[job] = store.load().data
        finally:
            store.close()
    return documents


def merged_alerts(documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One document whose ``alerts`` holds the alert groups, robots and channels of all ``documents``, side by side
    (for the commands that show every function's alerts at once; a group belongs to one function)."""
    merged: dict[str, Any] = {"groups": {}, "robots": {}, "channels": {}}
    for document in documents:
        alerts = document.get(ALERTS)
        if not isinstance(alerts, dict):
            continue
        for part in ("groups", "robots", "channels"):
            if isinstance(alerts.get(part), dict):
                merged[part].update(alerts[part])
    return {ALERTS: merged}
