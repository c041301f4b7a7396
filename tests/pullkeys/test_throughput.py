"""How the audit spends its calls over time: paced under a rate limit, each user carried through without waiting."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.config.pullkeys import PullKeysConfig
from acrguard.pullkeys.audit import PullKeyAuditor
from localcloud.ratelimit import rate_limits
from pullkeys.pullworld import pull_world
from support import INSTANCE_ID

RAM_LIMIT = 5  # calls a second of each RAM operation


@pytest.fixture
def world() -> dict[str, Any]:
    """The pull world, with RAM limited to a few calls a second per operation."""
    data = pull_world()
    data["rate_limits"] = [{"product": "ram", "limit": RAM_LIMIT, "period_s": 1}]
    return data


def verdicts(result) -> dict[str, str]:
    return {i.user_name: i.verdict.value for i in result.identities}


def test_a_wide_audit_under_a_rate_limit_is_paced_and_never_throttled(cloud, factory):
    """Eight workers against 5 calls a second per operation: the pacer keeps every call under the limit."""
    settings = PullKeysConfig(discover=True, workers=8, rate_limit_per_s=RAM_LIMIT)
    result = PullKeyAuditor(factory, settings, instance_ids=[INSTANCE_ID], now=cloud.clock.utcnow).full_audit()
    assert rate_limits(cloud).denied() == 0
    assert verdicts(result) == {"ack-puller": "PASS", "wide-puller": "FAIL", "reader": "WARN",
                                "group-admin": "FAIL", "stale": "WARN"}


def test_discovery_reads_a_pull_users_key_hygiene_before_listing_every_user(cloud, factory):
    """Per user, without the report: the first pull user's GetLoginProfile comes before the last ListAccessKeys."""
    rate_limits(cloud).clear()
    settings = PullKeysConfig(discover=True, workers=1, rate_limit_per_s=None)
    PullKeyAuditor(factory, settings, instance_ids=[INSTANCE_ID], now=cloud.clock.utcnow, plan="per-user",
                   credential_report="never").full_audit()
    ram = [r.action for r in cloud.requests.filter(product="ram")]
    last_listing = max(i for i, action in enumerate(ram) if action == "ListAccessKeys")
    assert ram.index("GetLoginProfile") < last_listing
    assert ram.count("GetLoginProfile") == 5  # each pull user's hygiene read once, not again when judged


def test_the_worker_count_comes_from_the_config():
    """``pull_keys.workers`` sets the reads in flight; an explicit argument still wins."""
    from acrguard.clients import ClientFactory

    factory = ClientFactory("cn-hangzhou")
    assert PullKeyAuditor(factory, PullKeysConfig(workers=3)).workers == 3
    assert PullKeyAuditor(factory, PullKeysConfig(workers=3), workers=2).workers == 2
    assert PullKeysConfig().workers == 16 and PullKeysConfig().rate_limit_per_s == 100.0
