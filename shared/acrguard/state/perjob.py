"""Each function's own state folder in OSS, and the carrying over of the document they all shared before.

Each function keeps its OSS records in ``<folder of state.key>/<function name>/`` (``StateConfig.job_prefix``),
so its RAM role can write that folder and nothing else: the pull-key auditor cannot write the
keeper's ownership ledger. Before records, each function kept one document there
(``StateConfig.job_key``), and before that all four functions wrote the one object ``state.key``. A
function whose records were never migrated starts from its own document, or else from its part of
the shared one (``share_of``), read once and never written (``acrguard.state.oss``, migration).

What a function takes from the shared document:

* ``processed_events``: its own entries (keyed ``<job>|<event id>``), so a redelivered event it
  already handled stays a duplicate;
* ``alerts``: the groups of its own findings (with their notification logs and anything still
  owed to a channel), so nothing is told twice or lost; the robots' send times (rate limits) and
  the channels' rejections; not ``delivering`` (the lease of a run of the shared document);
* every other section as it is (hysteresis, the keeper's ``routes`` ledgers and refusals): each
  function reads only its own records, and a hold-down counter or an ownership ledger must not
  be lost by the move (an ownership ledger is the keeper's memory of which VPN prefixes it added).

Commands that show every function's state at once (``acrguard alert list``) open each function's
store read-only (``every_store``) and put their alert groups side by side.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.state import StateConfig
    from acrguard.state.base import StateStore

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


def every_store(config: StateConfig, factory: ClientFactory) -> dict[str, StateStore]:
    """Each function's OSS store, opened read-only (its share of the shared document until it has records)."""
    from acrguard.functions import FUNCTIONS
    from acrguard.state import open_store

    return {job: open_store(config, factory, read_only=True, job=job) for job in FUNCTIONS}
