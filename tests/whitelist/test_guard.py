"""The whitelist guard end to end over a seeded world, through the real cr20181201 SDK and the local DNS."""

from __future__ import annotations

from alibabacloud_cr20181201 import models as cr_models

from acrguard.clients import call
from acrguard.findings import Actor, Severity
from acrguard.whitelist.guard import handle_event, run_sweep
from acrguard.whitelist.identity import OwnIdentity
from acrguard.whitelist.marker import make_comment
from support import ACCOUNT, INSTANCE_ID, REGION, ROOT_KEY
from tests.whitelist.helpers import IDC_HOST, clock_waiter, live, seed_acl, writes

OFFICE = "203.0.113.0/24"
OFFICE_COMMENT = make_comment("testreg", "office", "office egress")
ALICE = Actor(identity="ram-user:alice", source_ip="198.51.100.23", user_agent="AlibabaCloud-Console",
              access_key_id="LTAI5tAliceKey000001", event_time="2026-11-25T10:00:00Z",
              event_name="DeleteInstanceEndpointAclPolicy", event_id="evt-1")
ENFORCE_OFFICE = {"policy": "enforce", "entries": [{"cidr": OFFICE, "label": "office", "comment": "office egress"}]}


def _delete_by_hand(factory, entry: str) -> None:
    call("cr", "DeleteInstanceEndpointAclPolicy", factory.cr().delete_instance_endpoint_acl_policy,
         cr_models.DeleteInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                          entry=entry))


def test_deleting_the_last_entry_is_restored_by_the_event_and_names_the_caller(cloud, factory, store, instance,
                                                                                make_config):
    """The last entry deleted by hand is back after one event invocation, with one critical finding naming who."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT)])
    _delete_by_hand(factory, OFFICE)
    assert live(instance) == []
    result = handle_event(make_config(ENFORCE_OFFICE), factory, store, INSTANCE_ID,
                          "DeleteInstanceEndpointAclPolicy", ALICE, facts={"entry": OFFICE})
    assert live(instance) == [(OFFICE, OFFICE_COMMENT)]
    assert result.observed_scopes == {INSTANCE_ID}
    critical = [f for f in result.findings if f.severity is Severity.CRITICAL]
    assert [f.rule for f in critical] == ["whitelist.open-to-internet"]
    assert critical[0].actor == ALICE
    assert critical[0].actor.identity == "ram-user:alice" and critical[0].actor.source_ip == "198.51.100.23"
    assert critical[0].evidence["event"] == {"name": "DeleteInstanceEndpointAclPolicy", "entry": OFFICE}


def test_event_without_a_declaration_closes_the_open_endpoint_with_loopback(cloud, factory, store, instance,
                                                                            make_config):
    """With nothing declared, an emptied whitelist is closed with a marked 127.0.0.1/32."""
    seed_acl(instance, [])
    handle_event(make_config({"policy": "enforce"}), factory, store, INSTANCE_ID,
                 "DeleteInstanceEndpointAclPolicy", ALICE)
    assert live(instance) == [("127.0.0.1/32", "acrguard:testreg:restore closes an emptied whitelist")]


def test_own_changes_name_nobody_and_hide_nothing_the_observation_found(cloud, factory, store, instance,
                                                                         make_config):
    """An event made with acrguard's own key (found with GetCallerIdentity) names nobody and adds no 'changed'
    notice, but its findings are the observation's, as a sweep reports them: an event never hides one."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT), ("198.51.100.0/24", make_comment("testreg", "old"))])
    ours = Actor(identity="root-account", access_key_id=ROOT_KEY, event_name="CreateInstanceEndpointAclPolicy")
    result = handle_event(make_config(ENFORCE_OFFICE), factory, store, INSTANCE_ID,
                          "CreateInstanceEndpointAclPolicy", ours)
    assert cloud.requests.count(action="GetCallerIdentity") == 1
    assert [f.rule for f in result.findings if f.rule.startswith("whitelist.drift")] == ["whitelist.drift-stale"]
    assert not [f for f in result.findings if f.rule == "whitelist.changed"]
    assert all(f.actor is None for f in result.findings)
    assert live(instance) == [(OFFICE, OFFICE_COMMENT)]


def test_the_same_change_by_someone_else_is_drift_with_the_actor(cloud, factory, store, instance, make_config):
    """The same state after someone else's call that created the stale entry reports it as drift naming them."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT), ("198.51.100.0/24", make_comment("testreg", "old"))])
    result = handle_event(make_config(ENFORCE_OFFICE), factory, store, INSTANCE_ID,
                          "CreateInstanceEndpointAclPolicy", ALICE, facts={"entry": "198.51.100.0/24"},
                          own_identity=OwnIdentity("acs:ram::1234567890123456:root", ROOT_KEY))
    assert [(f.rule, f.actor) for f in result.findings if f.rule.startswith("whitelist.drift")] == [
        ("whitelist.drift-stale", ALICE)]


def test_a_caller_is_named_only_on_findings_about_the_change_the_event_records(cloud, factory, store, instance,
                                                                                 make_config):
    """Someone's call that created one entry is not named on a finding about another entry nor on a missing one."""
    seed_acl(instance, [("198.51.100.0/24", make_comment("testreg", "old")), ("192.0.2.0/24", "legacy")])
    result = handle_event(make_config(ENFORCE_OFFICE), factory, store, INSTANCE_ID,
                          "CreateInstanceEndpointAclPolicy", ALICE, facts={"entry": "192.0.2.0/24"},
                          own_identity=OwnIdentity("acs:ram::1234567890123456:root", ROOT_KEY))
    named = {(f.rule, f.labels.get("entry")): f.actor for f in result.findings}
    assert named[("whitelist.unmanaged", "192.0.2.0/24")] == ALICE
    assert named[("whitelist.drift-stale", "198.51.100.0/24")] is None
    assert named[("whitelist.drift-missing", OFFICE)] is None
    assert ("whitelist.changed", None) not in named  # a finding is tied to the call: no separate notice


def test_someone_elses_harmless_change_is_reported_once_with_the_actor(cloud, factory, store, instance,
                                                                       make_config):
    """A change that leaves the whitelist as declared still says who made it, as a low finding."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT)])
    result = handle_event(make_config(ENFORCE_OFFICE), factory, store, INSTANCE_ID,
                          "UpdateInstanceEndpointStatus", ALICE, facts={"enable": "true"})
    assert [(f.rule, f.severity, f.actor) for f in result.findings] == [
        ("whitelist.changed", Severity.LOW, ALICE)]
    assert result.findings[0].title == "ram-user:alice called UpdateInstanceEndpointStatus on testreg (enable true)"


def test_unrelated_events_and_instances_cost_no_call(cloud, factory, store, make_config):
    """Events of other names, or for instances acrguard does not guard, make no API call."""
    config = make_config(ENFORCE_OFFICE)
    assert handle_event(config, factory, store, INSTANCE_ID, "GetInstance", ALICE).runs == ()
    assert handle_event(config, factory, store, "cri-notguarded0001", "DeleteInstanceEndpointAclPolicy",
                        ALICE).runs == ()
    assert cloud.requests.count() == 0


def test_a_moving_hostname_is_added_before_its_old_address_is_removed(cloud, factory, store, instance,
                                                                      make_config):
    """When a hostname's address changes the new /32 is created first, and the old one goes only after the hold."""
    seed_acl(instance, [(OFFICE, "office")])
    cloud.dns.set(IDC_HOST, ["47.96.0.10"])
    config = make_config({"policy": "enforce", "entries": [{"host": IDC_HOST, "comment": "IDC"}]},
                         safety={"hold_runs": 2, "hold_hours": 1})
    run_sweep(config, factory, store, now=1000.0)
    cloud.dns.set(IDC_HOST, ["47.96.0.20"])
    mark = cloud.requests.last_seq()
    run_sweep(config, factory, store, now=2000.0)
    assert [e for e, _ in live(instance)] == [OFFICE, "47.96.0.10/32", "47.96.0.20/32"]
    run_sweep(config, factory, store, now=2000.0 + 3600)
    assert [e for e, _ in live(instance)] == [OFFICE, "47.96.0.20/32"]
    assert writes(cloud, since=mark) == [("CreateInstanceEndpointAclPolicy", "47.96.0.20/32"),
                                         ("DeleteInstanceEndpointAclPolicy", "47.96.0.10/32")]


def test_a_moving_hostname_never_leaves_an_empty_whitelist(cloud, factory, store, instance, make_config):
    """A hostname entry that is the only entry moves with the create before the delete, in one run."""
    seed_acl(instance, [])
    cloud.dns.set(IDC_HOST, ["47.96.0.10"])
    config = make_config({"policy": "enforce", "entries": [{"host": IDC_HOST}]})
    run_sweep(config, factory, store, now=1000.0)
    cloud.dns.set(IDC_HOST, ["47.96.0.20"])
    mark = cloud.requests.last_seq()
    run_sweep(config, factory, store, now=2000.0)
    assert live(instance) == [("47.96.0.20/32", f"acrguard:testreg:{IDC_HOST}")]
    assert writes(cloud, since=mark) == [("CreateInstanceEndpointAclPolicy", "47.96.0.20/32"),
                                         ("DeleteInstanceEndpointAclPolicy", "47.96.0.10/32")]


def test_an_unresolvable_hostname_keeps_its_entry_and_is_a_finding(cloud, factory, store, instance, make_config):
    """A DNS failure removes nothing and reports the hostname."""
    seed_acl(instance, [])
    cloud.dns.set(IDC_HOST, ["47.96.0.10"])
    config = make_config({"policy": "enforce", "entries": [{"host": IDC_HOST}]})
    run_sweep(config, factory, store, now=1000.0)
    cloud.dns.fail(IDC_HOST, "servfail")
    mark = cloud.requests.last_seq()
    result = run_sweep(config, factory, store, now=90_000.0)
    assert writes(cloud, since=mark) == []
    assert [e for e, _ in live(instance)] == ["47.96.0.10/32"]
    assert [f.rule for f in result.findings] == ["whitelist.host-unresolved"]


def test_any_address_found_live_is_critical_and_reported_not_removed(cloud, factory, store, instance, make_config):
    """0.0.0.0/0 added outside acrguard is a critical finding; without remove_unmanaged_unsafe it stays."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT), ("0.0.0.0/0", "debug")])
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store)
    assert [(f.rule, f.severity) for f in result.findings if f.severity is Severity.CRITICAL] == [
        ("whitelist.any-address", Severity.CRITICAL)]
    assert ("0.0.0.0/0", "debug") in live(instance)
    assert writes(cloud) == []
    assert [r.entry for r in result.plans[0].refusals] == ["0.0.0.0/0"]


def test_any_address_is_removed_when_config_allows_removing_unsafe_entries(cloud, factory, store, instance,
                                                                           make_config):
    """With remove_unmanaged_unsafe, 0.0.0.0/0 is deleted and the declared entries stay."""
    seed_acl(instance, [(OFFICE, OFFICE_COMMENT), ("0.0.0.0/0", "debug")])
    run_sweep(make_config({**ENFORCE_OFFICE, "remove_unmanaged_unsafe": True}), factory, store)
    assert live(instance) == [(OFFICE, OFFICE_COMMENT)]


def test_report_mode_never_writes(cloud, factory, store, instance, make_config):
    """Policy report finds the open endpoint and the missing entry but calls no mutating API."""
    seed_acl(instance, [])
    config = make_config({**ENFORCE_OFFICE, "policy": "report"})
    sweep = run_sweep(config, factory, store)
    event = handle_event(config, factory, store, INSTANCE_ID, "DeleteInstanceEndpointAclPolicy", ALICE)
    assert writes(cloud) == []
    assert live(instance) == []
    assert "whitelist.open-to-internet" in {f.rule for f in sweep.findings}
    assert sweep.plans[0].operations == () and sweep.plans[0].proposed[0].entry == OFFICE
    assert event.findings[0].actor == ALICE


def test_dry_run_writes_nothing(cloud, factory, store, instance, make_config):
    """With dry_run every planned operation is reported as dry-run and the cloud sees no write."""
    seed_acl(instance, [])
    result = run_sweep(make_config(ENFORCE_OFFICE, dry_run=True), factory, store)
    assert writes(cloud) == []
    assert [r.outcome for r in result.runs[0].applied.results] == ["dry-run"]


def test_unmarked_entries_are_never_touched(cloud, factory, store, instance, make_config):
    """Entries without acrguard's marker survive an enforce run that adds and removes its own."""
    seed_acl(instance, [(OFFICE, "office"), ("198.51.100.0/24", make_comment("testreg", "old")),
                        ("192.0.2.0/24", make_comment("otherreg", "theirs"))])
    config = make_config({"policy": "enforce", "entries": [{"cidr": "198.18.0.0/24", "label": "new"}]},
                         safety={"max_delete_share": 1.0})
    result = run_sweep(config, factory, store)
    assert live(instance) == [(OFFICE, "office"), ("192.0.2.0/24", "acrguard:otherreg:theirs"),
                              ("198.18.0.0/24", "acrguard:testreg:new")]
    unmanaged = sorted(f.labels["entry"] for f in result.findings if f.rule == "whitelist.unmanaged")
    assert unmanaged == ["192.0.2.0/24", OFFICE]


def test_faults_between_add_and_delete_leave_the_acl_non_empty_and_the_next_run_converges(
        cloud, factory, store, instance, make_config):
    """Deletes failing after the add keep old and new entries; the next sweep finishes the move."""
    seed_acl(instance, [("198.51.100.0/24", make_comment("testreg", "office"))])
    config = make_config({"policy": "enforce", "entries": [{"cidr": OFFICE, "label": "office"}]})
    cloud.inject(action="DeleteInstanceEndpointAclPolicy", code="ServiceUnavailable", status=503, times=3)
    first = run_sweep(config, factory, store)
    assert [e for e, _ in live(instance)] == ["198.51.100.0/24", OFFICE]
    assert first.failed and first.transient
    assert [r.outcome for r in first.runs[0].applied.results] == ["done", "failed"]
    second = run_sweep(config, factory, store)
    assert live(instance) == [(OFFICE, "acrguard:testreg:office")]
    assert not second.failed
    third = run_sweep(config, factory, store)
    assert third.plans[0].is_empty


def test_a_failed_add_holds_back_every_removal(cloud, factory, store, instance, make_config):
    """When the add fails, the old entry is not deleted in the same run."""
    seed_acl(instance, [("198.51.100.0/24", make_comment("testreg", "office"))])
    config = make_config({"policy": "enforce", "entries": [{"cidr": OFFICE, "label": "office"}]})
    cloud.inject(action="CreateInstanceEndpointAclPolicy", code="ServiceUnavailable", status=503, times=5)
    result = run_sweep(config, factory, store)
    assert [r.outcome for r in result.runs[0].applied.results] == ["failed", "skipped"]
    assert [e for e, _ in live(instance)] == ["198.51.100.0/24"]
    assert "whitelist.apply-failed" in {f.rule for f in result.findings}


def test_an_unreadable_endpoint_is_a_finding_and_nothing_is_written(cloud, factory, store, make_config):
    """When GetInstanceEndpoint fails, the instance is reported and no write is attempted."""
    cloud.inject(action="GetInstanceEndpoint", code="ServiceUnavailable", status=503, times=10)
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store)
    assert [f.rule for f in result.findings] == ["whitelist.observe-failed"]
    assert result.transient and writes(cloud) == []
    assert result.observed_scopes == frozenset()


# -- switching the internet endpoint on: asynchronous (CREATING -> RUNNING) --------------------------

ENABLE_OFFICE = {**ENFORCE_OFFICE, "public_endpoint": "enabled", "manage_endpoint_status": True}


def test_acrguard_enables_the_endpoint_waits_for_running_then_writes_the_whitelist(cloud, factory, store, instance,
                                                                                   make_config):
    """Its own switch-on is waited for: the declared entry is written after RUNNING, and nothing is 'open'."""
    seed_acl(instance, [], enable=False)
    result = run_sweep(make_config(ENABLE_OFFICE), factory, store, waiter=clock_waiter(cloud))
    assert live(instance) == [("127.0.0.1/32", "default"), (OFFICE, OFFICE_COMMENT)]
    assert [r.outcome for r in result.runs[0].applied.results] == ["done", "done"]
    assert not [f for f in result.findings if f.severity is Severity.CRITICAL]
    assert "whitelist.endpoint-switching" not in {f.rule for f in result.findings}
    again = run_sweep(make_config(ENABLE_OFFICE), factory, store, waiter=clock_waiter(cloud))
    assert again.plans[0].is_empty and not [f for f in again.findings if f.severity is Severity.CRITICAL]


def test_a_switch_that_outlasts_the_wait_writes_nothing_and_the_next_run_finishes(cloud, factory, store, instance,
                                                                                  make_config):
    """If the endpoint is still CREATING when the wait runs out: no ACL write, one clear finding, no 'open'."""
    seed_acl(instance, [], enable=False)
    config = make_config(ENABLE_OFFICE)
    first = run_sweep(config, factory, store, waiter=clock_waiter(cloud, timeout_s=10))
    assert writes(cloud) == [("UpdateInstanceEndpointStatus", "True")]
    assert [(f.rule, f.severity) for f in first.findings if f.rule == "whitelist.endpoint-switching"] == [
        ("whitelist.endpoint-switching", Severity.MEDIUM)]
    switching = next(f for f in first.findings if f.rule == "whitelist.endpoint-switching")
    assert "after 10 s" in switching.details and "CREATING" in switching.title
    assert not [f for f in first.findings if f.severity is Severity.CRITICAL] and not first.failed
    event = handle_event(config, factory, store, INSTANCE_ID, "UpdateInstanceEndpointStatus",
                         Actor(identity="root-account", access_key_id=ROOT_KEY), waiter=clock_waiter(cloud, 5, 5))
    assert not [f for f in event.findings if f.severity is Severity.CRITICAL]
    assert "whitelist.open-to-internet" not in {f.rule for f in event.findings}
    cloud.advance(60)
    mark = cloud.requests.last_seq()
    run_sweep(config, factory, store, waiter=clock_waiter(cloud))
    assert writes(cloud, since=mark) == [("CreateInstanceEndpointAclPolicy", OFFICE)]
    assert live(instance) == [("127.0.0.1/32", "default"), (OFFICE, OFFICE_COMMENT)]


def test_an_endpoint_found_creating_is_waited_for_before_anything_is_planned(cloud, factory, store, instance,
                                                                             make_config):
    """Someone else's switch-on in progress: the guard waits for RUNNING, then plans from what it reads."""
    seed_acl(instance, [])
    instance.internet_status, instance.internet_since = "CREATING", cloud.clock.now()
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store, waiter=clock_waiter(cloud))
    assert live(instance) == [("127.0.0.1/32", "default"), (OFFICE, OFFICE_COMMENT)]
    assert not [f for f in result.findings if f.severity is Severity.CRITICAL]


def test_an_endpoint_still_creating_in_report_mode_is_switching_not_open(cloud, factory, store, instance,
                                                                         make_config):
    """Without writes (policy report) the guard does not wait; an empty CREATING endpoint is reported as switching."""
    seed_acl(instance, [])
    instance.internet_status, instance.internet_since = "CREATING", cloud.clock.now()
    result = run_sweep(make_config({**ENFORCE_OFFICE, "policy": "report"}), factory, store,
                       waiter=clock_waiter(cloud))
    assert [f.rule for f in result.findings] == ["whitelist.endpoint-switching"]
    assert cloud.requests.count(action="GetInstanceEndpoint") == 1 and result.plans[0].waiting


def test_a_missing_instance_is_named_as_such(cloud, factory, store, make_config):
    """INSTANCE_NOT_EXIST is a 'not found' finding naming the instance and region, not a generic read failure."""
    del cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID]
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store)
    [finding] = result.findings
    assert finding.rule == "whitelist.instance-not-found" and finding.severity is Severity.HIGH
    assert "not found in cn-hangzhou" in finding.title and "instance_id" in finding.fix
    assert not result.transient and writes(cloud) == []


def test_an_instance_whose_state_allows_no_endpoint_operation_is_named(cloud, factory, store, make_config):
    """INSTANCE_STATUS_NOT_SUPPORT (an instance being released) is reported as the instance's state."""
    cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].status = "DELETING"
    result = run_sweep(make_config(ENFORCE_OFFICE), factory, store)
    assert [f.rule for f in result.findings] == ["whitelist.instance-unavailable"]
    assert "INSTANCE_STATUS_NOT_SUPPORT" in result.findings[0].details and writes(cloud) == []
