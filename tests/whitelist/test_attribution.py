"""``whitelist.attribution``: an event's caller is named only on findings about the change it records."""

from __future__ import annotations

from acrguard.findings import Finding, Severity
from acrguard.whitelist.attribution import caused_by

CREATE, DELETE, STATUS = "CreateInstanceEndpointAclPolicy", "DeleteInstanceEndpointAclPolicy", \
    "UpdateInstanceEndpointStatus"


def finding(rule: str, entry: str | None = None) -> Finding:
    return Finding(rule=rule, severity=Severity.MEDIUM, resource="cri-a", scope="cri-a", title=rule,
                   labels={"entry": entry} if entry else {})


def test_an_added_entry_is_tied_to_the_call_that_added_it_and_to_nothing_else():
    """A Create of 192.0.2.0/24 names its caller on that entry's finding, not on another entry's."""
    facts = {"entry": "192.0.2.0/24"}
    assert caused_by(finding("whitelist.unmanaged", "192.0.2.0/24"), CREATE, facts)
    assert not caused_by(finding("whitelist.unmanaged", "198.51.100.0/24"), CREATE, facts)
    assert not caused_by(finding("whitelist.drift-missing", "192.0.2.0/24"), CREATE, facts)  # an add misses nothing


def test_entries_are_compared_as_networks():
    """``1.2.3.4`` in the request is the ``1.2.3.4/32`` of the finding."""
    assert caused_by(finding("whitelist.unmanaged", "198.51.100.7/32"), CREATE, {"entry": "198.51.100.7"})


def test_a_removal_is_tied_to_its_missing_entry_and_to_an_empty_whitelist():
    """A Delete names its caller on the drift of the entry it removed and on the whitelist found open."""
    facts = {"entry": "198.51.100.0/24"}
    assert caused_by(finding("whitelist.drift-missing", "198.51.100.0/24"), DELETE, facts)
    assert not caused_by(finding("whitelist.drift-missing", "203.0.113.0/24"), DELETE, facts)
    assert caused_by(finding("whitelist.open-to-internet"), DELETE, facts)
    assert not caused_by(finding("whitelist.unmanaged", "198.51.100.0/24"), DELETE, facts)


def test_a_record_without_an_entry_is_tied_to_no_entry():
    """Without the request's Entry, no entry finding is put on the caller."""
    assert not caused_by(finding("whitelist.drift-missing", "198.51.100.0/24"), DELETE, {})
    assert not caused_by(finding("whitelist.unmanaged", "198.51.100.0/24"), CREATE, {})


def test_a_switch_is_tied_only_to_the_state_it_switched_to():
    """Enable=true explains an endpoint enabled against the config, not one found disabled (and vice versa)."""
    assert caused_by(finding("whitelist.endpoint-undeclared"), STATUS, {"enable": "true"})
    assert not caused_by(finding("whitelist.endpoint-undeclared"), STATUS, {"enable": "false"})
    assert caused_by(finding("whitelist.endpoint-disabled"), STATUS, {"enable": "False"})
    assert not caused_by(finding("whitelist.open-to-internet"), STATUS, {"enable": "true"})
    assert not caused_by(finding("whitelist.unmanaged", "192.0.2.0/24"), STATUS, {"enable": "true"})
