"""``acrguard routes plan|apply --config FILE [--json] [--instance NAME]``: the endpoint keeper by hand.

``plan`` discovers and resolves every instance with a ``routes:`` section and prints the full
plan per target (adds, removals, removals held back by the hysteresis or because a family was
not fully observed, refusals and why, the blast-radius stop) and the export diffs, writing
nothing: neither the cloud, nor the state (the hysteresis is previewed), nor the exports.
``apply`` does the same, then writes (unless the config's ``dry_run`` is set) and records the
hysteresis observations and the VPN ownership ledgers; it stops before any write when a local
export destination cannot be written. The text ends with a Terraform-like summary line (``Plan:
7 to add, 2 to remove, 1 held.``); each finding shows its details and fix. Exit codes: see
``acrguard.cli._planapply`` and ``docs/exit-codes.md``.
"""

from __future__ import annotations

from typing import Any

from acrguard.cli._output import finding_lines
from acrguard.cli._planapply import exit_code, plan_apply_group


def _sweep(config: Any, factory: Any, store: Any, apply: bool) -> Any:
    from acrguard.routes.keeper import run_sweep

    return run_sweep(config, factory, store, apply=apply)


def _render(result: Any, apply: bool) -> str:
    from acrguard.routes.report import render_result, summary_line

    lines = [render_result(result)]
    findings = [f for run in result.runs for f in run.findings]
    if findings:
        lines.append("findings:")
        for finding in findings:
            lines.extend(finding_lines(finding))
    lines.append(summary_line(result))
    return "\n".join(lines)


def _preflight(config: Any) -> list[str]:
    from acrguard.routes.exports.preflight import export_problems

    return export_problems(config)


def _code(result: Any) -> int:
    return exit_code(failed=result.failed, transient=result.transient, planned=result.planned,
                     findings=list(result.findings))


command = plan_apply_group(
    "routes", "Keep the registry's three address families routed from the IDC.",
    plan_help="Print the plan for every instance and target without writing anything.",
    apply_help="Plan, then write the changes (nothing with dry_run).",
    sweep=_sweep, to_json=lambda result: result.to_dict(), render=_render, code=_code, section="routes",
    preflight=_preflight)
