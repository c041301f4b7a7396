"""The whitelist guard's entry points: a full sweep (timer, CLI) and the re-check of one instance (event).

Per instance with a ``whitelist:`` section: observe the internet endpoint -> desired entries
(hostnames resolved, hysteresis) -> invariant findings -> plan -> apply (unless previewing, dry
run, or policy ``report``) -> findings about what was written, refused or failed.

``handle_event`` takes facts already extracted from an ActionTrail record (instance id, event
name, ``Actor``) and re-checks only that instance; it never trusts the event for the state. Its
findings are those of the observation, exactly as a sweep would report them: an event cannot
hide a finding, so it cannot resolve one (only an observation of the live ACL does). The actor
(who, source IP, user agent, when) is put only on the findings about the change the record
describes (``attribution``); when the actor is acrguard itself (``identity``) nobody is named and
no "changed" notice is made.

When a run closes an open whitelist (restores it), the critical "open to the whole internet"
finding says so in the first message ("was open ... restored by acrguard at <time>") and is
marked fixed by acrguard (``alerts.decide.FIXED_BY_ACRGUARD``), so its resolution follows the
next observation without waiting for the group interval. Removals take the instance's removal
lease (``lease``) and re-read the ACL first (``apply``).

An endpoint found switching on (``CREATING``) is waited for, bounded by ``waiter`` (default
``observe.SWITCH_WAIT``; tests pass one that moves the local cloud's clock), before anything is
planned: ACR drops whitelist writes until it is RUNNING. A missing instance (``INSTANCE_NOT_EXIST``)
or one whose state allows no endpoint operation (``INSTANCE_STATUS_NOT_SUPPORT``) is reported as
such, not as a generic read failure.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from acrguard.errors import CloudCallError, StateError, TransientCloudError
from acrguard.events.routing import WHITELIST_GUARD
from acrguard.findings import Actor, Finding, Severity
from acrguard.hysteresis import HoldPolicy, HysteresisTracker
from acrguard.redact import mask_access_key_id, redact_text
from acrguard.resolve import SharedResolutions
from acrguard.whitelist import invariants
from acrguard.whitelist.apply import ApplyResult, apply_plan
from acrguard.whitelist.attribution import caused_by
from acrguard.whitelist.desired import compute_desired, resolve_hosts, resolver_settings
from acrguard.whitelist.identity import OwnIdentity, caller_identity, is_own
from acrguard.whitelist.lease import RemovalLease
from acrguard.whitelist.observe import (
    INSTANCE_NOT_FOUND,
    INSTANCE_STATUS_NOT_SUPPORTED,
    SWITCH_WAIT,
    observe_endpoint,
    wait_until_running,
)
from acrguard.whitelist.plan import WhitelistPlan, build_plan

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.resolve import NameResolver
    from acrguard.routes.targets.waiting import Waiter
    from acrguard.state.base import StateStore

JOB = WHITELIST_GUARD  # the job name the alert pipeline and the handler use
#: instances checked at the same time in a sweep (each instance's own reads and writes stay in order)
SWEEP_WORKERS = 8
#: ActionTrail event names that change an instance's internet endpoint or its whitelist
RELEVANT_EVENTS = frozenset(name.lower() for name in (
    "CreateInstanceEndpointAclPolicy", "DeleteInstanceEndpointAclPolicy", "UpdateInstanceEndpointStatus",
    "UpdateInstanceEndpointAclService"))
#: findings about the live ACL, which an event's actor may have caused
_ACTOR_RULES = frozenset({
    "whitelist.open-to-internet", "whitelist.acl-disabled", "whitelist.any-address", "whitelist.too-broad",
    "whitelist.endpoint-undeclared", "whitelist.endpoint-disabled", "whitelist.endpoint-switching",
    "whitelist.unmanaged",
    "whitelist.unparseable-entry", "whitelist.drift-missing", "whitelist.drift-stale", "whitelist.changed"})
OPEN_RULE = "whitelist.open-to-internet"


@dataclass(frozen=True)
class InstanceRun:
    """What the guard did for one instance: its plan, what was applied, the findings, or why it stopped."""

    instance_id: str
    instance_name: str
    region: str
    plan: WhitelistPlan | None = None
    applied: ApplyResult | None = None
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    transient: bool = False

    @property
    def failed(self) -> bool:
        """The instance could not be checked, or a write failed."""
        return self.error is not None or bool(self.applied and self.applied.failed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"instance_id": self.instance_id, "instance": self.instance_name, "region": self.region,
                "plan": self.plan.to_dict() if self.plan else None,
                "applied": [r.to_dict() for r in self.applied.results] if self.applied else [],
                "findings": [finding_dict(f) for f in self.findings], "error": self.error,
                "transient": self.transient}


@dataclass(frozen=True)
class WhitelistResult:
    """The outcome of a sweep or an event: one ``InstanceRun`` per instance checked."""

    runs: tuple[InstanceRun, ...] = ()
    dry_run: bool = False

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding of every instance."""
        return tuple(f for run in self.runs for f in run.findings)

    @property
    def observed_scopes(self) -> frozenset[str]:
        """Instance ids read successfully this run (the scopes whose findings are complete, for alerting)."""
        return frozenset(run.instance_id for run in self.runs if run.error is None)

    @property
    def plans(self) -> tuple[WhitelistPlan, ...]:
        """Every plan that was made."""
        return tuple(run.plan for run in self.runs if run.plan is not None)

    @property
    def failed(self) -> bool:
        """Some instance could not be checked or some write failed."""
        return any(run.failed for run in self.runs)

    @property
    def transient(self) -> bool:
        """A failure that a retry of the invocation may fix (throttling, 5xx, network)."""
        return any(run.transient or (run.applied is not None and run.applied.transient) for run in self.runs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``--json``)."""
        return {"dry_run": self.dry_run, "failed": self.failed, "transient": self.transient,
                "instances": [run.to_dict() for run in self.runs]}


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as JSON-ready data (the actor's AccessKey id masked)."""
    actor = None
    if finding.actor is not None:
        a = finding.actor
        actor = {"identity": a.identity, "source_ip": a.source_ip, "user_agent": a.user_agent,
                 "access_key_id": mask_access_key_id(a.access_key_id) if a.access_key_id else None,
                 "event_time": a.event_time, "event_name": a.event_name, "event_id": a.event_id}
    return {"rule": finding.rule, "severity": finding.severity.value, "resource": finding.resource,
            "scope": finding.scope, "title": finding.title, "details": finding.details, "fix": finding.fix,
            "labels": dict(finding.labels), "evidence": dict(finding.evidence), "actor": actor,
            "fingerprint": finding.fingerprint}


def run_sweep(config: AcrguardConfig, factory: ClientFactory, store: StateStore, *, apply: bool = True,
              now: float | None = None, resolver: NameResolver | None = None,
              workers: int = SWEEP_WORKERS, waiter: Waiter | None = None) -> WhitelistResult:
    """Check every instance with a ``whitelist:`` section; ``apply`` False previews (writes neither cloud nor state).

    Instances are independent (each has its own endpoint and ACL), so up to ``workers`` are checked
    at the same time; inside one instance the read, the plan and the writes keep their order (adds
    before removals). The runs come back in config order.
    """
    moment = time.time() if now is None else now
    chosen = [instance for instance in config.instances if instance.whitelist is not None]
    shared = SharedResolutions(resolver)  # a hostname in several ACLs is resolved once, the same for all

    def check(instance: InstanceConfig) -> InstanceRun:
        assert instance.whitelist is not None
        view = shared.resolver(resolver_settings(instance, instance.whitelist))
        return check_instance(config, instance, factory, store, apply=apply, now=moment, resolver=view,
                              waiter=waiter)

    if len(chosen) <= 1 or workers <= 1:
        return WhitelistResult(tuple(check(instance) for instance in chosen), config.dry_run)
    with ThreadPoolExecutor(max_workers=min(workers, len(chosen)), thread_name_prefix="acrguard-acl") as pool:
        runs = tuple(pool.map(check, chosen))
    return WhitelistResult(runs, config.dry_run)


def handle_event(config: AcrguardConfig, factory: ClientFactory, store: StateStore, instance_id: str,
                 event_name: str, actor: Actor | None, *, facts: Mapping[str, str] | None = None,
                 own_identity: OwnIdentity | None = None, now: float | None = None,
                 resolver: NameResolver | None = None, waiter: Waiter | None = None) -> WhitelistResult:
    """Re-check (and, per policy, repair) the one instance an ActionTrail event touched.

    Events of other names, and instances without a ``whitelist:`` section, cost nothing. The
    findings are the observation's, whoever the actor is. Those about the change the record
    describes (``attribution.caused_by``) carry ``actor`` and the event (``facts``, e.g. the
    request's ``entry``) as evidence; when none does, a "changed" notice names the actor. When
    ``actor`` is acrguard, nobody is named and no notice is made. ``own_identity`` defaults to STS
    ``GetCallerIdentity`` (one call, only when there is an actor).
    """
    if event_name.lower() not in RELEVANT_EVENTS:
        return WhitelistResult((), config.dry_run)
    instance = next((i for i in config.instances if i.instance_id == instance_id), None)
    if instance is None or instance.whitelist is None:
        return WhitelistResult((), config.dry_run)
    moment = time.time() if now is None else now
    run = check_instance(config, instance, factory, store, apply=True, now=moment, resolver=resolver,
                         waiter=waiter)
    own = own_identity
    if own is None and actor is not None:
        try:
            own = caller_identity(factory)
        except CloudCallError:
            own = None  # cannot tell: report the change rather than hide it
    findings = list(run.findings)
    if actor is not None and not is_own(actor, own):
        facts = dict(facts or {})
        event = {"name": event_name, **facts}
        named = [caused_by(f, event_name, facts) for f in findings]
        findings = [replace(f, actor=actor, evidence={**f.evidence, "event": event}) if tied else f
                    for f, tied in zip(findings, named, strict=True)]
        if not any(named) and run.error is None:
            findings.append(_changed_finding(instance, event, actor,
                                             checked_clean=not any(f.rule in _ACTOR_RULES for f in findings)))
    return WhitelistResult((replace(run, findings=tuple(findings)),), config.dry_run)


def check_instance(config: AcrguardConfig, instance: InstanceConfig, factory: ClientFactory, store: StateStore, *,
                   apply: bool, now: float, resolver: NameResolver | None = None,
                   waiter: Waiter | None = None) -> InstanceRun:
    """Observe, decide and (when ``apply``) write for one instance; never raises for cloud or state trouble."""
    whitelist = instance.whitelist
    assert whitelist is not None
    region = config.region_of(instance)
    base = InstanceRun(instance.instance_id, instance.name, region)
    try:
        endpoint = observe_endpoint(factory, instance.instance_id, region)
    except CloudCallError as exc:
        return replace(base, error=str(exc), transient=isinstance(exc, TransientCloudError),
                       findings=(_unreadable(instance, region, exc),))
    writes = apply and not config.dry_run and whitelist.policy != "report"
    if endpoint.switching and writes:
        settled = wait_until_running(factory, instance.instance_id, region, waiter or SWITCH_WAIT)
        endpoint = settled.state or endpoint
    tracker = HysteresisTracker(store, HoldPolicy.from_safety(config.safety), clock=lambda: now)
    try:
        outcomes = resolve_hosts(instance, whitelist, resolver)
        desired = compute_desired(instance, whitelist, endpoint, outcomes, tracker, now=now, commit=apply)
    except StateError as exc:
        return replace(base, error=str(exc), findings=(_trouble(instance, "whitelist.state-unreadable",
                                                                "the hysteresis state cannot be used", str(exc),
                                                                False),))
    findings = invariants.check(instance, whitelist, endpoint, desired)
    plan = build_plan(instance, whitelist, config.safety, region, endpoint, desired)
    findings += _plan_findings(instance, plan)
    applied = None
    if apply and plan.operations:
        lease = RemovalLease(store, instance.instance_id) if plan.removes and not config.dry_run else None
        applied = apply_plan(plan, factory, dry_run=config.dry_run, waiter=waiter, lease=lease)
        findings = _with_restoration(instance, findings, applied)
        findings += _apply_findings(instance, applied)
    return replace(base, plan=plan, applied=applied, findings=tuple(findings))


def _with_restoration(instance: InstanceConfig, findings: list[Finding], applied: ApplyResult) -> list[Finding]:
    """When this run closed an open whitelist, the "open" finding tells so (and is marked fixed by acrguard).

    The observation found the endpoint open (or a re-read during the writes did, which is an
    observation too): the critical finding stands, and its first message says that acrguard has
    already restored it, when, and with what.
    """
    from acrguard.alerts.decide import FIXED_BY_ACRGUARD

    at = applied.restored_at
    if at is None:
        return findings
    restored = [r.operation.entry for r in applied.results
                if r.outcome == "done" and r.operation.restore and r.operation.kind == "add"]
    when = _utc(at)
    open_finding = next((f for f in findings if f.rule == OPEN_RULE), None)
    evidence = {**(open_finding.evidence if open_finding else {}), FIXED_BY_ACRGUARD: at, "restored": restored,
                "restored_at": when}
    restored_text = replace(
        open_finding or invariants.open_finding(instance, evidence={}),
        title=f"Registry {instance.name} was open to the whole internet — restored by acrguard at {when}",
        details=f"The internet endpoint of {instance.instance_id} was enabled with an empty whitelist, so every "
                f"address on the internet could reach it. acrguard added {', '.join(restored)} at {when}; the "
                "endpoint is closed again.",
        fix="Nothing to do to close it. Find out who emptied the whitelist (the caller is named when an ActionTrail "
            "record showed it) and why.",
        evidence=evidence)
    if open_finding is None:
        return [restored_text, *findings]
    return [restored_text if f is open_finding else f for f in findings]


def _utc(epoch: float) -> str:
    """``epoch`` as an ISO 8601 UTC time to the second (``2026-11-25T10:00:03Z``)."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unreadable(instance: InstanceConfig, region: str, exc: CloudCallError) -> Finding:
    """The finding for an internet endpoint that could not be read, naming a missing instance as such."""
    transient = isinstance(exc, TransientCloudError)
    if exc.code == INSTANCE_NOT_FOUND:
        return Finding(rule="whitelist.instance-not-found", severity=Severity.HIGH, resource=instance.instance_id,
                       scope=instance.instance_id, job=JOB,
                       title=f"Whitelist of {instance.name}: ACR instance {instance.instance_id} not found in {region}",
                       details=f"{exc.api} answers {INSTANCE_NOT_FOUND}: the account acrguard uses has no instance "
                               f"{instance.instance_id} in {region}.",
                       fix="Nothing was changed. Check instances[].instance_id and its region, and that acrguard's "
                           "credentials belong to the instance's account; remove the instance from the config if it "
                           "was released.", evidence={"code": exc.code, "transient": False})
    if exc.code == INSTANCE_STATUS_NOT_SUPPORTED:
        return Finding(rule="whitelist.instance-unavailable", severity=Severity.HIGH, resource=instance.instance_id,
                       scope=instance.instance_id, job=JOB,
                       title=f"Whitelist of {instance.name}: the instance's state allows no endpoint operation",
                       details=f"{exc.api} answers {INSTANCE_STATUS_NOT_SUPPORTED}: the instance is being released, "
                               "stopped or retired, and ACR does not serve its endpoints now.",
                       fix="Nothing was changed. Check the instance's status in the ACR console.",
                       evidence={"code": exc.code, "transient": False})
    return _trouble(instance, "whitelist.observe-failed", "cannot read the internet endpoint", str(exc), transient)


def _plan_findings(instance: InstanceConfig, plan: WhitelistPlan) -> list[Finding]:
    out: list[Finding] = []
    if plan.stopped:
        out.append(Finding(rule="whitelist.blast-radius", severity=Severity.HIGH, resource=instance.instance_id,
                           scope=instance.instance_id, job=JOB, title=f"Whitelist removals stopped for {instance.name}",
                           details=plan.stopped, fix="Check the plan (acrguard whitelist plan); if the removals are "
                           "intended, raise safety.max_delete_share or remove the entries by hand.",
                           evidence={"refused": [r.entry for r in plan.refusals if r.kind == "remove"]}))
    emptying = [r.entry for r in plan.refusals if r.kind == "remove" and "empty" in r.reason]
    if emptying:
        out.append(Finding(rule="whitelist.refused-empty", severity=Severity.HIGH, resource=instance.instance_id,
                           scope=instance.instance_id, job=JOB,
                           title=f"Refused to empty the whitelist of {instance.name}",
                           details=f"Removing {', '.join(emptying)} would leave the enabled internet endpoint open "
                                   "to everyone.",
                           fix="Declare at least one entry, or disable the internet endpoint.",
                           evidence={"entries": emptying}))
    return out


def _apply_findings(instance: InstanceConfig, applied: ApplyResult) -> list[Finding]:
    out: list[Finding] = []
    if applied.waiting is not None:
        out.append(invariants.switching_finding(instance, applied.waiting.status, waited_s=applied.waiting.waited_s,
                                                evidence={"skipped": [r.operation.to_dict() for r in
                                                                      applied.with_outcome("skipped")]}))
    for result in applied.failed:
        op = result.operation
        out.append(Finding(
            rule="whitelist.apply-failed", severity=Severity.HIGH, resource=instance.instance_id,
            scope=instance.instance_id, job=JOB, labels={"action": result.action, "entry": op.entry or "endpoint"},
            title=f"{result.action} {op.entry or ''} failed on {instance.name}".replace("  ", " "),
            details=redact_text(result.detail) + ("; it will be retried" if result.transient else ""),
            fix="The next run retries; if it keeps failing, check acrguard's RAM permissions (cr:"
                f"{result.action}) and the instance.", evidence={"code": result.code}))
    done = applied.with_outcome("done")
    if done:
        out.append(Finding(
            rule="whitelist.applied", severity=Severity.INFO, resource=instance.instance_id,
            scope=instance.instance_id, job=JOB, title=f"acrguard changed the whitelist of {instance.name}",
            notice=True, labels={"change": _change_id(f"{r.operation.kind} {r.operation.entry}" for r in done)},
            details="; ".join(f"{r.operation.kind} {r.operation.entry}".strip() + f" ({r.operation.reason})"
                              for r in done),
            evidence={"operations": [r.to_dict() for r in done]}))
    return out


def _change_id(parts: Iterable[str]) -> str:
    """A short id that makes each change notice its own finding."""
    import hashlib

    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:12]


def _changed_finding(instance: InstanceConfig, event: dict[str, str], actor: Actor, *,
                     checked_clean: bool) -> Finding:
    """A notice of someone's change that no finding about the live ACL is tied to."""
    what = ", ".join(f"{k} {v}" for k, v in event.items() if k != "name")
    details = ("The whitelist was re-checked after the change and matches its declaration." if checked_clean else
               "The whitelist was re-checked after the change; what the check found is reported on its own.")
    return Finding(rule="whitelist.changed", severity=Severity.LOW, resource=instance.instance_id,
                   scope=instance.instance_id, job=JOB, notice=True, actor=actor, evidence={"event": event},
                   labels={"event": event["name"], "change": _change_id([*event.values(), actor.event_id or "",
                                                                         actor.event_time or ""])},
                   title=f"{actor.identity} called {event['name']} on {instance.name}" + (f" ({what})" if what else ""),
                   details=details)


def _trouble(instance: InstanceConfig, rule: str, what: str, detail: str, transient: bool) -> Finding:
    return Finding(rule=rule, severity=Severity.HIGH, resource=instance.instance_id, scope=instance.instance_id,
                   job=JOB, title=f"Whitelist of {instance.name}: {what}", details=redact_text(detail),
                   fix="Nothing was changed. " + ("The invocation is retried." if transient else
                                                  "Check the instance id, region and acrguard's permissions."),
                   evidence={"transient": transient})
