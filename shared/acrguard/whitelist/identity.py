"""Recognise acrguard's own calls in ActionTrail records, so its own writes are not reported as drift.

acrguard's identity comes from STS ``GetCallerIdentity`` (the credentials the factory signs with).
An ``Actor`` (built by ``acrguard.events`` from the record's ``userIdentity``) is acrguard when:

* its AccessKey id is the one acrguard signs with (the strongest sign; for STS credentials it
  matches within one credential lifetime), or
* it is the same RAM user (root is recognised by AccessKey id only: people use root too), or
* it is a session of the same RAM role (by role name or role id; the session name is ignored,
  because Function Compute starts new sessions over time).
"""

from __future__ import annotations

from dataclasses import dataclass

from acrguard.clients import ClientFactory, call
from acrguard.findings import Actor


@dataclass(frozen=True)
class OwnIdentity:
    """Who acrguard is: its ARN, the AccessKey id it signs with, and its role id when it is a role session."""

    arn: str
    access_key_id: str | None = None
    role_id: str | None = None

    @property
    def kind(self) -> str:
        """``root-account``, ``ram-user`` or ``assumed-role`` (``unknown`` for other ARNs)."""
        resource = self.arn.rsplit(":", 1)[-1]
        if resource == "root":
            return "root-account"
        if resource.startswith("user/"):
            return "ram-user"
        if resource.startswith("assumed-role/"):
            return "assumed-role"
        return "unknown"

    @property
    def name(self) -> str:
        """The user name, or the role name for a role session ('' for root)."""
        parts = self.arn.rsplit(":", 1)[-1].split("/")
        return parts[1] if len(parts) > 1 else ""


def caller_identity(factory: ClientFactory) -> OwnIdentity:
    """acrguard's own identity, from STS ``GetCallerIdentity`` (one call)."""
    body = call("sts", "GetCallerIdentity", factory.sts().get_caller_identity)
    key_id = factory.credentials.access_key_id if factory.credentials is not None else None
    return OwnIdentity(str(body.arn or ""), key_id, getattr(body, "role_id", None) or None)


def is_own(actor: Actor | None, own: OwnIdentity | None) -> bool:
    """Whether the call described by ``actor`` was made by acrguard."""
    if actor is None or own is None:
        return False
    if actor.access_key_id and own.access_key_id and actor.access_key_id == own.access_key_id:
        return True
    kind, _, name = actor.identity.partition(":")
    if kind != own.kind:
        return False
    if kind == "ram-user":
        return bool(name) and name == own.name
    if kind == "assumed-role":
        role = name.split("/", 1)[0]
        return bool(role) and role in {own.name, own.role_id}
    return False
