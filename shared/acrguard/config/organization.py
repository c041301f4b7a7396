"""``organization:``: the accounts and regions acrguard sweeps beyond its own, and how it enters them.

A config without this section runs in one account, as before. With it, every timer sweep is split
into shards (one account x region, or one account for the global pull-key audit) that run as
asynchronous invocations of the same function (``acrguard.org``). The accounts are either listed
(``accounts``) or enumerated from the Resource Directory the central account manages
(``resource_directory``, with folder and account filters). In each member account acrguard assumes
``role_name`` with STS ``AssumeRole``; ``{function}`` in the name stands for the function's name
(``acrguard-whitelist-guard``), for one least-privilege role per function.

``external_id``: passed as ``ExternalId`` on every ``AssumeRole``; the member role's trust policy
can then require it (``"Condition": {"StringEquals": {"sts:ExternalId": ...}}``). Alibaba Cloud STS
documents the parameter for the confused-deputy problem (``AssumeRoleRequest.external_id`` in
``alibabacloud_sts20150401/models/_assume_role_request.py``: 2 to 1,224 characters of
``[\\w+=,.@:/-]``; https://help.aliyun.com/document_detail/2361741.html, "Use ExternalId to prevent
the confused deputy problem").

Account ids are the digits of an Alibaba Cloud account (UID); YAML reads an unquoted one as a
number, which is accepted and kept as text.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from acrguard.config.base import RegionId, Strict
from acrguard.config.schema import AfterValidator, BeforeValidator, Field, field_validator, model_validator

_ACCOUNT_ID = re.compile(r"^[0-9]{6,32}$")
_FOLDER_ID = re.compile(r"^(fd|r)-[A-Za-z0-9]+$")
#: the ``ExternalId`` form (the STS SDK model's docstring)
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
#: what a role name may hold (RAM: letters, digits, ``.``, ``-``, up to 64), with the ``{function}`` placeholder
_ROLE_NAME = re.compile(r"^([A-Za-z0-9.-]|\{function\}){1,64}$")
FUNCTION_PLACEHOLDER = "{function}"


def _digits(value: Any) -> Any:
    """An account id written as a YAML number, as text (``True`` is no account id)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _account_id(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ValueError(f"expected an Alibaba Cloud account id (digits) such as 1234567890123456, got {value!r}")
    return value


def _folder_id(value: str) -> str:
    if not _FOLDER_ID.match(value):
        raise ValueError(f"expected a Resource Directory folder id such as fd-bVaRIG**** (or the root r-...), "
                         f"got {value!r}")
    return value


AccountId = Annotated[str, BeforeValidator(_digits), AfterValidator(_account_id)]
FolderId = Annotated[str, AfterValidator(_folder_id)]


class AccountConfig(Strict):
    """One member account, listed by hand."""

    id: AccountId
    name: str | None = Field(default=None, max_length=64, description="label for findings and the run summary")
    regions: tuple[RegionId, ...] | None = Field(default=None, description="this account's regions; defaults to "
                                                                           "organization.regions")


class ResourceDirectoryConfig(Strict):
    """Enumerate the member accounts of the Resource Directory (``ListAccounts``, paged), then filter them.

    ``include_folders``: only accounts in these folders or folders beneath them (empty: every folder);
    ``exclude_folders``: never accounts in these folders or beneath them; ``include_accounts`` and
    ``exclude_accounts`` name accounts outright (an excluded account is never swept, whatever else says).
    """

    include_folders: tuple[FolderId, ...] = ()
    exclude_folders: tuple[FolderId, ...] = ()
    include_accounts: tuple[AccountId, ...] = ()
    exclude_accounts: tuple[AccountId, ...] = ()

    @model_validator(mode="after")
    def _no_overlap(self) -> ResourceDirectoryConfig:
        for kind in ("folders", "accounts"):
            both = sorted(set(getattr(self, f"include_{kind}")) & set(getattr(self, f"exclude_{kind}")))
            if both:
                raise ValueError(f"include_{kind} and exclude_{kind} both name {both}")
        return self


class OrganizationConfig(Strict):
    """Many accounts and regions, swept by asynchronous Function Compute invocations (see the module docstring)."""

    accounts: tuple[AccountConfig, ...] = ()
    resource_directory: ResourceDirectoryConfig | None = None
    regions: tuple[RegionId, ...] = Field(min_length=1, description="the regions swept in every account")
    role_name: str = Field(default="acrguard-member", description="the RAM role assumed in each member account; "
                                                                  "{function} stands for the function's name")
    external_id: str | None = Field(default=None, repr=False, description="ExternalId sent on AssumeRole")
    session_duration_seconds: int = Field(default=3600, ge=900, le=43200)
    central_account_id: AccountId | None = Field(default=None, description="the account the functions run in; "
                                                                           "defaults to the function's own (FC)")
    include_central_account: bool = Field(default=True, description="sweep the central account too, with the "
                                                                    "function's own role")
    dispatch_workers: int = Field(default=8, ge=1, le=64, description="InvokeFunction requests in flight at once")
    async_retries: int = Field(default=2, ge=0, le=8, description="the function's maxAsyncRetryAttempts (s.yaml): "
                                                                  "a shard has failed for good after 1 + this many "
                                                                  "failed attempts")
    stale_after_seconds: int = Field(default=3600, ge=60, le=86400, description="a shard still pending this long "
                                                                                 "after its dispatch is dispatched "
                                                                                 "again by the next sweep")
    summary: Literal["always", "problems", "never"] = Field(
        default="always", description="send the run summary of every sweep, only of sweeps with failed or pending "
                                      "shards, or never")

    @field_validator("role_name")
    @classmethod
    def _role_name(cls, value: str) -> str:
        if not _ROLE_NAME.match(value):
            raise ValueError(f"expected a RAM role name (letters, digits, '.', '-'; {FUNCTION_PLACEHOLDER} for the "
                             f"function's name), got {value!r}")
        return value

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        if value is not None and not _EXTERNAL_ID.match(value):
            raise ValueError("expected 2 to 1224 characters of letters, digits and = , . @ : / - _ + "
                             "(the form STS AssumeRole accepts)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> OrganizationConfig:
        if bool(self.accounts) == (self.resource_directory is not None):
            raise ValueError("give exactly one of 'accounts' (a list) or 'resource_directory' "
                             "(enumerate the Resource Directory)")
        ids = [a.id for a in self.accounts]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"accounts: account ids must be unique, repeated: {repeated}")
        return self

    def role_for(self, function_name: str) -> str:
        """The member role's name for ``function_name`` (``{function}`` filled in)."""
        return self.role_name.replace(FUNCTION_PLACEHOLDER, function_name)

    def listed(self, account_id: str) -> AccountConfig | None:
        """The hand-listed entry of ``account_id`` (None when not listed, or the accounts come from the directory)."""
        return next((a for a in self.accounts if a.id == account_id), None)

    def excluded(self, account_id: str) -> bool:
        """Whether a filter of the directory excludes ``account_id`` outright."""
        directory = self.resource_directory
        return directory is not None and account_id in directory.exclude_accounts
