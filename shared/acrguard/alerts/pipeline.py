"""``AlertPipeline``: from a job's findings to chat messages, deduplicated across invocations.

How a job uses it::

    pipeline = AlertPipeline(config.alerts, store)          # transport and clock have defaults
    report = pipeline.process("whitelist", findings, scopes_observed={"cri-abc"})

``findings`` must be the *complete* current set of the job's findings in ``scopes_observed``
(``"*"`` in it: every scope of the job, for a sweep that observed everything)
(the ``Finding.scope`` values the job looked at successfully this run): a finding of that job
and scope that is absent now is resolved. A scope the job could not observe (an API error, a
timeout) must be left out of ``scopes_observed``; its findings stay as they were (unknown is not
absent). A finding whose scope is not in ``scopes_observed`` is a programming error.

Each run records the findings in the groups they belong to, and the resolutions in the groups
of the observed scopes, one record per group; then it sends what is due (``decide``), within each
channel's rate limit (``delivery``). It plans only the groups the due index (``dueindex``) says are
due now, so a run's cost follows what it touches and what is due, not the number of groups in the
state. Delivery failures do not raise: they stay pending and are retried by a later run of any
job, or by ``flush()``. One run at a time delivers (a lease in the state): functions sharing the
state run concurrently with each other, and two delivering at once would both send what is due.
The state store holds everything between runs (``alerts.state``).
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acrguard.alerts import dueindex, state
from acrguard.alerts.clock import Clock, SystemClock
from acrguard.alerts.decide import FIXED_BY_ACRGUARD, Hold, plan_notifications
from acrguard.alerts.delivery import Delivery, DeliveryRecord
from acrguard.alerts.due import next_due
from acrguard.alerts.transport import HttpClientTransport, Transport
from acrguard.config.alerts import AlertsConfig
from acrguard.findings import Finding
from acrguard.state import keys
from acrguard.state.base import StateStore

log = logging.getLogger("acrguard.alerts")

#: how long one run may hold the right to deliver (a run that died holding it blocks others this long)
DELIVERY_LEASE_S = 300.0
#: how long a run waits for another run's delivery before leaving what is due to the next run
DELIVERY_WAIT_S = 10.0
DELIVERY_POLL_S = 0.1


@dataclass
class AlertRunReport:
    """What one run observed and sent."""

    job: str | None = None
    new: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    still_firing: int = 0
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    held: list[tuple[str, str, Hold]] = field(default_factory=list)
    quiet_resolutions: int = 0
    silenced: int = 0

    @property
    def pending(self) -> list[DeliveryRecord]:
        """Messages or groups that did not reach their channel this run (they stay pending)."""
        return [d for d in self.deliveries if not d.delivered]

    def summary(self) -> dict[str, Any]:
        """Counts for logs and function results (no URLs, no finding text)."""
        return {
            "job": self.job, "new": len(self.new), "resolved": len(self.resolved), "still_firing": self.still_firing,
            "messages_sent": sum(1 for d in self.deliveries if d.delivered),
            "groups_pending": sum(len(d.groups) for d in self.pending), "held": len(self.held),
            "silenced": self.silenced,
        }


class AlertPipeline:
    """Groups, deduplicates, silences and delivers findings (see the module docstring)."""

    def __init__(self, config: AlertsConfig, store: StateStore, transport: Transport | None = None,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.store = store
        self.clock = clock or SystemClock()
        self.records = state.AlertRecords(store, [c.name for c in config.channels])
        self.delivery = Delivery(config, transport or HttpClientTransport(), self.clock)

    def process(self, job: str, findings: Iterable[Finding], scopes_observed: Iterable[str], *,
                partial: bool = False) -> AlertRunReport:
        """Record ``job``'s complete findings for ``scopes_observed``, then send what is due.

        ``partial``: ``findings`` are only some of what the job would find (the notices of what a run
        cut short did): they are recorded and sent, and nothing resolves (``scopes_observed`` unused).
        """
        if not job:
            raise ValueError("process() needs the job's name")
        scopes = set() if partial else set(scopes_observed)
        current = list(findings)
        for finding in current:
            if finding.job and finding.job != job:
                raise ValueError(f"finding {finding.rule} on {finding.resource} belongs to job {finding.job!r}, "
                                 f"not {job!r}")
            if not partial and finding.scope not in scopes and state.ALL_SCOPES not in scopes:
                raise ValueError(f"finding {finding.rule} on {finding.resource} has scope {finding.scope!r}, which "
                                 f"is not in scopes_observed {sorted(scopes)}; a job reports findings only for "
                                 "scopes it observed")
        now = self.clock.now()
        by_group: dict[str, list[Finding]] = {}
        for finding in current:
            by_group.setdefault(finding.group_key, []).append(finding)
        touched = set(by_group) | (set() if partial else set(self.records.group_keys(scopes)))
        report = AlertRunReport(job=job)
        moments: dict[str, float | None] = {}
        touched_groups: dict[str, dict[str, Any]] = {}
        for key in sorted(touched):
            mine = by_group.get(key, [])

            def record(alerts: dict[str, Any], mine: list[Finding] = mine) -> state.ObservationSummary:
                summary = state.observe(alerts, job, mine, scopes, now, resolve=not partial)
                _mark_fixed(alerts, mine)
                return summary

            summary, group = self.records.change_group(key, record, now)
            report.new += summary.new
            report.resolved += summary.resolved
            report.still_firing += summary.still_firing
            moments[key] = None if group is None else next_due(key, group, self.config, now)
            if group is not None:
                touched_groups[key] = group
        dueindex.file(self.store, moments)  # after the groups: see acrguard.alerts.dueindex
        return self._flush(report, touched_groups)

    def flush(self) -> AlertRunReport:
        """Send what is due without new observations (retries, repeats, held groups)."""
        return self._flush(AlertRunReport(), {})

    def _flush(self, report: AlertRunReport, touched: dict[str, dict[str, Any]]) -> AlertRunReport:
        """Deliver what is due; ``touched`` (the groups this run changed) are reported as held or silenced too."""
        digest = dueindex.config_hash(self.config)
        rebuild = dueindex.filed_for(self.store) != digest
        if not rebuild and not dueindex.due(self.store, self.clock.now()):
            return self._describe(report, touched, set())  # nothing is due: no lease, no planning
        token = uuid.uuid4().hex
        if not self._take_delivery(token):
            log.warning("alerts: another run is delivering (the state is shared); what is due stays for the next run")
            return self._describe(report, touched, set())
        try:
            if rebuild:
                self._rebuild(digest)
            delivered, planned = self._deliver(report)
            return self._describe(delivered, touched, planned)
        finally:
            self.records.release_delivery(token)

    def _describe(self, report: AlertRunReport, touched: dict[str, dict[str, Any]], planned: set[str]
                  ) -> AlertRunReport:
        """Add to ``report`` what waits (held, silenced) among the groups this run touched but did not plan."""
        rest = {key: group for key, group in touched.items() if key not in planned}
        if rest:
            plan = plan_notifications({"groups": rest}, self.config, self.clock.now())
            report.held = [*report.held, *plan.held]
            report.silenced += plan.silenced
        return report

    def _take_delivery(self, token: str) -> bool:
        """Become the one run that delivers, waiting (bounded) while another run of any job does.

        Every function sharing the state delivers what is due of every job; two at once would both
        send it. The claim is a version-checked write, so only one run holds it; a run that died
        holding it is waited out after ``DELIVERY_LEASE_S``.
        """
        waited = 0.0
        while True:
            if self.records.take_delivery(token, self.clock.now(), DELIVERY_LEASE_S):
                return True
            if waited >= DELIVERY_WAIT_S:
                return False
            self.clock.sleep(DELIVERY_POLL_S)
            waited += DELIVERY_POLL_S

    def _rebuild(self, digest: str) -> None:
        """File every group again for a changed alert configuration, and tidy what it no longer names."""
        now = self.clock.now()
        names = [c.name for c in self.config.channels]
        groups = self.records.groups(self.records.group_keys({state.ALL_SCOPES}))
        moments: dict[str, float | None] = {}
        for key, group in groups.items():
            tidy = {"groups": {key: copy.deepcopy(group)}, "robots": {}, "channels": {}}
            state.collect_garbage(tidy, names, now)
            if tidy["groups"].get(key) != group:
                _, after = self.records.change_group(key, lambda alerts: None, now)
                group = after
            moments[key] = None if group is None else next_due(key, group, self.config, now)
        dueindex.file(self.store, moments)
        for record_key in self.store.list(f"{keys.ALERTS}/channels/"):
            name = keys.unname(record_key.rsplit("/", 1)[1])
            if name not in names:
                self.records.change_channel(name, lambda alerts: None, now)
        dueindex.mark_rebuilt(self.store, digest)
        log.info("alerts: the alert configuration changed; %d group(s) filed again", len(groups))

    def _deliver(self, report: AlertRunReport) -> tuple[AlertRunReport, set[str]]:
        """Plan and deliver the groups the due index says are due; the report, and the groups planned."""
        now = self.clock.now()
        entries = dueindex.due(self.store, now)
        chosen = sorted({entry.group_key for entry in entries})
        plan = plan_notifications({"groups": self.records.groups(chosen)}, self.config, now)
        report.held = plan.held
        report.silenced = plan.silenced
        for due in plan.quiet:
            self.records.change_group(
                due.group_key, lambda alerts, d=due: state.record_sent(alerts, d.group_key, d.channel, (), now), now)
        report.quiet_resolutions = len(plan.quiet)
        report.deliveries = self.delivery.deliver(plan, self.records)
        later = self.clock.now()
        # file each group again from a read made after this run's writes, then remove the entries handled
        dueindex.file(self.store, {key: next_due(key, group, self.config, later)
                                   for key, group in self.records.groups(chosen).items()})
        dueindex.remove(self.store, entries)
        log.info("alerts: run finished %s", report.summary())
        return report, set(chosen)
def _mark_fixed(alerts: dict[str, Any], findings: list[Finding]) -> None:
    """Keep on each finding's state record whether acrguard fixed it in the run that found it (``decide``).

    Evidence is not kept in the state (``records``); this one fact is, so the resolution that the
    next observation brings is told without waiting for the group interval.
    """
    for finding in findings:
        record = alerts["groups"].get(finding.group_key, {}).get("findings", {}).get(finding.fingerprint)
        if record is None:
            continue
        fixed_at = finding.evidence.get(FIXED_BY_ACRGUARD)
        if fixed_at is not None:
            record[FIXED_BY_ACRGUARD] = fixed_at
        else:
            record.pop(FIXED_BY_ACRGUARD, None)
