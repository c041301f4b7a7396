"""AccessKey and console hygiene of a pull user: old keys, unused keys, two active keys, a console login.

Reads: ``ListAccessKeys``, ``GetAccessKeyLastUsed`` for each *active* key (an inactive key cannot
pull; re-activating it is an ``UpdateAccessKey`` event that triggers a re-audit), and
``GetLoginProfile`` (``EntityNotExist.User.LoginProfile`` means no console login).

Rules and default thresholds follow Cloud Config's managed rules (e.g.
https://help.aliyun.com/en/document_detail/209381.html): ``ram-user-ak-create-date-expired-check`` (90 days, high
there; medium here
because the policy verdict already carries the permission risk), ``ram-user-ak-used-expired-check``
(90 days, low), ``ram-user-activated-ak-quantity-check`` (more than one active key), and a pull
user with a console password is an interactive identity the key's holder should not have. The
severities are acrguard's choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from acrguard.findings import Finding, Severity
from acrguard.pullkeys.ramapi import AccessKeyRecord, RamReader
from acrguard.redact import mask_access_key_id

RULE_KEY_AGE = "pullkey.key-too-old"
RULE_KEY_UNUSED = "pullkey.key-unused"
RULE_MULTIPLE_KEYS = "pullkey.multiple-active-keys"
RULE_CONSOLE = "pullkey.console-login"


@dataclass(frozen=True)
class KeyInfo:
    """One AccessKey with its dates (``last_used`` None: never used, or inactive and not asked)."""

    access_key_id: str
    status: str
    created: datetime | None
    last_used: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the key can sign requests."""
        return self.status == "Active"

    @property
    def masked(self) -> str:
        """``LTAI****Mn3x``."""
        return mask_access_key_id(self.access_key_id)


@dataclass(frozen=True)
class KeyReport:
    """A user's keys and console access as read from RAM."""

    user_name: str
    keys: tuple[KeyInfo, ...]
    console_login: bool

    @property
    def active_keys(self) -> list[KeyInfo]:
        """The keys that can sign requests."""
        return [k for k in self.keys if k.active]


@dataclass(frozen=True)
class HygieneSettings:
    """Thresholds (from ``pull_keys:`` in the config)."""

    max_key_age_days: int = 90
    unused_days: int = 90
    allow_console_login: bool = False


def parse_time(value: str | None) -> datetime | None:
    """RAM's ``2025-01-01T00:00:00Z`` (also with fractions or an offset) as an aware datetime; None stays None."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_keys(reader: RamReader, user: str, keys: list[AccessKeyRecord] | None = None) -> KeyReport:
    """A user's keys, each active key's last use, and whether a console login exists.

    ``keys`` may pass an already-fetched ``ListAccessKeys`` answer to save the call.
    """
    records = keys if keys is not None else reader.access_keys(user)
    infos = []
    for record in records:
        used = reader.key_last_used(user, record.access_key_id) if record.status == "Active" else None
        infos.append(KeyInfo(record.access_key_id, record.status, parse_time(record.create_date), parse_time(used)))
    return KeyReport(user, tuple(infos), reader.has_login_profile(user))


def hygiene_findings(report: KeyReport, settings: HygieneSettings, now: datetime, *, scope: str = "",
                     account_id: str = "") -> list[Finding]:
    """Findings for old, unused and extra active keys and a console login, judged at ``now``."""
    resource = f"ram-user/{report.user_name}"
    principal = f"acs:ram::{account_id}:user/{report.user_name}" if account_id else resource
    findings: list[Finding] = []
    for key in report.active_keys:
        evidence = {"user": report.user_name, "principal": principal, "access_key_id": key.masked,
                    "status": key.status, "created": _iso(key.created), "last_used": _iso(key.last_used)}
        age = _days(now, key.created)
        if age is not None and age > settings.max_key_age_days:
            findings.append(Finding(
                RULE_KEY_AGE, Severity.MEDIUM, resource, f"Pull key {key.masked} of {report.user_name} is {age} days "
                f"old", f"Active AccessKey {key.masked} was created {_iso(key.created)}, more than "
                f"{settings.max_key_age_days} days ago.",
                fix=f"Create a new key for {report.user_name}, update the acr-configuration ConfigMap, then disable "
                    f"and delete {key.masked} (CreateAccessKey, UpdateAccessKey Status=Inactive, DeleteAccessKey).",
                scope=scope, labels={"access_key_id": key.masked}, evidence={**evidence, "age_days": age}))
        idle = _days(now, key.last_used or key.created)
        if idle is not None and idle > settings.unused_days:
            when = f"last used {_iso(key.last_used)}" if key.last_used else f"never used since {_iso(key.created)}"
            findings.append(Finding(
                RULE_KEY_UNUSED, Severity.LOW, resource, f"Pull key {key.masked} of {report.user_name} unused for "
                f"{idle} days", f"Active AccessKey {key.masked} was {when}.",
                fix=f"If no cluster pulls with it any more, disable {key.masked} (UpdateAccessKey Status=Inactive) "
                    "and delete it after a grace period.",
                scope=scope, labels={"access_key_id": key.masked}, evidence={**evidence, "idle_days": idle}))
    active = report.active_keys
    if len(active) > 1:
        masked = [k.masked for k in active]
        findings.append(Finding(
            RULE_MULTIPLE_KEYS, Severity.MEDIUM, resource, f"{report.user_name} has {len(active)} active AccessKeys",
            f"Active keys: {', '.join(masked)}. A pull user needs one; a second active key is often a forgotten "
            "copy.", fix="Keep the key the ConfigMap uses; disable the other (UpdateAccessKey Status=Inactive).",
            scope=scope, evidence={"user": report.user_name, "principal": principal, "access_key_ids": masked}))
    if report.console_login and not settings.allow_console_login:
        findings.append(Finding(
            RULE_CONSOLE, Severity.HIGH, resource, f"Pull user {report.user_name} can log in to the console",
            f"{report.user_name} has a console password (login profile). A pull identity should only have the "
            "AccessKey the cluster uses.", fix=f"DeleteLoginProfile UserName={report.user_name}",
            scope=scope, evidence={"user": report.user_name, "principal": principal}))
    return findings


def _days(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else int((now - then).total_seconds() // 86400)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
