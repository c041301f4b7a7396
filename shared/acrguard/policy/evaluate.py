"""Which actions, on which resources, a set of policies attached to one identity allows.

Input: the policies in force for one identity (for a RAM user: its own and its groups'), each with
its name, type, default version, how it is attached and the default version's document. Output: an
``Evaluation`` holding one ``Grant`` per (Allow statement, action) for catalogued ``cr`` actions and
one per (Allow statement, pattern) for everything else, each after explicit Deny.

Rules (policy evaluation process,
https://www.alibabacloud.com/help/en/resource-access-management/latest/policy-evaluation-process;
the conservative choices are acrguard's):

* Deny by default; an explicit Deny beats any Allow.
* Allow + ``NotAction`` grants every catalogued ``cr`` action it does not list, and everything
  outside the catalog ("every other action"), limited to the services its resources can name.
* A statement with a ``Condition`` is reported as conditional: never assumed to hold, never
  assumed not to. A conditional Deny is shown but not credited.
* A statement with unresolved placeholders (``$regionid``, ``${...}``, ``<instanceId>``) cannot be
  evaluated; an Allow is reported with its worst case (placeholders read as ``*``), a Deny is not
  credited.
* An unconditional Deny removes the resources it surely covers (resource matching is
  case-sensitive for a Deny, case-insensitive for an Allow; see ``matching``). A Deny that takes
  away only part of what a grant allows (``Allow *`` minus ``Deny bss:*``) is kept on the grant as
  ``narrowed_by``, so the explanation can say what it removes.
* ``NotResource`` (undocumented today) on an Allow means "everything but these" and is treated as
  broad; on a Deny it is credited only where the Allow's resources surely fall outside the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from acrguard.policy.catalog import ActionCatalog, CatalogAction, load_catalog
from acrguard.policy.document import PolicyDocument, PolicyDocumentError, Statement, parse_document
from acrguard.policy.matching import (
    action_covers,
    action_intersects,
    action_matches,
    has_wildcard,
    is_universal,
    resource_covers,
    resource_intersects,
    resource_matches,
    resource_service,
    split_action,
    widen_placeholders,
)
from acrguard.policy.risk import Excess, classify_complement, classify_pattern

SYSTEM = "System"
CUSTOM = "Custom"


class GrantStatus(str, Enum):
    """How sure acrguard is that a grant is in force."""

    EFFECTIVE = "effective"  # unconditional and fully evaluated
    CONDITIONAL = "conditional"  # applies only when the statement's Condition holds
    UNEVALUABLE = "cannot-evaluate"  # unresolved placeholders; the worst case is shown


class MatchKind(str, Enum):
    """How an action came to be granted by a statement."""

    LITERAL = "literal"
    WILDCARD = "wildcard"
    NOT_ACTION = "NotAction complement"


class Decision(str, Enum):
    """The answer to "may this identity do ACTION on RESOURCE?"."""

    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    UNKNOWN = "cannot-evaluate"
    DENIED = "explicitly-denied"
    NOT_ALLOWED = "not-allowed"


@dataclass(frozen=True)
class PolicyRef:
    """Where a statement comes from: the policy's identity and how it is attached."""

    name: str
    type: str = CUSTOM
    default_version: str = "v1"
    attachment: str = "user"  # "user" or "group:<name>"
    origin: str = ""  # e.g. the file it was read from, or "offline copy (reconstructed)"
    assumed: tuple[str, ...] = ()  # "name", "type": what acrguard assumed because the input did not say

    @property
    def group(self) -> str | None:
        """The group name when attached through a group, else None."""
        return self.attachment.split(":", 1)[1] if self.attachment.startswith("group:") else None

    def describe(self) -> str:
        """``AliyunContainerRegistryFullAccess (System, default v1) attached to group ops``."""
        via = f"group {self.group}" if self.group else "the user"
        version = f", default {self.default_version}" if self.default_version else ""
        return f"{self.name} ({self.type}{version}) attached to {via}"


def check_attachment(attachment: str) -> str:
    """Validate an attachment path: ``user`` or ``group:<name>``; returns it or raises ValueError."""
    if attachment == "user" or (attachment.startswith("group:") and attachment[len("group:"):].strip()):
        return attachment
    raise ValueError(f"attachment must be 'user' or 'group:<name>', got {attachment!r}")


@dataclass(frozen=True)
class AttachedPolicy:
    """One policy in force for the identity: its reference and its default version's document.

    ``document`` may be JSON text (as RAM returns it), a decoded mapping, or a ``PolicyDocument``.
    """

    ref: PolicyRef
    document: Any

    @classmethod
    def of(cls, name: str, document: Any, *, type: str = CUSTOM, default_version: str = "v1",
           attachment: str = "user", origin: str = "") -> AttachedPolicy:
        """Shorthand constructor; validates ``type`` and ``attachment``."""
        if type not in (SYSTEM, CUSTOM):
            raise ValueError(f"policy type must be System or Custom, got {type!r}")
        return cls(PolicyRef(name, type, default_version, check_attachment(attachment), origin), document)


@dataclass(frozen=True)
class StatementRef:
    """A statement and the policy it belongs to."""

    policy: PolicyRef
    statement: Statement

    @property
    def index(self) -> int:
        """The statement's 0-based index in its policy."""
        return self.statement.index

    def describe(self) -> str:
        """``AliyunContainerRegistryFullAccess (System, default v1) attached to the user, Statement[0]``."""
        return f"{self.policy.describe()}, Statement[{self.index}]"


@dataclass(frozen=True)
class ResourceScope:
    """The resources a statement names: ``patterns``, or everything but them when ``negated``."""

    patterns: tuple[str, ...]
    negated: bool = False

    def may_match(self, resource: str) -> bool:
        """Whether the scope might contain ``resource`` (crediting an Allow)."""
        if self.negated:
            return not any(resource_matches(p, resource, surely=True) for p in self.patterns)
        return any(resource_matches(p, resource) for p in self.patterns)

    def surely_matches(self, resource: str) -> bool:
        """Whether the scope certainly contains ``resource`` (crediting a Deny)."""
        if self.negated:
            return not any(resource_matches(p, resource) for p in self.patterns)
        return any(resource_matches(p, resource, surely=True) for p in self.patterns)

    def may_intersect(self, pattern: str) -> bool:
        """Whether some resource matched by ``pattern`` might be in the scope."""
        if self.negated:
            return not any(resource_covers(p, pattern) for p in self.patterns)
        return any(resource_intersects(p, pattern) for p in self.patterns)

    def surely_covers(self, pattern: str) -> bool:
        """Whether every resource ``pattern`` may match is certainly in the scope."""
        if self.negated:
            return not any(resource_intersects(p, pattern) for p in self.patterns)
        return any(resource_covers(p, pattern) for p in self.patterns)

    def services(self) -> frozenset[str] | None:
        """The services these resources can belong to (None: any), e.g. ``acs:cr:…`` -> ``{cr}``."""
        if self.negated:
            return None
        found: set[str] = set()
        for pattern in self.patterns:
            service = resource_service(pattern)
            if service is None:
                return None
            found.add(service)
            if service == "ram":
                found.add("ims")  # IMS actions authorise against acs:ram:… resources
        return frozenset(found)

    def describe(self) -> str:
        """``*`` / ``acs:cr:*:*:repository/cri-x/*`` / ``everything except …``."""
        shown = ", ".join(self.patterns) if self.patterns else "nothing"
        return f"everything except {shown}" if self.negated else shown


@dataclass(frozen=True)
class ActionSpace:
    """The actions a statement names: ``patterns``, or everything but them when ``negated``."""

    patterns: tuple[str, ...]
    negated: bool = False

    def matches(self, action: str) -> bool:
        """Whether the statement applies to the concrete ``action``."""
        hit = any(action_matches(p, action) for p in self.patterns)
        return not hit if self.negated else hit


@dataclass(frozen=True)
class _Rule:
    """A statement prepared for evaluation (placeholders widened to ``*`` when present)."""

    ref: StatementRef
    actions: ActionSpace
    resources: ResourceScope
    status: GrantStatus

    @property
    def is_allow(self) -> bool:
        return self.ref.statement.is_allow

    @property
    def credited(self) -> bool:
        """A Deny is credited only when unconditional and fully evaluable."""
        return self.status is GrantStatus.EFFECTIVE


@dataclass(frozen=True)
class UncreditedDeny:
    """A Deny statement acrguard shows but does not rely on, and why."""

    ref: StatementRef
    reason: str  # "conditional" or "cannot-evaluate: unresolved $regionid"


@dataclass(frozen=True)
class UnreadablePolicy:
    """An attached policy whose document could not be parsed (it cannot be evaluated)."""

    policy: PolicyRef
    error: PolicyDocumentError


@dataclass
class Grant:
    """Something an Allow statement grants, after Deny.

    For a catalogued ``cr`` action, ``action`` is its name and ``entry`` its catalog entry. Outside the
    catalog, ``action`` is the pattern (``ecs:*``) or, for NotAction, ``NotAction complement`` and
    ``excess`` holds the classified reach. ``resources`` is what is left after credited Denies.
    """

    source: StatementRef
    status: GrantStatus
    action: str
    match: MatchKind
    matched_by: tuple[str, ...]
    resources: ResourceScope
    entry: CatalogAction | None = None
    denied_resources: tuple[str, ...] = ()
    denied_by: tuple[StatementRef, ...] = ()
    uncredited_denies: tuple[UncreditedDeny, ...] = ()
    excess: tuple[Excess, ...] = ()
    narrowed_by: tuple[StatementRef, ...] = ()  # credited Denies that remove part of what is left, not all of it

    @property
    def fully_denied(self) -> bool:
        """Whether credited Denies removed every resource this grant named."""
        return not self.resources.negated and not self.resources.patterns

    @property
    def in_catalog(self) -> bool:
        """Whether this grant is one catalogued ``cr`` action."""
        return self.entry is not None


@dataclass
class Evaluation:
    """The result of evaluating one identity's policies."""

    policies: tuple[PolicyRef, ...]
    grants: list[Grant]
    uncredited_denies: list[UncreditedDeny]
    unreadable: list[UnreadablePolicy]
    notes: list[str] = field(default_factory=list)
    _rules: list[_Rule] = field(default_factory=list, repr=False)

    def live_grants(self) -> list[Grant]:
        """Grants not entirely removed by a credited Deny."""
        return [g for g in self.grants if not g.fully_denied]

    def grants_for(self, action: str) -> list[Grant]:
        """Live grants of a catalogued action (any case)."""
        return [g for g in self.live_grants() if g.in_catalog and g.action.lower() == action.lower()]

    def decide(self, action: str, resource: str) -> Decision:
        """May the identity perform ``action`` on the concrete ``resource``?

        A credited Deny wins; else an unconditional Allow gives ALLOWED, a conditional one
        CONDITIONAL, an unevaluable one UNKNOWN; an unreadable policy makes NOT_ALLOWED UNKNOWN.
        """
        for rule in self._rules:
            if not rule.is_allow and rule.credited and rule.actions.matches(action) \
                    and rule.resources.surely_matches(resource):
                return Decision.DENIED
        best: Decision | None = None
        for rule in self._rules:
            if rule.is_allow and rule.actions.matches(action) and rule.resources.may_match(resource):
                found = {GrantStatus.EFFECTIVE: Decision.ALLOWED, GrantStatus.CONDITIONAL: Decision.CONDITIONAL,
                         GrantStatus.UNEVALUABLE: Decision.UNKNOWN}[rule.status]
                if found is Decision.ALLOWED:
                    return found
                if best is None or (best is Decision.UNKNOWN and found is Decision.CONDITIONAL):
                    best = found
        if best is None and self.unreadable:
            return Decision.UNKNOWN
        return best or Decision.NOT_ALLOWED

    def denial(self, action: str, resource: str, *, concrete: bool = False) -> StatementRef | None:
        """The credited Deny that surely covers ``action`` on ``resource``.

        ``resource`` is a pattern (every resource it matches must be covered), or with ``concrete`` a
        literal resource value such as the ``*`` GetAuthorizationToken is authorised on.
        """
        for rule in self._rules:
            if rule.is_allow or not rule.credited or not rule.actions.matches(action):
                continue
            if rule.resources.surely_matches(resource) if concrete else rule.resources.surely_covers(resource):
                return rule.ref
        return None

    def granted_for(self, action: str, resource: str) -> GrantStatus | None:
        """The best status with which ``action`` is granted on the concrete ``resource`` (None: not granted)."""
        if self.decide(action, resource) is Decision.DENIED:
            return None
        order = list(GrantStatus)
        found = [g.status for g in self.grants_for(action) if g.resources.may_match(resource)]
        return min(found, key=order.index, default=None)

    def granted_on(self, action: str, resource_pattern: str) -> GrantStatus | None:
        """The best status with which ``action`` is granted on some resource ``resource_pattern`` matches.

        None when no live grant reaches it, or a credited Deny surely covers all of ``resource_pattern``.
        """
        if self.denial(action, resource_pattern) is not None:
            return None
        order = list(GrantStatus)
        found = [g.status for g in self.grants_for(action) if g.resources.may_intersect(resource_pattern)]
        return min(found, key=order.index, default=None)


def evaluate(policies: Iterable[AttachedPolicy], catalog: ActionCatalog | None = None) -> Evaluation:
    """Evaluate the policies attached to one identity, together."""
    catalog = catalog or load_catalog()
    refs: list[PolicyRef] = []
    rules: list[_Rule] = []
    unreadable: list[UnreadablePolicy] = []
    notes: list[str] = []
    for policy in policies:
        refs.append(policy.ref)
        try:
            document = policy.document if isinstance(policy.document, PolicyDocument) else \
                parse_document(policy.document, source=f"policy {policy.ref.name} {policy.ref.default_version}")
        except PolicyDocumentError as exc:
            unreadable.append(UnreadablePolicy(policy.ref, exc))
            continue
        for statement in document.statements:
            rule = _prepare(StatementRef(policy.ref, statement))
            rules.append(rule)
            if statement.not_resource:
                how = "everything except the listed resources" if rule.is_allow else \
                    "a Deny credited only where it surely applies"
                notes.append(f"{rule.ref.describe()} uses NotResource, which current RAM docs do not list; "
                             f"evaluated as {how}")
    denies = [r for r in rules if not r.is_allow]
    credited = [r for r in denies if r.credited]
    uncredited = [UncreditedDeny(r.ref, _uncredited_reason(r)) for r in denies if not r.credited]
    grants: list[Grant] = []
    for rule in (r for r in rules if r.is_allow):
        grants.extend(_catalog_grants(rule, catalog, credited, denies))
        grants.extend(_outside_grants(rule, catalog, credited, denies))
    return Evaluation(tuple(refs), grants, uncredited, unreadable, notes, rules)


def _prepare(ref: StatementRef) -> _Rule:
    statement = ref.statement
    unevaluable = bool(statement.placeholders())
    actions = tuple(widen_placeholders(a) for a in statement.actions) if unevaluable else statement.actions
    resources = tuple(widen_placeholders(r) for r in statement.resources) if unevaluable else statement.resources
    status = GrantStatus.UNEVALUABLE if unevaluable else \
        GrantStatus.CONDITIONAL if statement.is_conditional else GrantStatus.EFFECTIVE
    return _Rule(ref, ActionSpace(actions, statement.not_action), ResourceScope(resources, statement.not_resource),
                 status)


def _uncredited_reason(rule: _Rule) -> str:
    if rule.status is GrantStatus.UNEVALUABLE:
        return "cannot evaluate: unresolved " + ", ".join(sorted(set(rule.ref.statement.placeholders())))
    return "conditional: " + ", ".join(sorted(_condition_keys(rule.ref.statement.condition or {})))


def _condition_keys(condition: Mapping[str, Any]) -> set[str]:
    return {f"{operator} {key}" for operator, block in condition.items() for key in block}


def _reaches_service(pattern: str, service: str, services: frozenset[str] | None) -> bool:
    pattern_service = split_action(pattern)[0]
    explicit = bool(pattern_service) and not has_wildcard(pattern_service)
    return explicit or services is None or service in services


def _catalog_grants(rule: _Rule, catalog: ActionCatalog, credited: list[_Rule], denies: list[_Rule]) -> list[Grant]:
    services = rule.resources.services()
    grants = []
    for entry in catalog:
        if rule.actions.negated:
            if rule.actions.matches(entry.action) and (services is None or catalog.service in services):
                grants.append(_grant(rule, entry.action, MatchKind.NOT_ACTION, rule.actions.patterns, entry))
            continue
        matched = tuple(p for p in rule.actions.patterns
                        if action_matches(p, entry.action) and _reaches_service(p, catalog.service, services))
        if matched:
            kind = MatchKind.WILDCARD if all(has_wildcard(p) for p in matched) else MatchKind.LITERAL
            grants.append(_grant(rule, entry.action, kind, matched, entry))
    for grant in grants:
        _apply_denies(grant, lambda deny, g=grant: deny.actions.matches(g.action), credited, denies)
    return grants


def _outside_grants(rule: _Rule, catalog: ActionCatalog, credited: list[_Rule], denies: list[_Rule]) -> list[Grant]:
    services = rule.resources.services()
    grants = []
    if rule.actions.negated:
        excluded = rule.actions.patterns
        grant = _grant(rule, "NotAction complement", MatchKind.NOT_ACTION, excluded, None)
        _apply_denies(grant, lambda deny: _covers_complement(deny.actions, excluded, catalog), credited, denies,
                      may_apply=lambda deny: _may_touch_complement(deny.actions, excluded))
        if not grant.fully_denied:
            grant.excess = tuple(classify_complement(excluded, services, catalog, _probe_denied(grant, credited)))
            if not grant.excess:
                return grants  # e.g. NotAction cr:* on acs:cr:… resources: nothing outside the catalog
        grants.append(grant)
        return grants
    for pattern in rule.actions.patterns:
        if not has_wildcard(pattern) and pattern in catalog:
            continue
        if split_action(pattern)[0].lower() == catalog.service and catalog.expand(pattern):
            continue  # a cr wildcard: its catalogued actions are the grants
        grant = _grant(rule, pattern, MatchKind.WILDCARD if has_wildcard(pattern) else MatchKind.LITERAL, (pattern,),
                       None)
        _apply_denies(grant, lambda deny, p=pattern: _covers_pattern(deny.actions, p, catalog), credited, denies,
                      may_apply=lambda deny, p=pattern: _may_touch_pattern(deny.actions, p))
        if not grant.fully_denied:
            grant.excess = tuple(classify_pattern(pattern, services, catalog, _probe_denied(grant, credited)))
            if not grant.excess:
                continue  # e.g. ``*`` on acs:cr:… resources: its catalogued actions are the grants
        grants.append(grant)
    return grants


def _grant(rule: _Rule, action: str, kind: MatchKind, matched: tuple[str, ...], entry: CatalogAction | None) -> Grant:
    return Grant(source=rule.ref, status=rule.status, action=action, match=kind, matched_by=matched,
                 resources=rule.resources, entry=entry)


def _apply_denies(grant: Grant, covers_action: Callable[[_Rule], bool], credited: list[_Rule], denies: list[_Rule],
                  may_apply: Callable[[_Rule], bool] | None = None) -> None:
    """Remove from ``grant`` the resources credited Denies surely cover; note the Denies not credited."""
    remaining = list(grant.resources.patterns)
    negated = grant.resources.negated
    denied_resources: list[str] = []
    denied_by: list[StatementRef] = []
    for deny in credited:
        if not covers_action(deny):
            continue
        if negated:
            if _deny_covers_negated(deny.resources, grant.resources):
                denied_resources.extend(f"everything except {p}" for p in grant.resources.patterns)
                remaining, negated = [], False
                denied_by.append(deny.ref)
            continue
        covered = [p for p in remaining if deny.resources.surely_covers(p)]
        if covered:
            remaining = [p for p in remaining if p not in covered]
            denied_resources.extend(covered)
            denied_by.append(deny.ref)
    uncredited = []
    narrowed = []
    for deny in denies:
        touches = (may_apply(deny) if may_apply else covers_action(deny))
        if not touches or not any(deny.resources.may_intersect(p) for p in (remaining or ["*"])):
            continue
        if not deny.credited:
            uncredited.append(UncreditedDeny(deny.ref, _uncredited_reason(deny)))
        elif deny.ref not in denied_by and (negated or remaining):
            narrowed.append(deny.ref)  # it denies some of what is left (some actions or resources), not all
    grant.resources = ResourceScope(tuple(remaining), negated)
    grant.denied_resources = tuple(denied_resources)
    grant.denied_by = tuple(denied_by)
    grant.uncredited_denies = tuple(uncredited)
    grant.narrowed_by = tuple(narrowed)


def _deny_covers_negated(deny: ResourceScope, grant: ResourceScope) -> bool:
    if not deny.negated:
        return any(is_universal(p) for p in deny.patterns)
    return all(any(resource_covers(g, d) for g in grant.patterns) for d in deny.patterns)


def _catalog_literal(pattern: str, catalog: ActionCatalog) -> bool:
    return not has_wildcard(pattern) and pattern in catalog


def _covers_pattern(deny: ActionSpace, pattern: str, catalog: ActionCatalog) -> bool:
    """Whether a Deny's actions surely include every non-catalogued action ``pattern`` matches."""
    if deny.negated:
        return all(_catalog_literal(x, catalog) or not action_intersects(pattern, x) for x in deny.patterns)
    return any(action_covers(d, pattern) for d in deny.patterns)


def _covers_complement(deny: ActionSpace, excluded: tuple[str, ...], catalog: ActionCatalog) -> bool:
    """Whether a Deny's actions surely include every non-catalogued action not in ``excluded``."""
    if deny.negated:
        return all(_catalog_literal(x, catalog) or any(action_covers(e, x) for e in excluded) for x in deny.patterns)
    return any(is_universal(d) for d in deny.patterns)


def _may_touch_pattern(deny: ActionSpace, pattern: str) -> bool:
    if deny.negated:
        return not any(action_covers(x, pattern) for x in deny.patterns)
    return any(action_intersects(d, pattern) for d in deny.patterns)


def _may_touch_complement(deny: ActionSpace, excluded: tuple[str, ...]) -> bool:
    if deny.negated:
        return True
    return any(not any(action_covers(e, d) for e in excluded) for d in deny.patterns)


def _probe_denied(grant: Grant, credited: list[_Rule]) -> Callable[[str], bool]:
    """A test for probe actions: is the action denied on everything this grant still reaches?"""
    def denied(action: str) -> bool:
        for deny in credited:
            if not deny.actions.matches(action):
                continue
            if grant.resources.negated:
                if _deny_covers_negated(deny.resources, grant.resources):
                    return True
            elif all(deny.resources.surely_covers(p) for p in grant.resources.patterns):
                return True
        return False
    return denied


def evaluate_documents(documents: Sequence[Any], catalog: ActionCatalog | None = None) -> Evaluation:
    """Evaluate bare documents as custom policies attached to the user (``policy-1``, ``policy-2``, …)."""
    return evaluate([AttachedPolicy.of(f"policy-{i + 1}", d) for i, d in enumerate(documents)], catalog)
