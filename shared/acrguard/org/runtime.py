"""What the handler does in an organisation: coordinate a sweep, run one shard, or handle a member's event.

* A timer invocation is the **coordinator**: it summarises earlier sweeps nobody summarised (a shard
  lost or still running), resolves the accounts, plans the shards, records the sweep and invokes the
  function asynchronously once per shard (``fanout``). A shard whose previous run is still pending
  (dispatched less than ``stale_after_seconds`` ago) is not dispatched again: it is ``carried``.
* A shard invocation runs the job's sweep in its account and region, with a factory from
  ``AssumeRole`` (``assume``), its part of the config (``shards.shard_config``) and its own state
  namespace, keeps its findings (``outcomes``) and records its status in the sweep record. A
  transient failure is recorded as a failed attempt and raised, so FC retries it; a permanent one
  (``NoPermission`` from STS: the member role does not trust the function's role) settles the shard
  as failed. The shard that completes the sweep sends the summary and every shard's findings.
* An event (ActionTrail, ACR) is handled in the account and region it names (``events.accounts``),
  with that account's credentials and state, and its findings are told at once. An account that is
  not the organisation's is not entered: the event is ignored with the reason.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acrguard.errors import BadInputError, CloudCallError, StateError, TransientCloudError
from acrguard.events.shard import ShardEvent
from acrguard.jobs.base import JobContext, JobResult
from acrguard.org import outcomes, sweeps
from acrguard.org.shards import GLOBAL_JOBS, namespace, plan, shard_config, sweep_id
from acrguard.org.summary import Aggregate, aggregate

if TYPE_CHECKING:
    from acrguard.config.organization import OrganizationConfig
    from acrguard.events.routing import RouteResult
    from acrguard.findings import Actor
    from acrguard.jobs.base import Job


@dataclass(frozen=True)
class Place:
    """Where the function runs: its name, region and account (the central account)."""

    function: str
    region: str
    account: str


def place_of(ctx: JobContext, job: str, context: Any) -> Place:
    """The function's name, region and account, from the FC context (else the config and STS)."""
    from acrguard.functions import function
    from acrguard.runtime.logs import describe

    info = describe(context)
    org = ctx.config.organization
    assert org is not None
    account = org.central_account_id or info["account_id"] or _caller_account(ctx)
    return Place(info["function"] or function(job).fc_name, info["region"] or ctx.config.cloud.region, account)


def _caller_account(ctx: JobContext) -> str:
    """The central account from STS ``GetCallerIdentity`` (no permission needed)."""
    from acrguard.clients import call

    body = call("sts", "GetCallerIdentity", ctx.factory.sts().get_caller_identity)
    return str(body.account_id)


def run_in_organization(job: str, jobmod: Job, ctx: JobContext, decoded: Any, routed: RouteResult,
                        actor: Actor | None, context: Any) -> JobResult:
    """Handle one routed event of ``job`` in the organisation ``ctx.config.organization`` (module docstring)."""
    where = place_of(ctx, job, context)
    if isinstance(decoded, ShardEvent):
        return run_shard(job, jobmod, ctx, decoded, where)
    if routed.kind == "timer":
        return coordinate(job, ctx, routed, where, getattr(decoded, "trigger_time", None))
    return handle_event(job, jobmod, ctx, decoded, routed, actor, where)


# -- the coordinator ------------------------------------------------------------------------------


def _merge(into: Aggregate, more: Aggregate) -> None:
    into.findings += more.findings
    into.scopes |= more.scopes
    into.unread += more.unread
    into.told += more.told


def coordinate(job: str, ctx: JobContext, routed: RouteResult, where: Place, fired: Any = None) -> JobResult:
    """Summarise earlier sweeps, then plan, record and dispatch this one (see the module docstring).

    The sweep's id comes from the timer's firing (``fired``, its trigger time), so FC's retry of a
    coordinator that failed half-way continues the same sweep: shards already dispatched are sent
    again, and each runs once (their payloads, and so their deduplication keys, are the same).
    """
    from acrguard.org import accounts, fanout

    org = ctx.config.organization
    assert org is not None and routed.correlation_id is not None
    now = time.time()
    sweep = sweep_id(routed.correlation_id, fired)
    token = uuid.uuid4().hex
    told = Aggregate()
    for earlier in sweeps.claim_unsummarized(ctx.store, job, sweep, token, now):
        _merge(told, aggregate(earlier, job, ctx.config, ctx.factory, ctx.store))
    roster = accounts.resolve(org, ctx.factory, where.account)
    sweeps.save_roster(ctx.store, [{"id": m.id, "regions": list(m.regions), "central": m.central}
                                   for m in roster.members], roster.source, now)
    shards = plan(job, ctx.config, roster, sweep, where.account)
    busy = {key: earlier for key, earlier in sweeps.in_flight(ctx.store, job, now, org.stale_after_seconds).items()
            if earlier != sweep}
    carried = {s.key: busy[s.key] for s in shards if s.key in busy}
    if shards:
        sweeps.start(ctx.store, job, sweep, shards, carried, now)
    results = fanout.dispatch(ctx.factory, where.function, where.region, [s for s in shards if s.key not in carried],
                              org.dispatch_workers)
    undispatched = [r for r in results if r.error]
    for result in undispatched:
        view, claimed = sweeps.record(ctx.store, sweep, job, result.shard.key, sweeps.FAILED, final=True,
                                      error=f"could not be dispatched: {result.error}", now=time.time(), claim=token)
        if claimed:
            _merge(told, aggregate(view, job, ctx.config, ctx.factory, ctx.store))
    if shards and len(carried) == len(shards):  # nothing dispatched: the sweep is complete as it starts
        view, claimed = sweeps.record(ctx.store, sweep, job, shards[0].key, sweeps.CARRIED, final=True,
                                      error=f"still running in sweep {carried[shards[0].key]}", now=now, claim=token)
        if claimed:
            _merge(told, aggregate(view, job, ctx.config, ctx.factory, ctx.store))
    ctx.log.decision("org-sweep-dispatched", sweep=sweep, accounts=len(roster.members), skipped=len(roster.skipped),
                     shards=len(shards), dispatched=len(results) - len(undispatched), undispatched=len(undispatched),
                     carried=len(carried), source=roster.source, directory_calls=roster.calls)
    return JobResult(findings=told.findings, scopes=told.scopes,
                     summary={"org_sweep": sweep, "accounts": len(roster.members), "shards": len(shards),
                              "dispatched": len(results) - len(undispatched), "carried": len(carried),
                              "summarized": told.told + [f.labels.get("sweep", "") for f in told.findings
                                                         if f.rule == "org.sweep-summary"]})


# -- a shard ----------------------------------------------------------------------------------------


def _refusal(org: OrganizationConfig, shard: ShardEvent, central: str) -> str | None:
    """Why a shard payload names nothing of this organisation (None: it does)."""
    if org.excluded(shard.account):
        return f"account {shard.account} is excluded (organization.resource_directory.exclude_accounts)"
    listed = org.listed(shard.account)
    if org.resource_directory is None and listed is None and not (shard.account == central
                                                                   and org.include_central_account):
        return f"account {shard.account} is not one of organization.accounts"
    regions = (listed.regions if listed is not None and listed.regions else None) or org.regions
    if shard.region and shard.region not in regions:
        return f"region {shard.region} is not one of the account's regions ({', '.join(regions)})"
    return None


def _shard_context(ctx: JobContext, job: str, account: str, region: str, where: Place, run_id: str,
                   ) -> JobContext:
    """The job context of one account and region: its credentials, its part of the config, its own state.

    ``central_factory`` keeps the function's own credentials at hand for what stays in the central
    account (the keeper's ``oss://`` exports); the state already does (``open_store`` with ``ctx.factory``).
    """
    from acrguard.org.assume import Sessions
    from acrguard.state import open_store

    org = ctx.config.organization
    assert org is not None
    sessions = Sessions(ctx.factory, org, where.account, where.function, run_id)
    factory = sessions.factory(account, region or ctx.config.cloud.region)
    store = open_store(ctx.config.state, ctx.factory, job=job, namespace=namespace(account, region))
    others = _other_accounts(ctx, sessions, account, region) if job in GLOBAL_JOBS else None
    return JobContext(config=shard_config(ctx.config, account, region, where.account), factory=factory, store=store,
                      log=ctx.log, dry_run=ctx.dry_run, other_accounts=others, central_factory=ctx.factory)


def _other_accounts(ctx: JobContext, sessions: Any, account: str, region: str) -> dict[str, Any]:
    """The organisation's accounts other than ``account``, each a function returning a factory for it.

    The accounts of the last roster (or the listed ones), each entered through ``AssumeRole`` only
    when called: the pull-key auditor asks one only when it searches a key there.
    """
    org = ctx.config.organization
    assert org is not None
    roster = sweeps.saved_roster(ctx.store)
    members = [str(m.get("id")) for m in (roster or {}).get("members", []) if isinstance(m, dict)] \
        or [a.id for a in org.accounts]
    where = region or ctx.config.cloud.region
    return {m: (lambda m=m: sessions.factory(m, where)) for m in members if m and m != account}


def run_shard(job: str, jobmod: Job, ctx: JobContext, shard: ShardEvent, where: Place) -> JobResult:
    """Sweep one shard, keep its findings, record its status; send the sweep's summary if it completes it."""
    org = ctx.config.organization
    assert org is not None
    token = uuid.uuid4().hex
    attempts = 1 + org.async_retries
    summary = {"org_sweep": shard.sweep, "shard": shard.key}
    why = _refusal(org, shard, where.account)
    if why is not None or shard.job != job:
        why = why or f"the payload names the job {shard.job!r}, not {job!r}"
        ctx.log.decision("org-shard-refused", reason=why, **summary)
        return JobResult(summary={**summary, "refused": why}, alerts=False)
    sub: JobContext | None = None
    try:
        sub = _shard_context(ctx, job, shard.account, shard.region, where, shard.sweep)
        result = jobmod.sweep(sub)
        local = outcomes.expanded(sub.store, set(result.scopes), result.findings)
        findings = outcomes.qualify(result.findings, shard.account, shard.key)
        scopes = {outcomes.qualified_scope(shard.key, s) for s in local}
        if result.retry:
            raise _PartlyDone(findings, result.changes)
        outcomes.keep(sub.store, shard.sweep, findings, scopes, result.changes, local)
    except _PartlyDone as partly:
        sweeps.record(ctx.store, shard.sweep, job, shard.key, sweeps.FAILED, attempt=True, max_attempts=attempts,
                      error="a read or write failed transiently after changes were made", now=time.time())
        return JobResult(findings=[f for f in partly.findings if f.notice], changes=partly.changes, retry=True,
                         summary=summary)
    except (TransientCloudError, StateError) as exc:
        view, claimed = sweeps.record(ctx.store, shard.sweep, job, shard.key, sweeps.FAILED, attempt=True,
                                      max_attempts=attempts, error=str(exc), now=time.time(), claim=token)
        if not claimed:
            raise  # FC retries the invocation (or, after its last attempt, hands it to the failure destination)
        return _told(view, job, ctx, summary)
    except (CloudCallError, BadInputError) as exc:
        view, claimed = sweeps.record(ctx.store, shard.sweep, job, shard.key, sweeps.FAILED, final=True,
                                      error=str(exc), now=time.time(), claim=token)
        ctx.log.decision("org-shard-failed", error=str(exc), **summary)
        return _told(view, job, ctx, summary) if claimed else JobResult(summary=summary, alerts=False)
    finally:
        if sub is not None:
            sub.store.close()
    view, claimed = sweeps.record(ctx.store, shard.sweep, job, shard.key, sweeps.DONE, now=time.time(), claim=token)
    summary.update(shard_findings=len(findings), shard_changes=len(result.changes))
    if not claimed:
        return JobResult(changes=result.changes, summary=summary, alerts=False)
    told = _told(view, job, ctx, summary)
    told.changes = result.changes
    return told


class _PartlyDone(Exception):
    """A shard's sweep changed something, then failed transiently: its notices are told, then FC retries it."""

    def __init__(self, findings: list[Any], changes: list[str]) -> None:
        super().__init__("partly done")
        self.findings = findings
        self.changes = changes


def _told(view: sweeps.SweepView, job: str, ctx: JobContext, summary: dict[str, Any]) -> JobResult:
    """The sweep's summary and every done shard's findings, for the central alert pipeline."""
    found = aggregate(view, job, ctx.config, ctx.factory, ctx.store)
    ctx.log.decision("org-sweep-summarized", sweep=view.sweep, shards=len(view.shards), done=view.count(sweeps.DONE),
                     failed=view.count(sweeps.FAILED), pending=view.count(sweeps.PENDING), unread=found.unread)
    return JobResult(findings=found.findings, scopes=found.scopes, summary={**summary, "summarized": view.sweep})


# -- an event of a member account ------------------------------------------------------------------


def _member_of(ctx: JobContext, account: str, central: str) -> str | None:
    """Why ``account`` is not entered for an event (None: it is one of the organisation's)."""
    from acrguard.org import accounts

    org = ctx.config.organization
    assert org is not None
    if account == central:
        return None if org.include_central_account else "the central account is not swept (include_central_account)"
    if org.excluded(account):
        return f"account {account} is excluded (organization.resource_directory.exclude_accounts)"
    if org.resource_directory is None:
        return None if org.listed(account) else f"account {account} is not one of organization.accounts"
    roster = sweeps.saved_roster(ctx.store)
    members = {str(m.get("id")) for m in (roster or {}).get("members", []) if isinstance(m, dict)}
    if not members:  # no sweep has resolved the directory yet: ask it now
        members = {m.id for m in accounts.resolve(org, ctx.factory, central).members}
    return None if account in members else f"account {account} is not a member the organisation's filters select"


def handle_event(job: str, jobmod: Job, ctx: JobContext, decoded: Any, routed: RouteResult, actor: Actor | None,
                 where: Place) -> JobResult:
    """Handle an event in the account and region it names, with that account's credentials and state."""
    from acrguard.events.accounts import event_place

    found = event_place(decoded)
    account = found.account or where.account
    region = "" if job in GLOBAL_JOBS else (found.region or ctx.config.cloud.region)
    why = _member_of(ctx, account, where.account)
    if why is not None:
        ctx.log.decision("org-event-outside", account=account, reason=why)
        return JobResult(summary={"account": account, "ignored": why}, alerts=False)
    run_id = (getattr(decoded, "id", None) or routed.correlation_id or uuid.uuid4().hex)[:36]
    sub = _shard_context(ctx, job, account, region, where, run_id)
    try:
        result = jobmod.sweep(sub) if routed.sweep else jobmod.handle(sub, routed, actor)
        key = f"{account}/{region}" if region else account
        local = outcomes.expanded(sub.store, set(result.scopes), result.findings)
    finally:
        sub.store.close()
    return JobResult(findings=outcomes.qualify(result.findings, account, key),
                     scopes={outcomes.qualified_scope(key, s) for s in local}, changes=result.changes,
                     summary={**result.summary, "account": account, "region": region,
                              "account_from": found.account_from},
                     retry=result.retry)
