"""``whitelist.invariants``: each unsafe or drifting state is one finding with its severity."""

from __future__ import annotations

from typing import Any

from acrguard.config.model import InstanceConfig
from acrguard.config.whitelist import WhitelistConfig
from acrguard.findings import Severity
from acrguard.whitelist.invariants import check
from acrguard.whitelist.marker import make_comment
from acrguard.whitelist.model import AclEntry, DesiredEntry, DesiredState, EndpointState

INSTANCE = InstanceConfig(name="testreg", instance_id="cri-test0000000000001")
OFFICE = "203.0.113.0/24"


def _check(*entries: tuple[str, str], enabled: bool = True, acl_enabled: bool = True,
           desired: DesiredState | None = None, status: str = "RUNNING", **fields: Any
           ) -> list[tuple[str, Severity, str]]:
    endpoint = EndpointState(INSTANCE.instance_id, enabled, acl_enabled, status,
                             tuple(AclEntry(e, c) for e, c in entries))
    findings = check(INSTANCE, WhitelistConfig.model_validate(fields), endpoint, desired or DesiredState())
    return [(f.rule, f.severity, f.labels.get("entry", "")) for f in findings]


def _declared(*cidrs: str, fresh: bool = False) -> DesiredState:
    return DesiredState(tuple(DesiredEntry(c, "l", make_comment("testreg", "l"), fresh=fresh) for c in cidrs))


def test_enabled_with_an_empty_whitelist_is_one_critical_finding():
    """Open to the internet is critical, and the missing declared entries are not reported on top of it."""
    assert _check(desired=_declared(OFFICE)) == [("whitelist.open-to-internet", Severity.CRITICAL, "")]


def test_an_endpoint_switching_on_is_not_open_nor_missing_entries():
    """While CREATING an empty whitelist is not 'open' (critical) nor drift: one medium switching finding."""
    assert _check(desired=_declared(OFFICE), status="CREATING") == [
        ("whitelist.endpoint-switching", Severity.MEDIUM, "")]


def test_an_enabled_endpoint_without_a_status_counts_as_running():
    """An enabled endpoint that answers no Status is taken as running: an empty whitelist is open."""
    assert _check(status="") == [("whitelist.open-to-internet", Severity.CRITICAL, "")]


def test_disabled_with_an_empty_whitelist_is_not_open():
    """A disabled endpoint with no entries is closed: no open finding."""
    assert _check(enabled=False) == []


def test_acl_switched_off_is_critical():
    """An enabled endpoint whose ACL is off is critical."""
    assert _check((OFFICE, "x"), acl_enabled=False, allowed_unmanaged=[OFFICE]) == [
        ("whitelist.acl-disabled", Severity.CRITICAL, "")]


def test_any_address_is_critical_and_broader_than_the_floor_is_high():
    """0.0.0.0/0 and ::/0 are critical; a /8 (floor /16) and an IPv6 /32 (floor /48) are high."""
    found = _check(("0.0.0.0/0", ""), ("::/0", ""), ("10.0.0.0/8", ""), ("2001:db8::/32", ""))
    assert found == [("whitelist.any-address", Severity.CRITICAL, "0.0.0.0/0"),
                     ("whitelist.any-address", Severity.CRITICAL, "::/0"),
                     ("whitelist.too-broad", Severity.HIGH, "10.0.0.0/8"),
                     ("whitelist.too-broad", Severity.HIGH, "2001:db8::/32")]


def test_the_floor_is_configurable():
    """With floor_prefix 8, a /8 is no longer too broad (only unmanaged)."""
    assert _check(("10.0.0.0/8", ""), floor_prefix=8) == [("whitelist.unmanaged", Severity.MEDIUM, "10.0.0.0/8")]


def test_unmanaged_entries_except_allowed_loopback_and_declared():
    """Unmarked entries are medium findings unless allowed, loopback, or declared."""
    found = _check(("192.0.2.0/24", "a"), ("198.51.100.7/32", "b"), ("127.0.0.1/32", ""), (OFFICE, "by hand"),
                   allowed_unmanaged=["198.51.100.0/24"], desired=_declared(OFFICE))
    assert found == [("whitelist.unmanaged", Severity.MEDIUM, "192.0.2.0/24")]


def test_endpoint_state_against_its_declaration():
    """Enabled but declared disabled is high; disabled but declared enabled is medium."""
    assert _check(("127.0.0.1/32", ""), public_endpoint="disabled") == [
        ("whitelist.endpoint-undeclared", Severity.HIGH, "")]
    assert _check(enabled=False, public_endpoint="enabled") == [
        ("whitelist.endpoint-disabled", Severity.MEDIUM, "")]


def test_drift_missing_and_stale():
    """A declared entry that is gone is medium drift; our entry no longer declared is low drift."""
    found = _check(("198.51.100.0/24", make_comment("testreg", "old")), desired=_declared(OFFICE))
    assert found == [("whitelist.drift-missing", Severity.MEDIUM, OFFICE),
                     ("whitelist.drift-stale", Severity.LOW, "198.51.100.0/24")]


def test_a_hostname_address_first_seen_now_is_not_drift():
    """A fresh resolved address not yet in the whitelist is a planned add, not drift."""
    assert _check(("127.0.0.1/32", ""), desired=_declared("198.51.100.9/32", fresh=True)) == []


def test_unparseable_entries_are_reported():
    """An entry that is not an address or CIDR is a medium finding."""
    assert _check(("office-vpn", "?")) == [("whitelist.unparseable-entry", Severity.MEDIUM, "office-vpn")]
