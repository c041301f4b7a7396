"""The least-privilege fix for a pull key: a ready pull-only policy and the exact RAM commands.

The policy is the documented minimum (cr:GetAuthorizationToken, cr:ListInstanceEndpoint,
cr:PullRepository; non-secret-pulling-container-image and the cross-account docs) with
``PullRepository`` narrowed to the instance's repositories
(``acs:cr:*:*:repository/<instanceId>/*``, RAM authorization information for ACR).
``GetAuthorizationToken`` stays on ``*`` because ACR authorises it against ``*`` (doc-detail/144948).

Commands use the aliyun CLI's RPC form (``aliyun ram DetachPolicyFromUser --PolicyType …``);
parameters are those of the RAM 2015-05-01 API. For a policy that reaches the user through a group,
two ways are given: take the user out of the group (affects only this user) or detach the policy
from the group (affects every member).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acrguard.policy.evaluate import PolicyRef
from acrguard.policy.risk import REFERENCE_ACTIONS

USER_PLACEHOLDER = "<UserName>"


def pull_only_document(instance_id: str | None) -> dict[str, Any]:
    """The pull-only policy document; ``PullRepository`` scoped to the instance when it is known."""
    if not instance_id:
        return {"Version": "1", "Statement": [{"Effect": "Allow", "Action": list(REFERENCE_ACTIONS), "Resource": "*"}]}
    return {
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": ["cr:GetAuthorizationToken", "cr:ListInstanceEndpoint"], "Resource": "*"},
            {"Effect": "Allow", "Action": "cr:PullRepository",
             "Resource": f"acs:cr:*:*:repository/{instance_id}/*"},
        ],
    }


def pull_only_policy_name(instance_id: str | None) -> str:
    """The name suggested for the pull-only custom policy."""
    return f"AcrguardPullOnly-{instance_id}" if instance_id else "AcrguardPullOnly"


def detach_commands(policy: PolicyRef, user_name: str | None) -> list[str]:
    """The commands that take ``policy`` away from the user (two alternatives for a group)."""
    user = shlex.quote(user_name) if user_name else USER_PLACEHOLDER
    kind, name = shlex.quote(policy.type), shlex.quote(policy.name)
    if policy.group:
        group = shlex.quote(policy.group)
        return [
            f"aliyun ram RemoveUserFromGroup --UserName {user} --GroupName {group}"
            f"    # only this user loses group {policy.group}'s policies",
            f"aliyun ram DetachPolicyFromGroup --PolicyType {kind} --PolicyName {name} --GroupName {group}"
            f"    # or: every member of {policy.group} loses {policy.name}",
        ]
    return [f"aliyun ram DetachPolicyFromUser --PolicyType {kind} --PolicyName {name} --UserName {user}"]


@dataclass(frozen=True)
class LeastPrivilegeFix:
    """What to run: create and attach the pull-only policy (unless one is attached), then detach."""

    policy_name: str
    document: dict[str, Any]
    create_commands: tuple[str, ...]
    detach: tuple[tuple[PolicyRef, tuple[str, ...]], ...]
    notes: tuple[str, ...] = field(default=())

    def commands(self) -> list[str]:
        """Every command in order."""
        return [*self.create_commands, *(c for _, cmds in self.detach for c in cmds)]

    def text(self, only: PolicyRef | None = None) -> str:
        """Readable steps; ``only`` limits the detach steps to one policy (for that policy's finding)."""
        lines: list[str] = []
        if self.create_commands:
            lines.append(f"1. Create and attach a pull-only policy ({self.policy_name}) first, so pulls keep working:")
            lines.extend(f"   {c}" for c in self.create_commands)
        detach = [(p, c) for p, c in self.detach if only is None or p == only]
        if detach:
            lines.append(f"{2 if self.create_commands else 1}. Remove the excess:")
            for _, cmds in detach:
                lines.extend(f"   {c}" for c in cmds)
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "policy_name": self.policy_name,
            "policy_document": self.document,
            "create_commands": list(self.create_commands),
            "detach": [{"policy": p.name, "type": p.type, "attachment": p.attachment, "commands": list(c)}
                       for p, c in self.detach],
            "notes": list(self.notes),
        }


def build_fix(offending: Iterable[PolicyRef], *, instance_id: str | None, user_name: str | None,
              reference_kept: bool, over_privileged: bool, unreadable: Iterable[PolicyRef] = ()) -> LeastPrivilegeFix:
    """The fix for an identity whose ``offending`` policies should go.

    ``reference_kept``: the policies that stay already grant the three pull actions, so no new
    policy is needed. ``over_privileged``: the key could do more than pull (so rotate it).
    """
    name = pull_only_policy_name(instance_id)
    document = pull_only_document(instance_id)
    user = shlex.quote(user_name) if user_name else USER_PLACEHOLDER
    create: tuple[str, ...] = ()
    if not reference_kept:
        description = shlex.quote("Pull-only access for aliyun-acr-credential-helper (acrguard)")
        create = (
            f"aliyun ram CreatePolicy --PolicyName {name} --PolicyDocument "
            f"{shlex.quote(json.dumps(document, separators=(',', ':')))} --Description {description}",
            f"aliyun ram AttachPolicyToUser --PolicyType Custom --PolicyName {name} --UserName {user}",
        )
    seen: list[PolicyRef] = []
    for ref in offending:
        if ref not in seen:
            seen.append(ref)
    notes = [f"{ref.describe()} could not be read: inspect it before deciding (acrguard does not suggest removing "
             f"what it could not evaluate)." for ref in unreadable]
    if not instance_id:
        notes.append("Pass the instance id (--instance-id cri-…) to scope PullRepository to that instance's "
                     "repositories.")
    if over_privileged:
        notes.append("Rotate the AccessKey: it could do more than pull while these policies were attached.")
    notes.append("Prefer RRSA or the worker-role mode of aliyun-acr-credential-helper to an AccessKey in the "
                 "ConfigMap; Alibaba Cloud rates the AccessKey method lowest.")
    return LeastPrivilegeFix(name, document, create, tuple((r, tuple(detach_commands(r, user_name))) for r in seen),
                             tuple(notes))
