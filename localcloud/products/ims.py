"""Identity Management Service (ims 2019-08-15): ``GetUser`` and the user credential report.

IMS is RAM's newer identity API: it serves the same RAM users and AccessKeys as ``ram 2015-05-01``
(one account, one population), so this product keeps no identities of its own and reads the
account's RAM backend (``localcloud.products.ram``). Shapes follow ``alibabacloud_ims20190815.models``
(3.5.0). Only the operations below are emulated.

``GetUser`` (https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-getuser;
``GetUserRequest`` docstring): exactly one of ``UserPrincipalName``, ``UserId`` and
``UserAccessKeyId`` names the user, so an AccessKey id maps to its owner in one call. The answer is
``User`` with ``UserName``, ``UserId``, ``DisplayName``, ``UserPrincipalName``, ``Comments``,
``CreateDate``, ``UpdateDate``, ``ProvisionType`` (``GetUserResponseBodyUser``). Emulator's choices
(no page says): no user found (an unknown key, a key of another account, the account's root key)
answers RAM's ``EntityNotExist.User`` (404); none or several of the three parameters is
``InvalidParameter`` (400); an inactive key still names its owner; ``ProvisionType`` is ``Manual``.
The logon name is ``<UserName>@<AccountAlias>.onaliyun.com`` (the SDK docstring); the alias is the
world's ``account_alias``, else the account id (emulator's choice).

The credential report
(https://www.alibabacloud.com/help/en/ram/user-guide/generate-and-download-user-credential-reports,
revisions of Aug 2023, Dec 2025 and Jun 2026; the API pages
https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-getcredentialreport and
https://www.alibabacloud.com/help/en/resource-access-management/latest/generatecredentialreport):

* ``GenerateCredentialReport`` answers ``State``: ``STARTED`` (a generation starts), ``INPROGRESS``
  (one is running) or ``COMPLETED`` (``GenerateCredentialReportResponseBody`` docstring). A new
  report is generated at most every four hours: within four hours of the last one, that one is
  what the account gets (the user-guide page). An account with more than 3,500 RAM users cannot
  generate one (the same page): ``LimitExceeded.CredentialReport`` (409; code and status are the
  emulator's choice). A generation takes the world's ``credential_report.generation_s`` seconds on
  the cloud's clock (default 0: complete at the next call; emulator's choice); its data is the
  state when it started, and ``GeneratedTime`` is that moment (emulator's choice).
* ``GetCredentialReport`` answers the latest completed report: ``Content`` is the CSV, Base64
  encoded; ``GeneratedTime``; ``IsTruncated`` (``"true"``/``"false"``) and ``NextToken`` when
  ``MaxItems`` (``"1"``..``"3501"``, default 3501, the API page) rows are fewer than the rest.
  Emulator's choices: a row is one user (the ``<root>`` row counts), every page repeats the header,
  lines end with ``\\n``; before any report completed, ``EntityNotExist.CredentialReport`` (404).
* CSV columns, in order: ``user`` (``<root>`` first, then each user's logon name, by name),
  ``user_creation_time``, ``user_last_logon`` (``-``: never; logons are not modelled), ``password_exist``
  (``TRUE``/``FALSE``: a login profile; always ``TRUE`` for ``<root>``), ``password_active``,
  ``password_last_changed``, ``password_next_rotation``, ``mfa_active``, then for ``access_key_1``,
  ``access_key_2`` and ``additional_access_key_1``..``3``: ``_exist``, ``_active``, ``_last_rotated``,
  ``_last_used``. The names and their order are the user-guide page's and the Steampipe alicloud
  plugin's (``alicloud/table_alicloud_ram_credential_report.go``, which also reads ``N/A`` and ``-``
  as empty). Emulator's choices: a user's keys fill ``access_key_1``/``_2`` oldest first, the
  root's go on into ``additional_access_key_*``; ``_last_rotated`` is the key's creation date;
  a field with nothing to say is ``N/A``; ``password_active`` is ``TRUE`` with a login profile,
  ``N/A`` without; ``mfa_active`` is ``FALSE`` (MFA is not modelled).

World format (``accounts.<id>.global.ims``, optional)::

    account_alias: example            # logon names end @example.onaliyun.com (default: the account id)
    credential_report: {generation_s: 30}
"""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass
from typing import Any

from localcloud.errors import CloudError
from localcloud.service import Call, Service, page_by_marker

#: The documented limits: users per report, rows per page, and the regeneration interval.
MAX_REPORT_USERS = 3500
MAX_ITEMS = 3501
REGENERATE_AFTER_S = 4 * 3600
SEED_DATE = "2025-01-01T00:00:00Z"

KEY_SLOTS = ("access_key_1", "access_key_2", "additional_access_key_1", "additional_access_key_2",
             "additional_access_key_3")
COLUMNS = ("user", "user_creation_time", "user_last_logon", "password_exist", "password_active",
           "password_last_changed", "password_next_rotation", "mfa_active",
           *(f"{slot}_{field}" for slot in KEY_SLOTS for field in ("exist", "active", "last_rotated", "last_used")))
NONE = "N/A"


@dataclass
class Report:
    """One credential report: when its data was taken, when it is ready, and its rows."""

    generated_at: float
    ready_at: float
    rows: list[dict[str, str]]


class ImsBackend:
    """IMS state of one account: the credential reports (users and keys are RAM's)."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.account_alias = account_id
        self.generation_s = 0.0
        self.latest: Report | None = None  # the latest completed report
        self.pending: Report | None = None  # a generation under way

    def seed(self, data: dict[str, Any]) -> None:
        """``account_alias`` and ``credential_report.generation_s``."""
        self.account_alias = str(data.get("account_alias") or self.account_id)
        report = data.get("credential_report") or {}
        if not isinstance(report, dict):
            raise ValueError("credential_report: expected a mapping like {generation_s: 0}")
        seconds = report.get("generation_s", 0)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ValueError(f"credential_report.generation_s: expected a number >= 0, got {seconds!r}")
        self.generation_s = float(seconds)

    @property
    def ram(self) -> Any:
        """The account's RAM backend (the users and keys IMS serves)."""
        return self.cloud.backend("ram", self.account_id, None)

    def domain(self) -> str:
        """``<alias>.onaliyun.com``, the default domain of logon names."""
        return f"{self.account_alias}.onaliyun.com"

    def principal_name(self, user_name: str) -> str:
        """A user's logon name (UPN)."""
        return f"{user_name}@{self.domain()}"

    # -- finding a user --------------------------------------------------------------------------
    def user_by_key(self, key_id: str) -> Any:
        """The RAM user owning AccessKey ``key_id`` in this account, or None."""
        key = self.cloud.access_keys.get(key_id)
        if key is None or key.account_id != self.account_id or not key.user_name:
            return None
        user = self.ram.users.get(key.user_name)
        return user if user is not None and key_id in user.access_key_ids else None

    def user_by_id(self, user_id: str) -> Any:
        """The RAM user with ``UserId`` ``user_id``, or None."""
        return next((u for u in self.ram.users.values() if u.user_id == user_id), None)

    def user_by_principal_name(self, name: str) -> Any:
        """The RAM user whose logon name is ``name`` (the domain compared without case), or None."""
        user_name, _, domain = name.rpartition("@")
        if not user_name or domain.lower() != self.domain().lower():
            return None
        return self.ram.users.get(user_name)

    # -- credential reports ----------------------------------------------------------------------
    def settle(self) -> None:
        """Complete the generation under way once its time has come."""
        now = self.cloud.clock.now()
        if self.pending is not None and now >= self.pending.ready_at:
            self.latest, self.pending = self.pending, None

    def generate(self) -> str:
        """Start a report unless one is running or a recent one exists; the generation ``State``."""
        self.settle()
        if self.pending is not None:
            return "INPROGRESS"
        now = self.cloud.clock.now()
        if self.latest is not None and now - self.latest.generated_at < REGENERATE_AFTER_S:
            return "COMPLETED"
        users = len(self.ram.users)
        if users > MAX_REPORT_USERS:
            raise CloudError("LimitExceeded.CredentialReport",
                             f"The account has {users} RAM users; a credential report can be generated for at most "
                             f"{MAX_REPORT_USERS}.", 409)
        self.pending = Report(now, now + self.generation_s, self.snapshot())
        return "STARTED"

    def snapshot(self) -> list[dict[str, str]]:
        """The report rows for the account's state now: ``<root>`` first, then every user by name."""
        root_keys = [k for k in self.cloud.access_keys.values() if k.account_id == self.account_id and not k.user_name]
        rows = [self._row("<root>", SEED_DATE, True, None, [(k, None) for k in root_keys])]
        for user in self.ram.sorted_users():
            keys = [(k, user.key_last_used.get(k.id)) for k in self.ram.access_keys_of(user)]
            profile = user.login_profile
            rows.append(self._row(self.principal_name(user.name), user.create_date, profile is not None,
                                  (profile or {}).get("CreateDate"), keys))
        return rows

    def _row(self, name: str, created: str, password: bool, changed: str | None,
             keys: list[tuple[Any, str | None]]) -> dict[str, str]:
        row = {"user": name, "user_creation_time": created or SEED_DATE, "user_last_logon": "-",
               "password_exist": _flag(password), "password_active": _flag(True) if password else NONE,
               "password_last_changed": changed or NONE, "password_next_rotation": NONE, "mfa_active": _flag(False)}
        ordered = sorted(keys, key=lambda pair: pair[0].create_date or SEED_DATE)
        for index, slot in enumerate(KEY_SLOTS):
            if index < len(ordered):
                key, used = ordered[index]
                row.update({f"{slot}_exist": _flag(True), f"{slot}_active": _flag(key.status == "Active"),
                            f"{slot}_last_rotated": key.create_date or SEED_DATE,
                            f"{slot}_last_used": used or NONE})
            else:
                row.update({f"{slot}_exist": _flag(False), f"{slot}_active": NONE, f"{slot}_last_rotated": NONE,
                            f"{slot}_last_used": NONE})
        return row


def _flag(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def _iso(seconds: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_text(rows: list[dict[str, str]]) -> str:
    """The rows as CSV with the header line (``\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


SERVICE = Service("ims", "2019-08-15", ImsBackend, regional=False)


def user_body(backend: ImsBackend, user: Any) -> dict[str, Any]:
    """A user as IMS ``GetUser`` shows it."""
    return {"UserName": user.name, "UserId": user.user_id, "DisplayName": user.display_name,
            "UserPrincipalName": backend.principal_name(user.name), "Comments": user.comments,
            "CreateDate": user.create_date, "UpdateDate": user.update_date, "ProvisionType": "Manual"}


@SERVICE.action("GetUser")
def get_user(call: Call, backend: ImsBackend) -> dict[str, Any]:
    """One RAM user, named by exactly one of ``UserPrincipalName``, ``UserId`` or ``UserAccessKeyId``."""
    given = {name: call.get(name) for name in ("UserPrincipalName", "UserId", "UserAccessKeyId") if call.get(name)}
    if len(given) != 1:
        raise CloudError("InvalidParameter", "Specify exactly one of UserPrincipalName, UserId and UserAccessKeyId.",
                         400)
    (name, value), = given.items()
    finder = {"UserPrincipalName": backend.user_by_principal_name, "UserId": backend.user_by_id,
              "UserAccessKeyId": backend.user_by_key}[name]
    user = finder(str(value))
    if user is None:
        raise CloudError("EntityNotExist.User", f"The user does not exist: {value}.", 404)
    return {"User": user_body(backend, user)}


@SERVICE.action("GenerateCredentialReport")
def generate_credential_report(call: Call, backend: ImsBackend) -> dict[str, Any]:
    """Start (or report the state of) the account's credential report."""
    return {"State": backend.generate()}


@SERVICE.action("GetCredentialReport")
def get_credential_report(call: Call, backend: ImsBackend) -> dict[str, Any]:
    """A page of the latest completed credential report (Base64 CSV)."""
    max_items = call.get_int("MaxItems", MAX_ITEMS, minimum=1, maximum=MAX_ITEMS)
    backend.settle()
    report = backend.latest
    if report is None:
        why = "is still being generated" if backend.pending is not None else "does not exist"
        raise CloudError("EntityNotExist.CredentialReport",
                         f"The credential report {why}. Call GenerateCredentialReport and wait for COMPLETED.", 404)
    try:
        page, token = page_by_marker(report.rows, call.get("NextToken"), max_items)
    except CloudError:
        raise CloudError("InvalidParameter.NextToken", "The specified NextToken is invalid.", 400) from None
    content = base64.b64encode(csv_text(page).encode("utf-8")).decode("ascii")
    body: dict[str, Any] = {"Content": content, "GeneratedTime": _iso(report.generated_at),
                            "IsTruncated": "true" if token else "false"}
    if token:
        body["NextToken"] = token
    return body
