"""The IMS user credential report: every user's console login and AccessKeys in two or three calls.

What the report is (https://www.alibabacloud.com/help/en/ram/user-guide/generate-and-download-user-credential-reports,
revisions of Aug 2023 to Jun 2026; the API pages
https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-getcredentialreport and
https://www.alibabacloud.com/help/en/resource-access-management/latest/generatecredentialreport; the
models ``GenerateCredentialReportResponseBody`` and ``GetCredentialReportResponseBody`` of
``alibabacloud_ims20190815``):

* ``GenerateCredentialReport`` answers ``State`` ``STARTED``, ``INPROGRESS`` or ``COMPLETED``;
  generation time grows with the number of users. A report is generated at most every four
  hours: within four hours of the last one, that one is what every caller gets. Accounts with
  more than 3,500 RAM users cannot generate one.
* ``GetCredentialReport`` answers ``Content`` (the CSV, Base64-encoded), ``GeneratedTime``, and
  pages of ``MaxItems`` rows (1..3501, default 3501) with ``IsTruncated``/``NextToken``.
* Columns: ``user`` (``<root>`` for the account, then each RAM user's logon name
  ``<name>@<alias>.onaliyun.com``), ``password_exist`` (``TRUE``/``FALSE``: a login profile),
  and per key slot (``access_key_1``, ``access_key_2``, ``additional_access_key_1``..``3``)
  ``_exist``, ``_active``, ``_last_rotated``, ``_last_used``; ``N/A`` and ``-`` mean nothing
  (the Steampipe alicloud plugin reads them so: ``alicloud/table_alicloud_ram_credential_report.go``).

What the audit takes from it, and when it does not:

* The report names no AccessKey id, so each key ``ListAccessKeys`` shows is matched to the slot
  with its creation date (``_last_rotated``) and its status; a key that matches no slot, or more
  than one, has its last use read with ``GetAccessKeyLastUsed`` instead.
* A report is up to four hours old by design. A user whose row disagrees with the live keys
  (another number of keys, a key created after the report) or who has no row is read directly
  (``GetAccessKeyLastUsed``, ``GetLoginProfile``); so is everyone when the report is older than
  the audit accepts (``max_age``, default one hour), cannot be generated (too many users, no
  permission), is not ready within ``wait_s``, or cannot be decoded. A console login created
  since the report was generated is seen by the ``CreateLoginProfile`` event's re-audit, which
  reads that user directly.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from acrguard.errors import CloudCallError
from acrguard.pullkeys.imsapi import ImsReader, ReportPage
from acrguard.pullkeys.keys import KeyInfo, KeyReport, parse_time
from acrguard.pullkeys.ramapi import AccessKeyRecord, RamReader

KEY_SLOTS = ("access_key_1", "access_key_2", "additional_access_key_1", "additional_access_key_2",
             "additional_access_key_3")
#: The oldest report the audit takes (acrguard's choice; the service reuses one for four hours).
DEFAULT_MAX_AGE = timedelta(hours=1)
#: How long the audit waits for a generation to complete, and the first pause between polls.
DEFAULT_WAIT_S = 60.0
DEFAULT_POLL_S = 1.0


@dataclass(frozen=True)
class KeySlot:
    """One AccessKey column group of a row (None: the report says nothing)."""

    exist: bool | None
    active: bool | None
    last_rotated: datetime | None
    last_used: datetime | None


@dataclass(frozen=True)
class ReportRow:
    """One user's row."""

    user_name: str
    password_exist: bool | None
    slots: tuple[KeySlot, ...]


@dataclass(frozen=True)
class KeyFacts:
    """What the report says of one user's keys and console login, matched to the live keys.

    ``last_used`` holds the keys matched to one slot; ``unmatched`` the active keys whose last use
    must be read directly.
    """

    console_login: bool
    last_used: dict[str, datetime | None]
    unmatched: tuple[str, ...] = ()


@dataclass(frozen=True)
class CredentialReport:
    """A decoded report: when it was generated and each RAM user's row by user name."""

    generated: datetime | None
    rows: dict[str, ReportRow] = field(default_factory=dict)

    def facts_for(self, user: str, keys: list[AccessKeyRecord]) -> KeyFacts | None:
        """``user``'s console login and key last-use, matched to ``keys`` (``ListAccessKeys``); None if stale.

        None when the report has no row for the user, its row says nothing of the password or of
        a key, holds another number of keys than ``keys``, or a key was created after the report.
        """
        row = self.rows.get(user)
        if row is None or row.password_exist is None or any(s.exist is None for s in row.slots):
            return None
        existing = [s for s in row.slots if s.exist]
        if len(existing) != len(keys):
            return None
        created = {k.access_key_id: parse_time(k.create_date) for k in keys}
        if self.generated is not None and any(c is not None and c > self.generated for c in created.values()):
            return None
        last_used: dict[str, datetime | None] = {}
        unmatched: list[str] = []
        for record in keys:
            active = record.status == "Active"
            if not active:
                last_used[record.access_key_id] = None  # the direct read asks only for active keys either
                continue
            match = [s for s in existing if s.active is True and s.last_rotated is not None
                     and s.last_rotated == created[record.access_key_id]]
            if len(match) == 1:
                last_used[record.access_key_id] = match[0].last_used
            else:
                unmatched.append(record.access_key_id)
        return KeyFacts(bool(row.password_exist), last_used, tuple(unmatched))


def _flag(value: str | None) -> bool | None:
    text = (value or "").strip().upper()
    return True if text == "TRUE" else False if text == "FALSE" else None


def _time(value: str | None) -> datetime | None:
    text = (value or "").strip()
    return None if text in ("", "-", "N/A") else parse_time(text)


def user_name_of(value: str) -> str | None:
    """The RAM user name of a ``user`` cell (``alice@example.onaliyun.com`` -> ``alice``); None for ``<root>``."""
    text = value.strip()
    if not text or text == "<root>":
        return None
    name, at, _ = text.rpartition("@")
    return name if at else text


def parse_pages(pages: Iterable[ReportPage]) -> CredentialReport:
    """Decode every page (Base64 CSV, a header on each or on the first); ``ValueError`` names what is wrong."""
    rows: dict[str, ReportRow] = {}
    generated: datetime | None = None
    header: list[str] | None = None
    for number, page in enumerate(pages, 1):
        generated = generated or parse_time(page.generated_time)
        try:
            text = base64.b64decode(page.content, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"credential report page {number}: Content is not Base64 UTF-8 text ({exc})") from None
        lines = list(csv.reader(io.StringIO(text)))
        if lines and lines[0] and lines[0][0].strip().lower() == "user":
            header, lines = [c.strip() for c in lines[0]], lines[1:]
        if header is None:
            raise ValueError(f"credential report page {number}: no header line")
        missing = {"user", "password_exist"} - set(header)
        if missing:
            raise ValueError(f"credential report: the header lacks {sorted(missing)}")
        for line in lines:
            if not line:
                continue
            cells = dict(zip(header, line, strict=False))
            name = user_name_of(cells.get("user", ""))
            if name is None:
                continue
            slots = tuple(KeySlot(_flag(cells.get(f"{slot}_exist")), _flag(cells.get(f"{slot}_active")),
                                  _time(cells.get(f"{slot}_last_rotated")), _time(cells.get(f"{slot}_last_used")))
                          for slot in KEY_SLOTS if f"{slot}_exist" in header)
            rows[name] = ReportRow(name, _flag(cells.get("password_exist")), slots)
    return CredentialReport(generated, rows)


@dataclass(frozen=True)
class ReportFetch:
    """The outcome of asking for a report: the report (None: not usable) and why, and the calls it took."""

    report: CredentialReport | None
    reason: str
    calls: int


def fetch_report(ims: ImsReader, *, now: Callable[[], datetime], max_age: timedelta = DEFAULT_MAX_AGE,
                 wait_s: float = DEFAULT_WAIT_S, poll_s: float = DEFAULT_POLL_S,
                 sleep: Callable[[float], None] = time.sleep) -> ReportFetch:
    """Generate (or reuse) the account's report, wait for it, read every page; never raises a cloud error.

    The first re-check follows at once (a generation may already be done), then every ``poll_s``
    seconds, doubling, until ``wait_s`` has passed.
    """
    calls = 0
    try:
        state = ims.generate_credential_report()
        calls += 1
        deadline = time.monotonic() + wait_s
        pause = 0.0
        while state != "COMPLETED":
            if time.monotonic() + pause > deadline:
                return ReportFetch(None, f"the report was still {state or 'not ready'} after {wait_s:g} s", calls)
            sleep(pause)
            pause = poll_s if pause == 0 else pause * 2
            state = ims.generate_credential_report()
            calls += 1
        pages = []
        for page in ims.credential_report_pages():
            calls += 1
            pages.append(page)
    except CloudCallError as exc:
        return ReportFetch(None, f"{exc.api} failed: {exc.code}", calls + 1)
    try:
        report = parse_pages(pages)
    except ValueError as exc:
        return ReportFetch(None, str(exc), calls)
    if report.generated is None:
        return ReportFetch(None, "the report has no GeneratedTime", calls)
    age = now() - report.generated
    if age > max_age:
        return ReportFetch(None, f"the report was generated {report.generated:%Y-%m-%dT%H:%M:%SZ}, more than "
                                 f"{max_age} before the audit", calls)
    return ReportFetch(report, f"generated {report.generated:%Y-%m-%dT%H:%M:%SZ}", calls)


def key_report(reader: RamReader, user: str, keys: list[AccessKeyRecord], facts: KeyFacts) -> KeyReport:
    """The ``KeyReport`` the direct reads would give, from the report's facts (``GetAccessKeyLastUsed`` for
    an active key no slot matched)."""
    infos = []
    for record in keys:
        active = record.status == "Active"
        if not active:
            used = None
        elif record.access_key_id in facts.unmatched:
            used = parse_time(reader.key_last_used(user, record.access_key_id))
        else:
            used = facts.last_used.get(record.access_key_id)
        infos.append(KeyInfo(record.access_key_id, record.status, parse_time(record.create_date), used))
    return KeyReport(user, tuple(infos), facts.console_login)
