"""Key hygiene of pull users, judged against the local cloud's clock."""

from __future__ import annotations

from datetime import datetime, timezone

from acrguard.findings import Severity
from acrguard.pullkeys.keys import (
    RULE_CONSOLE,
    RULE_KEY_AGE,
    RULE_KEY_UNUSED,
    RULE_MULTIPLE_KEYS,
    HygieneSettings,
    hygiene_findings,
    parse_time,
    read_keys,
)
from acrguard.pullkeys.ramapi import RamReader
from acrguard.redact import mask_access_key_id
from pullkeys.pullworld import KEYS, ram_call

SETTINGS = HygieneSettings(max_key_age_days=90, unused_days=90, allow_console_login=False)


def rules(findings) -> list[str]:
    """The rules of ``findings``, sorted."""
    return sorted(f.rule for f in findings)


def test_a_fresh_used_key_without_console_is_clean(cloud, factory):
    """ack-puller's single recent, recently used key and no console login give no finding."""
    report = read_keys(RamReader(factory), "ack-puller")
    assert [(k.access_key_id, k.active) for k in report.keys] == [(KEYS["ack-puller"], True)]
    assert report.console_login is False
    assert hygiene_findings(report, SETTINGS, cloud.clock.utcnow()) == []


def test_old_unused_second_key_and_console_are_each_reported(cloud, factory):
    """stale: a 400-day-old key unused for 200 days, a second active key and a console password."""
    report = read_keys(RamReader(factory), "stale")
    findings = hygiene_findings(report, SETTINGS, cloud.clock.utcnow(), scope="cri-x")
    assert rules(findings) == [RULE_CONSOLE, RULE_KEY_AGE, RULE_KEY_UNUSED, RULE_MULTIPLE_KEYS]
    by_rule = {f.rule: f for f in findings}
    assert by_rule[RULE_KEY_AGE].labels == {"access_key_id": mask_access_key_id(KEYS["stale"])}
    assert by_rule[RULE_KEY_AGE].evidence["age_days"] == 400
    assert by_rule[RULE_KEY_UNUSED].evidence["idle_days"] == 200
    assert by_rule[RULE_CONSOLE].severity is Severity.HIGH


def test_secrets_never_appear_in_findings(cloud, factory):
    """Findings show masked key ids only."""
    findings = hygiene_findings(read_keys(RamReader(factory), "stale"), SETTINGS, cloud.clock.utcnow())
    text = repr(findings)
    assert KEYS["stale"] not in text and "secret-of-stale" not in text
    assert mask_access_key_id(KEYS["stale"]) in text


def test_a_new_key_ages_with_the_local_clock(cloud, factory):
    """A key created now is clean; 100 days later on the local clock it is too old and unused."""
    created = ram_call(factory, "CreateAccessKey", user_name="user-05").access_key.access_key_id
    reader = RamReader(factory)
    assert hygiene_findings(read_keys(reader, "user-05"), SETTINGS, cloud.clock.utcnow()) == []
    cloud.advance(100 * 86400)
    findings = hygiene_findings(read_keys(reader, "user-05"), SETTINGS, cloud.clock.utcnow())
    assert rules(findings) == [RULE_KEY_AGE, RULE_KEY_UNUSED]
    assert all(f.labels["access_key_id"] == mask_access_key_id(created) for f in findings)


def test_inactive_keys_are_not_judged_or_asked_about(cloud, factory):
    """An inactive key is neither aged nor counted, and GetAccessKeyLastUsed is not called for it."""
    ram_call(factory, "UpdateAccessKey", user_name="stale", user_access_key_id=KEYS["stale"], status="Inactive")
    since = cloud.requests.last_seq()
    report = read_keys(RamReader(factory), "stale")
    asked = [r.params["UserAccessKeyId"] for r in cloud.requests.filter("ram", "GetAccessKeyLastUsed", since=since)]
    assert asked == [KEYS["stale-2"]]
    assert rules(hygiene_findings(report, SETTINGS, cloud.clock.utcnow())) == [RULE_CONSOLE]


def test_console_login_can_be_allowed(cloud, factory):
    """allow_console_login silences the console finding only."""
    report = read_keys(RamReader(factory), "stale")
    allowed = HygieneSettings(allow_console_login=True)
    assert RULE_CONSOLE not in rules(hygiene_findings(report, allowed, cloud.clock.utcnow()))


def test_thresholds_come_from_settings(cloud, factory):
    """With a 500-day age limit and 365-day idle limit, the stale key is fine."""
    report = read_keys(RamReader(factory), "stale")
    lenient = HygieneSettings(max_key_age_days=500, unused_days=365, allow_console_login=True)
    assert rules(hygiene_findings(report, lenient, cloud.clock.utcnow())) == [RULE_MULTIPLE_KEYS]


def test_parse_time_reads_ram_dates():
    """RAM's dates parse to aware UTC datetimes; garbage and empties are None."""
    assert parse_time("2025-01-02T03:04:05Z") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert parse_time("2025-01-02T03:04:05.123+08:00").utcoffset().total_seconds() == 8 * 3600
    assert parse_time("") is None and parse_time("yesterday") is None
