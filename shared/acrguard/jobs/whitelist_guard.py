"""The whitelist guard as a job: sweeps on timers, re-checks one instance on an ActionTrail event."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from acrguard.errors import TransientCloudError
from acrguard.events.routing import WHITELIST_GUARD
from acrguard.jobs.base import JobContext, JobResult

if TYPE_CHECKING:
    from acrguard.events.routing import RouteResult
    from acrguard.findings import Actor
    from acrguard.whitelist.guard import WhitelistResult


class WhitelistGuardJob:
    """Adapter from ``acrguard.whitelist.guard`` to the ``Job`` interface."""

    name = WHITELIST_GUARD

    def sweep(self, ctx: JobContext) -> JobResult:
        """Check and hold every instance with a ``whitelist:`` section."""
        from acrguard.whitelist.guard import run_sweep

        return self._result(run_sweep(ctx.config, ctx.factory, ctx.store))

    def handle(self, ctx: JobContext, routed: RouteResult, actor: Actor | None) -> JobResult:
        """Re-check the instance(s) the event names, with the caller on the findings."""
        from acrguard.whitelist.guard import handle_event

        merged = JobResult()
        for resource in routed.resources:
            if resource.type != "cr-instance":
                continue
            part = self._result(handle_event(ctx.config, ctx.factory, ctx.store, resource.id,
                                             routed.event_name or "", actor, facts=dict(routed.details)))
            merged.findings += part.findings
            merged.scopes |= part.scopes
            merged.changes += part.changes
            merged.retry = merged.retry or part.retry
        return merged

    @staticmethod
    def _result(result: WhitelistResult) -> JobResult:
        changes = [f"{run.instance_id}: {op.action} {op.operation.entry}".strip()
                   for run in result.runs if run.applied is not None
                   for op in run.applied.results if op.outcome == "done"]
        if result.transient and not changes:
            raise TransientCloudError("whitelist", "Transient", "a read or write failed transiently; "
                                      "the invocation is retried (adds are idempotent, the ACL was never emptied)")
        findings, scopes = [], set(result.observed_scopes)
        for run in result.runs:
            # Failures to check an instance live in a scope of their own, observed on every run (so
            # they resolve once the instance can be checked again); the instance's own findings stand
            # while it cannot be observed (unknown is not absent).
            failure_scope = f"{run.instance_id}/run"
            scopes.add(failure_scope)
            if run.error is None:
                findings.extend(run.findings)
            else:
                findings.extend(replace(f, scope=failure_scope) for f in run.findings)
        return JobResult(findings=findings, scopes=scopes, changes=changes,
                         summary={"instances": len(result.runs), "dry_run": result.dry_run},
                         retry=result.transient)


JOB = WhitelistGuardJob()
