"""The endpoint keeper's findings about targets, writes and exports (discovery findings come from ``desired``).

Rules (scoped to the instance id, except the run's own trouble, see ``run_scope``; ``labels``
name the target or export):

* notices, events rather than lasting conditions (prefix ``routes.changed``, see ``NOTICE_PREFIX``):
  ``routes.changed`` (routes added/removed on one target; for an IPsec connection it says the
  tunnel renegotiates) and ``routes.changed.export`` (an IDC export was rewritten, with its diff).
  Their ``change`` label is a digest of what changed, so each distinct change is its own finding;
* ``routes.refused``: desired prefixes a target will not take, one finding per target and reason
  (also those the cloud itself refused, e.g. ``service_range`` on a VBR table, with the alternative);
* ``routes.blast-radius``: the run's removals were stopped;
* ``routes.quota-pressure``: a target will be at least 80 % full after the plan;
* ``routes.ledger-unproven``: IPsec ledger items acrguard could not have made, which it never removes;
* ``routes.target-unreadable``, ``routes.apply-failed``, ``routes.export-failed``,
  ``routes.state-unreadable``, ``routes.targets-invalid``: something could not be done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from acrguard.events.routing import ENDPOINT_KEEPER
from acrguard.findings import Finding, Severity
from acrguard.redact import redact_text
from acrguard.routes.plan import BlastRadius, KeptRoute, TargetDecision, usage_after
from acrguard.routes.targets.base import ApplyResult, Refusal, RouteChange, TargetPlan

JOB = ENDPOINT_KEEPER  # the job name the alert pipeline and the handler use
#: rules with this prefix are notices of something acrguard did, not conditions that last
NOTICE_PREFIX = "routes.changed"

_REFUSAL_SEVERITY = {"reserved_range": Severity.LOW, "out_of_range": Severity.LOW, "foreign": Severity.MEDIUM,
                     "quota": Severity.HIGH, "unsupported": Severity.MEDIUM, "service_range": Severity.HIGH}
_REFUSAL_FIX = {
    "reserved_range": "Nothing breaks: the VPC's system route already covers 100.64.0.0/10. To silence this, "
                      "limit the target's families (routes.targets[].families) to those it can take.",
    "out_of_range": "Nothing breaks: the address is reached through the attached VPC. To silence this, limit the "
                    "target's families (routes.targets[].families), e.g. [auth, oss] for CEN cloud-service access.",
    "foreign": "An entry acrguard did not create holds the destination; acrguard never changes it. Check that it "
               "points toward the registry; if it should be acrguard's, delete it by hand and the next run adds "
               "a marked one.",
    "quota": "Free entries on the target or raise its quota (routes.targets[].quota, and the cloud quota); until "
             "then the listed prefixes are not routed and pulls that need them fail.",
    "unsupported": "See the reason; for an IPsec connection in destination-routing mode use VPN route entries "
                   "instead of LocalSubnet.",
    "service_range": "Route the cloud-service prefixes through CEN cloud-service access (a cen_service target) "
                     "and limit this target's families to [vpc_endpoint].",
}


def is_notice(finding: Finding) -> bool:
    """Whether a finding reports something acrguard did (an event), not a lasting condition."""
    return finding.notice


def _finding(rule: str, severity: Severity, instance_id: str, title: str, details: str, fix: str = "",
             evidence: Mapping[str, Any] | None = None, **labels: str) -> Finding:
    notice = rule == NOTICE_PREFIX or rule.startswith(NOTICE_PREFIX + ".")
    return Finding(rule=rule, severity=severity, resource=instance_id, scope=instance_id, title=title,
                   details=details, fix=fix, labels=labels, evidence=dict(evidence or {}), job=JOB, notice=notice)


def _digest(lines: Iterable[str]) -> str:
    """A short id of one change: two different changes are two notices, the same change repeated is one."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def _lines(sign: str, changes: Iterable[RouteChange], done: Iterable[str]) -> list[str]:
    finished = set(done)
    seen: set[str] = set()
    out = []
    for change in changes:
        if change.prefix in finished and change.prefix not in seen:
            seen.add(change.prefix)
            out.append(f"{sign} {change.prefix} ({change.family})")
    return out


def changed(instance: str, instance_id: str, decision: TargetDecision, result: ApplyResult) -> Finding | None:
    """The notice of what one apply changed on one target (None when it changed nothing)."""
    plan = decision.plan
    added = _lines("+", plan.adds, result.created)
    removed = _lines("-", plan.removes, result.deleted)
    if not added and not removed:
        return None
    counts = ", ".join(part for part in (f"added {len(added)}" if added else "",
                                         f"removed {len(removed)}" if removed else "") if part)
    vpn = plan.target_type == "vpn_connection"
    title = f"acrguard {counts} route(s) on {plan.label} for {instance}"
    details = "\n".join(added + removed)
    if vpn or result.renegotiates_tunnel:
        title = f"acrguard changed LocalSubnet of {plan.label} for {instance} ({counts}): the IPsec tunnel renegotiates"
        details += ("\nThis renegotiates the IPsec tunnel (phase 2) of the connection: traffic through it may pause "
                    "for a few seconds.")
    return _finding(NOTICE_PREFIX, Severity.MEDIUM if vpn else Severity.LOW, instance_id, title, details,
                    "Nothing to do in the cloud. On the IDC side, route the same prefixes toward the cloud (see the "
                    "exports, or `acrguard routes plan`).",
                    {"created": list(result.created), "deleted": list(result.deleted),
                     "target_type": plan.target_type, "renegotiates_tunnel": result.renegotiates_tunnel},
                    target=plan.target_key, change=_digest(added + removed))


def export_changed(instance: str, instance_id: str, fmt: str, destination: str, diff: str,
                   commands: Iterable[str] | None = None, *, kept: str = "") -> Finding:
    """The notice that an IDC export was rewritten, with the ready-to-paste commands and the diff.

    ``kept``: a sentence naming the families the export took from their last observation.
    """
    pasted = list(commands or ())
    details = f"The {fmt} export at {destination} was rewritten."
    if kept:
        details += f" {kept}"
    if pasted:
        details += " Paste on the IDC router (removals first):\n" + "\n".join(pasted)
    details += f"\nDiff:\n{diff}"
    return _finding(f"{NOTICE_PREFIX}.export", Severity.LOW, instance_id,
                    f"IDC export {fmt} for {instance} changed: {destination}", details,
                    "Paste the commands above on the IDC router, or deploy the file from its destination (for DNS "
                    "formats, reload the resolver).", {"diff": diff, "commands": pasted},
                    export=destination, format=fmt, change=_digest([diff]))


def refused(instance: str, instance_id: str, decision: TargetDecision,
            advice: Mapping[str, tuple[Severity, str]] | None = None) -> list[Finding]:
    """One finding per refusal reason on one target; ``advice`` replaces a code's severity and fix."""
    plan = decision.plan
    by_code: dict[str, list[Refusal]] = {}
    for refusal in plan.refusals:
        by_code.setdefault(refusal.code, []).append(refusal)
    out = []
    for code, items in sorted(by_code.items()):
        prefixes = sorted({r.prefix for r in items})
        details = "\n".join(f"{r.prefix} ({r.family}): {r.reason}" for r in items)
        severity, fix = (advice or {}).get(code) or (_REFUSAL_SEVERITY.get(code, Severity.MEDIUM),
                                                     _REFUSAL_FIX.get(code, ""))
        out.append(_finding("routes.refused", severity, instance_id,
                            f"{plan.label} refuses {len(prefixes)} prefix(es) of {instance} ({code})", details,
                            fix, {"prefixes": prefixes}, target=plan.target_key, code=code))
    return out


def blast_radius(instance: str, instance_id: str, stop: BlastRadius, decisions: Sequence[TargetDecision]
                 ) -> Finding:
    """The run's removals were stopped; lists this instance's removals that were kept."""
    kept = [f"{k.prefix} ({k.family}) on {d.plan.label}" for d in decisions for k in d.kept
            if k.cause == "blast_radius"]
    return _finding("routes.blast-radius", Severity.HIGH, instance_id,
                    f"Route removals stopped for {instance}: too many at once",
                    f"{stop.message}. Kept: {', '.join(kept) or 'none of this instance'}. Adds still went ahead.",
                    "Check the plan (acrguard routes plan): if the removals are intended, raise "
                    "safety.max_delete_share for one run or remove the routes by hand; if not, look for what "
                    "changed (the OSS ranges file, the instance's VPC binding).",
                    {**stop.to_dict(), "kept": kept})


def ledger_unproven(instance: str, instance_id: str, plan: TargetPlan, kept: Sequence[KeptRoute]) -> Finding:
    """Ledger items acrguard would remove but could not have made: the ledger alone is no proof; they stay."""
    lines = [f"{k.prefix} ({k.family})" for k in kept]
    return _finding("routes.ledger-unproven", Severity.MEDIUM, instance_id,
                    f"{plan.label}: {len(lines)} ledger item(s) of LocalSubnet are not acrguard's to remove",
                    "The state's ownership ledger lists " + ", ".join(lines) + ", but acrguard's own rules could not "
                    "have produced them for those families (a forged or corrupted state line?). acrguard never "
                    "removes them.",
                    "Check the LocalSubnet of the connection; remove an item by hand if it is not needed, and the "
                    "line from routes.owned in the state.", {"prefixes": [k.prefix for k in kept]},
                    target=plan.target_key)


def quota_pressure(instance: str, instance_id: str, decision: TargetDecision) -> Finding:
    """A target will be at least 80 % full after the plan."""
    quota = decision.current.quota or 0
    used = usage_after(decision)
    plan = decision.plan
    return _finding("routes.quota-pressure", Severity.MEDIUM, instance_id,
                    f"{plan.label} is {used} of {quota} entries full",
                    f"After this run {plan.label} holds {used} entries against a quota of {quota} "
                    f"({round(100 * used / quota)} %). New registry addresses may not fit.",
                    "Remove unused entries from the target or raise its quota before the next address change.",
                    {"used": used, "quota": quota}, target=plan.target_key)


def target_unreadable(instance: str, instance_id: str, target_key: str, label: str, error: str,
                      transient: bool) -> Finding:
    """A target's current entries could not be read: it is left as it is this run."""
    return _finding("routes.target-unreadable", Severity.HIGH, instance_id, f"Cannot read {label} for {instance}",
                    redact_text(error) + ". Nothing was changed on it this run.",
                    "The invocation is retried." if transient else
                    "Check the target id and region in routes.targets and acrguard's RAM permissions.",
                    {"transient": transient}, target=target_key)


def apply_failed(instance: str, instance_id: str, decision: TargetDecision, result: ApplyResult) -> Finding:
    """Some planned writes on a target failed or were skipped."""
    plan = decision.plan
    lines = [f"{f.operation} {f.prefix}: {f.code}: {redact_text(f.message)}" for f in result.failures]
    if result.skipped:
        lines.append(f"not attempted after the failure: {', '.join(sorted(set(result.skipped)))}")
    return _finding("routes.apply-failed", Severity.HIGH, instance_id, f"Route changes on {plan.label} failed for "
                    f"{instance}", "\n".join(lines),
                    "The next run retries (writes are idempotent)." if result.transient else
                    "Check the RAM permissions of the role acrguard runs as (the function's role; in an "
                    "organisation's member account, the member role: deploy/policies/acrguard-member.json) and "
                    "the target's state; the next run retries.",
                    {"transient": result.transient, "codes": sorted({f.code for f in result.failures})},
                    target=plan.target_key)


def export_failed(instance: str, instance_id: str, fmt: str, destination: str, error: str,
                  transient: bool = False) -> Finding:
    """An IDC export could not be rendered, read or written."""
    return _finding("routes.export-failed", Severity.HIGH, instance_id,
                    f"IDC export {fmt} for {instance} could not be written", redact_text(error),
                    "The next run retries." if transient else
                    "Check the destination (a writable path, or an OSS bucket acrguard may write) and the export "
                    "settings in routes.exports.", {"transient": transient}, export=destination, format=fmt)


def run_scope(instance_id: str) -> str:
    """The scope of findings about the keeper's run itself (state, config), observed on every run.

    Kept apart from the instance's scope so that a run that could not observe the instance leaves
    the instance's findings as they were (unknown is not absent) while still reporting why.
    """
    return f"{instance_id}/run"


def trouble(rule: str, instance: str, instance_id: str, what: str, detail: str, fix: str) -> Finding:
    """The instance could not be handled this run (state, config)."""
    return Finding(rule=rule, severity=Severity.HIGH, resource=instance_id, scope=run_scope(instance_id),
                   title=f"Routes of {instance}: {what}", details=redact_text(detail),
                   fix="Nothing was changed. " + fix, job=JOB)
