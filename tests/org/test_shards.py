"""Planning a sweep: which shards exist, what each one sees of the config, and where its state lives."""

from __future__ import annotations

from acrguard.config import load_config_data
from acrguard.org.accounts import Member, Roster
from acrguard.org.shards import namespace, plan, shard_config, sweep_id

CENTRAL = "1900000000000001"
A, B = "2900000000000001", "2900000000000002"


def config():
    guard = {"policy": "report", "entries": [{"cidr": "198.51.100.0/24"}]}
    return load_config_data({
        "cloud": {"region": "cn-hangzhou"},
        "organization": {"accounts": [{"id": A}, {"id": B}], "regions": ["cn-hangzhou", "cn-shanghai"]},
        "instances": [
            {"name": "a-hz", "instance_id": "cri-ahz", "account": A, "whitelist": guard},
            {"name": "a-sh", "instance_id": "cri-ash", "account": A, "region": "cn-shanghai", "whitelist": guard},
            {"name": "b-hz", "instance_id": "cri-bhz", "account": B},  # no whitelist: the guard has nothing there
            {"name": "central", "instance_id": "cri-central", "whitelist": guard},
        ]})


def roster() -> Roster:
    regions = ("cn-hangzhou", "cn-shanghai")
    return Roster((Member(CENTRAL, "central", regions, True), Member(A, None, regions), Member(B, None, regions)))


def test_a_regional_job_has_a_shard_where_it_has_an_instance_to_look_after():
    """The guard: one shard per account and region holding an instance with a whitelist section, no more."""
    shards = plan("whitelist_guard", config(), roster(), "s1", CENTRAL)
    assert [s.key for s in shards] == [f"{CENTRAL}/cn-hangzhou", f"{A}/cn-hangzhou", f"{A}/cn-shanghai"]
    assert {s.sweep for s in shards} == {"s1"}


def test_a_global_job_has_one_shard_per_account():
    """The pull-key auditor's APIs are global: one shard per member, whatever the regions."""
    shards = plan("pullkey_auditor", config(), roster(), "s1", CENTRAL)
    assert [s.key for s in shards] == [CENTRAL, A, B]


def test_a_shard_sees_its_own_instances_in_its_own_region():
    """The shard's config holds its account's instances in its region, and names that region."""
    mine = shard_config(config(), A, "cn-shanghai", CENTRAL)
    assert [i.name for i in mine.instances] == ["a-sh"] and mine.cloud.region == "cn-shanghai"
    central = shard_config(config(), CENTRAL, "cn-hangzhou", CENTRAL)
    assert [i.name for i in central.instances] == ["central"]  # an instance naming no account is the central one's
    everything = shard_config(config(), A, "", CENTRAL)
    assert [i.name for i in everything.instances] == ["a-hz", "a-sh"]


def test_each_shard_keeps_its_state_apart():
    """Namespaces by account and region (``global`` for a global job), as the state store takes them."""
    assert namespace(A, "cn-hangzhou") == f"accounts/{A}/cn-hangzhou/"
    assert namespace(A, "") == f"accounts/{A}/global/"


def test_a_sweep_id_names_its_time_and_its_invocation():
    """The same timer firing gives the same id; another firing another one."""
    from datetime import datetime, timezone

    moment = datetime(2026, 6, 1, tzinfo=timezone.utc)
    first = sweep_id("timer:sweep@2026-06-01T00:00:00Z", moment)
    assert first.startswith("20260601T000000Z-") and first == sweep_id("timer:sweep@2026-06-01T00:00:00Z", moment)
    assert first != sweep_id("timer:sweep@2026-06-01T00:05:00Z", moment)
