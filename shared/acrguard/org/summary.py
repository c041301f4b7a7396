"""One run summary per sweep, and every shard's findings through one run of the central alert pipeline.

The summary is a notice (told once, never "resolved"): done, failed and pending shards, with each
failure's reason and the shards still pending. ``organization.summary`` says when it is sent:
``always`` (every sweep), ``problems`` (only a sweep with a failed or pending shard) or ``never``.

A shard's findings count only when it is done and its document still holds this sweep's outcome
(a newer sweep's shard may have replaced it: its findings are newer, and its own sweep sends them);
the scopes of a shard that failed or is pending are not observed, so its earlier findings stand
(unknown is not absent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from acrguard.findings import Finding, Severity
from acrguard.org import outcomes
from acrguard.org.shards import namespace
from acrguard.org.sweeps import CARRIED, DONE, FAILED, PENDING, SweepView

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig
    from acrguard.state.base import StateStore

RULE = "org.sweep-summary"
#: shards listed by name in a summary (the counts cover all of them)
LISTED = 20


@dataclass
class Aggregate:
    """The findings and observed scopes of a sweep's shards (its summary notice already told, or among them)."""

    findings: list[Finding] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)
    unread: list[str] = field(default_factory=list)
    told: list[str] = field(default_factory=list)


def summary_scope(job: str) -> str:
    """The scope of a job's sweep summaries."""
    return f"org:{job}"


def _split(key: str) -> tuple[str, str]:
    account, _, region = key.partition("/")
    return account, region


def summary_finding(sweep: SweepView, job: str) -> Finding:
    """The notice that tells a sweep's outcome."""
    done, failed = sweep.count(DONE), sweep.count(FAILED)
    pending, carried = sweep.count(PENDING), sweep.count(CARRIED)
    total = len(sweep.shards)
    severity = Severity.HIGH if failed else Severity.MEDIUM if pending or carried else Severity.LOW
    lines = []
    for shard in [s for s in sweep.shards if s.status == FAILED][:LISTED]:
        more = "" if shard.final else " (FC retries it)"
        lines.append(f"failed: {shard.key}: {shard.error or 'no reason recorded'}{more}")
    for shard in [s for s in sweep.shards if s.status in (PENDING, CARRIED)][:LISTED]:
        lines.append(f"pending: {shard.key}" + (f" ({shard.error})" if shard.error else ""))
    hidden = failed + pending + carried - len(lines)
    if hidden > 0:
        lines.append(f"... and {hidden} more")
    if failed or pending or carried:
        lines.append("the next sweep dispatches every shard that is not done again")
    title = (f"{job} sweep {sweep.sweep}: {done} of {total} shard(s) done, {failed} failed, "
             f"{pending + carried} pending")
    return Finding(rule=RULE, severity=severity, resource=f"sweep/{sweep.sweep}", title=title,
                   details="\n".join(lines), scope=summary_scope(job), labels={"sweep": sweep.sweep},
                   evidence={"done": done, "failed": failed, "pending": pending, "carried": carried, "shards": total},
                   job=job, notice=True,
                   fix="" if not failed else "see each failed shard's reason: a member role that does not trust the "
                                              "function's role, or lacks a permission, fails every sweep")


def wanted(sweep: SweepView, mode: str) -> bool:
    """Whether ``organization.summary`` (``mode``) asks for this sweep's summary."""
    if mode == "never":
        return False
    if mode == "problems":
        return any(s.status != DONE for s in sweep.shards)
    return True


def aggregate(sweep: SweepView, job: str, config: AcrguardConfig, factory: ClientFactory,
              store_of_central: StateStore | None = None) -> Aggregate:
    """The findings and scopes of the sweep's done shards, read from their records, and the summary notice.

    With ``store_of_central`` (the function's central state) the summary is told at once, ahead of
    the findings (``tell_first``).
    """
    from acrguard.state import open_store

    result = Aggregate()
    org = config.organization
    for shard in sweep.shards:
        if shard.status != DONE:
            continue
        account, region = _split(shard.key)
        store = open_store(config.state, factory, read_only=True, job=job, namespace=namespace(account, region))
        try:
            found = outcomes.read(store, sweep.sweep)
        finally:
            store.close()
        if found is None:
            result.unread.append(shard.key)
            continue
        findings, scopes = found
        result.findings += findings
        result.scopes |= scopes
    if org is not None and wanted(sweep, org.summary):
        notice = summary_finding(sweep, job)
        if tell_first(notice, job, config, store_of_central):
            result.told.append(sweep.sweep)
        else:  # told with the findings, by the handler's own alert run
            result.findings.append(notice)
            result.scopes.add(summary_scope(job))
    return result


def tell_first(notice: Finding, job: str, config: AcrguardConfig, store: StateStore | None) -> bool:
    """Send the summary through an alert run of its own, ahead of the sweep's findings (True when it ran).

    A sweep may bring more findings than one alert run sends (``alerts.max_messages_per_run``); the
    summary must not wait behind them. When this run cannot happen (no central store, or the state
    failed), the summary goes with the findings instead.
    """
    if store is None:
        return False
    from acrguard.alerts.pipeline import AlertPipeline
    from acrguard.errors import StateError

    try:
        AlertPipeline(config.alerts, store).process(job, [notice], {summary_scope(job)})
    except StateError:
        return False
    return True
