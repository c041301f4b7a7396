"""What counts as excess for a pull key, and how bad each kind is.

The pull-only reference is ``cr:GetAuthorizationToken``, ``cr:ListInstanceEndpoint`` and
``cr:PullRepository`` (the documented minimum for aliyun-acr-credential-helper, also the content of
the AliyunCSManagedAcrRolePolicy system policy). Anything else an identity can do is excess, ranked:

=====================  ========  ==========================================================
category               severity  what
=====================  ========  ==========================================================
admin                  critical  every action of every service (``*``, Allow + NotAction)
identity-escalation    critical  RAM/IMS writes that create keys, users, policies or
                                 attachments, and ``sts:AssumeRole``
registry-write         high      any ACR write (push, delete, create, update)
other-service-write    high      writes of any other service (RAM/IMS writes that are not
                                 escalation, such as deleting a user, land here)
other-service-read     medium    reads of any other service, RAM reads included
acr-read               low       ACR reads and lists beyond the reference
=====================  ========  ==========================================================

Everything but ``acr-read`` makes the verdict FAIL; ``acr-read`` makes it WARN. The brief lists
``ram:``/``ims:`` as critical; acrguard reserves critical for what can escalate and ranks pure RAM
reads (``ram:Get*``) as other-service reads, so a read-only RAM auditor role is not mistaken for an
administrator.

Actions of services outside the catalog are judged by pattern: a name pattern is read-only when
every name it matches starts with a read verb (``Get``, ``List``, ``Describe``, ``Query``, …);
identity escalation is found by probing the pattern with the sensitive RAM/IMS/STS actions below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from acrguard.findings import Severity
from acrguard.policy.catalog import ActionCatalog, CatalogAction
from acrguard.policy.matching import (
    action_covers,
    action_matches,
    covers,
    has_wildcard,
    is_universal,
    service_can_be,
    split_action,
)

REFERENCE_ACTIONS: tuple[str, ...] = ("cr:GetAuthorizationToken", "cr:ListInstanceEndpoint", "cr:PullRepository")

#: RAM/IMS/STS actions that let an identity widen its own (or another's) access.
ESCALATION_PROBES: tuple[str, ...] = (
    "ram:CreateAccessKey", "ram:UpdateAccessKey", "ram:CreateUser", "ram:UpdateUser", "ram:CreateLoginProfile",
    "ram:UpdateLoginProfile", "ram:AttachPolicyToUser", "ram:AttachPolicyToGroup", "ram:AttachPolicyToRole",
    "ram:AddUserToGroup", "ram:CreatePolicy", "ram:CreatePolicyVersion", "ram:SetDefaultPolicyVersion",
    "ram:CreateRole", "ram:UpdateRole", "ram:PassRole", "ram:UnbindMFADevice",
    "ims:CreateAccessKey", "ims:UpdateAccessKey", "ims:CreateUser", "ims:CreateLoginProfile", "ims:UpdateLoginProfile",
    "sts:AssumeRole",
)

IDENTITY_SERVICES: tuple[str, ...] = ("ram", "ims", "sts")
READ_VERBS: tuple[str, ...] = ("Get", "List", "Describe", "Query", "BatchGet", "BatchQuery", "Check", "Search")
#: Actions whose verb is not a read verb but which only read (RAM's credential report, STS's who-am-I).
KNOWN_READS: tuple[str, ...] = ("ram:GenerateCredentialReport", "ims:GenerateCredentialReport",
                                "sts:GetCallerIdentity")


class ExcessCategory(str, Enum):
    """A kind of permission beyond the pull-only reference, from worst to mildest."""

    ADMIN = "admin"
    IDENTITY = "identity-escalation"
    REGISTRY_WRITE = "registry-write"
    OTHER_WRITE = "other-service-write"
    OTHER_READ = "other-service-read"
    ACR_READ = "acr-read"

    @property
    def severity(self) -> Severity:
        """The severity of a finding whose worst excess is this category."""
        return _SEVERITY[self]

    @property
    def fails(self) -> bool:
        """Whether an effective excess of this kind makes the verdict FAIL (else WARN)."""
        return self is not ExcessCategory.ACR_READ

    @property
    def label(self) -> str:
        """Words for people."""
        return _LABEL[self]


_SEVERITY = {
    ExcessCategory.ADMIN: Severity.CRITICAL, ExcessCategory.IDENTITY: Severity.CRITICAL,
    ExcessCategory.REGISTRY_WRITE: Severity.HIGH, ExcessCategory.OTHER_WRITE: Severity.HIGH,
    ExcessCategory.OTHER_READ: Severity.MEDIUM, ExcessCategory.ACR_READ: Severity.LOW,
}
_LABEL = {
    ExcessCategory.ADMIN: "administrator access", ExcessCategory.IDENTITY: "identity escalation",
    ExcessCategory.REGISTRY_WRITE: "registry write", ExcessCategory.OTHER_WRITE: "other services' writes",
    ExcessCategory.OTHER_READ: "other services' reads", ExcessCategory.ACR_READ: "extra ACR reads",
}


@dataclass(frozen=True)
class Excess:
    """One classified piece of excess: ``what`` names it for people (``cr:PushRepository``, ``ecs:*``)."""

    category: ExcessCategory
    what: str


def is_reference(action: str) -> bool:
    """Whether ``action`` is one of the three pull-only actions (any case)."""
    return action.lower() in {a.lower() for a in REFERENCE_ACTIONS}


def classify_catalog_action(entry: CatalogAction) -> ExcessCategory | None:
    """The category of a catalogued ``cr`` action, or None for the reference actions."""
    if is_reference(entry.action):
        return None
    return ExcessCategory.REGISTRY_WRITE if entry.is_write else ExcessCategory.ACR_READ


def name_is_read_only(name_pattern: str) -> bool:
    """Whether every action name the pattern matches starts with a read verb (``Describe*`` yes, ``*`` no)."""
    return any(covers(f"{verb}*", name_pattern, ignore_case=True) for verb in READ_VERBS)


def _is_known_read(action: str) -> bool:
    return not has_wildcard(action) and action.lower() in {k.lower() for k in KNOWN_READS}


def _escalations(matches: Callable[[str], bool], reaches: Callable[[str], bool],
                 denied: Callable[[str], bool]) -> list[str]:
    return [p for p in ESCALATION_PROBES if matches(p) and reaches(split_action(p)[0]) and not denied(p)]


def listing(items: list[str] | tuple[str, ...], limit: int = 4) -> str:
    """``a, b, c and 5 more``: a short list for people."""
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"



def classify_pattern(pattern: str, services: frozenset[str] | None, catalog: ActionCatalog,
                     denied: Callable[[str], bool]) -> list[Excess]:
    """Classify what an Allow Action pattern grants outside the catalogued ``cr`` actions.

    ``services`` is the set of services the statement's resources can name (None: any). A pattern
    whose service part is a wildcard (``*``, ``*:Get*``) reaches only those; a pattern that names its
    service (``ecs:*``) always counts, whatever its resources. ``denied(action)`` tells whether an
    unconditional Deny removes a probe action.
    """
    out: list[Excess] = []
    service, name = split_action(pattern)
    explicit = bool(service) and not has_wildcard(service)
    if is_universal(pattern) and services is None:
        out.append(Excess(ExcessCategory.ADMIN, f"{pattern} (every action of every service)"))

    def reaches(target: str) -> bool:
        return service_can_be(pattern, target) and (explicit or services is None or target in services)

    escalations = _escalations(lambda a: action_matches(pattern, a), reaches, denied)
    if escalations:
        literal = not has_wildcard(pattern)
        what = pattern if literal else f"{pattern} (includes {listing(escalations)})"
        out.append(Excess(ExcessCategory.IDENTITY, what))
    if not explicit and services is None:
        if not is_universal(pattern):
            read_only = name_is_read_only(name)
            out.append(Excess(ExcessCategory.OTHER_READ if read_only else ExcessCategory.OTHER_WRITE,
                              f"{pattern} ({'reads' if read_only else 'actions'} of every matching service)"))
        return out
    targets = [service.lower()] if explicit else sorted(s for s in services or () if service_can_be(pattern, s))
    for target in targets:
        scoped = pattern if explicit else f"{target}:{name}"
        if target == catalog.service:
            if not catalog.expand(scoped):
                category = ExcessCategory.ACR_READ if name_is_read_only(name) else ExcessCategory.REGISTRY_WRITE
                out.append(Excess(category, f"{scoped} (matches no catalogued ACR action; judged by its verb)"))
            continue
        if target in IDENTITY_SERVICES and any(e.lower().startswith(target + ":") for e in escalations):
            continue
        read_only = name_is_read_only(name) or _is_known_read(scoped)
        out.append(Excess(ExcessCategory.OTHER_READ if read_only else ExcessCategory.OTHER_WRITE,
                          pattern if explicit else f"{pattern} ({target})"))
    return out


def classify_complement(excluded: tuple[str, ...], services: frozenset[str] | None, catalog: ActionCatalog,
                        denied: Callable[[str], bool]) -> list[Excess]:
    """Classify what an Allow + NotAction grants outside the catalog: everything but ``excluded``."""
    shown = listing(excluded, 3)
    out: list[Excess] = []
    if services is None:
        out.append(Excess(ExcessCategory.ADMIN, f"every action of every service except {shown}"))
    escalations = _escalations(lambda a: not any(action_matches(x, a) for x in excluded),
                               lambda s: services is None or s in services, denied)
    if escalations:
        out.append(Excess(ExcessCategory.IDENTITY, f"everything except {shown} (includes {listing(escalations)})"))
    for target in sorted(services or ()):
        if any(action_covers(x, f"{target}:*") for x in excluded):
            continue
        if target == catalog.service:
            out.append(Excess(ExcessCategory.REGISTRY_WRITE,
                              f"every ACR action except {shown}, including actions added after this catalog"))
        elif not (target in IDENTITY_SERVICES and any(e.lower().startswith(target + ":") for e in escalations)):
            out.append(Excess(ExcessCategory.OTHER_WRITE, f"every {target} action except {shown}"))
    return out


def worst(categories: list[ExcessCategory]) -> ExcessCategory | None:
    """The worst of ``categories`` (None when empty)."""
    order = list(ExcessCategory)
    return min(categories, key=order.index, default=None)
