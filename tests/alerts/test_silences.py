"""Silences: exact and regex matchers on a finding's labels, with start and expiry."""

from __future__ import annotations

from datetime import datetime, timezone

from acrguard.alerts.silences import finding_labels, silence_for
from acrguard.config.alerts import Silence
from tests.alerts.helpers import finding

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc).timestamp()


def _silence(matchers, expires="2026-01-31T13:00:00Z", starts=None) -> Silence:
    return Silence(matchers=matchers, expires_at=expires, starts_at=starts)


def test_labels_include_rule_resource_scope_severity_job_and_own_labels():
    """Matchers can use the identifying labels plus severity and job."""
    labels = finding_labels(finding(labels={"family": "oss"}))
    assert labels == {"rule": "whitelist.open-to-internet", "resource": "acl-entry-0000",
                      "scope": "cri-test0000000000001", "family": "oss", "severity": "critical", "job": "whitelist"}


def test_exact_and_regex_matchers_must_all_match():
    """Every matcher must match: exact values, or full-match regexes after ``~``."""
    assert silence_for(finding(), [_silence({"rule": "whitelist.open-to-internet", "resource": "~acl-entry-\\d+"})],
                       NOW) is not None
    assert silence_for(finding(), [_silence({"rule": "whitelist.open-to-internet", "severity": "high"})], NOW) is None
    assert silence_for(finding(), [_silence({"resource": "~acl-entry"})], NOW) is None  # full match only


def test_a_missing_label_never_matches():
    """A matcher on a label the finding does not have does not match (even ``~.*``)."""
    assert silence_for(finding(), [_silence({"family": "~.*"})], NOW) is None


def test_silences_apply_only_between_start_and_expiry():
    """Before starts_at and from expires_at on, a silence does nothing."""
    later = _silence({"job": "whitelist"}, starts="2026-01-31T12:30:00Z")
    expired = _silence({"job": "whitelist"}, expires="2026-01-31T12:00:00Z")
    assert silence_for(finding(), [later, expired], NOW) is None
    assert silence_for(finding(), [later], NOW + 1800) is later
