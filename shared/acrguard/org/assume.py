"""A ``ClientFactory`` for one member account: STS ``AssumeRole`` into its role, with the central credentials.

The function's own role (the central account's) calls ``AssumeRole`` on
``acs:ram::<member>:role/<role_name>``; the member role's trust policy names that function role and,
when the config sets ``external_id``, requires it (``"Condition": {"StringEquals":
{"sts:ExternalId": ...}}``; the STS SDK model documents ``ExternalId``:
``alibabacloud_sts20150401/models/_assume_role_request.py``, and
https://help.aliyun.com/document_detail/2361741.html). Only a RAM user or a role session may call
``AssumeRole``, never an account's root (the AssumeRole page,
https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole).

The session name says who and which run: ``acrguard-<function>-<run id>`` (2 to 64 of
``[A-Za-z0-9.@_-]``, the SDK docstring's form), so a member account's ActionTrail shows which
sweep or event made each call. Credentials are asked for once per account and invocation
(``Sessions``) and never kept between invocations: each run is traceable on its own.

The central account itself is never entered through ``AssumeRole``: its shard uses the function's
own credentials, in the shard's region.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from acrguard.clients import ClientFactory, call
from acrguard.credentials import StaticCredentials

if TYPE_CHECKING:
    from acrguard.config.organization import OrganizationConfig
    from acrguard.ratelimit import FlowControl

_UNSAFE = re.compile(r"[^A-Za-z0-9.@_-]+")


def session_name(function_name: str, run_id: str) -> str:
    """``acrguard-<function>-<run id>`` cut to 64 characters of the form STS accepts."""
    base = function_name if function_name.startswith("acrguard") else f"acrguard-{function_name}"
    name = _UNSAFE.sub("-", f"{base}-{run_id}").strip("-")
    return name[:64] if len(name) >= 2 else "acrguard"


def role_arn(org: OrganizationConfig, account_id: str, function_name: str) -> str:
    """The member role's ARN (``acs:ram::<account>:role/<name>``)."""
    return f"acs:ram::{account_id}:role/{org.role_for(function_name)}"


def in_region(factory: ClientFactory, region: str, credentials: StaticCredentials | None = None,
              flow_control: FlowControl | None = None) -> ClientFactory:
    """A factory like ``factory`` in ``region`` (with ``credentials`` instead of its own, when given).

    Flow control is per account (the published quotas count an account's calls): the same account keeps
    ``factory``'s; another account's calls are paced by ``flow_control`` (one per account, its own places).
    """
    chain = None
    if credentials is None and factory.credentials is None:
        chain = factory.credential_client()
    flow = factory.flow_control if credentials is None else flow_control
    return ClientFactory(region, credentials=credentials or factory.credentials, override=factory.override,
                         retry=factory.retry, connect_timeout_ms=factory.connect_timeout_ms,
                         read_timeout_ms=factory.read_timeout_ms, credential_client=chain, flow_control=flow)


def assume(central: ClientFactory, org: OrganizationConfig, account_id: str, function_name: str,
           run_id: str) -> StaticCredentials:
    """The member role's temporary credentials (``CloudCallError`` when STS refuses: a trust or policy gap)."""
    from alibabacloud_sts20150401 import models

    request = models.AssumeRoleRequest(role_arn=role_arn(org, account_id, function_name),
                                       role_session_name=session_name(function_name, run_id),
                                       duration_seconds=org.session_duration_seconds)
    if org.external_id:
        request.external_id = org.external_id
    body = call("sts", "AssumeRole", central.sts().assume_role, request)
    found = body.credentials
    return StaticCredentials(found.access_key_id, found.access_key_secret, found.security_token,
                             source=f"assumed-role:{account_id}")


class Sessions:
    """Member factories of one invocation: one ``AssumeRole`` per account, shared by its regions."""

    def __init__(self, central: ClientFactory, org: OrganizationConfig, central_id: str, function_name: str,
                 run_id: str) -> None:
        self.central = central
        self.org = org
        self.central_id = central_id
        self.function_name = function_name
        self.run_id = run_id
        self._credentials: dict[str, StaticCredentials] = {}
        self._flow: dict[str, FlowControl | None] = {}
        self._lock = threading.Lock()

    def factory(self, account_id: str, region: str) -> ClientFactory:
        """A factory for ``account_id`` in ``region`` (the central one's own credentials for the central account)."""
        if account_id == self.central_id:
            return in_region(self.central, region)
        with self._lock:
            credentials = self._credentials.get(account_id)
        if credentials is None:
            credentials = assume(self.central, self.org, account_id, self.function_name, self.run_id)
            with self._lock:
                self._credentials[account_id] = credentials
        with self._lock:  # one pacer per member account, shared by its regions
            if account_id not in self._flow:
                central_flow = self.central.flow_control
                self._flow[account_id] = central_flow.fresh() if central_flow is not None else None
            flow = self._flow[account_id]
        return in_region(self.central, region, credentials, flow)
