"""The local cloud's RAM policy evaluator: identity policies in, an allow or a deny out.

Semantics, from RAM's "Policy evaluation process"
(https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process),
"Policy structure and syntax" (https://www.alibabacloud.com/help/document_detail/93739.html) and
"Policy elements" (https://help.aliyun.com/en/ram/policy-elements):

* Deny by default; a matching explicit ``Deny`` wins over any ``Allow``; otherwise a matching
  ``Allow`` grants.
* A statement matches when its ``Action`` (or ``NotAction``: anything but) and its ``Resource`` (or
  ``NotResource``, which older grammar revisions list) match and its ``Condition`` holds
  (``localcloud.authz.conditions``).
* ``Action`` values are ``<service>:<action>`` with ``*`` and ``?`` wildcards, compared without
  regard to case (the docs call action values case-insensitive). ``Statement`` may be one object or
  a list; ``Action``/``Resource`` one string or a list.
* ``Resource`` values are ``acs:<service>:<region>:<account>:<relative-id>`` or ``*``; each segment
  may use wildcards. The service compares without regard to case; region, account and the
  relative id compare as written (the emulator's choice, as Steampipe's policy canonicaliser
  does: https://github.com/turbot/steampipe-plugin-alicloud/blob/06c8cdb2fdd7f982efefd90bf14d23d6cdef2575/alicloud/canonical_policy.go).
  A global resource (RAM, CEN) is named with region ``*`` in the authorization tables
  (``acs:ram:*:{account}:user/{name}``); a policy that leaves the region empty (``acs:ram::...``)
  names it too.
* A request may name several resources (an API whose authorization table lists two required
  resource types, such as ``AttachPolicyToUser``): it is allowed only when every one is allowed,
  and denied explicitly when any one is.

What the local cloud cannot read is read the safe way (the emulator's choice): a statement whose
``Effect`` is neither ``Allow`` nor ``Deny`` does nothing; a statement without ``Action``/
``NotAction`` or ``Resource``/``NotResource``, or whose ``Condition`` cannot be evaluated, does not
grant when it is an ``Allow`` and applies when it is a ``Deny``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from localcloud.authz.conditions import evaluate_condition, glob_to_regex

#: Policy layers, as ``AccessDeniedDetail.PolicyType`` names them (RAM ``DecodeDiagnosticMessage``:
#: https://help.aliyun.com/zh/ram/developer-reference/api-ram-2015-05-01-decodediagnosticmessage).
IDENTITY_POLICY = "AccountLevelIdentityBasedPolicy"
SESSION_POLICY = "SessionPolicy"
TRUST_POLICY = "AssumeRolePolicy"


@dataclass(frozen=True, eq=False)
class Policy:
    """One policy in force for a request: its name, type, version and parsed document."""

    name: str
    document: Mapping[str, Any]
    type: str = "Custom"
    version: str = "v1"
    layer: str = IDENTITY_POLICY

    @classmethod
    def parse(cls, name: str, document: str | Mapping[str, Any], **fields: Any) -> Policy:
        """A policy from its JSON text (or an already parsed mapping); ``ValueError`` when it is not a document."""
        parsed = json.loads(document) if isinstance(document, str) else document
        if not isinstance(parsed, Mapping):
            raise ValueError(f"policy {name!r}: the document is not a JSON object")
        return cls(name, parsed, **fields)

    @property
    def statements(self) -> list[Any]:
        """The ``Statement`` list (a single object counts as a list of one)."""
        statements = self.document.get("Statement", [])
        return statements if isinstance(statements, list) else [statements]


@dataclass(frozen=True)
class Request:
    """What is being asked: one RAM action on one or more resources, with the request's condition keys."""

    action: str
    resources: tuple[str, ...] = ("*",)
    keys: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The outcome: ``allowed``; when not, whether a ``Deny`` said so, on which resource, and which policies."""

    allowed: bool
    explicit_deny: bool = False
    resource: str = "*"
    matched: tuple[Policy, ...] = ()
    layer: str = IDENTITY_POLICY  # the policy layer that decided (``AccessDeniedDetail.PolicyType``)

    @property
    def no_permission_type(self) -> str:
        """``ExplicitDeny`` or ``ImplicitDeny`` (``AccessDeniedDetail.NoPermissionType``)."""
        return "ExplicitDeny" if self.explicit_deny else "ImplicitDeny"


def _values(value: Any) -> list[Any] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> Any:
    return glob_to_regex(pattern, ignore_case=ignore_case)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an ``Action`` value covers ``action`` (wildcards, any case)."""
    return _pattern(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """Whether a ``Resource`` value covers the ARN ``resource`` (see the module docstring)."""
    if pattern == "*":
        return True
    wanted = pattern.split(":", 4)
    actual = resource.split(":", 4)
    if len(wanted) != 5 or len(actual) != 5:
        return _pattern(pattern, False).fullmatch(resource) is not None
    if wanted[0].lower() != actual[0].lower() and wanted[0] != "*":
        return False
    if not _pattern(wanted[1], True).fullmatch(actual[1]):
        return False
    if not (_pattern(wanted[2], False).fullmatch(actual[2]) or (wanted[2] == "" and actual[2] == "*")):
        return False
    return all(_pattern(w, False).fullmatch(a) for w, a in zip(wanted[3:], actual[3:], strict=True))


def _matches_any(patterns: Any, value: str, match: Any) -> bool | None:
    values = _values(patterns)
    if values is None:
        return None
    return any(match(p, value) for p in values)


def statement_applies(statement: Any, action: str, resource: str, keys: Mapping[str, list[str]]) -> bool | None:
    """Whether a statement covers this action on this resource under these keys (None: it cannot be read)."""
    if not isinstance(statement, Mapping):
        return None
    if "Action" in statement:
        hit = _matches_any(statement["Action"], action, action_matches)
    elif "NotAction" in statement:
        miss = _matches_any(statement["NotAction"], action, action_matches)
        hit = None if miss is None else not miss
    else:
        hit = None
    if hit is False:
        return False
    if "Resource" in statement:
        on = _matches_any(statement["Resource"], resource, resource_matches)
    elif "NotResource" in statement:
        off = _matches_any(statement["NotResource"], resource, resource_matches)
        on = None if off is None else not off
    else:
        on = None
    if on is False:
        return False
    holds = evaluate_condition(statement.get("Condition"), keys)
    if holds is False:
        return False
    return None if None in (hit, on, holds) else True


def _decide_one(policies: Sequence[Policy], request: Request, resource: str, layer: str) -> Decision:
    allowed_by: list[Policy] = []
    for policy in policies:
        for statement in policy.statements:
            effect = statement.get("Effect") if isinstance(statement, Mapping) else None
            if effect not in ("Allow", "Deny"):
                continue
            applies = statement_applies(statement, request.action, resource, request.keys)
            if effect == "Deny" and applies is not False:
                return Decision(False, True, resource, (policy,), layer)
            if effect == "Allow" and applies is True and policy not in allowed_by:
                allowed_by.append(policy)
    return Decision(bool(allowed_by), False, resource, tuple(allowed_by), layer)


def evaluate(policies: Sequence[Policy], request: Request, layer: str = IDENTITY_POLICY) -> Decision:
    """Decide ``request`` against the policies of one ``layer``: explicit deny first, then allow, default deny."""
    decisions = [_decide_one(policies, request, resource, layer) for resource in request.resources or ("*",)]
    for decision in decisions:
        if decision.explicit_deny:
            return decision
    for decision in decisions:
        if not decision.allowed:
            return decision
    matched = tuple(dict.fromkeys(p for d in decisions for p in d.matched))
    return Decision(True, False, decisions[0].resource, matched, layer)
