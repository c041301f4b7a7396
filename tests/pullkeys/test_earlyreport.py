"""The credential report is fetched during discovery once it is sure to be the hygiene plan, and only then."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from acrguard.config.pullkeys import PullKeysConfig
from acrguard.pullkeys.audit import PullKeyAuditor
from acrguard.pullkeys.credreport import ReportFetch
from acrguard.pullkeys.earlyreport import EarlyReport
from support import ACCOUNT, INSTANCE_ID
from tests.pullkeys.pullworld import pull_world


class Fetches:
    """A fetch that counts its calls and can be held until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> ReportFetch:
        self.calls += 1
        self.release.wait(5)
        return ReportFetch(None, "counted", 1)


def test_the_fetch_starts_when_the_users_found_make_the_report_cheaper():
    """10 users: the report costs 3 calls; one pull user with one key costs 2 direct reads, two cost 4."""
    fetch = Fetches()
    early = EarlyReport(fetch, "auto", lambda: 10)
    early.found("a", 1)
    assert not early.started and early.result() is None and fetch.calls == 0
    early.found("a", 1)  # the same user again counts once
    assert not early.started
    early.found("b", 1)
    assert early.started
    early.found("c", 1)
    assert early.result() == ReportFetch(None, "counted", 1) and fetch.calls == 1


@pytest.mark.parametrize("mode,users,started", [("never", 10, False), ("always", 10, True),
                                                ("auto", 1_000_000, False)])
def test_the_mode_and_the_accounts_size_are_respected(mode, users, started):
    """``never`` and an account too large for the report never start it; ``always`` starts at the first user."""
    early = EarlyReport(Fetches(), mode, lambda: users)
    early.found("a", 5)
    assert early.started is started


def test_what_the_fetch_raised_is_raised_to_the_caller():
    """A bug in the fetch is not lost in its thread."""
    def broken() -> ReportFetch:
        raise RuntimeError("a bug")

    early = EarlyReport(broken, "always", lambda: 10)
    early.found("a", 1)
    with pytest.raises(RuntimeError, match="a bug"):
        early.result()


@pytest.fixture
def world() -> dict[str, Any]:
    """The pull world, its credential report generated at once."""
    data = pull_world()
    data["accounts"][ACCOUNT]["global"]["ims"] = {"credential_report": {"generation_s": 0}}
    return data


def test_the_audit_generates_the_report_before_discovery_ends_with_the_same_calls(cloud, factory):
    """The report is asked for while users are still examined; the calls are those of the report plan.

    One worker examines the users one after another, each user's group read taking 150 ms, so the users
    left after the report became sure take longer than starting the report does.
    """
    cloud.inject(action="ListGroupsForUser", latency_ms=150)
    auditor = PullKeyAuditor(factory, PullKeysConfig(discover=True), instance_ids=[INSTANCE_ID],
                             now=cloud.clock.utcnow, report_poll_s=0.1, workers=1)
    result = auditor.full_audit()
    assert result.read_plan["hygiene"]["plan"] == "credential-report"
    assert result.read_plan["hygiene"]["report"]["used"] is True
    requests = cloud.requests.all()
    generated = [r.seq for r in requests if r.action == "GenerateCredentialReport"]
    discovery = [r.seq for r in requests if r.action in ("ListAccessKeys", "ListPoliciesForUser",
                                                         "ListGroupsForUser")]
    assert generated and generated[0] < max(discovery)
    assert cloud.requests.count("ims", "GetCredentialReport") == 1
    assert cloud.requests.count("ram", "GetLoginProfile") == 0
