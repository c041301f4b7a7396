"""A role's trust policy: who may assume it.

A trust policy is a RAM document whose statements name a ``Principal`` instead of a ``Resource``::

    {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
      "Principal": {"RAM": ["acs:ram::<account>:root"], "Service": ["fc.aliyuncs.com"]}}]}

``RAM`` principals name an account (``acs:ram::<account>:root``: any RAM user or role of that account
whose own policies allow ``sts:AssumeRole``), one RAM user (``acs:ram::<account>:user/<name>``) or one
RAM role (``acs:ram::<account>:role/<name>``, for sessions of that role); ``Service`` principals name
a cloud service (``fc.aliyuncs.com``). Sources: RAM's role types in
https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens ("What types of RAM roles
are there and who can assume them?") and the policy structure page
(https://www.alibabacloud.com/help/document_detail/93739.html). Principal ARNs compare without regard
to case (RAM shows role ARNs lower-cased); ``*`` names everybody. As with identity policies, an
explicit ``Deny`` wins and a condition that cannot be evaluated is read the safe way
(``localcloud.authz.conditions``). An empty or unreadable trust policy trusts nobody.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.authz.conditions import evaluate_condition
from localcloud.authz.policy import action_matches


@dataclass(frozen=True)
class Caller:
    """Who asks to assume a role: the ARNs that identify it (lower-cased) or the service it is."""

    arns: frozenset[str] = field(default_factory=frozenset)
    service: str | None = None

    @classmethod
    def ram(cls, account_id: str, *, user: str | None = None, role: str | None = None) -> Caller:
        """A RAM user or a session of a RAM role of ``account_id``."""
        arns = {f"acs:ram::{account_id}:root"}
        if user:
            arns.add(f"acs:ram::{account_id}:user/{user}".lower())
        if role:
            arns.add(f"acs:ram::{account_id}:role/{role}".lower())
        return cls(frozenset(arns))


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def names_caller(principal: Any, caller: Caller) -> bool:
    """Whether a statement's ``Principal`` element names the caller."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for arn in _listed(principal.get("RAM")):
        if arn == "*" or arn.lower() in caller.arns:
            return True
    return caller.service is not None and any(s.lower() == caller.service.lower()
                                              for s in _listed(principal.get("Service")))


def trusts(document: str, caller: Caller, keys: Mapping[str, list[str]]) -> bool:
    """Whether the trust policy ``document`` lets ``caller`` assume the role."""
    try:
        parsed = json.loads(document) if document else {}
    except ValueError:
        return False
    statements = parsed.get("Statement", []) if isinstance(parsed, Mapping) else []
    statements = statements if isinstance(statements, list) else [statements]
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping) or not names_caller(statement.get("Principal"), caller):
            continue
        actions = _listed(statement.get("Action"))
        if not any(action_matches(a, "sts:AssumeRole") for a in actions):
            continue
        holds = evaluate_condition(statement.get("Condition"), keys)
        if statement.get("Effect") == "Deny" and holds is not False:
            return False
        if statement.get("Effect") == "Allow" and holds is True:
            allowed = True
    return allowed
