"""A shard's findings: organisation-wide identities, kept in its own state, and its full sweep's scopes."""

from __future__ import annotations

from pathlib import Path

from acrguard.findings import Actor, Finding, Severity
from acrguard.jobs.base import ALL_SCOPES
from acrguard.org import outcomes
from acrguard.state.sqlite import SqliteStateStore

A, B = "2900000000000001", "2900000000000002"


def finding(scope: str = "ram-user/ci", **fields) -> Finding:
    return Finding(rule="pullkey.excess", severity=Severity.HIGH, resource="ram-user/ci", title="ci can push",
                   scope=scope, job="pullkey_auditor", **fields)


def test_an_account_makes_a_finding_of_its_own_and_nothing_changes_without_one():
    """Without an account the fingerprint is the one-account fingerprint; two accounts' findings differ."""
    plain = finding()
    assert "account" not in plain.identifying_labels()
    assert Finding(rule=plain.rule, severity=plain.severity, resource=plain.resource, title=plain.title,
                   scope=plain.scope, job=plain.job).fingerprint == plain.fingerprint
    a, b = outcomes.qualify([plain], A, A) + outcomes.qualify([plain], B, B)
    assert a.fingerprint != b.fingerprint and a.account == A and a.scope == f"{A}:ram-user/ci"


def test_findings_survive_the_state_as_they_were(tmp_path: Path):
    """A shard's findings, actor and evidence included, read back equal; another sweep's are not read."""
    store = SqliteStateStore(tmp_path / "s.db", namespace=f"accounts/{A}/global/")
    kept = outcomes.qualify([finding(actor=Actor("ram-user:bob", "203.0.113.9"), evidence={"n": 1, "w": {3}})], A, A)
    outcomes.keep(store, "s1", kept, {f"{A}:ram-user/ci"}, ["changed"])
    found, scopes = outcomes.read(store, "s1")
    assert found[0] == Finding(**{**kept[0].__dict__, "evidence": {"n": 1, "w": [3]}})
    assert scopes == {f"{A}:ram-user/ci"} and outcomes.read(store, "s2") is None


def test_a_full_sweep_stands_for_every_scope_the_shard_reported_before(tmp_path: Path):
    """``ALL_SCOPES`` becomes the concrete scopes of this shard: it resolves the shard's own findings only."""
    store = SqliteStateStore(tmp_path / "s.db", namespace=f"accounts/{A}/global/")
    outcomes.keep(store, "s1", outcomes.qualify([finding("ram-user/old")], A, A), {f"{A}:ram-user/old"}, [])
    observed = outcomes.expanded(store, {ALL_SCOPES}, [finding("ram-user/new")])
    assert observed == {"ram-user/old", "ram-user/new"}
    assert outcomes.expanded(store, {"x"}, []) == {"x"}


def test_a_finding_about_another_accounts_user_belongs_to_that_account(tmp_path: Path):
    """Found by A's shard, B's user is told under B's account and the scope B's own shard gives it, and A's
    next full sweep still observes (and so can resolve) that scope."""
    [told] = outcomes.qualify([finding(f"account/{B}/ram-user/ci")], A, A)
    assert told.account == B and told.scope == f"{B}:ram-user/ci"
    assert told.fingerprint == outcomes.qualify([finding()], B, B)[0].fingerprint  # one alert group
    store = SqliteStateStore(tmp_path / "s.db", namespace=f"accounts/{A}/global/")
    local = {f"account/{B}/ram-user/ci"}
    outcomes.keep(store, "s1", [told], {outcomes.qualified_scope(A, s) for s in local}, [], local)
    again = outcomes.expanded(store, {ALL_SCOPES}, [])
    assert {outcomes.qualified_scope(A, s) for s in again} == {f"{B}:ram-user/ci"}
