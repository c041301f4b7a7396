"""Typed RAM reads the auditor needs, each one SDK call through ``acrguard.clients.call``.

Operations and paging follow the SDK models (``alibabacloud_ram20150501/models``) and the API pages
(https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-listusers and its
siblings): ``ListUsers``, ``ListPolicies`` and ``ListUsersForGroup`` page with ``Marker``/``MaxItems``
(asked at the maximum, 1000, and followed until ``IsTruncated`` is false); ``ListAccessKeys``,
``ListPoliciesForUser``, ``ListGroupsForUser``, ``ListPoliciesForGroup`` and
``ListEntitiesForPolicy`` take no paging parameters. ``ListPolicies`` names each policy's
``DefaultVersion`` and ``AttachmentCount`` (``ListPoliciesResponseBodyPoliciesPolicy``), so an
unattached policy costs nothing but its share of a page. Policy bodies come from the **default
version** (``GetPolicyVersion``, or ``GetPolicy``'s ``DefaultPolicyVersion``), never from
``Policy.PolicyDocument``, which ``GetPolicyResponseBodyPolicy`` marks deprecated.

With a ``CallPacer`` every call first waits until its operation has room under the client-side
rate limit (``pull_keys.rate_limit_per_s``), so concurrent readers are paced instead of throttled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError
from acrguard.ratelimit import CallPacer
from acrguard.retry import RetryPolicy

#: The largest page RAM serves.
MAX_ITEMS = 1000


@dataclass(frozen=True)
class PolicyAttachment:
    """A policy attached to a user or group, as the ``ListPoliciesFor*`` calls show it."""

    name: str
    type: str  # "System" or "Custom"
    default_version: str | None
    attach_date: str | None = None


@dataclass(frozen=True)
class PolicyListing:
    """A policy as ``ListPolicies`` shows it: its version in force and how many identities hold it.

    ``attachment_count`` counts users, groups and roles; None when RAM left it out (then the
    policy is treated as attached: unknown is not absent).
    """

    name: str
    type: str  # "System" or "Custom"
    default_version: str | None
    attachment_count: int | None

    @property
    def attached(self) -> bool:
        """Whether some identity may hold the policy."""
        return self.attachment_count is None or self.attachment_count > 0


@dataclass(frozen=True)
class AccessKeyRecord:
    """An AccessKey as ``ListAccessKeys`` shows it (the secret is never returned)."""

    access_key_id: str
    status: str
    create_date: str | None


def _models() -> Any:
    from alibabacloud_ram20150501 import models

    return models


def _items(container: Any, attr: str) -> list[Any]:
    """``body.Policies.Policy`` style lists, empty when the container is absent."""
    return list(getattr(container, attr, None) or []) if container is not None else []


class RamReader:
    """The RAM read calls, on one client factory."""

    def __init__(self, factory: ClientFactory, retry: RetryPolicy | None = None, *,
                 pacer: CallPacer | None = None) -> None:
        self.factory = factory
        self.retry = retry or factory.retry
        self.pacer = pacer

    def _call(self, api: str, method: str, request: Any) -> Any:
        client = self.factory.ram()
        if self.pacer is None:
            return call("ram", api, getattr(client, method), request, retry=self.retry)
        with self.pacer.slot(api):
            return call("ram", api, getattr(client, method), request, retry=self.retry)

    # -- users and groups -------------------------------------------------------------------
    def users(self) -> Iterator[str]:
        """Every user name (``ListUsers``, 1000 per page, following ``Marker``)."""
        marker = None
        while True:
            body = self._call("ListUsers", "list_users", _models().ListUsersRequest(marker=marker,
                                                                                      max_items=MAX_ITEMS))
            for user in _items(body.users, "user"):
                yield user.user_name
            if not body.is_truncated or not body.marker:
                return
            marker = body.marker

    def groups_for_user(self, user: str) -> list[str]:
        """The groups ``user`` belongs to (``ListGroupsForUser``)."""
        body = self._call("ListGroupsForUser", "list_groups_for_user",
                          _models().ListGroupsForUserRequest(user_name=user))
        return [g.group_name for g in _items(body.groups, "group")]

    def users_for_group(self, group: str) -> list[str]:
        """Members of ``group`` (``ListUsersForGroup``, paged)."""
        names: list[str] = []
        marker = None
        while True:
            body = self._call("ListUsersForGroup", "list_users_for_group", _models().ListUsersForGroupRequest(
                group_name=group, marker=marker, max_items=MAX_ITEMS))
            names.extend(u.user_name for u in _items(body.users, "user"))
            if not body.is_truncated or not body.marker:
                return names
            marker = body.marker

    # -- policies ---------------------------------------------------------------------------
    def policies_for_user(self, user: str) -> list[PolicyAttachment]:
        """Policies attached directly to ``user`` (``ListPoliciesForUser``)."""
        body = self._call("ListPoliciesForUser", "list_policies_for_user",
                          _models().ListPoliciesForUserRequest(user_name=user))
        return [_attachment(p) for p in _items(body.policies, "policy")]

    def policies_for_group(self, group: str) -> list[PolicyAttachment]:
        """Policies attached to ``group`` (``ListPoliciesForGroup``)."""
        body = self._call("ListPoliciesForGroup", "list_policies_for_group",
                          _models().ListPoliciesForGroupRequest(group_name=group))
        return [_attachment(p) for p in _items(body.policies, "policy")]

    def policies(self) -> Iterator[PolicyListing]:
        """Every policy, System and Custom (``ListPolicies``, 1000 per page, following ``Marker``)."""
        marker = None
        while True:
            body = self._call("ListPolicies", "list_policies", _models().ListPoliciesRequest(marker=marker,
                                                                                             max_items=MAX_ITEMS))
            for item in _items(body.policies, "policy"):
                count = item.attachment_count
                yield PolicyListing(item.policy_name, item.policy_type, item.default_version or None,
                                    int(count) if count is not None else None)
            if not body.is_truncated or not body.marker:
                return
            marker = body.marker

    def entities_for_policy(self, name: str, policy_type: str) -> tuple[list[str], list[str]]:
        """The users and groups ``name`` is attached to (``ListEntitiesForPolicy``)."""
        body = self._call("ListEntitiesForPolicy", "list_entities_for_policy",
                          _models().ListEntitiesForPolicyRequest(policy_name=name, policy_type=policy_type))
        return ([u.user_name for u in _items(body.users, "user")],
                [g.group_name for g in _items(body.groups, "group")])

    def policy_version(self, name: str, policy_type: str, version: str) -> str:
        """The document of one version (``GetPolicyVersion``)."""
        body = self._call("GetPolicyVersion", "get_policy_version", _models().GetPolicyVersionRequest(
            policy_name=name, policy_type=policy_type, version_id=version))
        return body.policy_version.policy_document

    def default_policy_version(self, name: str, policy_type: str) -> tuple[str, str]:
        """``(version id, document)`` of the version in force (``GetPolicy``'s ``DefaultPolicyVersion``)."""
        body = self._call("GetPolicy", "get_policy", _models().GetPolicyRequest(policy_name=name,
                                                                                policy_type=policy_type))
        default = body.default_policy_version
        if default is None or default.policy_document is None:
            raise CloudCallError("GetPolicy", "MissingDefaultPolicyVersion",
                                 f"GetPolicy({name}, {policy_type}) returned no DefaultPolicyVersion", body.request_id)
        return default.version_id, default.policy_document

    # -- AccessKeys and console -------------------------------------------------------------
    def access_keys(self, user: str) -> list[AccessKeyRecord]:
        """``user``'s AccessKeys (``ListAccessKeys``)."""
        body = self._call("ListAccessKeys", "list_access_keys", _models().ListAccessKeysRequest(user_name=user))
        return [AccessKeyRecord(k.access_key_id, k.status or "", k.create_date)
                for k in _items(body.access_keys, "access_key")]

    def key_last_used(self, user: str, key_id: str) -> str | None:
        """When ``key_id`` was last used (``GetAccessKeyLastUsed``); None when never."""
        body = self._call("GetAccessKeyLastUsed", "get_access_key_last_used",
                          _models().GetAccessKeyLastUsedRequest(user_name=user, user_access_key_id=key_id))
        used = body.access_key_last_used
        return (used.last_used_date or None) if used is not None else None

    def has_login_profile(self, user: str) -> bool:
        """Whether ``user`` can log in to the console (``GetLoginProfile``).

        ``EntityNotExist.User.LoginProfile`` means no; any other error is raised (unknown is not "no").
        """
        try:
            self._call("GetLoginProfile", "get_login_profile", _models().GetLoginProfileRequest(user_name=user))
        except CloudCallError as exc:
            if exc.code == "EntityNotExist.User.LoginProfile":
                return False
            raise
        return True


def _attachment(item: Any) -> PolicyAttachment:
    return PolicyAttachment(item.policy_name, item.policy_type, item.default_version or None, item.attach_date)
