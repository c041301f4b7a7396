"""The credential report: decoding, matching its rows to the live keys, and falling back when it cannot serve."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from acrguard.config.pullkeys import PullKeysConfig
from acrguard.pullkeys.audit import PullKeyAuditor
from acrguard.pullkeys.credreport import CredentialReport, fetch_report, parse_pages
from acrguard.pullkeys.imsapi import ImsReader, ReportPage
from acrguard.pullkeys.ramapi import AccessKeyRecord
from localcloud.core.faults import FaultRule
from pullkeys.pullworld import pull_world
from support import ACCOUNT, INSTANCE_ID

HEADER = ("user,password_exist,access_key_1_exist,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used,"
          "access_key_2_exist,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used")
GENERATED = "2026-06-01T00:00:00Z"


def page(*lines: str, header: bool = True) -> ReportPage:
    """A report page of CSV ``lines`` (with the header unless told not to)."""
    text = "\n".join([HEADER, *lines] if header else list(lines)) + "\n"
    return ReportPage(GENERATED, base64.b64encode(text.encode()).decode())


def record(key_id: str, created: str, status: str = "Active") -> AccessKeyRecord:
    """A ListAccessKeys entry."""
    return AccessKeyRecord(key_id, status, created)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- decoding -------------------------------------------------------------------------------------

def test_pages_decode_to_rows_by_user_name():
    """Logon names become user names, <root> is skipped, N/A and - are empty, later pages may omit the header."""
    report = parse_pages([
        page("<root>,TRUE,TRUE,TRUE,2025-01-01T00:00:00Z,N/A,FALSE,N/A,N/A,N/A",
             "alice@example.onaliyun.com,TRUE,TRUE,TRUE,2025-02-01T00:00:00Z,2025-05-01T00:00:00Z,FALSE,N/A,N/A,N/A"),
        page("bob@example.onaliyun.com,FALSE,FALSE,N/A,N/A,-,FALSE,N/A,N/A,N/A", header=False),
    ])
    assert report.generated == when(GENERATED) and set(report.rows) == {"alice", "bob"}
    alice = report.rows["alice"]
    assert alice.password_exist is True and alice.slots[0].last_used == when("2025-05-01T00:00:00Z")
    assert report.rows["bob"].slots[0].exist is False and report.rows["bob"].slots[0].last_used is None


def test_undecodable_content_is_a_value_error():
    """Content that is not Base64 UTF-8, or a report without a header, is refused with what is wrong."""
    with pytest.raises(ValueError, match="Base64"):
        parse_pages([ReportPage(GENERATED, "not base64!")])
    with pytest.raises(ValueError, match="no header"):
        parse_pages([page("alice@x.onaliyun.com,TRUE", header=False)])


# -- matching a row to the live keys ---------------------------------------------------------------

REPORT = parse_pages([page(
    "one@x.onaliyun.com,TRUE,TRUE,TRUE,2025-02-01T00:00:00Z,2025-05-01T00:00:00Z,FALSE,N/A,N/A,N/A",
    "twins@x.onaliyun.com,FALSE,TRUE,TRUE,2025-02-01T00:00:00Z,2025-05-01T00:00:00Z,"
    "TRUE,TRUE,2025-02-01T00:00:00Z,2025-04-01T00:00:00Z",
    "mixed@x.onaliyun.com,FALSE,TRUE,FALSE,2025-02-01T00:00:00Z,N/A,TRUE,TRUE,2025-03-01T00:00:00Z,N/A",
)])


def test_a_key_matches_the_slot_with_its_creation_date_and_status():
    """One active key, one slot: its last use and the console login come from the row."""
    facts = REPORT.facts_for("one", [record("K1", "2025-02-01T00:00:00Z")])
    assert facts is not None and facts.console_login is True
    assert facts.last_used == {"K1": when("2025-05-01T00:00:00Z")} and facts.unmatched == ()


def test_keys_created_the_same_second_are_read_directly():
    """Two active keys with one creation date cannot be told apart: both are left to GetAccessKeyLastUsed."""
    facts = REPORT.facts_for("twins", [record("A", "2025-02-01T00:00:00Z"), record("B", "2025-02-01T00:00:00Z")])
    assert facts is not None and facts.unmatched == ("A", "B")


def test_an_inactive_key_needs_no_match():
    """An inactive key's last use is not asked for; the active one matches by date and status."""
    facts = REPORT.facts_for("mixed", [record("OFF", "2025-02-01T00:00:00Z", "Inactive"),
                                       record("ON", "2025-03-01T00:00:00Z")])
    assert facts is not None and facts.last_used == {"OFF": None, "ON": None} and facts.unmatched == ()


@pytest.mark.parametrize("user,keys", [
    ("nobody", [record("K", "2025-02-01T00:00:00Z")]),  # no row
    ("one", [record("K1", "2025-02-01T00:00:00Z"), record("K2", "2025-03-01T00:00:00Z")]),  # a key more
    ("one", []),  # a key fewer
])
def test_a_row_that_disagrees_with_the_live_keys_is_not_used(user, keys):
    """No row, or another number of keys than ListAccessKeys shows: the user is read directly."""
    assert REPORT.facts_for(user, keys) is None


def test_a_key_created_after_the_report_makes_the_row_stale():
    """A key newer than the report's GeneratedTime means the row predates it."""
    report = CredentialReport(when("2025-01-01T00:00:00Z"), REPORT.rows)
    assert report.facts_for("one", [record("K1", "2025-02-01T00:00:00Z")]) is None


# -- fetching from the local cloud -----------------------------------------------------------------

@pytest.fixture
def world() -> dict[str, Any]:
    """The pull world, with a credential report that takes a second to generate."""
    data = pull_world()
    data["accounts"][ACCOUNT]["global"]["ims"] = {"credential_report": {"generation_s": 1}}
    return data


def test_fetch_waits_for_the_generation_then_reads_the_report(cloud, factory):
    """STARTED, then INPROGRESS until the generation time passed, then COMPLETED and one page."""
    fetched = fetch_report(ImsReader(factory), now=cloud.clock.utcnow, poll_s=0.5, wait_s=20)
    assert fetched.report is not None and "stale" in fetched.report.rows
    generates = cloud.requests.count("ims", "GenerateCredentialReport")
    assert generates >= 3 and cloud.requests.count("ims", "GetCredentialReport") == 1
    assert fetched.calls == generates + 1


def test_fetch_gives_up_after_its_wait(cloud, factory):
    """A generation still running after ``wait_s`` leaves the report unused, with the reason."""
    fetched = fetch_report(ImsReader(factory), now=cloud.clock.utcnow, poll_s=0.1, wait_s=0.3)
    assert fetched.report is None and "after 0.3 s" in fetched.reason


def test_a_report_older_than_the_audit_accepts_is_not_used(cloud, factory):
    """A report generated two hours ago is what the service returns for four hours; the audit refuses it."""
    assert fetch_report(ImsReader(factory), now=cloud.clock.utcnow, poll_s=1, wait_s=20).report is not None
    cloud.advance(2 * 3600)
    fetched = fetch_report(ImsReader(factory), now=cloud.clock.utcnow, poll_s=1, wait_s=20)
    assert fetched.report is None and "before the audit" in fetched.reason


def test_a_refused_report_falls_back_to_direct_reads(cloud, factory):
    """GenerateCredentialReport refused: the audit reads each pull user's hygiene directly, same verdicts."""
    cloud.faults.add(FaultRule(product="ims", action="GenerateCredentialReport", code="NoPermission", status=403))
    auditor = PullKeyAuditor(factory, PullKeysConfig(discover=True), instance_ids=[INSTANCE_ID],
                             now=cloud.clock.utcnow, credential_report="always")
    result = auditor.full_audit()
    assert {i.user_name: i.verdict.value for i in result.identities} == {
        "ack-puller": "PASS", "wide-puller": "FAIL", "reader": "WARN", "group-admin": "FAIL", "stale": "WARN"}
    assert result.read_plan["hygiene"]["report"]["used"] is False
    assert "NoPermission" in result.read_plan["hygiene"]["report"]["detail"]
    assert cloud.requests.count("ram", "GetLoginProfile") == 5


def test_the_report_replaces_last_use_and_login_reads(cloud, factory):
    """With the report, no GetLoginProfile and no GetAccessKeyLastUsed: key ages still come from ListAccessKeys."""
    auditor = PullKeyAuditor(factory, PullKeysConfig(discover=True), instance_ids=[INSTANCE_ID],
                             now=cloud.clock.utcnow, report_poll_s=0.5)
    result = auditor.full_audit()
    assert result.read_plan["hygiene"]["plan"] == "credential-report"
    assert result.read_plan["hygiene"]["report"]["used"] is True
    assert cloud.requests.count("ram", "GetLoginProfile") == 0
    assert cloud.requests.count("ram", "GetAccessKeyLastUsed") == 0
    stale = next(i for i in result.identities if i.user_name == "stale")
    assert stale.keys is not None and stale.keys.console_login is True
    assert {k.masked for k in stale.keys.keys if k.last_used is None} == {"LTAI****0002"}
    assert max(k.created for k in stale.keys.keys) > datetime.now(timezone.utc) - timedelta(days=31)
