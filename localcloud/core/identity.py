"""Who can sign requests: accounts, long-term AccessKeys, STS tokens and the principal behind a request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AccessKey:
    """A long-term AccessKey pair; ``user_name`` None means the account's root identity."""

    id: str
    secret: str
    account_id: str
    user_name: str | None = None
    status: str = "Active"
    create_date: str = ""


@dataclass
class StsToken:
    """Temporary credentials of a role session (``AssumeRole``, or a cloud service assuming the role).

    ``session_policy`` is the ``Policy`` passed to ``AssumeRole`` (None when none was): it can only
    narrow what the role's own policies allow.
    """

    access_key_id: str
    secret: str
    token: str
    account_id: str
    role_arn: str
    role_name: str
    role_id: str
    session_name: str
    expires_at: float
    session_policy: str | None = None


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials as STS hands them out (the SDK's attribute names)."""

    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: str


@dataclass
class Principal:
    """Who signed a request."""

    account_id: str
    access_key_id: str
    kind: str  # "root", "ram-user" or "assumed-role"
    user_name: str | None = None
    token: StsToken | None = None

    @property
    def arn(self) -> str:
        """The identity's ARN, as ``GetCallerIdentity`` reports it."""
        if self.kind == "assumed-role" and self.token is not None:
            return f"acs:ram::{self.account_id}:assumed-role/{self.token.role_name}/{self.token.session_name}"
        if self.kind == "ram-user":
            return f"acs:ram::{self.account_id}:user/{self.user_name}"
        return f"acs:ram::{self.account_id}:root"


@dataclass
class Account:
    """An Alibaba Cloud account of the local cloud."""

    id: str
    default_region: str = "cn-hangzhou"
    seeds: dict[str, Any] = field(default_factory=dict)  # product -> global seed data
    region_seeds: dict[str, dict[str, Any]] = field(default_factory=dict)  # region -> product -> data


def role_id(role_arn: str) -> str:
    """A stable 18-digit role id derived from the ARN (the same role always gets the same id)."""
    return str(int(hashlib.sha256(role_arn.encode()).hexdigest(), 16) % 10**18).rjust(18, "3")
