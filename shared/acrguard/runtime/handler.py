"""The one handler behind every function: decode, deduplicate, route, run the job, alert, log.

Error policy (docs/guarantees.md: bad input gets a clear answer, never a crash loop):

* a malformed event or an invalid config is logged (with the event id) and reported once; the
  invocation returns normally, so FC does not retry it forever;
* a transient cloud failure (throttling, 5xx, network, a lost state race) raises, so FC's async
  retry runs the invocation again; the event's dedup claim is released first. A job that changed
  something before the failure returns ``JobResult.retry``: the notices of its changes are sent
  (nothing else, nothing resolved), then the invocation raises the same way;
* a permanent cloud error (e.g. ``NoPermission``) becomes a finding with the fix, and the event
  is marked done.

Duplicates (same ``source`` + ``id``) are skipped through the state store (``events.dedup``).
The result says what the invocation read and wrote in the state store (``state``: records read,
written and deleted, and the bytes written), so a log line shows what an event cost.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from acrguard.errors import AcrguardError, BadInputError, CloudCallError, ConfigError, StateError, TransientCloudError
from acrguard.findings import Finding, Severity
from acrguard.runtime import settings
from acrguard.runtime.logs import DecisionLog, describe


class RetryLater(TransientCloudError):
    """Fail so FC retries the invocation: another invocation holds this event, or a transient failure
    left work undone after the findings of what was done were sent."""


def initialize_job(job: str, context: Any) -> None:
    """FC initializer: import the job and load the config once, so the first event is faster."""
    from acrguard import jobs

    jobs.load(job)
    with contextlib.suppress(ConfigError):  # reported by the first invocation, with the event id
        settings.load(context)


def _secrets(config: Any) -> tuple[str, ...]:
    values = []
    creds = getattr(getattr(config, "cloud", None), "credentials", None)
    if creds is not None:
        values += [creds.access_key_secret, creds.security_token or ""]
    for channel in getattr(getattr(config, "alerts", None), "channels", ()) or ():
        values += [channel.url, channel.secret or ""]
    values += list(getattr(config, "expanded_values", ()) or ())  # every ${NAME} value is a secret
    return tuple(v for v in values if v)


def _problem(job: str, rule: str, scope: str, title: str, fix: str, severity: Severity = Severity.HIGH,
             **evidence: Any) -> Finding:
    return Finding(rule=rule, severity=severity, resource=scope, scope=scope, title=title, fix=fix,
                   evidence=evidence, job=job)


def _fix_for(exc: Exception) -> str:
    """What to do about a permanent failure of a job."""
    denied = getattr(exc, "status", None) == 403 or "Permission" in (getattr(exc, "code", None) or "")
    if denied:
        return "grant the function's role the missing permission (see deploy/policies/)"
    return "see the error; the next sweep retries"


def _flow_summary(factory: Any) -> dict[str, Any]:
    """What pacing cost this invocation: calls, seconds waited for a place, throttled answers, the longest waits.

    Empty when flow control is off (``cloud.flow_control.enabled: false``). A shard of an
    organisation paces each member account on its own (``acrguard.org.assume``); those calls are not
    counted here.
    """
    flow = getattr(factory, "flow_control", None)
    if flow is None:
        return {}
    stats = flow.stats()
    waits = sorted(((c["waited_s"], op) for op, c in stats.items() if c["waited_s"] > 0), reverse=True)[:3]
    return {"calls": sum(c["calls"] for c in stats.values()),
            "waited_s": round(sum(c["waited_s"] for c in stats.values()), 3),
            "throttled": sum(c["throttled"] for c in stats.values()),
            "longest_waits": {op: waited for waited, op in waits}}


def _release_after_bug(store: Any, key: str, job: str, log: DecisionLog) -> None:
    """Release an event's claim after an unexpected error, so FC's retry is not told "in progress"."""
    from acrguard.events.dedup import release

    log.decision("internal-error", key=key, retry="FC async retry")
    with contextlib.suppress(Exception):  # the error being raised is the one to see
        release(store, key, job=job)


def run_job(job: str, event: Any, context: Any, *, config: Any = None, transport: Any = None) -> dict[str, Any]:
    """Handle one FC invocation of ``job``; returns a JSON-ready summary (FC logs it for sync calls)."""
    from acrguard.alerts.pipeline import AlertPipeline
    from acrguard.clients import ClientFactory
    from acrguard.events import decode_events, route
    from acrguard.events.dedup import Claim, claim, complete, idempotency_key, release
    from acrguard.events.errors import MalformedEventError
    from acrguard.jobs import JobContext, load
    from acrguard.state import open_store

    started = time.monotonic()
    log = DecisionLog(base={"job": job, **describe(context)})
    try:
        config = config or settings.load(context)
    except ConfigError as exc:
        log.decision("config-invalid", source=exc.source, errors=exc.problems)
        return {"status": "config-error", "errors": exc.problems}
    log.secrets = _secrets(config)
    factory = ClientFactory.from_config(config, context)
    try:
        store = open_store(config.state, factory, job=job)  # in OSS, this function's own records
    except StateError as exc:
        log.decision("state-unreadable", error=str(exc))
        raise
    pipeline = AlertPipeline(config.alerts, store, transport=transport)
    try:
        events = decode_events(event)
    except MalformedEventError as exc:
        scope = f"event:{exc.event_id or 'unknown'}"
        log.decision("malformed-event", event_id=exc.event_id, path=exc.path, problem=exc.problem)
        pipeline.process(job, [_problem(job, "event.malformed", scope, f"malformed event {exc.event_id or ''}"
                                        .strip() + " ignored", "check the trigger's event schema (CloudEvents) "
                                        "and `acrguard event explain` the payload", Severity.MEDIUM,
                                        path=exc.path, problem=exc.problem)], {scope})
        return {"status": "bad-input", "error": str(exc)}
    jobmod = load(job)
    outcomes = []
    for decoded in events:
        routed = route(decoded)
        log.bind(correlation_id=routed.correlation_id)
        if not routed.handled or job not in routed.functions:
            log.decision("ignored", kind=routed.kind, reason=routed.reason if not routed.handled else
                         f"routed to {', '.join(routed.functions)}, not {job}")
            outcomes.append({"id": routed.correlation_id, "status": "ignored"})
            continue
        key = idempotency_key(decoded)
        state = claim(store, key, job=job)
        if state is Claim.DUPLICATE:
            log.decision("duplicate", key=key)
            outcomes.append({"id": routed.correlation_id, "status": "duplicate"})
            continue
        if state is Claim.IN_PROGRESS:
            log.decision("in-progress-elsewhere", key=key)
            raise RetryLater(job, "InProgress", f"event {key} is being handled by another invocation")
        record = getattr(decoded, "record", None)
        actor = record.actor(getattr(decoded, "id", None)) if record is not None else None
        ctx = JobContext(config=config, factory=factory, store=store, log=log, dry_run=config.dry_run)
        try:
            if getattr(config, "organization", None) is not None:  # many accounts: acrguard.org
                from acrguard.org.runtime import run_in_organization

                result = run_in_organization(job, jobmod, ctx, decoded, routed, actor, context)
            elif routed.kind == "shard":
                log.decision("ignored", kind=routed.kind, reason="a shard payload, but the config has no "
                             "'organization:' section")
                complete(store, key, job=job)
                outcomes.append({"id": routed.correlation_id, "status": "ignored"})
                continue
            else:
                result = jobmod.sweep(ctx) if routed.sweep else jobmod.handle(ctx, routed, actor)
        except (TransientCloudError, StateError) as exc:
            release(store, key, job=job)
            log.decision("transient-failure", error=str(exc), retry="FC async retry")
            raise
        except KeyboardInterrupt:  # `acrguard invoke` stopped by Ctrl-C: the next run must not see "in progress"
            release(store, key, job=job)
            log.decision("interrupted", key=key)
            raise
        except (CloudCallError, BadInputError) as exc:
            scope = f"job:{job}"
            log.decision("failed", error=str(exc))
            pipeline.process(job, [_problem(job, "job.failed", scope, f"{job} could not finish: {exc}",
                                            _fix_for(exc))], {scope})
            complete(store, key, job=job)
            outcomes.append({"id": routed.correlation_id, "status": "failed", "error": str(exc)})
            continue
        except Exception:  # a bug: FC's retry may run it again, so the claim must not outlive this attempt
            _release_after_bug(store, key, job, log)
            raise
        if result.retry:
            # Cut short after changing something: tell what was changed (the notices), leave every other
            # finding to the retry, which observes the whole again (so nothing resolves or fires twice).
            report = pipeline.process(job, [f for f in result.findings if f.notice], (), partial=True)
            release(store, key, job=job)  # the retry must not be taken for a duplicate
            log.decision("transient-failure", changes=result.changes, alerts=report.summary(),
                         retry="FC async retry, after telling what this attempt changed")
            raise RetryLater(job, "PartlyDone", f"{job} changed {len(result.changes)} thing(s), then a read or "
                             "write failed transiently; the invocation is retried for the rest")
        # an organisation's shard has nothing to tell by itself: its sweep's summary sends its findings
        try:
            alerts = pipeline.process(job, result.findings, result.scopes | {f"job:{job}"}).summary() \
                if result.alerts else {}
        except Exception:
            _release_after_bug(store, key, job, log)
            raise
        complete(store, key, job=job)
        log.decision("done", sweep=routed.sweep, findings=len(result.findings), changes=result.changes,
                     alerts=alerts, flow_control=_flow_summary(factory), **result.summary)
        outcomes.append({"id": routed.correlation_id, "status": "done", "findings": len(result.findings),
                         "changes": result.changes, "alerts": alerts})
    return {"status": "ok", "job": job, "events": outcomes, "duration_ms": round((time.monotonic() - started) * 1000),
            "state": store.stats.to_dict(), "flow_control": _flow_summary(factory)}


__all__ = ["AcrguardError", "RetryLater", "initialize_job", "run_job"]
