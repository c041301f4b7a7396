"""The pull-key verdict: PASS, WARN or FAIL against the pull-only reference, with the reasons.

* PASS: the identity can do nothing beyond cr:GetAuthorizationToken, cr:ListInstanceEndpoint and
  cr:PullRepository (``Resource "*"`` on GetAuthorizationToken is correct: ACR authorises it on ``*``).
* WARN: read-only but broader (extra ACR reads), or something could not be evaluated (a conditional
  grant of excess, unresolved placeholders, an unreadable policy).
* FAIL: any write or delete, any access to another service, identity escalation.

Judged against the ``read-only`` reference instead (``audit_policies(reference="read-only")``, for a
policy that is not a pull key's, such as acrguard's own auditor role): PASS when everything it grants
only reads (any service), FAIL for any write, WARN for a write granted only under a Condition or
behind unresolved placeholders.

The severity is that of the worst excess (see ``risk``); a PASS has severity ``info``. Each
``Issue`` names the policy, its type and default version, its attachment, the statement index, the
excess items and how each matched. Missing pull permissions and a PullRepository broader than the
instance are reported as ``info`` issues: they do not make the key over-privileged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from acrguard.findings import Severity
from acrguard.policy.catalog import ActionCatalog
from acrguard.policy.evaluate import (
    AttachedPolicy,
    Evaluation,
    Grant,
    GrantStatus,
    MatchKind,
    PolicyRef,
    StatementRef,
    evaluate,
)
from acrguard.policy.fix import LeastPrivilegeFix, build_fix
from acrguard.policy.matching import (
    ee_instance_pattern,
    ee_repository_pattern,
    has_wildcard,
    placeholders,
    resource_covers,
)
from acrguard.policy.risk import REFERENCE_ACTIONS, ExcessCategory, classify_catalog_action, listing, worst

EVALUATOR_VERSION = "1"
#: The references a verdict is judged against (``audit_policies(reference=...)``).
PULL = "pull"
READ_ONLY = "read-only"


class Verdict(str, Enum):
    """The outcome of a pull-key check, in increasing order of concern."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"

    @property
    def exit_code(self) -> int:
        """0 for PASS, 1 for WARN, 2 for FAIL (the CLI's exit status)."""
        return list(Verdict).index(self)

    @classmethod
    def worst(cls, verdicts: Iterable[Verdict]) -> Verdict:
        """The most concerning of ``verdicts`` (PASS when empty)."""
        return max(verdicts, key=lambda v: v.exit_code, default=cls.PASS)


class IssueKind(str, Enum):
    """What an issue is about; each maps to a finding rule."""

    EXCESS = "excess"
    CONDITIONAL = "conditional-excess"
    UNEVALUABLE = "cannot-evaluate"
    UNREADABLE = "unreadable-policy"
    MISSING = "missing-permission"
    UNSCOPED_PULL = "unscoped-pull"


@dataclass(frozen=True)
class ExcessItem:
    """One permission beyond the reference, as a statement grants it."""

    action: str
    category: ExcessCategory
    match: MatchKind
    matched_by: tuple[str, ...]
    resources: str
    denied_on: tuple[str, ...] = ()
    uncredited_denies: tuple[str, ...] = ()
    narrowed_by: tuple[str, ...] = ()  # credited Denies that take away part of it (``deny_text``)
    finite: bool = True  # one action (catalogued, or a literal name); False for a pattern outside the catalog

    def describe(self) -> str:
        """``cr:PushRepository via cr:* (wildcard) on *``."""
        via = listing(self.matched_by, 3)
        how = "NotAction complement of " + via if self.match is MatchKind.NOT_ACTION else f"{via} ({self.match.value})"
        text = f"{self.action} via {how} on {self.resources}"
        if self.denied_on:
            text += f"; denied on {', '.join(self.denied_on)}"
        if self.narrowed_by:
            text += f"; except what {'; '.join(self.narrowed_by)} removes"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"action": self.action, "category": self.category.value, "match": self.match.value,
                "matched_by": list(self.matched_by), "resources": self.resources, "denied_on": list(self.denied_on),
                "uncredited_denies": list(self.uncredited_denies), "narrowed_by": list(self.narrowed_by)}


def deny_text(ref: StatementRef) -> str:
    """``Deny bss:*, bssapi:* on * (NoBilling Statement[1])``: a Deny statement in a few words."""
    statement = ref.statement
    actions = listing(statement.actions, 4)
    what = f"everything except {actions}" if statement.not_action else actions
    where = listing(statement.resources, 2)
    where = f"everything except {where}" if statement.not_resource else where
    return f"Deny {what} on {where} ({ref.policy.name} Statement[{ref.index}])"


@dataclass(frozen=True)
class Issue:
    """One reason the verdict is what it is."""

    kind: IssueKind
    verdict: Verdict
    severity: Severity
    summary: str
    policy: PolicyRef | None = None
    statement_index: int | None = None
    statement: Mapping[str, Any] | None = None
    items: tuple[ExcessItem, ...] = ()
    detail: str = ""
    action: str | None = None  # the pull action a missing-permission issue is about

    @property
    def worst_category(self) -> ExcessCategory | None:
        """The worst excess category among the items (None without items)."""
        return worst([i.category for i in self.items])

    def where(self) -> str:
        """``AliyunContainerRegistryFullAccess (System, default v1) attached to the user, Statement[0]``."""
        if self.policy is None:
            return "identity"
        text = self.policy.describe()
        return text if self.statement_index is None else f"{text}, Statement[{self.statement_index}]"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"kind": self.kind.value, "verdict": self.verdict.value,
                               "severity": self.severity.value, "summary": self.summary}
        if self.policy is not None:
            out["policy"] = {"name": self.policy.name, "type": self.policy.type,
                             "default_version": self.policy.default_version, "attachment": self.policy.attachment}
            if self.policy.origin:
                out["policy"]["origin"] = self.policy.origin
        if self.statement_index is not None:
            out["statement_index"] = self.statement_index
            out["statement"] = dict(self.statement or {})
        if self.items:
            out["excess"] = [i.to_dict() for i in self.items]
        if self.detail:
            out["detail"] = self.detail
        if self.action:
            out["action"] = self.action
        return out


@dataclass(frozen=True)
class PullKeyVerdict:
    """The verdict for one identity's policies, with the issues, the evaluation and the fix."""

    verdict: Verdict
    severity: Severity
    issues: tuple[Issue, ...]
    evaluation: Evaluation
    fix: LeastPrivilegeFix | None
    instance_id: str | None = None
    user_name: str | None = None
    reference: str = "pull"  # "pull" (the pull-only reference) or "read-only"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without findings; see ``policy.findings``)."""
        evaluation = self.evaluation
        return {
            "verdict": self.verdict.value,
            "severity": self.severity.value,
            "reference": list(REFERENCE_ACTIONS) if self.reference == PULL else READ_ONLY,
            "instance_id": self.instance_id,
            "user_name": self.user_name,
            "policies": [{"name": p.name, "type": p.type, "default_version": p.default_version,
                          "attachment": p.attachment, **({"origin": p.origin} if p.origin else {})}
                         for p in evaluation.policies],
            "issues": [i.to_dict() for i in self.issues],
            "denied": [{"action": g.action, "policy": g.source.policy.name, "statement_index": g.source.index,
                        "resources": list(g.denied_resources),
                        "denied_by": [d.describe() for d in g.denied_by]}
                       for g in evaluation.grants if g.denied_by],
            "denies_not_credited": [{"policy": d.ref.policy.name, "statement_index": d.ref.index, "reason": d.reason}
                                    for d in evaluation.uncredited_denies],
            "notes": list(evaluation.notes),
            "fix": self.fix.to_dict() if self.fix else None,
            "evaluator_version": EVALUATOR_VERSION,
        }


def audit_policies(policies: Iterable[AttachedPolicy], *, instance_id: str | None = None,
                   user_name: str | None = None, catalog: ActionCatalog | None = None,
                   reference: str = PULL) -> PullKeyVerdict:
    """Evaluate the policies in force for one identity and judge them against ``reference``.

    ``reference`` ``pull`` (the default): the pull-only reference of a pull key. ``read-only``: may the
    identity only read? For policies that are not pull keys' (acrguard's own read-only roles).
    """
    return judge(evaluate(policies, catalog), instance_id=instance_id, user_name=user_name, reference=reference)


def judge(evaluation: Evaluation, *, instance_id: str | None = None, user_name: str | None = None,
          reference: str = PULL) -> PullKeyVerdict:
    """Turn an evaluation into a verdict with issues and the least-privilege fix."""
    if reference == READ_ONLY:
        return _judge_read_only(evaluation, instance_id, user_name)
    if reference != PULL:
        raise ValueError(f"reference must be {PULL!r} or {READ_ONLY!r}, got {reference!r}")
    issues: list[Issue] = []
    issues.extend(_statement_issues(evaluation))
    for unreadable in evaluation.unreadable:
        problems = "; ".join(f"{path}: {message}" for path, message in unreadable.error.problems)
        issues.append(Issue(IssueKind.UNREADABLE, Verdict.WARN, Severity.MEDIUM,
                            f"{unreadable.policy.name} could not be read, so what it grants is unknown",
                            policy=unreadable.policy, detail=problems))
    issues.extend(_missing_issues(evaluation, instance_id))
    issues.extend(_unscoped_pull_issues(evaluation, instance_id))
    verdict = Verdict.worst(i.verdict for i in issues)
    severity = Severity.worst([i.severity for i in issues if i.verdict is not Verdict.PASS])
    # Unreadable policies are not offered for detaching: nothing is removed on doubt.
    offending = [i.policy for i in issues if i.verdict is not Verdict.PASS and i.policy is not None
                 and i.kind is not IssueKind.UNREADABLE]
    missing = any(i.kind is IssueKind.MISSING for i in issues)
    fix = None
    if offending or missing or evaluation.unreadable:
        fix = build_fix(offending, instance_id=instance_id, user_name=user_name,
                        reference_kept=_reference_kept(evaluation, set(offending), instance_id),
                        over_privileged=any(i.kind is IssueKind.EXCESS and i.verdict is Verdict.FAIL
                                            for i in issues),
                        unreadable=[u.policy for u in evaluation.unreadable])
    return PullKeyVerdict(verdict, severity, tuple(issues), evaluation, fix, instance_id, user_name)


#: Categories that write: the read-only reference fails on these and on nothing else.
WRITE_CATEGORIES = frozenset({ExcessCategory.ADMIN, ExcessCategory.IDENTITY, ExcessCategory.REGISTRY_WRITE,
                              ExcessCategory.OTHER_WRITE})


def _judge_read_only(evaluation: Evaluation, instance_id: str | None, user_name: str | None) -> PullKeyVerdict:
    """The read-only reference: FAIL for any write, WARN for a conditional or unevaluable write; reads pass."""
    issues = _statement_issues(evaluation, keep=lambda item: item.category in WRITE_CATEGORIES)
    for unreadable in evaluation.unreadable:
        problems = "; ".join(f"{path}: {message}" for path, message in unreadable.error.problems)
        issues.append(Issue(IssueKind.UNREADABLE, Verdict.WARN, Severity.MEDIUM,
                            f"{unreadable.policy.name} could not be read, so what it grants is unknown",
                            policy=unreadable.policy, detail=problems))
    verdict = Verdict.worst(i.verdict for i in issues)
    severity = Severity.worst([i.severity for i in issues if i.verdict is not Verdict.PASS])
    return PullKeyVerdict(verdict, severity, tuple(issues), evaluation, None, instance_id, user_name, READ_ONLY)


def _statement_issues(evaluation: Evaluation, keep: Callable[[ExcessItem], bool] | None = None) -> list[Issue]:
    groups: dict[tuple[int, int, GrantStatus], list[Grant]] = {}
    order: list[tuple[int, int, GrantStatus]] = []
    policy_index = {ref: i for i, ref in enumerate(evaluation.policies)}
    for grant in evaluation.live_grants():
        key = (policy_index[grant.source.policy], grant.source.index, grant.status)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(grant)
    issues = []
    for key in sorted(order):
        grants = groups[key]
        status = key[2]
        rank = list(ExcessCategory)
        items = tuple(sorted((item for g in grants for item in _items(g) if keep is None or keep(item)),
                             key=lambda i: (rank.index(i.category), i.action.lower())))
        if not items and (status is not GrantStatus.UNEVALUABLE or keep is not None):
            continue
        issues.append(_issue(grants[0], status, items))
    return issues


def _items(grant: Grant) -> list[ExcessItem]:
    resources = grant.resources.describe()
    uncredited = tuple(f"{d.ref.describe()} ({d.reason})" for d in grant.uncredited_denies)
    narrowed = tuple(deny_text(ref) for ref in grant.narrowed_by)
    if grant.entry is not None:
        category = classify_catalog_action(grant.entry)
        if category is None:
            return []
        return [ExcessItem(grant.entry.action, category, grant.match, grant.matched_by, resources,
                           grant.denied_resources, uncredited, narrowed)]
    finite = grant.match is MatchKind.LITERAL
    return [ExcessItem(e.what, e.category, grant.match, grant.matched_by, resources, grant.denied_resources, uncredited,
                       narrowed, finite=finite and e.category is not ExcessCategory.ADMIN)
            for e in grant.excess]


def _issue(first: Grant, status: GrantStatus, items: tuple[ExcessItem, ...]) -> Issue:
    ref = first.source
    category = worst([i.category for i in items])
    common = {"policy": ref.policy, "statement_index": ref.index, "statement": ref.statement.raw, "items": items}
    if status is GrantStatus.EFFECTIVE:
        assert category is not None
        verdict = Verdict.FAIL if any(i.category.fails for i in items) else Verdict.WARN
        return Issue(IssueKind.EXCESS, verdict, category.severity, f"grants {category.label} {_summary(items)}",
                     **common)
    if status is GrantStatus.CONDITIONAL:
        assert category is not None
        keys = sorted({f"{op} {key}" for op, block in (ref.statement.condition or {}).items() for key in block})
        return Issue(IssueKind.CONDITIONAL, Verdict.WARN, category.severity,
                     f"grants {category.label} when its Condition holds ({', '.join(keys)}) {_summary(items)}",
                     **common)
    found = ", ".join(sorted(set(ref.statement.placeholders())))
    if category is None:
        personal = [r for r in ref.statement.resources if personal_edition_form(r)]
        if personal and len(personal) == len(ref.statement.resources):
            return Issue(IssueKind.UNEVALUABLE, Verdict.WARN, Severity.LOW,
                         f"cannot be evaluated: unresolved {found}; it grants nothing on Enterprise Edition even "
                         f"resolved: {', '.join(personal)} is {PERSONAL_EDITION_NOTE}", **common)
        return Issue(IssueKind.UNEVALUABLE, Verdict.WARN, Severity.LOW,
                     f"cannot be evaluated: unresolved {found}; replace the placeholders with real values", **common)
    return Issue(IssueKind.UNEVALUABLE, Verdict.WARN, category.severity,
                 f"cannot be evaluated (unresolved {found}); at worst it grants {category.label} {_summary(items)}",
                 **common)


_NOTABLE = ("pushrepository", "delete", "create", "update", "reset")


def _notability(action: str) -> int:
    name = action.split(":", 1)[-1].lower()
    return next((i for i, prefix in enumerate(_NOTABLE) if name.startswith(prefix)), len(_NOTABLE))


def reach(items: tuple[ExcessItem, ...] | list[ExcessItem], examples: int = 2) -> str:
    """How much ``items`` grant, in words: ``every action of every service``, ``121 permissions``,
    ``3 permissions and ecs:Describe*``. Only finite sets are counted (one catalogued action, one
    literal name); ``*`` and other patterns outside the catalog are named, never counted.
    """
    if any(i.category is ExcessCategory.ADMIN for i in items):
        return "every action of every service"
    finite = list(dict.fromkeys(i.action for i in items if i.finite))
    open_ended = list(dict.fromkeys(i.action for i in items if not i.finite))
    parts = [f"{len(finite)} permission{'s' if len(finite) != 1 else ''}"] if finite else []
    if open_ended:
        parts.append(listing(open_ended, examples))
    return " and ".join(parts)


def narrowing(items: tuple[ExcessItem, ...] | list[ExcessItem]) -> str:
    """``, except what Deny bss:* on * (NoBilling Statement[1]) removes``, or "" when no Deny takes part of it."""
    denies = list(dict.fromkeys(d for i in items for d in i.narrowed_by))
    return f", except what {'; '.join(denies)} removes" if denies else ""


def short_reach(items: tuple[ExcessItem, ...] | list[ExcessItem]) -> str:
    """``reach`` for a title: ``every action of every service but what a Deny removes``, ``121 permissions``."""
    text = reach(items)
    return text + (" but what a Deny removes" if any(i.narrowed_by for i in items) else "")


def _summary(items: tuple[ExcessItem, ...], examples: int = 4) -> str:
    """``via cr:* (wildcard): 121 permissions beyond pull, including cr:PushRepository, …``.

    ``*`` is "every action of every service" (never a count); a Deny that takes away part of it is named.
    """
    patterns = list(dict.fromkeys(p for i in items for p in i.matched_by))
    kinds = {i.match for i in items}
    if MatchKind.NOT_ACTION in kinds:
        via = f"via NotAction {listing(patterns, 3)} (complement)"
    else:
        via = "via " + listing(patterns, 3) + (" (wildcard)" if kinds == {MatchKind.WILDCARD} else "")
    rank = list(ExcessCategory)
    ordered = sorted(items, key=lambda i: (rank.index(i.category), _notability(i.action), i.action.lower()))
    names = list(dict.fromkeys(i.action for i in ordered if i.category is not ExcessCategory.ADMIN
                               and (i.finite or not any(j.category is ExcessCategory.ADMIN for j in items))))
    count = len(names)
    shown = ", ".join(names[:examples]) + (", …" if count > examples else "")
    except_ = narrowing(items)
    if any(i.category is ExcessCategory.ADMIN for i in items):
        return f"{via}: every action of every service{except_}" + (f"; among them {shown}" if names else "")
    if count > 1:
        return f"{via}: {reach(items)} beyond pull{except_}, including {shown}"
    return f"{via}: {shown}{except_}"


_PROBES = {
    "cr:ListInstanceEndpoint": ee_instance_pattern,
    "cr:PullRepository": ee_repository_pattern,
}


def _missing_issues(evaluation: Evaluation, instance_id: str | None) -> list[Issue]:
    issues = []
    target = f"instance {instance_id}" if instance_id else "Enterprise Edition instances"
    for action in REFERENCE_ACTIONS:
        if action == "cr:GetAuthorizationToken":
            status = evaluation.granted_for(action, "*")
            where = 'resource "*"'
        else:
            status = evaluation.granted_on(action, _PROBES[action](instance_id))
            where = target
        if status is GrantStatus.EFFECTIVE:
            continue
        if status is None:
            summary = f"{action} is not granted on {where}; aliyun-acr-credential-helper cannot pull with this key"
            summary += _why_missing(evaluation, action, "*" if action == "cr:GetAuthorizationToken"
                                    else _PROBES[action](instance_id))
        elif status is GrantStatus.UNEVALUABLE and action == "cr:PullRepository" and \
                _personal_only(evaluation, _PROBES[action](instance_id)):
            personal = sorted({r for g in evaluation.grants_for(action) for r in g.source.statement.resources
                               if personal_edition_form(r)})
            summary = (f"{action} is not granted on {where}; aliyun-acr-credential-helper cannot pull from "
                       f"Enterprise Edition with this key: it is granted only on {', '.join(personal)}, "
                       f"{PERSONAL_EDITION_NOTE}")
        else:
            how = "conditionally" if status is GrantStatus.CONDITIONAL else "if its placeholders resolve"
            summary = f"{action} is granted on {where} only {how}"
        issues.append(Issue(IssueKind.MISSING, Verdict.PASS, Severity.INFO, summary, action=action))
    return issues


#: Why a Personal Edition repository ARN never reaches an Enterprise Edition repository. EE repository
#: ARNs are ``acs:cr:$regionid:$accountid:repository/$instanceid/$namespacename/$repositoryname`` (RAM
#: authorization information for ACR, https://help.aliyun.com/en/acr/user-guide/ram-authorization-information,
#: and https://www.alibabacloud.com/help/en/doc-detail/144229.htm: "instanceid: The ID of the Container
#: Registry Enterprise Edition instance"); the Personal Edition form has no instance id.
PERSONAL_EDITION_NOTE = ("the Personal Edition form (repository/<namespace>/<repository>, without an instance id), "
                         "which never reaches an Enterprise Edition repository "
                         "(acs:cr:<region>:<account>:repository/<instance-id>/<namespace>/<repository>), "
                         "whatever its placeholders resolve to")


def personal_edition_form(pattern: str) -> bool:
    """Whether a ``cr`` repository ARN pattern has the Personal Edition form: no instance id where EE has one.

    Its first segment after ``repository/`` is a literal that is not an instance id (``team``), or a
    placeholder named for a namespace (``${ns}``, ``$namespace``, ``<namespaceName>``): once resolved
    it is a namespace name, never ``cri-…``. A placeholder named for the instance, or a wildcard, is not.
    """
    service, _, relative = pattern.partition(":repository/")
    if not relative or not service.lower().startswith("acs:cr:"):
        return False
    first = relative.split("/", 1)[0]
    found = placeholders(first)
    if found:
        name = found[0].strip("${}<>#").lower()
        return first == found[0] and "instance" not in name and (name in ("ns", "namespace") or "namespace" in name)
    return _looks_personal_edition(pattern)


def _personal_only(evaluation: Evaluation, probe: str) -> bool:
    """Every grant that might reach ``probe`` is scoped only to Personal Edition repository forms."""
    reaching = [g for g in evaluation.grants_for("cr:PullRepository") if g.resources.may_intersect(probe)]
    return bool(reaching) and all(
        not g.resources.negated and g.source.statement.resources
        and all(personal_edition_form(r) for r in g.source.statement.resources) for g in reaching)


def _why_missing(evaluation: Evaluation, action: str, probe: str) -> str:
    denial = evaluation.denial(action, probe, concrete=action == "cr:GetAuthorizationToken")
    if denial is not None:
        return f" (denied by {denial.describe()})"
    grants = evaluation.grants_for(action)
    if not grants:
        denied = [g for g in evaluation.grants if g.in_catalog and g.action.lower() == action.lower() and g.denied_by]
        return f" (denied by {denied[0].denied_by[0].describe()})" if denied else ""
    scoped = sorted({p for g in grants for p in g.resources.patterns})
    if action == "cr:GetAuthorizationToken":
        return f" (it is scoped to {', '.join(scoped)}, but ACR authorises GetAuthorizationToken on resource *)"
    personal = [p for p in scoped if _looks_personal_edition(p)]
    if personal and action == "cr:PullRepository":
        return (f" (it is granted on {', '.join(personal)}, a Personal Edition form without the instance id; "
                f"Enterprise Edition repositories are repository/<instanceId>/<namespace>/<repository>)")
    return f" (it is granted only on {', '.join(scoped)})"


def _looks_personal_edition(pattern: str) -> bool:
    _, _, relative = pattern.partition(":repository/")
    if not relative:
        return False
    first = relative.split("/", 1)[0]
    return bool(first) and not has_wildcard(first) and not first.lower().startswith("cri-")


def _unscoped_pull_issues(evaluation: Evaluation, instance_id: str | None) -> list[Issue]:
    if not instance_id:
        return []
    scope = ee_repository_pattern(instance_id)
    issues = []
    for grant in evaluation.grants_for("cr:PullRepository"):
        if grant.status is not GrantStatus.EFFECTIVE:
            continue
        broader = [p for p in grant.resources.patterns if not resource_covers(scope, p)] \
            if not grant.resources.negated else [grant.resources.describe()]
        if broader:
            issues.append(Issue(IssueKind.UNSCOPED_PULL, Verdict.PASS, Severity.INFO,
                                f"cr:PullRepository is granted on {', '.join(broader)}, beyond {scope}",
                                policy=grant.source.policy, statement_index=grant.source.index,
                                statement=grant.source.statement.raw))
    return issues


def _reference_kept(evaluation: Evaluation, removed: set[PolicyRef], instance_id: str | None) -> bool:
    """Whether the policies that stay still grant all three pull actions unconditionally."""
    def kept(action: str, probe: str, concrete: bool) -> bool:
        for grant in evaluation.grants_for(action):
            if grant.source.policy in removed or grant.status is not GrantStatus.EFFECTIVE:
                continue
            reached = grant.resources.may_match(probe) if concrete else grant.resources.may_intersect(probe)
            if reached:
                return True
        return False

    return (kept("cr:GetAuthorizationToken", "*", True)
            and kept("cr:ListInstanceEndpoint", ee_instance_pattern(instance_id), False)
            and kept("cr:PullRepository", ee_repository_pattern(instance_id), False))
