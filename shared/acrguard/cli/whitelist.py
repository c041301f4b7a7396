"""``acrguard whitelist plan|apply --config FILE [--json]``: the public-endpoint ACL guard by hand.

``plan`` observes every instance with a ``whitelist:`` section and prints the full plan (adds,
removals, removals held back by hysteresis, refusals and why) and the findings, writing nothing:
neither the cloud nor the hysteresis state. ``apply`` does the same, then writes (unless the
config's ``dry_run`` or ``--dry-run`` is set, or the policy is ``report``) and records the
hysteresis observations. Each finding shows its details and fix; a Terraform-like summary line
closes the text (``Plan: 1 to add, 1 to remove, 0 held.``). Exit codes: see
``acrguard.cli._planapply`` and ``docs/exit-codes.md``.
"""

from __future__ import annotations

from typing import Any

from acrguard.cli._output import finding_lines
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
            lines.extend(finding_lines(finding))
    if result.dry_run and apply:
        lines.append("dry_run is set: nothing was written")
    lines.append(summary_line(result, apply))
    return "\n".join(lines)


def summary_line(result: Any, apply: bool) -> str:
    """Terraform's closing line: ``Plan: 1 to add, 1 to remove, 0 held.`` or ``Apply complete: 1 added, …``."""
    plans = result.plans
    held = sum(len(p.held) for p in plans)
    extra = []
    refused = sum(len(p.refusals) for p in plans)
    proposed = sum(len(p.proposed) for p in plans)
    if refused:
        extra.append(f"{refused} refused")
    if proposed:
        extra.append(f"{proposed} proposed (policy report)")
    unchecked = sum(1 for run in result.runs if run.plan is None)
    if apply and not result.dry_run:
        items = [item for run in result.runs if run.applied is not None for item in run.applied.results]
        done = [item.operation.kind for item in items if item.outcome == "done"]
        failed = sum(1 for item in items if item.outcome in ("failed", "skipped"))
        switched = sum(1 for kind in done if kind in ("enable", "disable"))
        parts = [f"{done.count('add')} added", f"{done.count('remove')} removed", f"{held} held", *extra]
        parts += [f"{switched} endpoint switched"] if switched else []
        parts += [f"{failed} failed"] if failed else []
        head = "Apply incomplete" if failed or unchecked else "Apply complete"
    else:
        kinds = [op.kind for p in plans for op in p.operations]
        switches = sum(1 for kind in kinds if kind in ("enable", "disable"))
        parts = [f"{kinds.count('add')} to add", f"{kinds.count('remove')} to remove", f"{held} held", *extra]
        parts += [f"{switches} endpoint switch"] if switches else []
        head = "Plan (dry_run: nothing written)" if apply else "Plan"
        if not kinds:
            head = f"No changes. {head}"
    line = f"{head}: {', '.join(parts)}."
    if unchecked:
        line += f" Not complete: {unchecked} instance{'' if unchecked == 1 else 's'} not checked."
    return line


def _code(result: Any) -> int:
    planned = any(p.operations or p.proposed or p.refusals for p in result.plans)
    return exit_code(failed=result.failed, transient=result.transient, planned=planned,
                     findings=list(result.findings))


command = plan_apply_group(
    "whitelist", "Hold each instance's internet-endpoint whitelist to its declared state.",
    plan_help="Print the plan for every instance without writing anything.",
    apply_help="Plan, then write the changes (nothing with dry_run or policy report).",
    sweep=_sweep, to_json=lambda result: result.to_dict(), render=_render, code=_code, section="whitelist")
