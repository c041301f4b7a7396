"""The pull-key auditor as a job: a full audit on the timer, a targeted re-audit on a RAM event.

A full audit observes every pull user, so its findings are complete for every scope of the job
(``ALL_SCOPES``): a user who stopped being a pull user, or was fixed, resolves. One that could not
read a source (a cluster, a ConfigMap file) observes only what it read
(``AuditResult.scopes_observed``): what it could not see is unknown, not absent. A re-audit
observes only the users the event touches (one scope per user, ``ram-user/<name>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acrguard.events.routing import PULLKEY_AUDITOR
from acrguard.jobs.base import JobContext, JobResult

if TYPE_CHECKING:
    from acrguard.events.routing import RouteResult
    from acrguard.findings import Actor
    from acrguard.pullkeys.audit import AuditResult, PullKeyAuditor


def _auditor(ctx: JobContext) -> PullKeyAuditor:
    from acrguard.pullkeys.audit import PullKeyAuditor

    instance_ids = [i.instance_id for i in ctx.config.instances]
    owners = None
    if ctx.other_accounts:  # an organisation: keys this account does not own are looked up in the others
        from acrguard.pullkeys.owners import OtherAccounts

        owners = OtherAccounts(ctx.other_accounts)
    return PullKeyAuditor(ctx.factory, ctx.config.pull_keys, instance_ids=instance_ids,
                          region=ctx.config.cloud.region, owners=owners)


class PullKeyAuditorJob:
    """Adapter from ``acrguard.pullkeys.audit`` to the ``Job`` interface."""

    name = PULLKEY_AUDITOR

    def sweep(self, ctx: JobContext) -> JobResult:
        """Audit every pull user of the account (every scope observed, unless something could not be read)."""
        result = _auditor(ctx).full_audit()
        return self._result(result, result.scopes_observed())

    def handle(self, ctx: JobContext, routed: RouteResult, actor: Actor | None) -> JobResult:
        """Re-audit the users the event touches (re-reading RAM; the event is not trusted)."""
        from acrguard.pullkeys.audit import EventFacts, user_scope

        ids: dict[str, str] = {}
        for resource in routed.resources:
            ids.setdefault(resource.type, resource.id)
        policy_type, _, policy_name = ids.get("ram-policy", "").partition(":")
        facts = EventFacts(event_name=routed.event_name or "", user_name=ids.get("ram-user"),
                           group_name=ids.get("ram-group"), policy_name=policy_name or None,
                           policy_type=policy_type or None, actor=actor, event_id=routed.id)
        result = _auditor(ctx).reaudit(facts)
        scopes = {user_scope(user) for user in result.touched}
        return self._result(result, scopes, actor)

    @staticmethod
    def _result(result: AuditResult, scopes: set[str], actor: Actor | None = None) -> JobResult:
        from dataclasses import replace

        findings = result.all_findings()
        if actor is not None:
            findings = [f if f.actor is not None else replace(f, actor=actor) for f in findings]
        scopes = scopes | {f.scope for f in findings}
        return JobResult(findings=findings, scopes=scopes,
                         summary={"trigger": result.trigger, "verdict": result.verdict.value,
                                  "identities": len(result.identities),
                                  **({"read_plan": result.read_plan} if result.read_plan else {})})


JOB = PullKeyAuditorJob()
