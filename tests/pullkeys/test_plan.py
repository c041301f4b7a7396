"""Choosing the read plan from counts: per user or per policy, direct hygiene reads or the credential report."""

from __future__ import annotations

import pytest

from acrguard.pullkeys.plan import (
    PER_POLICY,
    PER_USER,
    DiscoveryCounts,
    HygieneCounts,
    choose_discovery,
    choose_hygiene,
    per_policy_estimate,
    per_user_estimate,
    report_estimate,
    worth_reading_documents,
)


def test_many_users_few_pull_policies_read_per_policy():
    """10,000 users, 30 pull-granting policies held 40 times: the per-policy plan is far cheaper."""
    counts = DiscoveryCounts(users=10_000, attached_policies=2_000, pull_policies=30, pull_attachments=40)
    choice = choose_discovery(counts)
    assert choice.plan == PER_POLICY
    assert choice.estimates == {PER_USER: 30_000, PER_POLICY: 30 + 160}


def test_few_users_with_widely_held_pull_policies_read_per_user():
    """Eight users and pull policies attached 12 times: reading every user is cheaper."""
    counts = DiscoveryCounts(users=8, attached_policies=6, pull_policies=4, pull_attachments=12)
    assert choose_discovery(counts).plan == PER_USER


def test_keys_already_read_lower_the_per_user_estimate():
    """Users whose keys are known cost no ListAccessKeys."""
    assert per_user_estimate(DiscoveryCounts(users=100, keys_known=40)) == 60 + 200


def test_documents_dearer_than_every_user_are_not_read():
    """When the attached policies outnumber what the per-user plan costs, their documents are not read first."""
    counts = DiscoveryCounts(users=10, attached_policies=50, documents_unread=50)
    assert not worth_reading_documents(counts)
    choice = choose_discovery(counts)
    assert choice.plan == PER_USER and per_policy_estimate(counts) is None


def test_an_explicit_plan_wins_and_a_bad_one_is_refused():
    """``per-user``/``per-policy`` are taken as asked; anything else is a ValueError naming the choices."""
    counts = DiscoveryCounts(users=10_000, pull_policies=1, pull_attachments=1)
    assert choose_discovery(counts, PER_USER).plan == PER_USER
    with pytest.raises(ValueError, match="per-user"):
        choose_discovery(counts, "sideways")


def test_the_report_is_chosen_when_it_is_fewer_calls():
    """20 pull users with 25 active keys: 45 direct reads against 3 report calls."""
    choice = choose_hygiene(HygieneCounts(pull_users=20, active_keys=25, users=3_000))
    assert choice.plan == "credential-report" and choice.estimates == {"per-user": 45, "credential-report": 3}


def test_one_pull_user_is_read_directly():
    """One pull user with one key: two direct reads beat the report."""
    assert choose_hygiene(HygieneCounts(pull_users=1, active_keys=1, users=50)).plan == "per-user"


def test_no_report_for_more_than_3500_users_even_when_asked():
    """Over the documented 3,500-user limit no report can be generated, so none is asked for."""
    counts = HygieneCounts(pull_users=500, active_keys=600, users=3_501)
    assert choose_hygiene(counts).plan == "per-user"
    assert choose_hygiene(counts, "always").plan == "per-user"


def test_report_pages_grow_with_the_users_and_never_is_never():
    """One page per 3,501 rows (the <root> row counts); ``never`` keeps direct reads."""
    assert report_estimate(HygieneCounts(1, 1, 3_500)) == 3
    assert report_estimate(HygieneCounts(1, 1, None)) == 3
    assert choose_hygiene(HygieneCounts(100, 100, 10), "never").plan == "per-user"
    with pytest.raises(ValueError, match="credential_report"):
        choose_hygiene(HygieneCounts(1, 1, 1), "sometimes")
