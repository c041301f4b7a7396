"""Typed IMS (ims 2019-08-15) reads the auditor needs, each one SDK call through ``acrguard.clients.call``.

IMS serves the same RAM users and AccessKeys as RAM 2015-05-01 and is authorized with ``ram:``
actions. Two things only it can do save the audit calls at account scale:

* ``GetUser`` with ``UserAccessKeyId`` names the RAM user that owns an AccessKey: one call per
  ConfigMap key instead of listing every user's keys (``GetUserRequest`` in
  ``alibabacloud_ims20190815/models/_get_user_request.py``: exactly one of ``UserPrincipalName``,
  ``UserId`` and ``UserAccessKeyId``; RAM action ``ram:GetUser``,
  https://www.alibabacloud.com/help/en/ram/developer-reference/api-ims-2019-08-15-getuser).
* ``GenerateCredentialReport`` / ``GetCredentialReport``: console login, key status, creation and
  last use of every user in two or three calls (``acrguard.pullkeys.credreport``).

The auditor never signs a request with a key it found (STS ``GetCallerIdentity`` with the
ConfigMap's secret would also name the owner): it would act as that identity, appear as it in
ActionTrail, and refresh the very last-use date the audit judges.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.ratelimit import CallPacer
from acrguard.retry import RetryPolicy

#: ``GetCredentialReport``'s largest page (``MaxItems`` 1..3501, a string in the SDK).
REPORT_PAGE = 3501


@dataclass(frozen=True)
class ReportPage:
    """One ``GetCredentialReport`` page: when the report was generated and its Base64 CSV."""

    generated_time: str | None
    content: str


def _models() -> Any:
    from alibabacloud_ims20190815 import models

    return models


class ImsReader:
    """The IMS read calls, on one client factory (the SDK is imported on first use)."""

    def __init__(self, factory: ClientFactory, retry: RetryPolicy | None = None, *,
                 pacer: CallPacer | None = None) -> None:
        self.factory = factory
        self.retry = retry or factory.retry
        self.pacer = pacer

    def _call(self, api: str, method: str, *args: Any) -> Any:
        func = getattr(self.factory.client("ims"), method)
        if self.pacer is None:
            return call("ims", api, func, *args, retry=self.retry)
        with self.pacer.slot(api):
            return call("ims", api, func, *args, retry=self.retry)

    def owner_of_key(self, key_id: str) -> str | None:
        """The RAM user owning AccessKey ``key_id`` (``GetUser`` by ``UserAccessKeyId``); None when no user does.

        Only an ``EntityNotExist.*`` answer means "no user of this account"; any other error is
        raised (unknown is not absent).
        """
        try:
            body = self._call("GetUser", "get_user", _models().GetUserRequest(user_access_key_id=key_id))
        except CloudCallError as exc:
            if not isinstance(exc, TransientCloudError) and (exc.code or "").startswith("EntityNotExist"):
                return None
            raise
        return body.user.user_name if body.user is not None and body.user.user_name else None

    def generate_credential_report(self) -> str:
        """Ask for a credential report; its generation ``State`` (``STARTED``, ``INPROGRESS``, ``COMPLETED``)."""
        body = self._call("GenerateCredentialReport", "generate_credential_report")
        return (body.state or "").upper()

    def credential_report_pages(self) -> Iterator[ReportPage]:
        """Every page of the latest completed report (``GetCredentialReport``, following ``NextToken``)."""
        token = None
        while True:
            body = self._call("GetCredentialReport", "get_credential_report",
                              _models().GetCredentialReportRequest(max_items=str(REPORT_PAGE), next_token=token))
            yield ReportPage(body.generated_time, body.content or "")
            if str(body.is_truncated).lower() != "true" or not body.next_token:
                return
            token = body.next_token

