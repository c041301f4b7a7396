"""Every record's key, in one place, and the one-document layout acrguard kept before (to migrate and to show).

Keys are ``/``-separated segments; names that come from the outside (a scope, an instance id, a
group key, a target key) are percent-encoded (``quote(name, safe="")``), so a ``/`` in them
never makes a new segment. The records and the part of the old document each one holds:

====================================================  ==================================================
key                                                   value (the old document's path)
====================================================  ==================================================
``processed_events/<shard>``                          ``processed_events`` entries whose key hashes to the
                                                      shard (``DEDUP_SHARDS`` shards, ``events.dedup``)
``alerts/groups/<group scope>/<rule>``                ``alerts.groups["<rule>|<group scope>"]``
``alerts/robots/<robot id>``                          ``alerts.robots[<robot id>]``
``alerts/channels/<channel>``                         ``alerts.channels[<channel>]``
``alerts/delivering``                                 ``alerts.delivering`` (the delivery lease)
``hysteresis/<scope>``                                ``hysteresis[<scope>]`` (any tracker section likewise)
``routes/owned/<instance id>``                        ``routes.owned[<instance id>]`` (VPN ledgers)
``routes/refused/<target key>``                       ``routes.refused[<target key>]``
``routes/exported/<instance id>``                     ``routes.exported[<instance id>]``
``routes/retiring/<instance id>``                     ``routes.retiring[<instance id>]``
``whitelist_leases/<instance id>``                    ``whitelist_leases[<instance id>]``
``<section>/<name>``                                  any other section that is a map: one record per entry
====================================================  ==================================================

Keys that start with ``_`` are acrguard's own bookkeeping and are not part of the document: the
alert groups' due index (``_alerts/due/<minute>/<shard>``, ``acrguard.alerts.dueindex``) and the
migration marker (``_meta/migration``).

``split_document`` turns an old document into these records and ``join_records`` back; they are
exact inverses for every document acrguard wrote (the ``schema`` number aside).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

#: how many records the processed event ids are spread over (each holds at most its share of the bound)
DEDUP_SHARDS = 32
PROCESSED_EVENTS = "processed_events"
ALERTS = "alerts"
ROUTES = "routes"
#: the migration marker (written last by a migration: its presence means the records are complete)
MIGRATION = "_meta/migration"
#: alerts sub-maps stored one record per entry
_ALERT_MAPS = ("robots", "channels")


def name(text: str) -> str:
    """One key segment for a name that comes from the outside (percent-encoded; never empty)."""
    return quote(str(text), safe="") or "%00"


def unname(segment: str) -> str:
    """The name a segment encodes (``name``'s inverse)."""
    return "" if segment == "%00" else unquote(segment)


# -- the keys of each module ----------------------------------------------------------------------------

def dedup_shard(entry_key: str) -> str:
    """The record of the processed event id ``entry_key`` (``<job>|<correlation id>``)."""
    digest = hashlib.sha256(entry_key.encode("utf-8")).digest()
    return f"{PROCESSED_EVENTS}/{digest[0] % DEDUP_SHARDS:02d}"


def group(group_key: str) -> str:
    """The record of alert group ``group_key`` (``<rule>|<scope>``): filed under its scope, then its rule."""
    rule, _, scope = group_key.partition("|")
    return f"{ALERTS}/groups/{name(scope)}/{name(rule)}"


def groups_of_scope(scope: str) -> str:
    """The key prefix of every alert group of one scope."""
    return f"{ALERTS}/groups/{name(scope)}/"


GROUPS = f"{ALERTS}/groups/"


def group_key_of(key: str) -> str:
    """The group key (``<rule>|<scope>``) of an alert group's record key."""
    _, _, scope, rule = key.split("/", 3)
    return f"{unname(rule)}|{unname(scope)}"


def robot(robot_id: str) -> str:
    """The send log of one chat robot."""
    return f"{ALERTS}/robots/{name(robot_id)}"


def channel(channel_name: str) -> str:
    """What one channel refused (its ``rejected`` record)."""
    return f"{ALERTS}/channels/{name(channel_name)}"


DELIVERING = f"{ALERTS}/delivering"


def tracker_scope(section: str, scope: str) -> str:
    """One hysteresis scope (``routes:cri-…``, ``whitelist:cri-…``) of a tracker section."""
    return f"{name(section)}/{name(scope)}"


def routes(part: str, entry: str) -> str:
    """One entry of a ``routes`` map: ``owned``/``exported``/``retiring`` by instance, ``refused`` by target key."""
    return f"{ROUTES}/{name(part)}/{name(entry)}"


def routes_prefix(part: str) -> str:
    """The key prefix of every entry of one ``routes`` map."""
    return f"{ROUTES}/{name(part)}/"


def whitelist_lease(instance_id: str) -> str:
    """The whitelist removal lease of one instance."""
    return f"whitelist_leases/{name(instance_id)}"


# -- the old document <-> records ---------------------------------------------------------------------

def split_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The records that hold what ``document`` (the one JSON document of old) held, by key."""
    records: dict[str, Any] = {}
    for section, content in document.items():
        if section == "schema":
            continue
        if section == PROCESSED_EVENTS and isinstance(content, dict):
            for entry_key, entry in content.items():
                records.setdefault(dedup_shard(str(entry_key)), {})[str(entry_key)] = entry
        elif section == ALERTS and isinstance(content, dict):
            _split_alerts(content, records)
        elif section == ROUTES and isinstance(content, dict):
            for part, entries in content.items():
                if isinstance(entries, dict):
                    records.update({routes(part, entry): value for entry, value in entries.items()})
                else:
                    records[f"{ROUTES}/{name(part)}"] = entries
        elif isinstance(content, dict):
            records.update({f"{name(section)}/{name(entry)}": value for entry, value in content.items()})
        else:
            records[name(section)] = content
    return records


def _split_alerts(alerts: Mapping[str, Any], records: dict[str, Any]) -> None:
    for part, content in alerts.items():
        if part == "groups" and isinstance(content, dict):
            records.update({group(str(key)): value for key, value in content.items()})
        elif part in _ALERT_MAPS and isinstance(content, dict):
            records.update({f"{ALERTS}/{part}/{name(entry)}": value for entry, value in content.items()})
        else:
            records[f"{ALERTS}/{name(part)}"] = content


def join_records(records: Mapping[str, Any]) -> dict[str, Any]:
    """The one document of old that ``records`` (by key) make up; acrguard's own bookkeeping is left out."""
    document: dict[str, Any] = {}
    for key in sorted(records):
        if key.startswith("_"):
            continue
        value = records[key]
        segments = key.split("/")
        section = unname(segments[0])
        if section == PROCESSED_EVENTS and len(segments) == 2:
            if isinstance(value, dict):
                document.setdefault(section, {}).update(value)
        elif section == ALERTS and key.startswith(GROUPS) and len(segments) == 4:
            document.setdefault(ALERTS, {}).setdefault("groups", {})[group_key_of(key)] = value
        elif section in (ALERTS, ROUTES) and len(segments) == 3:
            document.setdefault(section, {}).setdefault(unname(segments[1]), {})[unname(segments[2])] = value
        elif len(segments) == 2:
            document.setdefault(section, {})[unname(segments[1])] = value
        elif len(segments) == 1:
            document[section] = value
    return document
