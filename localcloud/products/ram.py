"""Resource Access Management (ram 2015-05-01): users, groups, roles, policies, versions, AccessKeys.

RAM is global (one backend per account). Paging is RAM's ``Marker``/``MaxItems``/``IsTruncated``
(``MaxItems`` 1–1000, default 100). Request and response shapes follow
``alibabacloud_ram20150501.models``. Error codes and HTTP statuses follow the RAM error-code
reference and the per-API pages (``EntityNotExist.User`` 404, ``EntityNotExist.Policy.Version``
404, ``EntityAlreadyExists.User.Policy`` 409, ``LimitExceeded.Policy.Version`` 409,
``DeleteConflict.Policy.Version.Default`` 409, ``EntityNotExist.User.LoginProfile`` 404, ...).
Limits are today's documented ones (https://www.alibabacloud.com/help/en/ram/product-overview/limits;
https://www.alibabacloud.com/help/zh/ram/developer-reference/api-ram-2015-05-01-createpolicyversion):
20 System and 10 Custom policies per user/group/role, 10 groups per user, 2 AccessKeys per user,
5 versions per policy, documents up to 6144 characters. Account
level quotas (number of users, groups, custom policies) are not enforced, so big seeded worlds
load; that is the emulator's choice.

Built-in System policies (``AdministratorAccess``, ``AliyunContainerRegistryFullAccess``, ...) are
present in every account so worlds can attach them by name. They are the local cloud's own copies in
``localcloud/data/system_policies.json``, each version with its source. A world may redefine a
System policy (for example with other versions) by listing it with ``type: System``.

The policies in force for a request (``identity_policies``) are what ``localcloud.authz`` evaluates:
a user's own attachments plus its groups', a role's attachments, each at its default version.

World format (``accounts.<id>.global.ram``)::

    users:
      - name: acr-puller
        create_date: "2025-01-01T00:00:00Z"  # optional
        groups: [pullers]
        policies: [{name: AliyunContainerRegistryReadOnlyAccess, type: System}]
        access_keys: [{id: LTAI..., secret: ..., status: Active, create_date: ..., last_used: ...}]
        login_profile: false             # or true, or {password_reset_required, mfa_bind_required, create_date}
    groups: [{name: pullers, policies: [{name: acr-pull, type: Custom}]}]
    policies:
      - name: acr-pull                   # type Custom unless given
        versions: [{id: v1, default: true, document: {Version: "1", Statement: [...]}}]
      - {name: acr-read, document: {...}}  # shorthand: one version v1, the default
    roles: [{name: acrguard-keeper, policies: [...], trust_policy: {Version: "1", Statement: [...]}}]

Attaching a policy that is not defined (or built in) is a world error naming where, and so is a
document that is not a JSON object with ``Version`` "1" and a ``Statement``. A role without
``trust_policy`` trusts nobody (``AssumeRole`` is refused). Big worlds for benchmarks come from
``localcloud.worlds.generate.ram_world``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from localcloud.core.identity import AccessKey
from localcloud.errors import CloudError, invalid_parameter
from localcloud.service import Call, Service, page_by_marker

SEED_DATE = "2025-01-01T00:00:00Z"

#: Per-identity attachment limits by policy type, and other per-entity limits (RAM's limits page, above).
ATTACH_LIMITS = {"System": 20, "Custom": 10}
GROUPS_PER_USER = 10
KEYS_PER_USER = 2
VERSIONS_PER_POLICY = 5
DOCUMENT_MAX_CHARS = 6144

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
    last_number: int = 0  # highest v<n> ever used: RAM does not reuse version ids

    @property
    def default_version(self) -> PolicyVersion:
        """The version in force."""
        return next(v for v in self.versions.values() if v.is_default)

    def next_version_id(self) -> str:
        """``v<n+1>`` after the highest ``v<n>`` ever used (deleted ids are not reused)."""
        numbers = [int(v[1:]) for v in self.versions if re.fullmatch(r"v\d+", v)]
        self.last_number = max([self.last_number, *numbers]) + 1
        return f"v{self.last_number}"


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
    """A RAM group; ``members`` maps user name to join date, in join order."""

    name: str
    comments: str = ""
    create_date: str = SEED_DATE
    group_id: str = ""
    policies: list[PolicyRef] = field(default_factory=list)
    members: dict[str, str] = field(default_factory=dict)


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


SYSTEM_POLICIES = Path(__file__).resolve().parent.parent / "data" / "system_policies.json"


@lru_cache(maxsize=1)
def load_system_policies() -> tuple[dict[str, Any], ...]:
    """The System policies of ``localcloud/data/system_policies.json``, as world-format specs (read once).

    The file is ``{"policies": {name: {"description", "default_version", "versions": {id:
    {"document", "source", ...}}}}}``.
    """
    try:
        data = json.loads(SYSTEM_POLICIES.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {SYSTEM_POLICIES}: {exc}") from None
    specs = []
    for name, entry in (data.get("policies") or {}).items():
        default = entry.get("default_version")
        versions = [{"id": version_id, "document": version["document"], "default": version_id == default}
                    for version_id, version in (entry.get("versions") or {}).items()]
        specs.append({"name": name, "description": entry.get("description", ""), "versions": versions})
    return tuple(specs)


def _checked_world_document(value: Any, where: str) -> str:
    """A world's policy document as text; ``ValueError`` unless it is an object with Version "1" and a Statement."""
    text = _document(value)
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{where}: the document is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict) or str(parsed.get("Version")) != "1" or "Statement" not in parsed:
        raise ValueError(f'{where}: a policy document needs "Version": "1" and a "Statement"')
    return text


class RamBackend:
    """RAM state of one account."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.policies: dict[tuple[str, str], Policy] = {}
        self.roles: dict[str, Role] = {}
        #: (policy type, policy name) -> {("User"|"Group"|"Role", entity name): attach date}
        self.attachments: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
        self._next_id = 1
        self._sorted_users: list[User] | None = None
        for spec in load_system_policies():
            self._add_policy(spec, "System", f"system policy {spec.get('name')!r}")

    def _id(self, width: int = 16) -> str:
        self._next_id += 1
        return str(2 * 10 ** (width - 1) + self._next_id)

    def now(self) -> str:
        """The local cloud's current time in RAM's format."""
        return self.cloud.clock.iso()

    # -- seeding ------------------------------------------------------------------------------
    def _add_policy(self, spec: dict[str, Any], default_type: str, where: str) -> Policy:
        versions = spec.get("versions") or ([{"id": "v1", "default": True, "document": spec["document"]}]
                                            if spec.get("document") is not None else [])
        if not versions:
            raise ValueError(f"{where}: needs 'document' or 'versions'")
        policy = Policy(spec["name"], spec.get("type", default_type), spec.get("description", ""))
        if policy.type not in ("System", "Custom"):
            raise ValueError(f"{where}.type: expected System or Custom, got {policy.type!r}")
        for version in versions:
            document = _checked_world_document(version["document"], f"{where}.versions[{version['id']}]")
            policy.versions[version["id"]] = PolicyVersion(version["id"], document, bool(version.get("default")),
                                                           version.get("create_date", SEED_DATE))
        defaults = [v for v in policy.versions.values() if v.is_default]
        if len(defaults) != 1:
            raise ValueError(f"{where}: exactly one version must be default (found {len(defaults)})")
        self.policies[(policy.type, policy.name)] = policy
        self.attachments.setdefault((policy.type, policy.name), {})
        return policy

    def seed(self, data: dict[str, Any]) -> None:
        """Load users, groups, policies and roles from a world file."""
        for index, spec in enumerate(data.get("policies") or []):
            self._add_policy(spec, "Custom", f"policies[{index}]")
        for index, spec in enumerate(data.get("groups") or []):
            group = Group(spec["name"], spec.get("comments", ""), group_id=str(spec.get("id") or self._id()))
            self.groups[group.name] = group
            for ref in _refs(spec.get("policies")):
                self._seed_attach("Group", group.name, group.policies, ref, f"groups[{index}].policies")
        for index, spec in enumerate(data.get("roles") or []):
            trust = spec.get("trust_policy")
            role = Role(spec["name"], self._id(19), "" if trust is None else _checked_world_document(
                trust, f"roles[{index}].trust_policy"), spec.get("description", ""))
            self.roles[role.name] = role
            for ref in _refs(spec.get("policies")):
                self._seed_attach("Role", role.name, role.policies, ref, f"roles[{index}].policies")
        for index, spec in enumerate(data.get("users") or []):
            self._seed_user(index, spec)

    def _seed_user(self, index: int, spec: dict[str, Any]) -> None:
        where = f"users[{index}]"
        user = User(spec["name"], str(spec.get("id") or self._id()), spec.get("display_name", spec["name"]),
                    spec.get("comments", ""), create_date=spec.get("create_date", SEED_DATE),
                    update_date=spec.get("create_date", SEED_DATE))
        if user.name in self.users:
            raise ValueError(f"{where}: duplicate user {user.name!r}")
        for group in spec.get("groups") or []:
            if group not in self.groups:
                raise ValueError(f"{where}.groups: unknown group {group!r}")
            user.groups.append(group)
            self.groups[group].members[user.name] = SEED_DATE
        for ref in _refs(spec.get("policies")):
            self._seed_attach("User", user.name, user.policies, ref, f"{where}.policies")
        for key in spec.get("access_keys") or []:
            access_key = AccessKey(key["id"], key["secret"], self.account_id, user.name,
                                   key.get("status", "Active"), key.get("create_date", SEED_DATE))
            self.cloud.add_access_key(access_key)
            user.access_key_ids.append(access_key.id)
            if key.get("last_used"):
                user.key_last_used[access_key.id] = key["last_used"]
        if spec.get("login_profile"):
            profile = spec["login_profile"] if isinstance(spec["login_profile"], dict) else {}
            user.login_profile = {"PasswordResetRequired": bool(profile.get("password_reset_required", False)),
                                  "MFABindRequired": bool(profile.get("mfa_bind_required", False)),
                                  "CreateDate": profile.get("create_date", SEED_DATE)}
        self.users[user.name] = user
        self._sorted_users = None

    def _seed_attach(self, kind: str, entity: str, refs: list[PolicyRef], ref: PolicyRef, where: str) -> None:
        if (ref.type, ref.name) not in self.policies:
            raise ValueError(f"{where}: unknown {ref.type} policy {ref.name!r}")
        refs.append(ref)
        self.attachments[(ref.type, ref.name)][(kind, entity)] = ref.attach_date

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

    def version(self, policy: Policy, version_id: str) -> PolicyVersion:
        """A version of ``policy``, or ``EntityNotExist.Policy.Version``."""
        version = policy.versions.get(version_id)
        if version is None:
            raise CloudError("EntityNotExist.Policy.Version",
                             f"The policy version does not exist: {policy.name} {version_id}.", 404)
        return version

    def role(self, name: str) -> Role | None:
        """The role called ``name`` (role names compare without regard to case), or None."""
        return next((r for n, r in self.roles.items() if n.lower() == name.lower()), None)

    def identity_policies(self, kind: str, name: str) -> list[tuple[Policy, PolicyVersion]]:
        """The policies in force for a ``"User"`` (its own and its groups') or a ``"Role"``, at their default versions.

        An identity that does not exist has none; so has an attachment whose policy was removed.
        """
        refs: list[PolicyRef] = []
        if kind == "User" and name in self.users:
            user = self.users[name]
            refs = list(user.policies)
            for group in user.groups:
                refs.extend(self.groups[group].policies if group in self.groups else [])
        elif kind == "Role":
            role = self.role(name)
            refs = list(role.policies) if role is not None else []
        found = []
        for ref in refs:
            policy = self.policies.get((ref.type, ref.name))
            if policy is not None:
                found.append((policy, policy.default_version))
        return found

    def sorted_users(self) -> list[User]:
        """Users in ``ListUsers`` order (by name), cached until a user is added."""
        if self._sorted_users is None:
            self._sorted_users = sorted(self.users.values(), key=lambda u: u.name)
        return self._sorted_users

    def access_keys_of(self, user: User) -> list[AccessKey]:
        """The user's AccessKeys, oldest first."""
        keys = [self.cloud.access_keys.get(key_id) for key_id in user.access_key_ids]
        return [k for k in keys if k is not None]

    def user_key(self, user: User, key_id: str) -> AccessKey:
        """One of the user's AccessKeys, or ``EntityNotExist.User.AccessKey``."""
        key = self.cloud.access_keys.get(key_id) if key_id in user.access_key_ids else None
        if key is None:
            raise CloudError("EntityNotExist.User.AccessKey", "The user access key does not exist.", 404)
        return key

    # -- attachments --------------------------------------------------------------------------
    def attach(self, kind: str, entity: str, refs: list[PolicyRef], policy: Policy) -> None:
        """Attach ``policy`` to an identity (``EntityAlreadyExists``/``LimitExceeded`` per kind)."""
        if any((r.type, r.name) == (policy.type, policy.name) for r in refs):
            raise CloudError(f"EntityAlreadyExists.{kind}.Policy",
                             f"The {kind.lower()} has already been attached this policy.", 409)
        if sum(1 for r in refs if r.type == policy.type) >= ATTACH_LIMITS[policy.type]:
            raise CloudError(f"LimitExceeded.{kind}.Policy",
                             f"The policy count of the {kind.lower()} attached policies beyond the current limits.",
                             409)
        ref = PolicyRef(policy.name, policy.type, self.now())
        refs.append(ref)
        self.attachments[(policy.type, policy.name)][(kind, entity)] = ref.attach_date

    def detach(self, kind: str, entity: str, refs: list[PolicyRef], policy: Policy) -> None:
        """Detach ``policy`` from an identity (``EntityNotExist.<kind>.Policy`` when not attached)."""
        for index, ref in enumerate(refs):
            if (ref.type, ref.name) == (policy.type, policy.name):
                del refs[index]
                self.attachments[(policy.type, policy.name)].pop((kind, entity), None)
                return
        raise CloudError(f"EntityNotExist.{kind}.Policy",
                         f"The indicate policy of the {kind.lower()} does not exist.", 404)

    def attachment_count(self, policy: Policy) -> int:
        """How many users, groups and roles hold the policy."""
        return len(self.attachments.get((policy.type, policy.name), {}))


SERVICE = Service("ram", "2015-05-01", RamBackend, regional=False)


# -- parameters and shapes -----------------------------------------------------------------------

def policy_type(call: Call) -> str:
    """The required ``PolicyType`` parameter (``System`` or ``Custom``)."""
    value = call.require("PolicyType")
    if value not in ("System", "Custom"):
        raise CloudError("InvalidParameter.PolicyType", "The parameter - \"PolicyType\" is incorrect.", 400)
    return value


def max_items(call: Call) -> int:
    """``MaxItems`` (1–1000, default 100)."""
    return call.get_int("MaxItems", 100, minimum=1, maximum=1000)


def paged(call: Call, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` and the ``IsTruncated``/``Marker`` fields."""
    page, marker = page_by_marker(items, call.get("Marker"), max_items(call))
    return page, ({"IsTruncated": True, "Marker": marker} if marker else {"IsTruncated": False})


def checked_document(call: Call) -> str:
    """``PolicyDocument``: JSON with ``Version`` ``"1"`` and a ``Statement``, at most 6144 characters."""
    raw = call.require("PolicyDocument")
    if len(raw) > DOCUMENT_MAX_CHARS:
        raise CloudError("InvalidParameter.PolicyDocument.Length",
                         f"The maximum length of the policy document is exceeded. It must not exceed "
                         f"{DOCUMENT_MAX_CHARS} characters.", 400)
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise CloudError("MalformedPolicyDocument", f"The policy document is not valid JSON: {exc}.", 400) from None
    if not isinstance(document, dict) or str(document.get("Version")) != "1" or "Statement" not in document:
        raise CloudError("MalformedPolicyDocument",
                         'The policy document must be an object with "Version": "1" and a "Statement".', 400)
    return raw


def user_body(user: User) -> dict[str, Any]:
    """A user as ``ListUsers``/``GetUser`` show it."""
    return {"UserName": user.name, "UserId": user.user_id, "DisplayName": user.display_name,
            "Comments": user.comments, "CreateDate": user.create_date, "UpdateDate": user.update_date}


def group_body(group: Group) -> dict[str, Any]:
    """A group as ``ListGroups`` shows it."""
    return {"GroupName": group.name, "GroupId": group.group_id, "Comments": group.comments,
            "CreateDate": group.create_date, "UpdateDate": group.create_date}


def version_body(version: PolicyVersion) -> dict[str, Any]:
    """A policy version as ``GetPolicyVersion`` shows it."""
    return {"VersionId": version.version_id, "IsDefaultVersion": version.is_default,
            "PolicyDocument": version.document, "CreateDate": version.create_date}


def policy_body(backend: RamBackend, policy: Policy) -> dict[str, Any]:
    """A policy as ``ListPolicies``/``GetPolicy`` show it."""
    return {"PolicyName": policy.name, "PolicyType": policy.type, "Description": policy.description,
            "DefaultVersion": policy.default_version.version_id, "CreateDate": policy.create_date,
            "UpdateDate": policy.update_date, "AttachmentCount": backend.attachment_count(policy)}


def attached_body(backend: RamBackend, refs: list[PolicyRef]) -> dict[str, Any]:
    """``Policies.Policy`` of ``ListPoliciesFor{User,Group,Role}``."""
    items = []
    for ref in refs:
        policy = backend.policies.get((ref.type, ref.name))
        if policy is None:
            continue
        items.append({"PolicyName": policy.name, "PolicyType": policy.type, "Description": policy.description,
                      "DefaultVersion": policy.default_version.version_id, "AttachDate": ref.attach_date})
    return {"Policies": {"Policy": items}}


def key_body(key: AccessKey) -> dict[str, Any]:
    """An AccessKey as ``ListAccessKeys`` shows it (never the secret)."""
    return {"AccessKeyId": key.id, "Status": key.status, "CreateDate": key.create_date or SEED_DATE}


def target_user(call: Call, backend: RamBackend) -> User:
    """``UserName``, defaulting to the calling RAM user (root callers must name one; emulator's choice)."""
    name = call.get("UserName") or (call.principal.user_name if call.principal.kind == "ram-user" else None)
    if name is None:
        return backend.user(call.require("UserName"))
    return backend.user(name)


# -- users, groups, policies: reads ---------------------------------------------------------------

@SERVICE.action("ListUsers")
def list_users(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Users, paged by ``Marker``/``MaxItems``."""
    page, paging = paged(call, backend.sorted_users())
    return {"Users": {"User": [user_body(u) for u in page]}, **paging}


@SERVICE.action("GetUser")
def get_user(call: Call, backend: RamBackend) -> dict[str, Any]:
    """One user."""
    return {"User": user_body(backend.user(call.require("UserName")))}


@SERVICE.action("ListGroups")
def list_groups(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Groups, paged by ``Marker``/``MaxItems``."""
    page, paging = paged(call, sorted(backend.groups.values(), key=lambda g: g.name))
    return {"Groups": {"Group": [group_body(g) for g in page]}, **paging}


@SERVICE.action("ListGroupsForUser")
def list_groups_for_user(call: Call, backend: RamBackend) -> dict[str, Any]:
    """The groups a user belongs to (not paged)."""
    user = backend.user(call.require("UserName"))
    groups = [backend.groups[name] for name in user.groups]
    return {"Groups": {"Group": [{"GroupName": g.name, "GroupId": g.group_id, "Comments": g.comments,
                                  "JoinDate": g.members.get(user.name, SEED_DATE)} for g in groups]}}


@SERVICE.action("ListUsersForGroup")
def list_users_for_group(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A group's members in join order, paged by ``Marker``/``MaxItems``."""
    group = backend.group(call.require("GroupName"))
    page, paging = paged(call, list(group.members.items()))
    users = [{"UserName": name, "DisplayName": backend.users[name].display_name, "JoinDate": joined}
             for name, joined in page]
    return {"Users": {"User": users}, **paging}


@SERVICE.action("ListPolicies")
def list_policies(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Policies (optionally of one ``PolicyType``), System first then Custom, paged."""
    wanted = call.get("PolicyType")
    if wanted is not None and wanted not in ("System", "Custom"):
        raise CloudError("InvalidParameter.PolicyType", "The parameter - \"PolicyType\" is incorrect.", 400)
    policies = sorted((p for p in backend.policies.values() if wanted in (None, p.type)),
                      key=lambda p: (p.type != "System", p.name))
    page, paging = paged(call, policies)
    return {"Policies": {"Policy": [policy_body(backend, p) for p in page]}, **paging}


@SERVICE.action("ListPoliciesForUser")
def list_policies_for_user(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Policies attached directly to a user, with each one's ``DefaultVersion`` (not paged)."""
    return attached_body(backend, backend.user(call.require("UserName")).policies)


@SERVICE.action("ListPoliciesForGroup")
def list_policies_for_group(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Policies attached to a group (not paged)."""
    return attached_body(backend, backend.group(call.require("GroupName")).policies)


@SERVICE.action("ListPoliciesForRole")
def list_policies_for_role(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Policies attached to a role (not paged), each with its ``DefaultVersion``.

    Shape: ``ListPoliciesForRoleResponseBody`` (``Policies.Policy[]`` of ``PolicyName``, ``PolicyType``,
    ``Description``, ``DefaultVersion``, ``AttachDate``) in ``alibabacloud_ram20150501/models/
    _list_policies_for_role_response_body.py``; the API page
    (https://www.alibabacloud.com/help/ja/ram/developer-reference/api-ram-2015-05-01-listpoliciesforrole)
    documents no paging. Role names compare without regard to case (as ``RamBackend.role``). An unknown
    role answers ``EntityNotExist.Role`` (404), the code terraform-provider-alicloud treats as "not found"
    for RAM roles (``alicloud/service_alicloud_ram.go``); the status is the emulator's choice.
    """
    name = call.require("RoleName")
    role = backend.role(name)
    if role is None:
        raise CloudError("EntityNotExist.Role", f"The role does not exist: {name}.", 404)
    return attached_body(backend, role.policies)


@SERVICE.action("ListEntitiesForPolicy")
def list_entities_for_policy(call: Call, backend: RamBackend) -> dict[str, Any]:
    """The users, groups and roles a policy is attached to."""
    policy = backend.policy(call.require("PolicyName"), policy_type(call))
    users, groups, roles = [], [], []
    for (kind, name), attached in backend.attachments.get((policy.type, policy.name), {}).items():
        if kind == "User" and name in backend.users:
            user = backend.users[name]
            users.append({"UserName": name, "UserId": user.user_id, "DisplayName": user.display_name,
                          "AttachDate": attached})
        elif kind == "Group" and name in backend.groups:
            groups.append({"GroupName": name, "Comments": backend.groups[name].comments, "AttachDate": attached})
        elif kind == "Role" and name in backend.roles:
            role = backend.roles[name]
            roles.append({"RoleName": name, "RoleId": role.role_id, "Description": role.description,
                          "Arn": f"acs:ram::{backend.account_id}:role/{name.lower()}", "AttachDate": attached})
    return {"Users": {"User": users}, "Groups": {"Group": groups}, "Roles": {"Role": roles}}


@SERVICE.action("GetPolicy")
def get_policy(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A policy and its default version (``DefaultPolicyVersion``)."""
    policy = backend.policy(call.require("PolicyName"), policy_type(call))
    return {"Policy": policy_body(backend, policy), "DefaultPolicyVersion": version_body(policy.default_version)}


@SERVICE.action("GetPolicyVersion")
def get_policy_version(call: Call, backend: RamBackend) -> dict[str, Any]:
    """One version of a policy."""
    policy = backend.policy(call.require("PolicyName"), policy_type(call))
    return {"PolicyVersion": version_body(backend.version(policy, call.require("VersionId")))}


@SERVICE.action("ListPolicyVersions")
def list_policy_versions(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Every version of a policy."""
    policy = backend.policy(call.require("PolicyName"), policy_type(call))
    return {"PolicyVersions": {"PolicyVersion": [version_body(v) for v in policy.versions.values()]}}


# -- AccessKeys and console login: reads ----------------------------------------------------------

@SERVICE.action("ListAccessKeys")
def list_access_keys(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A user's AccessKeys (id, status, creation date; never the secret). Not paged (at most 2)."""
    user = target_user(call, backend)
    return {"AccessKeys": {"AccessKey": [key_body(k) for k in backend.access_keys_of(user)]}}


@SERVICE.action("GetAccessKeyLastUsed")
def get_access_key_last_used(call: Call, backend: RamBackend) -> dict[str, Any]:
    """When a user's AccessKey was last used.

    A key that was never used answers an empty ``AccessKeyLastUsed`` object (emulator's choice:
    the docs do not say what the real service returns then).
    """
    user = backend.user(call.require("UserName"))
    key = backend.user_key(user, call.require("UserAccessKeyId"))
    used = user.key_last_used.get(key.id)
    return {"AccessKeyLastUsed": {"LastUsedDate": used} if used else {}}


@SERVICE.action("GetLoginProfile")
def get_login_profile(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A user's console login settings, or ``EntityNotExist.User.LoginProfile`` (404) when none."""
    user = backend.user(call.require("UserName"))
    if user.login_profile is None:
        raise CloudError("EntityNotExist.User.LoginProfile", "The user login profile does not exist.", 404)
    return {"LoginProfile": {"UserName": user.name, **user.login_profile}}


# -- writes ---------------------------------------------------------------------------------------

@SERVICE.action("CreateUser")
def create_user(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A new user (``EntityAlreadyExists.User`` when the name is taken)."""
    name = call.require("UserName")
    if not re.fullmatch(r"[\w.@-]{1,64}", name):
        raise CloudError("InvalidParameter.UserName.InvalidChars",
                         "The parameter - \"UserName\" contains invalid chars.", 400)
    if name in backend.users:
        raise CloudError("EntityAlreadyExists.User", "The user does already EXIST.", 409)
    now = backend.now()
    user = User(name, backend._id(), call.get("DisplayName") or name, call.get("Comments") or "", now, now)
    backend.users[name] = user
    backend._sorted_users = None
    return {"User": user_body(user)}


@SERVICE.action("CreateGroup")
def create_group(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A new group (``EntityAlreadyExists.Group`` when the name is taken)."""
    name = call.require("GroupName")
    if name in backend.groups:
        raise CloudError("EntityAlreadyExists.Group", "The group does already EXIST.", 409)
    group = Group(name, call.get("Comments") or "", backend.now(), backend._id())
    backend.groups[name] = group
    return {"Group": group_body(group)}


@SERVICE.action("CreatePolicy")
def create_policy(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A new Custom policy whose first version ``v1`` is the default."""
    name = call.require("PolicyName")
    if not re.fullmatch(r"[A-Za-z0-9-]{1,128}", name):
        raise CloudError("InvalidParameter.PolicyName.InvalidChars",
                         "The parameter - \"PolicyName\" contains invalid chars.", 400)
    document = checked_document(call)
    if ("Custom", name) in backend.policies:
        raise CloudError("EntityAlreadyExists.Policy", "The policy does already EXIST.", 409)
    now = backend.now()
    policy = Policy(name, "Custom", call.get("Description") or "", create_date=now, update_date=now)
    policy.versions["v1"] = PolicyVersion("v1", document, True, now)
    backend.policies[("Custom", name)] = policy
    backend.attachments[("Custom", name)] = {}
    return {"Policy": {"PolicyName": name, "PolicyType": "Custom", "Description": policy.description,
                       "DefaultVersion": "v1", "CreateDate": now}}


@SERVICE.action("AttachPolicyToUser")
def attach_policy_to_user(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Attach a policy to a user."""
    kind = policy_type(call)
    user = backend.user(call.require("UserName"))
    backend.attach("User", user.name, user.policies, backend.policy(call.require("PolicyName"), kind))
    return {}


@SERVICE.action("DetachPolicyFromUser")
def detach_policy_from_user(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Detach a policy from a user (``EntityNotExist.User.Policy`` when it was not attached)."""
    kind = policy_type(call)
    user = backend.user(call.require("UserName"))
    backend.detach("User", user.name, user.policies, backend.policy(call.require("PolicyName"), kind))
    return {}


@SERVICE.action("AttachPolicyToGroup")
def attach_policy_to_group(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Attach a policy to a group."""
    kind = policy_type(call)
    group = backend.group(call.require("GroupName"))
    backend.attach("Group", group.name, group.policies, backend.policy(call.require("PolicyName"), kind))
    return {}


@SERVICE.action("DetachPolicyFromGroup")
def detach_policy_from_group(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Detach a policy from a group (``EntityNotExist.Group.Policy`` when it was not attached)."""
    kind = policy_type(call)
    group = backend.group(call.require("GroupName"))
    backend.detach("Group", group.name, group.policies, backend.policy(call.require("PolicyName"), kind))
    return {}


@SERVICE.action("AddUserToGroup")
def add_user_to_group(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Add a user to a group (``EntityAlreadyExists.User.Group``, ``LimitExceeded.User.Group``)."""
    user = backend.user(call.require("UserName"))
    group = backend.group(call.require("GroupName"))
    if group.name in user.groups:
        raise CloudError("EntityAlreadyExists.User.Group", "The user has already joined the group.", 409)
    if len(user.groups) >= GROUPS_PER_USER:
        raise CloudError("LimitExceeded.User.Group",
                         "The count of groups the target user joined beyond the current limits.", 409)
    user.groups.append(group.name)
    group.members[user.name] = backend.now()
    return {}


@SERVICE.action("RemoveUserFromGroup")
def remove_user_from_group(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Remove a user from a group (``EntityNotExist.User.Group`` when not a member)."""
    user = backend.user(call.require("UserName"))
    group = backend.group(call.require("GroupName"))
    if group.name not in user.groups:
        raise CloudError("EntityNotExist.User.Group", "The user has not joined the group.", 404)
    user.groups.remove(group.name)
    group.members.pop(user.name, None)
    return {}


@SERVICE.action("CreatePolicyVersion")
def create_policy_version(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A new version of a Custom policy; ``SetAsDefault`` puts it in force.

    With five versions already, ``RotateStrategy=DeleteOldestNonDefaultVersionWhenLimitExceeded``
    deletes the oldest non-default one; otherwise ``LimitExceeded.Policy.Version`` (409).
    """
    policy = backend.policy(call.require("PolicyName"), "Custom")
    document = checked_document(call)
    set_default = bool(call.get_bool("SetAsDefault", False))
    rotate = call.get("RotateStrategy") or "None"
    if rotate not in ("None", "DeleteOldestNonDefaultVersionWhenLimitExceeded"):
        raise invalid_parameter("RotateStrategy", rotate,
                                "expected None or DeleteOldestNonDefaultVersionWhenLimitExceeded")
    if len(policy.versions) >= VERSIONS_PER_POLICY:
        if rotate == "None":
            raise CloudError("LimitExceeded.Policy.Version",
                             "The count of policy version beyond the current limits.", 409)
        oldest = next(v for v in policy.versions.values() if not v.is_default)
        del policy.versions[oldest.version_id]
    now = backend.now()
    version = PolicyVersion(policy.next_version_id(), document, False, now)
    policy.versions[version.version_id] = version
    if set_default:
        for other in policy.versions.values():
            other.is_default = other is version
    policy.update_date = now
    return {"PolicyVersion": version_body(version)}


@SERVICE.action("SetDefaultPolicyVersion")
def set_default_policy_version(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Make one version of a Custom policy the one in force."""
    policy = backend.policy(call.require("PolicyName"), "Custom")
    version = backend.version(policy, call.require("VersionId"))
    for other in policy.versions.values():
        other.is_default = other is version
    policy.update_date = backend.now()
    return {}


@SERVICE.action("DeletePolicyVersion")
def delete_policy_version(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Delete a non-default version (``DeleteConflict.Policy.Version.Default`` for the default)."""
    policy = backend.policy(call.require("PolicyName"), "Custom")
    version = backend.version(policy, call.require("VersionId"))
    if version.is_default:
        raise CloudError("DeleteConflict.Policy.Version.Default",
                         "The default policy version CAN NOT been deleted directly.", 409)
    del policy.versions[version.version_id]
    return {}


@SERVICE.action("CreateAccessKey")
def create_access_key(call: Call, backend: RamBackend) -> dict[str, Any]:
    """A new AccessKey pair for a user; the secret is shown only here (``LimitExceeded.User.AccessKey``)."""
    user = target_user(call, backend)
    if len(user.access_key_ids) >= KEYS_PER_USER:
        raise CloudError("LimitExceeded.User.AccessKey",
                         "The access key count of the user access keys beyond the current limits.", 409)
    key = backend.cloud.new_access_key(backend.account_id, user.name)
    user.access_key_ids.append(key.id)
    return {"AccessKey": {"AccessKeyId": key.id, "AccessKeySecret": key.secret, "Status": key.status,
                          "CreateDate": key.create_date}}


@SERVICE.action("UpdateAccessKey")
def update_access_key(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Activate or deactivate a user's AccessKey (``Status`` ``Active``/``Inactive``)."""
    user = target_user(call, backend)
    key = backend.user_key(user, call.require("UserAccessKeyId"))
    status = call.require("Status")
    if status not in ("Active", "Inactive"):
        raise invalid_parameter("Status", status, "expected Active or Inactive")
    key.status = status
    return {}


@SERVICE.action("DeleteAccessKey")
def delete_access_key(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Delete a user's AccessKey."""
    user = target_user(call, backend)
    key = backend.user_key(user, call.require("UserAccessKeyId"))
    user.access_key_ids.remove(key.id)
    user.key_last_used.pop(key.id, None)
    with backend.cloud.lock:
        backend.cloud.access_keys.pop(key.id, None)
    return {}


@SERVICE.action("CreateLoginProfile")
def create_login_profile(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Enable console login (``EntityAlreadyExists.User.LoginProfile``). The password is not kept."""
    user = backend.user(call.require("UserName"))
    call.require("Password")
    if user.login_profile is not None:
        raise CloudError("EntityAlreadyExists.User.LoginProfile", "The user login profile does already EXIST.", 409)
    user.login_profile = {"PasswordResetRequired": bool(call.get_bool("PasswordResetRequired", False)),
                          "MFABindRequired": bool(call.get_bool("MFABindRequired", False)),
                          "CreateDate": backend.now()}
    return {"LoginProfile": {"UserName": user.name, **user.login_profile}}


@SERVICE.action("DeleteLoginProfile")
def delete_login_profile(call: Call, backend: RamBackend) -> dict[str, Any]:
    """Disable console login (``EntityNotExist.User.LoginProfile`` when there is none)."""
    user = backend.user(call.require("UserName"))
    if user.login_profile is None:
        raise CloudError("EntityNotExist.User.LoginProfile", "The user login profile does not exist.", 404)
    user.login_profile = None
    return {}
