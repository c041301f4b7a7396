"""``acrguard whitelist plan|apply --config FILE [--json]``: the public-endpoint ACL guard by hand.

``plan`` observes every instance with a ``whitelist:`` section and prints the full plan (adds,
removals, removals held back by hysteresis, refusals and why) and the findings, writing nothing:
neither the cloud nor the hysteresis state. ``apply`` does the same, then writes (unless the
config's ``dry_run`` is set or the policy is ``report``) and records the hysteresis observations.
Exit codes: see ``acrguard.cli._planapply``.
"""

from __future__ import annotations

from typing import Any

from acrguard.cli._planapply import exit_code, plan_apply_group


def _sweep(config: Any, factory: Any, store: Any, apply: bool) -> Any:
    from acrguard.whitelist.guard import run_sweep

    return run_sweep(config, factory, store, apply=apply)


def _render(result: Any, apply: bool) -> str:
    lines: list[str] = []
    if not result.runs:
        lines.append("no instance has a whitelist: section")
    for run in result.runs:
        if run.plan is not None:
            lines.append(run.plan.render())
        else:
            lines.append(f"whitelist {run.instance_name} ({run.instance_id}): not checked: {run.error}")
        if apply and run.applied is not None:
            for item in run.applied.results:
                entry = f" {item.operation.entry}" if item.operation.entry else ""
                detail = f": {item.detail}" if item.detail else ""
                lines.append(f"  {item.outcome:<8} {item.action}{entry}{detail}")
        for finding in run.findings:
            who = f" (by {finding.actor.identity})" if finding.actor else ""
            lines.append(f"  [{finding.severity.value}] {finding.rule}: {finding.title}{who}")
    if result.dry_run and apply:
        lines.append("dry_run is set: nothing was written")
    return "\n".join(lines)


def _code(result: Any) -> int:
    planned = any(p.operations or p.proposed or p.refusals for p in result.plans)
    return exit_code(failed=result.failed, transient=result.transient, planned=planned,
                     findings=list(result.findings))


command = plan_apply_group(
    "whitelist", "Hold each instance's internet-endpoint whitelist to its declared state.",
    plan_help="Print the plan for every instance without writing anything.",
    apply_help="Plan, then write the changes (nothing with dry_run or policy report).",
    sweep=_sweep, to_json=lambda result: result.to_dict(), render=_render, code=_code)
