"""The endpoint keeper's entry points: a full sweep (timer, CLI) and the re-check of what an event touched.

Per instance with a ``routes:`` section, in three phases over the whole run:

1. **plan**: read every target's entries (ours carry ``acrguard:<instance>:<family>``; the VPN
   ledger says which ``LocalSubnet`` items are ours) -> the answers judged by the acceptance rules
   (``acrguard.addresses``; a refused answer freezes its family) -> desired prefixes (discovery,
   resolution, hysteresis; our marked live routes passed as ``live`` so routes the state does not
   know are adopted and held) -> the retiring hold of every managed prefix no longer desired on a
   target (``acrguard.routes.retiring``) -> each target's pure plan, restricted to its families ->
   the guards of ``routes.plan`` (uncertain families lose nothing, frozen ones gain nothing, no
   removal before its hold, hysteresis holds listed with why);
2. **sharing** between instances routing through one target: none removes what another needs (or
   might need, when it was not planned this run), and an add another instance makes is not repeated;
3. **blast radius** over every removal of the run (``safety.max_delete_share`` / ``max_delete_floor``):
   too many stops them all, adds still go;
4. **apply** (unless previewing or ``dry_run``): each target's writes, the VPN ledger saved before
   and after (the plans of every instance sharing one IPsec connection in one write: one tunnel
   renegotiation per run); then the IDC exports are rendered and written when they changed (a
   family not observed keeps what the exports said when it was last observed,
   ``acrguard.routes.exporting``); findings for every change, refusal, failure and pressure.

Concurrency: the reads of different targets and instances run side by side (``workers``, 16 by
default), and so do the writes of different targets, the kinds of target taking turns so that each
write quota stays in use (every call waits for its operation's place under its published quota,
``acrguard.ratelimit``); the writes to one target (one table, one IPsec connection, also when several
instances route through it) stay in order, one after another, each waited for as that target's API
requires (``routes.targets.entries``: on a VPC/VBR table each write settles before the next; on a
transit router table or CEN cloud-service access all are written, then one read checks them).
The blast radius is still judged over the whole run, between planning everything and applying.

Events: a route-table event re-reads only the tables it names (live: the event is never trusted for
the entries), plus the instance's discovery. Such a *partial* run does not observe the instance's
other targets, so alerting gets only what it did (its change notices, in the run's scope) and its
own trouble; the instance's other findings stay as the last full run left them. When the state does
not know the instance's addresses yet (a first run, a lost state), every target is read instead, so
the live routes of all targets are adopted under the hold as in a sweep.

Modes: ``apply=False`` (``routes plan``) writes nothing at all: neither the cloud, nor the state
(the hysteresis is previewed), nor the exports. ``dry_run`` in the config behaves the same for the
writes (the plan is made and reported, nothing is written), also when the function runs it.

Failures never raise: they become findings, and ``KeeperResult.transient`` tells the caller that
retrying the invocation may help.

Refusals by the cloud (``RefusedByCloud``: a VBR table that takes no destination inside
100.64.0.0/10, a quota lower than configured) are neither failures nor transient: they are reported
(``routes.refused``, with the working alternative for the IDC, ``acrguard.routes.alternatives``) and
remembered (``acrguard.routes.refusals``), so later runs plan them as refusals without writing until
the re-check is due. Nothing is removed because of a refusal.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family, RouteTableTarget, TransitRouterTarget
from acrguard.errors import CloudCallError, StateError, TransientCloudError
from acrguard.hysteresis import HoldPolicy, HysteresisTracker, Tracked
from acrguard.resolve import ResolverSettings, SharedResolutions
from acrguard.routes import findings as notes
from acrguard.routes.alternatives import service_range_advice
from acrguard.routes.desired import (
    DesiredPrefixes,
    accept_answers,
    desired_from,
    hysteresis_scope,
    observe_instance,
    rules_for,
)
from acrguard.routes.export_memory import load_memory, save_memory
from acrguard.routes.exporting import export_instance
from acrguard.routes.ledger import load_ledgers, save_ledger, shared_ledgers
from acrguard.routes.plan import (
    BlastRadius,
    KeptRoute,
    TargetDecision,
    blast_radius,
    guard_target,
    hold_refused,
    hold_shared,
    under_pressure,
)
from acrguard.routes.refusals import RememberedRefusal, load_refusals, record_outcome
from acrguard.routes.retiring import advance, judge, load_retiring, save_retiring
from acrguard.routes.targets.base import (
    ApplyResult,
    CurrentRoutes,
    Failure,
    RouteTarget,
    desired_by_prefix,
    marker_prefix,
)
from acrguard.routes.targets.build import build_targets, target_key, target_product
from acrguard.routes.targets.vpn_connection import VpnConnectionSubnets

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.findings import Finding
    from acrguard.resolve import NameResolver
    from acrguard.routes.exports import ExportResult
    from acrguard.routes.oss_ranges import OssRangeTable
    from acrguard.routes.targets.waiting import Waiter
    from acrguard.state.base import StateStore

JOB = notes.JOB
#: reads (and writes to different targets) in flight at once in one run
DEFAULT_WORKERS = 16

#: the fix when a state record cannot be used (records: SQLite rows, or OSS objects under records/)
_REPAIR = ("record the error names (SQLite: a row of the state file; OSS: an object under the function's state "
           "folder, records/); nothing is written until it can be read.")
_REPAIR_STATE = "Repair or remove the state " + _REPAIR
_REPAIR_HYSTERESIS = "Repair or remove the hysteresis " + _REPAIR


class RecordingTracker(HysteresisTracker):
    """A ``HysteresisTracker`` that remembers each key's addresses after the last step (kept or seen).

    The OSS domain's DNS record in the exports needs the OSS addresses the hysteresis keeps this
    run, which ``DesiredPrefixes`` does not carry (it routes the ranges instead).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.results: dict[str, frozenset[str]] = {}

    def observe(self, scope: str, observations: Any, **kwargs: Any) -> Any:
        """As ``HysteresisTracker.observe``, recording what each key keeps."""
        results = super().observe(scope, observations, **kwargs)
        self.results.update({key: result.keep for key, result in results.items()})
        return results

    def kept(self, key: str) -> frozenset[str]:
        """The addresses ``key`` keeps after the last observation (empty when none was made)."""
        return self.results.get(key, frozenset())


@dataclass
class TargetRun:
    """One target in one run: what was read and planned, what was applied, or why it was skipped."""

    key: str
    label: str
    target_type: str
    decision: TargetDecision | None = None
    applied: ApplyResult | None = None
    error: str | None = None
    transient: bool = False
    adapter: RouteTarget | None = field(default=None, repr=False)

    @property
    def kept(self) -> tuple[KeptRoute, ...]:
        """Managed routes kept although no longer (or not surely) wanted."""
        return self.decision.kept if self.decision else ()

    @property
    def failed(self) -> bool:
        """Unreadable, or a write did not succeed."""
        return self.error is not None or bool(self.applied and not self.applied.ok)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        plan = self.decision.plan if self.decision else None
        current = self.decision.current if self.decision else None
        return {
            "target": self.key, "label": self.label, "type": self.target_type, "error": self.error,
            "transient": self.transient,
            "adds": [_change(c) for c in plan.adds] if plan else [],
            "removes": [_change(c) for c in plan.removes] if plan else [],
            "unchanged": [{"prefix": m.prefix, "family": m.family, "entry_id": m.entry_id} for m in plan.unchanged]
            if plan else [],
            "kept": [k.to_dict() for k in self.kept],
            "refusals": [{"prefix": r.prefix, "family": r.family, "code": r.code, "reason": r.reason}
                         for r in plan.refusals] if plan else [],
            "covered": [{"prefix": c.prefix, "family": c.family, "by": c.by, "label": c.label} for c in plan.covered]
            if plan else [],
            "withheld": [_change(c) for c in self.decision.withheld] if self.decision else [],
            "renegotiates_tunnel": bool(plan and plan.renegotiates_tunnel),
            "foreign": [{"prefix": f.prefix, "label": f.label} for f in current.foreign] if current else [],
            "quota": current.quota if current else None, "used": current.used if current else None,
            "applied": self.applied.to_dict() if self.applied else None,
        }


def _change(change: Any) -> dict[str, Any]:
    return {"prefix": change.prefix, "family": change.family, "key": change.key, "reason": change.reason,
            "replaces_entry": bool(change.after_removal)}


@dataclass
class InstanceRun:
    """What the keeper did for one instance."""

    instance: str
    instance_id: str
    region: str
    desired: DesiredPrefixes | None = None
    targets: list[TargetRun] = field(default_factory=list)
    exports: list[ExportResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    transient: bool = False
    ledgers: dict[str, dict[str, Family]] = field(default_factory=dict, repr=False)
    moment: float = 0.0
    oss_addresses: frozenset[str] = frozenset()
    partial: bool = False

    @property
    def failed(self) -> bool:
        """The instance, a target or an export could not be handled."""
        return self.error is not None or any(t.failed for t in self.targets) or any(e.error for e in self.exports)

    @property
    def is_transient(self) -> bool:
        """A failure that a later retry may fix."""
        return self.transient or any(t.transient or (t.applied is not None and t.applied.transient)
                                     for t in self.targets) or bool(self.desired and self.desired.transient) \
            or any(e.transient for e in self.exports)

    def reported(self) -> list[Finding]:
        """The findings alerting takes: all of them, or for a partial run only its notices and its own trouble.

        A partial run (an event that re-read only the tables it named) did not observe the other
        targets, so it cannot say which of the instance's findings still hold: those are left as they
        are. What it did (its change notices) is reported in the run's scope, which every run observes.
        """
        if not self.partial:
            return list(self.findings)
        scope = notes.run_scope(self.instance_id)
        return [f if f.scope == scope else dataclasses.replace(f, scope=scope) for f in self.findings
                if f.scope == scope or f.notice]

    def changes(self) -> list[str]:
        """Human-readable lines of what was written."""
        out = []
        for target in self.targets:
            if target.applied is not None:
                out += [f"{self.instance_id}: {target.key}: + {p}" for p in target.applied.created]
                out += [f"{self.instance_id}: {target.key}: - {p}" for p in target.applied.deleted]
        out += [f"{self.instance_id}: export {e.location} rewritten" for e in self.exports if e.written]
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        from acrguard.whitelist.guard import finding_dict

        return {"instance": self.instance, "instance_id": self.instance_id, "region": self.region,
                "error": self.error, "transient": self.is_transient,
                "desired": self.desired.to_dict() if self.desired else None,
                "targets": [t.to_dict() for t in self.targets], "exports": [e.to_dict() for e in self.exports],
                "findings": [finding_dict(f) for f in self.findings]}


@dataclass(frozen=True)
class KeeperResult:
    """The outcome of a sweep or an event: one ``InstanceRun`` per instance checked."""

    runs: tuple[InstanceRun, ...] = ()
    mode: str = "apply"
    dry_run: bool = False
    stopped: BlastRadius | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding alerting takes, of every instance (see ``InstanceRun.reported``)."""
        return tuple(f for run in self.runs for f in run.reported())

    @property
    def observed_scopes(self) -> frozenset[str]:
        """Instance ids checked whole (their findings are complete, for alerting), and every run's own scope."""
        return frozenset(run.instance_id for run in self.runs if run.error is None and not run.partial) | \
            frozenset(notes.run_scope(run.instance_id) for run in self.runs)

    @property
    def failed(self) -> bool:
        """Some instance, target or export could not be handled."""
        return any(run.failed for run in self.runs)

    @property
    def transient(self) -> bool:
        """A failure that a retry of the invocation may fix (throttling, 5xx, network, still settling)."""
        return any(run.is_transient for run in self.runs)

    @property
    def changes(self) -> list[str]:
        """Every write of the run, one line each."""
        return [line for run in self.runs for line in run.changes()]

    @property
    def planned(self) -> bool:
        """Whether any target has changes or refusals, or any export differs from what is written."""
        return any(t.decision is not None and (not t.decision.plan.empty or t.decision.plan.refusals)
                   for run in self.runs for t in run.targets) or any(e.changed for run in self.runs
                                                                      for e in run.exports)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``--json``)."""
        return {"mode": self.mode, "dry_run": self.dry_run, "failed": self.failed, "transient": self.transient,
                "stopped": self.stopped.to_dict() if self.stopped else None,
                "instances": [run.to_dict() for run in self.runs]}


@dataclass
class Keeper:
    """One run of the endpoint keeper over some instances (see the module docstring).

    ``tables``: instance id -> the route tables an event named; only those targets of the instance
    are read (a partial run). ``workers``: reads and writes of different targets in flight at once.
    ``exports_factory``: the factory the IDC exports are read and written with (default ``factory``): in
    an organisation, the function's own, since an ``oss://`` export is the central account's bucket and
    the member role grants no OSS access (``deploy/policies/acrguard-member.json``).
    """

    config: AcrguardConfig
    factory: ClientFactory
    store: StateStore
    apply: bool = True
    now: float | None = None
    resolver: NameResolver | None = None
    waiter: Waiter | None = None
    session: Any = None
    ranges: OssRangeTable | None = None
    tables: Mapping[str, frozenset[str]] | None = None
    workers: int = DEFAULT_WORKERS
    exports_factory: ClientFactory | None = None
    #: this run's DNS answers, shared by its instances (made anew by ``run``)
    _resolutions: SharedResolutions = field(default_factory=SharedResolutions, init=False, repr=False)
    #: refusals remembered from earlier runs, by target key and prefix (read by ``run``)
    _refusals: dict[str, dict[str, RememberedRefusal]] = field(default_factory=dict, init=False, repr=False)

    @property
    def writes(self) -> bool:
        """Whether this run writes (cloud, state, exports): not a preview and not ``dry_run``."""
        return self.apply and not self.config.dry_run

    def run(self, instances: Iterable[InstanceConfig]) -> KeeperResult:
        """Plan every instance, stop the run's removals if there are too many, then apply."""
        moment = time.time() if self.now is None else self.now
        chosen = [i for i in instances if i.routes is not None]
        self._resolutions = SharedResolutions(self.resolver)
        self._refusals = load_refusals(self.store) if chosen else {}
        self._load_clients(chosen)
        with ThreadPoolExecutor(max_workers=max(1, self.workers), thread_name_prefix="acrguard-routes") as pool:
            started = [self._start(instance, moment, pool) for instance in chosen]
            planned = [pool.submit(self._plan, instance, run, reads, tracker, moment) if run.error is None else None
                       for instance, (run, reads, tracker) in zip(chosen, started, strict=True)]
            runs = [future.result() if future is not None else run
                    for future, (run, _, _) in zip(planned, started, strict=True)]
            self._share(runs)
            decisions = [t.decision for run in runs for t in run.targets if t.decision is not None]
            guarded, stop = blast_radius(decisions, self.config.safety)
            replaced = dict(zip((id(d) for d in decisions), guarded, strict=True))
            for run in runs:
                for target in run.targets:
                    if target.decision is not None:
                        target.decision = replaced[id(target.decision)]
            applied = self._apply_all([run for run in runs if run.error is None], pool) if self.writes else {}
        for instance, run in zip(chosen, runs, strict=True):
            if run.error is None:
                self._finish(instance, run, stop, applied)
        mode = "apply" if self.apply else "plan"
        return KeeperResult(tuple(runs), mode, self.config.dry_run, stop)

    def _load_clients(self, instances: list[InstanceConfig]) -> None:
        """Build the SDK clients the run will use before its threads start.

        The SDKs load lazily, at a product's first client: loaded here, in one thread, instead of in
        the workers at once, which contend for the import lock (measured by ``bench.cold_start``:
        about 100 ms of a first invocation's wall time and 200 ms of its CPU for three products).
        """
        products = {"cr"} | {target_product(t) for i in instances if i.routes is not None for t in i.routes.targets}
        for product in sorted(products) if instances else ():
            self.factory.client(product)

    # -- phase 1 ---------------------------------------------------------------------------------
    def _start(self, instance: InstanceConfig, moment: float, pool: ThreadPoolExecutor
               ) -> tuple[InstanceRun, list[tuple[TargetRun, Future[CurrentRoutes]]], RecordingTracker]:
        """Load the ledgers, build the adapters and start reading the targets (in ``pool``)."""
        routes = instance.routes
        assert routes is not None
        run = InstanceRun(instance.name, instance.instance_id, self.config.region_of(instance))
        tracker = RecordingTracker(self.store, HoldPolicy.from_safety(self.config.safety), clock=lambda: moment)
        try:
            run.ledgers = load_ledgers(self.store, instance.instance_id)
            shared = shared_ledgers(self.store, instance.instance_id)
        except StateError as exc:
            return self._stop(run, "routes.state-unreadable", "the state cannot be used", str(exc),
                              _REPAIR_STATE), [], tracker
        try:
            adapters = build_targets(routes.targets, self.factory, ledgers=run.ledgers, shared=shared,
                                     waiter=self.waiter)
        except ValueError as exc:
            return self._stop(run, "routes.targets-invalid", "the targets are misconfigured", str(exc),
                              "Name each route target once in routes.targets."), [], tracker
        named = self._named(instance, adapters, tracker)
        run.partial = len(named) < len(adapters)
        marker = marker_prefix(instance.name)
        reads = []
        for adapter in named:
            target = TargetRun(adapter.key, adapter.label, adapter.target_type, adapter=adapter)
            run.targets.append(target)
            reads.append((target, pool.submit(adapter.read_managed, marker)))
        return run, reads, tracker

    def _named(self, instance: InstanceConfig, adapters: list[RouteTarget], tracker: RecordingTracker
               ) -> list[RouteTarget]:
        """The adapters to read: those of the tables an event named, or all (also when the state is new)."""
        tables = (self.tables or {}).get(instance.instance_id)
        routes = instance.routes
        if not tables or routes is None:
            return adapters
        named = [adapter for config, adapter in zip(routes.targets, adapters, strict=True)
                 if isinstance(config, (RouteTableTarget, TransitRouterTarget)) and config.route_table_id in tables]
        if not named or not self._state_knows(instance.instance_id, tracker):
            return adapters
        return named

    def _state_knows(self, instance_id: str, tracker: RecordingTracker) -> bool:
        """Whether the hysteresis state tracks every family of the instance (so nothing would be adopted)."""
        try:
            keys = tracker.scope_keys(hysteresis_scope(instance_id))
        except StateError:
            return False
        return all(family in keys for family in ALL_FAMILIES)

    def _plan(self, instance: InstanceConfig, run: InstanceRun,
              reads: list[tuple[TargetRun, Future[CurrentRoutes]]], tracker: RecordingTracker,
              moment: float) -> InstanceRun:
        """Observe the instance while its targets are read, judge the answers, then derive the desired prefixes
        (updating the hysteresis, which adopts our live routes), the retiring holds, and each target's plan."""
        resolver = self._resolutions.resolver(ResolverSettings.from_routes(instance.routes))
        raw = observe_instance(self.config, instance, self.factory, resolver=resolver, session=self.session,
                               ranges=self.ranges)
        live: dict[Family, set[str]] = {family: set() for family in ALL_FAMILIES}
        currents = {}
        for target, read in reads:
            try:
                current = read.result()
            except CloudCallError as exc:
                target.error, target.transient = str(exc), isinstance(exc, TransientCloudError)
                run.findings.append(notes.target_unreadable(instance.name, instance.instance_id, target.key,
                                                            target.label, str(exc), target.transient))
                continue
            currents[target.key] = current
            if target.target_type == "vpn_connection":
                continue  # its ledger is state, not a marker: nothing is adopted from it
            for route in current.managed:
                live[route.family].add(route.prefix)
        rules = raw.rules or rules_for(instance.routes, raw.oss_ranges)
        observed = accept_answers(raw, rules)
        try:
            desired = desired_from(observed, tracker, now=moment, commit=self.writes,
                                   live={family: frozenset(p) for family, p in live.items()})
            desired = self._retire(instance, run, desired, currents, moment)
        except StateError as exc:
            return self._stop(run, "routes.state-unreadable", "the hysteresis state cannot be used", str(exc),
                              _REPAIR_HYSTERESIS)
        run.desired = desired
        run.moment = moment
        run.oss_addresses = frozenset(a for a in tracker.kept("oss") if rules.problem("oss", a) is None)
        run.findings = list(desired.findings) + run.findings
        for target in run.targets:
            current = currents.get(target.key)
            if current is None or target.adapter is None:
                continue
            plan = target.adapter.plan(desired.pairs(), current)
            target.decision = hold_refused(guard_target(plan, current, desired),
                                           self._refusals.get(target.key, {}), moment)
        return run

    def _retire(self, instance: InstanceConfig, run: InstanceRun, desired: DesiredPrefixes,
                currents: Mapping[str, CurrentRoutes], moment: float) -> DesiredPrefixes:
        """Advance the hold of every managed prefix no longer desired on each target read (saved when writing)."""
        policy = HoldPolicy.from_safety(self.config.safety)
        before = load_retiring(self.store, instance.instance_id)
        released = {r.prefix: Tracked(r.last_seen, r.last_seen, r.misses, r.first_missed) for r in desired.released}
        records: dict[str, dict[str, tuple[Family, Tracked]]] = {}
        for target in run.targets:
            current = currents.get(target.key)
            if current is None or target.adapter is None:
                continue
            wanted = desired_by_prefix(desired.pairs(), target.adapter.families)
            undesired = {m.prefix: m.family for m in current.managed if m.prefix not in wanted}
            records[target.key] = advance(before.get(target.key, {}), undesired, released, desired.certain, moment,
                                          policy)
        if self.writes:
            configured = [target_key(t) for t in instance.routes.targets] if instance.routes else []
            save_retiring(self.store, instance.instance_id, records, configured=configured)
        return dataclasses.replace(desired, retiring={
            key: {prefix: judge(prefix, family, record, moment, policy) for prefix, (family, record) in found.items()}
            for key, found in records.items()})

    def _share(self, runs: list[InstanceRun]) -> None:
        """Instances routing through one target share its prefixes: none removes what another needs (or might).

        An instance configured with the target but not planned this run (not chosen by an event, or its
        run or read failed) might need any prefix there, so then nothing is removed from the target.
        """
        configured: dict[str, list[str]] = {}
        for instance in self.config.instances:
            for config in instance.routes.targets if instance.routes else ():
                configured.setdefault(target_key(config), []).append(instance.instance_id)
        groups: dict[str, list[tuple[InstanceRun, TargetRun]]] = {}
        for run in runs:
            for target in run.targets:
                groups.setdefault(target.key, []).append((run, target))
        for key, group in groups.items():
            sharing = set(configured.get(key, ()))
            if len(sharing) < 2:
                continue
            decided = [(run, t) for run, t in group if t.decision is not None and run.desired is not None
                       and run.error is None and t.adapter is not None]
            missing = sorted(sharing - {run.instance_id for run, _ in decided})
            wants = {run.instance_id: set(desired_by_prefix(run.desired.pairs(), t.adapter.families))  # type: ignore
                     for run, t in decided}
            added: list[str] = []
            for run, target in decided:
                others: dict[str, str] = {}
                for other, prefixes in wants.items():
                    if other != run.instance_id:
                        for prefix in prefixes:
                            others.setdefault(prefix, f"instance {other} also routes it through this target")
                if missing:
                    others["*"] = (f"instance(s) {', '.join(missing)} also route through this target and were not "
                                   "checked this run; nothing is removed from it until they are")
                assert target.decision is not None
                target.decision = hold_shared(target.decision, others, added)
                added += [c.key for c in target.decision.plan.adds]

    def _stop(self, run: InstanceRun, rule: str, what: str, detail: str, fix: str) -> InstanceRun:
        """Give up on the instance: its own scope is not observed, so what was found moves to the run's scope."""
        run.error = detail
        scope = notes.run_scope(run.instance_id)
        run.findings = [dataclasses.replace(f, scope=scope) for f in run.findings]
        run.findings.append(notes.trouble(rule, run.instance, run.instance_id, what, detail, fix))
        return run

    # -- phase 3 ---------------------------------------------------------------------------------
    def _apply_all(self, runs: list[InstanceRun], pool: ThreadPoolExecutor) -> dict[int, list[Finding]]:
        """Apply every decision, different targets side by side; one target's decisions (several instances
        may route through it) one after another, in instance order. Returns each target run's findings."""
        groups: dict[str, list[tuple[InstanceRun, TargetRun]]] = {}
        for run in runs:
            for target in run.targets:
                if target.decision is not None:
                    groups.setdefault(target.key, []).append((run, target))

        def apply_in_order(group: list[tuple[InstanceRun, TargetRun]]) -> list[tuple[int, list[Finding]]]:
            if len(group) > 1 and group[0][1].target_type == "vpn_connection":
                return self._apply_connection(group)
            return [(id(target), self._apply(run, target, target.decision)) for run, target in group
                    if target.decision is not None]

        found: dict[int, list[Finding]] = {}
        for future in [pool.submit(apply_in_order, group) for group in _taking_turns(list(groups.values()))]:
            found.update(future.result())
        return found

    def _finish(self, instance: InstanceConfig, run: InstanceRun, stop: BlastRadius | None,
                applied: Mapping[int, list[Finding]]) -> None:
        decisions = [t.decision for t in run.targets if t.decision is not None]
        for target in run.targets:
            decision = target.decision
            if decision is None:
                continue
            run.findings += notes.refused(run.instance, run.instance_id, decision, _advice(instance, run, decision))
            if under_pressure(decision):
                run.findings.append(notes.quota_pressure(run.instance, run.instance_id, decision))
            run.findings += applied.get(id(target), [])
        if stop is not None and any(k.cause == "blast_radius" for d in decisions for k in d.kept):
            run.findings.append(notes.blast_radius(run.instance, run.instance_id, stop, decisions))
        for decision in decisions:
            unproven = [k for k in decision.kept if k.cause == "unproven"]
            if unproven:
                run.findings.append(notes.ledger_unproven(run.instance, run.instance_id, decision.plan, unproven))
        if run.desired is not None:
            self._export(instance, run, run.desired)

    def _export(self, instance: InstanceConfig, run: InstanceRun, desired: DesiredPrefixes) -> None:
        """Render and write the IDC exports; families not observed keep what they said when last observed."""
        rules = desired.rules or rules_for(instance.routes, None)
        remembered = load_memory(self.store, run.instance_id, rules)
        exports = export_instance(self.config, instance, desired, self.exports_factory or self.factory,
                                  write=self.writes, now=run.moment, oss_addresses=run.oss_addresses,
                                  remembered=remembered)
        run.exports = exports.results
        if self.writes:
            observed = {family: exports.observed[family] for family in desired.observed}
            try:
                save_memory(self.store, run.instance_id, observed)
            except StateError as exc:
                run.findings.append(notes.trouble("routes.state-unreadable", run.instance, run.instance_id,
                                                  "what the exports said cannot be remembered", str(exc),
                                                  "Check the state store; the exports themselves were handled."))
        for export in run.exports:
            if export.error:
                run.findings.append(notes.export_failed(run.instance, run.instance_id, export.format,
                                                        export.location, export.error, export.transient))
            elif export.written:
                run.findings.append(notes.export_changed(run.instance, run.instance_id, export.format,
                                                         export.location, export.diff or "",
                                                         export.commands, kept=exports.note()))

    def _apply(self, run: InstanceRun, target: TargetRun, decision: TargetDecision) -> list[Finding]:
        """Write one target's plan (the VPN ledger saved around it); the findings about what happened."""
        adapter = target.adapter
        assert adapter is not None
        plan = decision.plan
        trouble = self._before_write(run, target)
        if trouble is not None:
            return [trouble]
        if plan.empty:
            return []
        try:
            result = adapter.apply(plan)
        except CloudCallError as exc:  # adapters report failures in the result; this is a safety net
            result = _failed(target.key, exc)
        return self._after_write(run, target, result)

    def _apply_connection(self, group: list[tuple[InstanceRun, TargetRun]]) -> list[tuple[int, list[Finding]]]:
        """The plans of every instance sharing one IPsec connection, in one write (one tunnel renegotiation)."""
        found: list[tuple[int, list[Finding]]] = []
        ready: list[tuple[InstanceRun, TargetRun]] = []
        for run, target in group:
            trouble = self._before_write(run, target)
            if trouble is not None:
                found.append((id(target), [trouble]))
            elif target.decision is not None and not target.decision.plan.empty:
                ready.append((run, target))
            else:
                found.append((id(target), []))
        if not ready:
            return found
        adapter = ready[0][1].adapter
        plans = [t.decision.plan for _, t in ready if t.decision is not None]
        try:
            results = adapter.apply_all(plans) if isinstance(adapter, VpnConnectionSubnets) else \
                [adapter.apply(plan) for plan in plans]  # type: ignore[union-attr]
        except CloudCallError as exc:
            results = [_failed(ready[0][1].key, exc) for _ in ready]
        for (run, target), result in zip(ready, results, strict=True):
            found.append((id(target), self._after_write(run, target, result)))
        return found

    def _before_write(self, run: InstanceRun, target: TargetRun) -> Finding | None:
        """Save a VPN plan's ledger with its adds before the write (or its new ledger when it writes nothing)."""
        decision = target.decision
        assert decision is not None
        plan = decision.plan
        if plan.target_type != "vpn_connection":
            return None
        ledger = dict(run.ledgers.get(target.key, {}))
        try:
            if plan.empty:
                if plan.owned_after is not None and dict(plan.owned_after) != ledger:
                    # claimed shared items, or items others removed
                    save_ledger(self.store, run.instance_id, target.key, plan.owned_after)
            elif plan.adds:
                save_ledger(self.store, run.instance_id, target.key,
                            {**ledger, **{c.prefix: c.family for c in plan.adds}})
        except StateError as exc:
            target.error = f"the VPN ownership ledger could not be saved: {exc}"
            return notes.trouble("routes.state-unreadable", run.instance, run.instance_id,
                                 f"the ownership ledger of {target.label} cannot be saved", str(exc),
                                 "Check the state store; nothing more is written to the connection.")
        return None

    def _after_write(self, run: InstanceRun, target: TargetRun, result: ApplyResult) -> list[Finding]:
        """Record what one target's write did: the VPN ledger as read back, refusals, the notice, failures."""
        decision = target.decision
        assert decision is not None
        plan = decision.plan
        target.applied = result
        if result.refused:
            decision = dataclasses.replace(decision, plan=dataclasses.replace(
                plan, refusals=plan.refusals + tuple(result.refused)))
            target.decision = decision
        found: list[Finding] = []
        ledger = dict(run.ledgers.get(target.key, {}))
        if plan.target_type == "vpn_connection" and result.owned_after is not None and result.owned_after != ledger:
            try:
                save_ledger(self.store, run.instance_id, target.key, result.owned_after)
            except StateError as exc:
                target.error = f"the VPN ownership ledger could not be saved: {exc}"
                found.append(notes.trouble("routes.state-unreadable", run.instance, run.instance_id,
                                           f"the ownership ledger of {target.label} cannot be saved", str(exc),
                                           "Check the state store; nothing more is written to the connection."))
        found += self._remember(run, target, result)
        notice = notes.changed(run.instance, run.instance_id, decision, result)
        if notice is not None:
            found.append(notice)
        if not result.ok:
            found.append(notes.apply_failed(run.instance, run.instance_id, decision, result))
        return found

    def _remember(self, run: InstanceRun, target: TargetRun, result: ApplyResult) -> list[Finding]:
        """Remember the target's refusals of this apply and forget what it took (a trouble finding if unsaved)."""
        accepted = {*result.created, *result.already_present}
        if not result.refused and not accepted & set(self._refusals.get(target.key, {})):
            return []
        try:
            record_outcome(self.store, target.key, refused=result.refused, accepted=accepted, now=run.moment)
        except StateError as exc:
            return [notes.trouble("routes.state-unreadable", run.instance, run.instance_id,
                                  f"the refusals of {target.label} cannot be remembered", str(exc),
                                  "Check the state store; the refused writes are tried again next run.")]
        return []


def _taking_turns(groups: list[list[tuple[InstanceRun, TargetRun]]]) -> list[list[tuple[InstanceRun, TargetRun]]]:
    """The targets' write sequences in the order they start: the kinds of target taking turns, longest first.

    Each kind writes through its own operations, each paced to its own quota (``acrguard.ratelimit``):
    CEN writes at a few a second, VPC route writes at a few hundred a minute. Workers waiting for one
    kind's quota must not hold back the others, so the first sequences of every kind start together and
    each kind keeps its own pace; within a kind the longest sequences start first, so the short ones fill
    in around them.
    """
    def writes(group: list[tuple[InstanceRun, TargetRun]]) -> int:
        return sum(t.decision.plan.write_calls for _, t in group if t.decision)

    kinds: dict[str, list[list[tuple[InstanceRun, TargetRun]]]] = {}
    for group in sorted(groups, key=writes, reverse=True):
        kinds.setdefault(group[0][1].target_type, []).append(group)
    queues = sorted(kinds.values(), key=lambda q: sum(writes(g) for g in q), reverse=True)
    order = []
    for turn in range(max((len(q) for q in queues), default=0)):
        order += [q[turn] for q in queues if turn < len(q)]
    return order


def _failed(key: str, exc: CloudCallError) -> ApplyResult:
    """An apply that raised instead of reporting (a safety net): one failure for the whole target."""
    return ApplyResult(key, failures=[Failure("*", "apply", exc.code or "Error", str(exc),
                                              isinstance(exc, TransientCloudError))])


def _advice(instance: InstanceConfig, run: InstanceRun, decision: TargetDecision) -> dict[str, tuple[Any, str]]:
    """The severity and fix of a ``service_range`` refusal for this instance's IDC (see ``routes.alternatives``)."""
    families = {r.family for r in decision.plan.refusals if r.code == "service_range"}
    if not families or instance.routes is None:
        return {}
    advice = service_range_advice(instance.routes.targets, decision.plan.target_key, families, run.region,
                                  instance.routes.linked_vpc_ids)
    return {"service_range": (advice.severity, advice.fix)}


def run_sweep(config: AcrguardConfig, factory: ClientFactory, store: StateStore, *, apply: bool = True,
              now: float | None = None, resolver: NameResolver | None = None, waiter: Waiter | None = None,
              session: Any = None, exports_factory: ClientFactory | None = None) -> KeeperResult:
    """Check every instance with a ``routes:`` section; ``apply`` False previews (writes nothing)."""
    keeper = Keeper(config, factory, store, apply=apply, now=now, resolver=resolver, waiter=waiter, session=session,
                    exports_factory=exports_factory)
    return keeper.run(config.instances)


def affected_instances(config: AcrguardConfig, resources: Iterable[tuple[str, str]]) -> list[InstanceConfig]:
    """The instances an event's resources concern: the instance itself, or one whose targets include the table."""
    wanted_instances = {rid for rtype, rid in resources if rtype == "cr-instance"}
    tables = {rid for rtype, rid in resources if rtype == "route-table"}
    chosen = []
    for instance in config.instances:
        if instance.routes is None:
            continue
        targets = instance.routes.targets
        if instance.instance_id in wanted_instances or any(
                isinstance(t, (RouteTableTarget, TransitRouterTarget)) and t.route_table_id in tables
                for t in targets):
            chosen.append(instance)
    return chosen


def handle_event(config: AcrguardConfig, factory: ClientFactory, store: StateStore,
                 resources: Iterable[tuple[str, str]], *, now: float | None = None,
                 resolver: NameResolver | None = None, waiter: Waiter | None = None, session: Any = None,
                 exports_factory: ClientFactory | None = None) -> KeeperResult:
    """Re-check what an event touched (``(type, id)`` resources); other events cost nothing.

    A named instance is re-checked whole; an instance chosen because of a route table it routes
    through has only the named tables read again (a partial run, see the module docstring).
    """
    resources = list(resources)
    chosen = affected_instances(config, resources)
    instances = {rid for rtype, rid in resources if rtype == "cr-instance"}
    tables = frozenset(rid for rtype, rid in resources if rtype == "route-table")
    scoped = {i.instance_id: tables for i in chosen if i.instance_id not in instances} if tables else {}
    keeper = Keeper(config, factory, store, apply=True, now=now, resolver=resolver, waiter=waiter, session=session,
                    tables=scoped, exports_factory=exports_factory)
    return keeper.run(chosen)
