"""Check 3, ``triggers``: the deployed triggers are those of ``s.yaml``, EventBridge ones asynchronous.

The comparison is ``acrguard deploy check``'s (``acrguard.deploy.check.check``: FC 3.0
``GetFunction``/``ListTriggers`` in each function's region); this check keeps its findings about
triggers: a function not deployed, a trigger missing or disabled (timers included), another
type or cron expression, an EventBridge filter pattern that differs, a synchronous EventBridge trigger
(``asyncInvocationType: true``: FC 3.0's ``EventBridgeTriggerConfig`` says true is synchronous,
false or absent asynchronous), a trigger fc3 would skip. Findings that fail ``deploy check`` fail
here; milder ones are shown. The global-events region is check 6's, the other drift (retries,
destinations, concurrency) ``deploy check``'s: counted here with the command to run.
"""

from __future__ import annotations

from acrguard.deploy.check import check
from acrguard.doctor.answers import describe, unknown_fix
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine, single
from acrguard.errors import CloudCallError
from acrguard.findings import Finding

NAME = "triggers"
#: deploy check labels (``labels["check"]``) about triggers
_TRIGGER_LABELS = ("trigger:", "trigger-order", "missing")


def about_triggers(finding: Finding) -> bool:
    """Whether a deploy-check finding is about a function's presence or its triggers (not the events region)."""
    label = str(finding.labels.get("check", ""))
    return label.startswith(_TRIGGER_LABELS) and not label.endswith(":region")


def check_triggers(ctx: DoctorContext) -> CheckResult:
    """One item per function: its triggers as deployed against ``s.yaml``."""
    if ctx.deployment is None:
        return single(NAME, Status.UNKNOWN, f"no s.yaml: {ctx.deployment_problem}",
                      "name the deployment file with --s-yaml PATH")
    try:
        report = check(ctx.factory, ctx.deployment, organization=ctx.config.organization is not None)
    except CloudCallError as exc:
        return single(NAME, Status.UNKNOWN, f"the deployment cannot be read: {describe(exc)}", unknown_fix(exc, "fc"))
    failing = set(map(id, report.problems))
    items: list[Item] = []
    others = 0
    for resource in ctx.deployment.resources:
        name = resource.function_name
        mine = [f for f in report.findings if f.scope == name]
        trigger_findings = [f for f in mine if about_triggers(f)]
        others += len(mine) - len(trigger_findings)
        bad = [f for f in trigger_findings if id(f) in failing]
        mild = [f for f in trigger_findings if id(f) not in failing]
        if bad:
            fixes = list(dict.fromkeys(f.fix for f in bad if f.fix))
            items.append(Item(name, Status.FAIL, "; ".join(f.title for f in bad), "; ".join(fixes),
                              {"findings": [f.title for f in trigger_findings]}))
            continue
        described = ", ".join(f"{t.name} ({t.type})" for t in resource.triggers) or "no trigger declared"
        evidence = f"deployed as declared: {described}"
        if mild:
            evidence += f" (note: {'; '.join(f.title for f in mild)})"
        items.append(Item(name, Status.PASS, evidence))
    notes = [f"deploy check also reports {others} other difference(s) (retries, destinations, concurrency, "
             f"runtime): run `python -m acrguard deploy check --config {ctx.config_hint}`"] if others else []
    return combine(NAME, items, none="s.yaml deploys no function", notes=notes)
