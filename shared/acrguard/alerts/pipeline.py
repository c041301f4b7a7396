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

Each run then looks at every group in the state store (of every job) and sends what is due
(``decide``), within each channel's rate limit (``delivery``); delivery failures do not raise:
they stay pending and are retried by the next run of any job, or by ``flush()``. One run at a
time delivers (a lease in the state): functions sharing the state run concurrently with each
other, and two flushing at once would both send what is due. The state store
holds everything between runs (section ``alerts``, see ``alerts.state``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acrguard.alerts import state
from acrguard.alerts.clock import Clock, SystemClock
from acrguard.alerts.decide import FIXED_BY_ACRGUARD, Hold, plan_notifications
from acrguard.alerts.delivery import Delivery, DeliveryRecord
from acrguard.alerts.transport import HttpClientTransport, Transport
from acrguard.config.alerts import AlertsConfig
from acrguard.findings import Finding
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
        session = state.StateSession(self.store)
        token = uuid.uuid4().hex

        def record(alerts: dict[str, Any]) -> tuple[state.ObservationSummary, bool]:
            # the observation and the claim to deliver in one write (each write saves the whole document)
            summary = state.observe(alerts, job, current, scopes, now, resolve=not partial)
            _mark_fixed(alerts, current)
            return summary, state.take_delivery(alerts, token, now, DELIVERY_LEASE_S)

        summary, taken = session.change(record)
        report = AlertRunReport(job=job, new=summary.new, resolved=summary.resolved,
                                still_firing=summary.still_firing)
        return self._flush(report, session, token, taken=taken)

    def flush(self) -> AlertRunReport:
        """Send what is due without new observations (retries, repeats, held groups)."""
        return self._flush(AlertRunReport(), state.StateSession(self.store), uuid.uuid4().hex)

    def _flush(self, report: AlertRunReport, session: state.StateSession, token: str, *,
               taken: bool = False) -> AlertRunReport:
        if not taken and not self._take_delivery(session, token):
            log.warning("alerts: another run is delivering (the state is shared); what is due stays for the next run")
            return report
        delivered = False
        try:
            report = self._deliver(report, session)
            delivered = True
            return report
        finally:
            names = [c.name for c in self.config.channels]

            def finish(alerts: dict[str, Any]) -> None:
                # tidy up (after a delivery that ran to its end) and give the claim back, in one write
                if delivered:
                    state.collect_garbage(alerts, names, self.clock.now())
                state.release_delivery(alerts, token)

            session.change(finish)

    def _take_delivery(self, session: state.StateSession, token: str) -> bool:
        """Become the one run that delivers, waiting (bounded) while another run of any job does.

        Every function sharing the state flushes what is due of every job; two at once would both
        send it. The claim is a version-checked write, so only one run holds it; a run that died
        holding it is waited out after ``DELIVERY_LEASE_S``.
        """
        waited = 0.0
        while True:
            now = self.clock.now()
            if session.change(lambda alerts, at=now: state.take_delivery(alerts, token, at, DELIVERY_LEASE_S)):
                return True
            if waited >= DELIVERY_WAIT_S:
                return False
            self.clock.sleep(DELIVERY_POLL_S)
            waited += DELIVERY_POLL_S
            session.refresh()

    def _deliver(self, report: AlertRunReport, session: state.StateSession) -> AlertRunReport:
        now = self.clock.now()
        plan = plan_notifications(session.alerts, self.config, now)
        report.held = plan.held
        report.silenced = plan.silenced
        if plan.quiet:
            def settle(alerts: dict[str, Any]) -> None:
                for due in plan.quiet:
                    state.record_sent(alerts, due.group_key, due.channel, (), now)

            session.change(settle)
            report.quiet_resolutions = len(plan.quiet)
        report.deliveries = self.delivery.deliver(plan, session)
        log.info("alerts: run finished %s", report.summary())
        return report


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
