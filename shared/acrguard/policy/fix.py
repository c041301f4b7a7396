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

from acrguard.policy.evaluate import CUSTOM, PolicyRef
from acrguard.policy.risk import REFERENCE_ACTIONS

USER_PLACEHOLDER = "<USER_NAME>"
#: Why each kind of placeholder is there and how to fill it (``policy check`` flags fill them in).
USER_MEANING = ("the RAM user whose AccessKey sits in the acr-configuration ConfigMap "
                "(give it to policy check with --user NAME)")


@dataclass(frozen=True)
class Placeholder:
    """A value the commands need that acrguard does not know: its token in the commands and what goes there."""

    token: str
    meaning: str


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


def _value(known: str | None, token: str) -> str:
    return shlex.quote(known) if known else token


def detach_commands(policy: PolicyRef, user_name: str | None, *, name_token: str | None = None,
                    type_token: str | None = None) -> list[str]:
    """The commands that take ``policy`` away from the user (two alternatives for a group).

    ``name_token``/``type_token`` stand for a name or type acrguard only assumed (``PolicyRef.assumed``).
    """
    user = _value(user_name, USER_PLACEHOLDER)
    kind = type_token or shlex.quote(policy.type)
    name = name_token or shlex.quote(policy.name)
    shown = name_token or policy.name
    if policy.group:
        group = shlex.quote(policy.group)
        return [
            f"aliyun ram RemoveUserFromGroup --UserName {user} --GroupName {group}"
            f"    # only this user loses group {policy.group}'s policies",
            f"aliyun ram DetachPolicyFromGroup --PolicyType {kind} --PolicyName {name} --GroupName {group}"
            f"    # or: every member of {policy.group} loses {shown}",
        ]
    return [f"aliyun ram DetachPolicyFromUser --PolicyType {kind} --PolicyName {name} --UserName {user}"]


@dataclass(frozen=True)
class LeastPrivilegeFix:
    """What to run: create and attach the pull-only policy (unless one is attached), then detach.

    ``placeholders``: values the commands need that acrguard does not know (``<USER_NAME>``, the
    name and type of a policy read from a bare document); the text explains each above the commands,
    and a command holding one is not ready to paste. ``rewrite``: for a Custom policy attached to the
    user, the alternative of making that policy pull-only in place (``CreatePolicyVersion``).
    """

    policy_name: str
    document: dict[str, Any]
    create_commands: tuple[str, ...]
    detach: tuple[tuple[PolicyRef, tuple[str, ...]], ...]
    notes: tuple[str, ...] = field(default=())
    placeholders: tuple[Placeholder, ...] = field(default=())
    rewrite: tuple[tuple[PolicyRef, str], ...] = field(default=())

    @property
    def ready(self) -> bool:
        """Every command can be pasted as it is (no placeholder to fill in)."""
        return not self.placeholders

    def commands(self) -> list[str]:
        """Every command in order."""
        return [*self.create_commands, *(c for _, cmds in self.detach for c in cmds)]

    def text(self, only: PolicyRef | None = None) -> str:
        """Readable steps; ``only`` limits the detach steps to one policy (for that policy's finding)."""
        detach = [(p, c) for p, c in self.detach if only is None or p == only]
        rewrite = list(self.rewrite)
        body: list[str] = []
        if self.create_commands:
            body.append(f"1. Create and attach a pull-only policy ({self.policy_name}) first, so pulls keep working:")
            body.extend(f"   {c}" for c in self.create_commands)
        if detach:
            body.append(f"{2 if self.create_commands else 1}. Remove the excess:")
            for policy, cmds in detach:
                body.extend(f"   {c}" for c in cmds)
                for command in (c for p, c in rewrite if p == policy):
                    body.append(f"   or, instead of detaching {policy.name}, if only pull keys use it, make it "
                                "pull-only in place (every user, group and role it is attached to gets the new "
                                "default version; a policy keeps at most 5 versions, so if RAM refuses a sixth, "
                                "delete an old one with DeletePolicyVersion first):")
                    body.append(f"   {command}")
        used = "\n".join(body)
        needed = [p for p in self.placeholders if p.token in used]
        lines: list[str] = []
        if needed:
            lines.append("Not ready to paste: replace each <…> below first.")
            width = max(len(p.token) for p in needed)
            lines.extend(f"  {p.token.ljust(width)}  {p.meaning}" for p in needed)
        lines.extend(body)
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
            "rewrite": [{"policy": p.name, "command": c} for p, c in self.rewrite],
            "ready": self.ready,
            "placeholders": [{"token": p.token, "meaning": p.meaning} for p in self.placeholders],
            "notes": list(self.notes),
        }


def _numbered(base: str, index: int, count: int) -> str:
    return f"<{base}>" if count == 1 else f"<{base}_{index}>"


def _policy_placeholders(refs: list[PolicyRef]) -> tuple[dict[PolicyRef, tuple[str | None, str | None]],
                                                          list[Placeholder]]:
    """Tokens for the names and types acrguard only assumed (a bare document has neither), with meanings."""
    unnamed = [r for r in refs if "name" in r.assumed]
    untyped = [r for r in refs if "type" in r.assumed]
    tokens: dict[PolicyRef, tuple[str | None, str | None]] = {}
    found: list[Placeholder] = []
    for ref in refs:
        name = type_ = None
        where = f" whose document is in {ref.origin}" if ref.origin else f" acrguard calls {ref.name}"
        if ref in unnamed:
            name = _numbered("POLICY_NAME", unnamed.index(ref) + 1, len(unnamed))
            found.append(Placeholder(name, f"the name in RAM of the policy{where}: a bare policy document does not "
                                           "carry its name (give it to policy check with --policy-name NAME)"))
        if ref in untyped:
            type_ = _numbered("POLICY_TYPE", untyped.index(ref) + 1, len(untyped))
            found.append(Placeholder(type_, f"System or Custom, the type in RAM of the policy{where} (give it to "
                                            "policy check with --policy-type)"))
        tokens[ref] = (name, type_)
    return tokens, found


def build_fix(offending: Iterable[PolicyRef], *, instance_id: str | None, user_name: str | None,
              reference_kept: bool, over_privileged: bool, unreadable: Iterable[PolicyRef] = ()) -> LeastPrivilegeFix:
    """The fix for an identity whose ``offending`` policies should go.

    ``reference_kept``: the policies that stay already grant the three pull actions, so no new
    policy is needed. ``over_privileged``: the key could do more than pull (so rotate it).

    Commands use the aliyun CLI's form for RPC APIs, ``aliyun ram <Action> --<Parameter> <value>``
    (https://help.aliyun.com/en/ram/developer-reference/cli-reference-ram), with the parameters of
    the RAM 2015-05-01 API as the SDK models name them (alibabacloud_ram20150501/models:
    CreatePolicyRequest PolicyName/PolicyDocument/Description; AttachPolicyToUserRequest and
    DetachPolicyFromUserRequest PolicyType (System or Custom)/PolicyName/UserName;
    DetachPolicyFromGroupRequest GroupName; RemoveUserFromGroupRequest UserName/GroupName;
    CreatePolicyVersionRequest PolicyName/PolicyDocument/SetAsDefault (default false)/RotateStrategy).
    """
    name = pull_only_policy_name(instance_id)
    document = pull_only_document(instance_id)
    compact = shlex.quote(json.dumps(document, separators=(',', ':')))
    user = _value(user_name, USER_PLACEHOLDER)
    create: tuple[str, ...] = ()
    if not reference_kept:
        description = shlex.quote("Pull-only access for aliyun-acr-credential-helper (acrguard)")
        create = (
            f"aliyun ram CreatePolicy --PolicyName {name} --PolicyDocument {compact} --Description {description}",
            f"aliyun ram AttachPolicyToUser --PolicyType Custom --PolicyName {name} --UserName {user}",
        )
    seen: list[PolicyRef] = []
    for ref in offending:
        if ref not in seen:
            seen.append(ref)
    tokens, placeholders = _policy_placeholders(seen)
    if not user_name and (create or seen):
        placeholders.insert(0, Placeholder(USER_PLACEHOLDER, USER_MEANING))
    detach = tuple((r, tuple(detach_commands(r, user_name, name_token=tokens[r][0], type_token=tokens[r][1])))
                   for r in seen)
    rewrite = tuple(
        (r, f"aliyun ram CreatePolicyVersion --PolicyName {tokens[r][0] or shlex.quote(r.name)} "
            f"--PolicyDocument {compact} --SetAsDefault true")
        for r in seen if r.type == CUSTOM and "type" not in r.assumed and not r.group)
    notes = [f"{ref.describe()} could not be read: inspect it before deciding (acrguard does not suggest removing "
             f"what it could not evaluate)." for ref in unreadable]
    if not instance_id:
        notes.append("Pass the instance id (--instance-id cri-…) to scope PullRepository to that instance's "
                     "repositories.")
    if over_privileged:
        notes.append("Rotate the AccessKey: it could do more than pull while these policies were attached.")
    notes.append("Prefer RRSA or the worker-role mode of aliyun-acr-credential-helper to an AccessKey in the "
                 "ConfigMap; Alibaba Cloud rates the AccessKey method lowest.")
    return LeastPrivilegeFix(name, document, create, detach, tuple(notes), tuple(placeholders), rewrite)
