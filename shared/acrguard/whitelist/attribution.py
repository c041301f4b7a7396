"""Which findings an ActionTrail record's caller may be named on: only those about the change it records.

An event says "X called DeleteInstanceEndpointAclPolicy for entry E". That names X as the cause of
E being gone (a ``drift-missing`` about E, or the whitelist found empty), never of every other
finding about the live ACL: a foreign entry someone else added last year, an endpoint switch, a
missing entry E2. A finding is tied to the event only when its rule is one the recorded call can
cause and it is about the entry (or the switch) the record names; a record naming no entry ties
nothing to an entry (a removal still ties the whitelist found empty: whatever it removed is gone).
Whether a finding fires, or is resolved, comes from the observation of the live ACL alone, never
from the event (``guard.handle_event``).
"""

from __future__ import annotations

from collections.abc import Mapping

from acrguard.findings import Finding
from acrguard.whitelist.model import AclEntry

OPEN = "whitelist.open-to-internet"
#: findings about one entry (their ``entry`` label names it)
_ENTRY_RULES = frozenset({"whitelist.any-address", "whitelist.too-broad", "whitelist.unmanaged",
                          "whitelist.unparseable-entry", "whitelist.drift-missing", "whitelist.drift-stale"})
#: per event name (lower case): the rules of the findings the recorded call can be the cause of
_CAUSES: dict[str, frozenset[str]] = {
    # an entry that is live now: the call added it
    "createinstanceendpointaclpolicy": frozenset({"whitelist.any-address", "whitelist.too-broad",
                                                  "whitelist.unmanaged", "whitelist.unparseable-entry",
                                                  "whitelist.drift-stale"}),
    # an entry that is missing now, or a whitelist now empty: the call removed it
    "deleteinstanceendpointaclpolicy": frozenset({"whitelist.drift-missing", OPEN}),
    "updateinstanceendpointstatus": frozenset({"whitelist.endpoint-undeclared", "whitelist.endpoint-disabled",
                                               "whitelist.endpoint-switching"}),
    "updateinstanceendpointaclservice": frozenset({"whitelist.acl-disabled"}),
}
#: the endpoint switch a finding needs the call to have made (``Enable`` of UpdateInstanceEndpointStatus)
_SWITCH = {"whitelist.endpoint-undeclared": "true", "whitelist.endpoint-switching": "true",
           "whitelist.endpoint-disabled": "false"}


def caused_by(finding: Finding, event_name: str, facts: Mapping[str, str]) -> bool:
    """Whether ``finding`` is about the change an ActionTrail record of ``event_name`` (with ``facts``) records."""
    if finding.rule not in _CAUSES.get(event_name.lower(), frozenset()):
        return False
    if finding.rule == OPEN:
        return True  # a removal from this whitelist, and it is empty now: whatever it removed is gone
    entry = (facts.get("entry") or "").strip()
    if finding.rule in _ENTRY_RULES:
        return bool(entry) and _same(finding.labels.get("entry", ""), entry)
    if finding.rule in _SWITCH:
        return (facts.get("enable") or "").strip().lower() == _SWITCH[finding.rule]
    return True


def _same(a: str, b: str) -> bool:
    """Two entries as the cloud shows them, compared as networks (``1.2.3.4`` is ``1.2.3.4/32``)."""
    return AclEntry(a.strip()).cidr == AclEntry(b.strip()).cidr
