"""Resource Access Management (ram 2015-05-01): users, groups, roles, policies and their versions.

RAM is global (one backend per account). Paging is RAM's ``Marker``/``MaxItems``/``IsTruncated``.
Shapes follow ``alibabacloud_ram20150501.models``; error codes follow the RAM API reference
(``EntityNotExist.User``, ``EntityNotExist.Policy``, ``EntityNotExist.PolicyVersion``, ...).

World format (``accounts.<id>.global.ram``)::

    users:
      - name: acr-puller
        groups: [pullers]
        policies: [{name: AliyunContainerRegistryReadOnlyAccess, type: System}]
        access_keys: [{id: LTAI..., secret: ..., status: Active, create_date: ..., last_used: ...}]
        login_profile: false
    groups: [{name: pullers, policies: [{name: acr-pull, type: Custom}]}]
    policies:
      - name: acr-pull                   # type Custom unless given
        versions: [{id: v1, default: true, document: {Version: "1", Statement: [...]}}]
    roles: [{name: acrguard-keeper, policies: [...]}]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from localcloud.cloud import AccessKey
from localcloud.errors import CloudError, invalid_parameter
from localcloud.service import Call, Service, page_by_marker

SEED_DATE = "2025-01-01T00:00:00Z"


@dataclass
class PolicyRef:
    """An attachment of a policy (by name and type)."""

    name: str
    type: str = "Custom"
    attach_date: str = SEED_DATE


@dataclass
class PolicyVersion:
    """One version of a policy document."""

    version_id: str
    document: str
    is_default: bool = False
    create_date: str = SEED_DATE


@dataclass
class Policy:
    """A system or custom policy with its versions."""

    name: str
    type: str = "Custom"
    description: str = ""
    versions: dict[str, PolicyVersion] = field(default_factory=dict)
    create_date: str = SEED_DATE
    update_date: str = SEED_DATE

    @property
    def default_version(self) -> PolicyVersion:
        return next(v for v in self.versions.values() if v.is_default)


@dataclass
class User:
    """A RAM user."""

    name: str
    user_id: str
    display_name: str = ""
    comments: str = ""
    create_date: str = SEED_DATE
    update_date: str = SEED_DATE
    groups: list[str] = field(default_factory=list)
    policies: list[PolicyRef] = field(default_factory=list)
    access_key_ids: list[str] = field(default_factory=list)
    key_last_used: dict[str, str] = field(default_factory=dict)
    login_profile: dict[str, Any] | None = None


@dataclass
class Group:
    """A RAM group."""

    name: str
    comments: str = ""
    create_date: str = SEED_DATE
    policies: list[PolicyRef] = field(default_factory=list)


@dataclass
class Role:
    """A RAM role (assumable through STS)."""

    name: str
    role_id: str
    trust_policy: str = ""
    description: str = ""
    policies: list[PolicyRef] = field(default_factory=list)


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _refs(items: list[Any] | None) -> list[PolicyRef]:
    refs = []
    for item in items or []:
        if isinstance(item, str):
            refs.append(PolicyRef(item))
        else:
            refs.append(PolicyRef(item["name"], item.get("type", "Custom")))
    return refs


class RamBackend:
    """RAM state of one account."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.policies: dict[tuple[str, str], Policy] = {}
        self.roles: dict[str, Role] = {}
        self._next_id = 1

    def _id(self, width: int = 16) -> str:
        self._next_id += 1
        return str(2 * 10 ** (width - 1) + self._next_id)

    def seed(self, data: dict[str, Any]) -> None:
        """Load users, groups, policies and roles from a world file."""
        for index, spec in enumerate(data.get("policies") or []):
            where = f"policies[{index}]"
            versions = spec.get("versions") or ([{"id": "v1", "default": True, "document": spec["document"]}]
                                                if "document" in spec else [])
            if not versions:
                raise ValueError(f"{where}: needs 'document' or 'versions'")
            policy = Policy(spec["name"], spec.get("type", "Custom"), spec.get("description", ""))
            for version in versions:
                policy.versions[version["id"]] = PolicyVersion(version["id"], _document(version["document"]),
                                                               bool(version.get("default")))
            defaults = [v for v in policy.versions.values() if v.is_default]
            if len(defaults) != 1:
                raise ValueError(f"{where}: exactly one version must be default (found {len(defaults)})")
            self.policies[(policy.type, policy.name)] = policy
        for spec in data.get("groups") or []:
            self.groups[spec["name"]] = Group(spec["name"], spec.get("comments", ""), policies=_refs(spec.get("policies")))
        for spec in data.get("roles") or []:
            self.roles[spec["name"]] = Role(spec["name"], self._id(19), _document(spec.get("trust_policy", "")),
                                            spec.get("description", ""), _refs(spec.get("policies")))
        for index, spec in enumerate(data.get("users") or []):
            user = User(spec["name"], str(spec.get("id") or self._id()), spec.get("display_name", spec["name"]),
                        spec.get("comments", ""), groups=list(spec.get("groups") or []),
                        policies=_refs(spec.get("policies")))
            for group in user.groups:
                if group not in self.groups:
                    raise ValueError(f"users[{index}].groups: unknown group {group!r}")
            for key in spec.get("access_keys") or []:
                access_key = AccessKey(key["id"], key["secret"], self.account_id, user.name,
                                       key.get("status", "Active"), key.get("create_date", SEED_DATE))
                self.cloud.add_access_key(access_key)
                user.access_key_ids.append(access_key.id)
                if key.get("last_used"):
                    user.key_last_used[access_key.id] = key["last_used"]
            if spec.get("login_profile"):
                user.login_profile = {"PasswordResetRequired": False, "MFABindRequired": False,
                                      "CreateDate": SEED_DATE}
            self.users[user.name] = user

    # -- lookups ------------------------------------------------------------------------------
    def user(self, name: str) -> User:
        """The user, or ``EntityNotExist.User``."""
        user = self.users.get(name)
        if user is None:
            raise CloudError("EntityNotExist.User", f"The user does not exist: {name}.", 404)
        return user

    def group(self, name: str) -> Group:
        """The group, or ``EntityNotExist.Group``."""
        group = self.groups.get(name)
        if group is None:
            raise CloudError("EntityNotExist.Group", f"The group does not exist: {name}.", 404)
        return group

    def policy(self, name: str, policy_type: str) -> Policy:
        """The policy, or ``EntityNotExist.Policy``."""
        policy = self.policies.get((policy_type, name))
        if policy is None:
            raise CloudError("EntityNotExist.Policy", f"The policy does not exist: {name}.", 404)
        return policy


SERVICE = Service("ram", "2015-05-01", RamBackend, regional=False)


def policy_type(call: Call) -> str:
    """The required ``PolicyType`` parameter (``System`` or ``Custom``)."""
    value = call.require("PolicyType")
    if value not in ("System", "Custom"):
        raise invalid_parameter("PolicyType", value, "expected System or Custom")
    return value


def max_items(call: Call) -> int:
    """``MaxItems`` (1–1000, default 100)."""
    return call.get_int("MaxItems", 100, minimum=1, maximum=1000)


def paged(call: Call, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` and the ``IsTruncated``/``Marker`` fields."""
    page, marker = page_by_marker(items, call.get("Marker"), max_items(call))
    return page, ({"IsTruncated": True, "Marker": marker} if marker else {"IsTruncated": False})


def user_body(user: User) -> dict[str, Any]:
    """A user as ``ListUsers``/``GetUser`` show it."""
    return {"UserName": user.name, "UserId": user.user_id, "DisplayName": user.display_name,
            "Comments": user.comments, "CreateDate": user.create_date, "UpdateDate": user.update_date}


def version_body(version: PolicyVersion) -> dict[str, Any]:
    """A policy version as ``GetPolicyVersion`` shows it."""
    return {"VersionId": version.version_id, "IsDefaultVersion": version.is_default,
            "PolicyDocument": version.document, "CreateDate": version.create_date}


@SERVICE.action("ListUsers")
def list_users(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Users, paged by ``Marker``/``MaxItems``."""
    page, paging = paged(call, sorted(backend.users.values(), key=lambda u: u.name))
    return {"Users": {"User": [user_body(u) for u in page]}, **paging}


@SERVICE.action("GetPolicy")
def get_policy(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A policy and its default version (``DefaultPolicyVersion``)."""
    policy = backend.policy(call.require("PolicyName"), policy_type(call))
    attachments = sum(1 for u in backend.users.values() for r in u.policies if (r.type, r.name) ==
                      (policy.type, policy.name))
    attachments += sum(1 for g in backend.groups.values() for r in g.policies if (r.type, r.name) ==
                       (policy.type, policy.name))
    default = policy.default_version
    return {"Policy": {"PolicyName": policy.name, "PolicyType": policy.type, "Description": policy.description,
                       "DefaultVersion": default.version_id, "CreateDate": policy.create_date,
                       "UpdateDate": policy.update_date, "AttachmentCount": attachments},
            "DefaultPolicyVersion": version_body(default)}


@SERVICE.action("GetPolicyVersion")
def get_policy_version(call: Call, backend: RamBackend) -> dict[str, Any]:
    """One version of a policy."""
    policy = backend.policy(call.require("PolicyName"), policy_type(call))
    version_id = call.require("VersionId")
    version = policy.versions.get(version_id)
    if version is None:
        raise CloudError("EntityNotExist.PolicyVersion",
                         f"The policy version does not exist: {policy.name} {version_id}.", 404)
    return {"PolicyVersion": version_body(version)}
