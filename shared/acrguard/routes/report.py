"""The endpoint keeper's result as text: what is desired, and per target what is added, removed, kept, refused.

One block per instance, one line per change::

    routes testreg (cri-…, cn-hangzhou)
      desired  vpc_endpoint 192.168.10.21/32
      desired  auth 100.103.7.181/32, 100.103.9.188/32
      desired  oss 100.98.170.0/24, … (4)
      target vbr_route_table:vtb-vbr1 (idc-vbr)
        + 192.168.10.21/32  vpc_endpoint  desired
        - 100.103.1.1/32  auth  no longer desired
        = 6 unchanged
        ~ 100.103.7.181/32  auth  kept (hysteresis): absent from 1 successful observation(s) …
        ! 100.118.28.0/24  oss  refused (foreign): …
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acrguard.config.routes import ALL_FAMILIES

if TYPE_CHECKING:
    from acrguard.routes.keeper import InstanceRun, KeeperResult, TargetRun


def render_result(result: KeeperResult) -> str:
    """Every instance of the run, then the blast-radius stop and the dry-run note."""
    if not result.runs:
        return "no instance has a routes: section"
    blocks = [render_run(run) for run in result.runs]
    if result.stopped is not None:
        blocks.append(f"STOPPED: {result.stopped.message}; every removal of this run is kept")
    if result.dry_run and result.mode == "apply":
        blocks.append("dry_run is set: nothing was written")
    return "\n".join(blocks)


def render_run(run: InstanceRun) -> str:
    """One instance: desired prefixes per family, uncertain families, targets, exports."""
    lines = [f"routes {run.instance} ({run.instance_id}, {run.region})"]
    if run.error is not None:
        lines.append(f"  not checked: {run.error}")
        return "\n".join(lines)
    desired = run.desired
    if desired is not None:
        for family in ALL_FAMILIES:
            prefixes = sorted(desired.for_family(family))
            shown = ", ".join(prefixes) if prefixes else "(none)"
            lines.append(f"  desired  {family} {shown}")
        uncertain = [f for f in ALL_FAMILIES if not desired.may_remove(f)]
        if uncertain:
            lines.append(f"  uncertain {', '.join(uncertain)}: not fully observed this run, nothing of it is removed")
    for target in run.targets:
        lines += render_target(target)
    for export in run.exports:
        state = "error: " + export.error if export.error else \
            ("written" if export.written else "would change" if export.changed else "unchanged")
        lines.append(f"  export {export.format} -> {export.location}: {state}")
        if export.changed and export.diff:
            lines += ["    " + line for line in export.diff.rstrip("\n").splitlines()]
    return "\n".join(lines)


def render_target(target: TargetRun) -> list[str]:
    """One target: adds, removals, unchanged count, kept routes, refusals, the outcome of apply."""
    lines = [f"  target {target.key}" + (f" ({target.label})" if target.label != target.key else "")]
    if target.decision is None:
        lines.append(f"    not read: {target.error}")
        return lines
    plan = target.decision.plan
    for change in plan.adds:
        extra = f" ({change.extra['access_region']})" if "access_region" in change.extra else ""
        lines.append(f"    + {change.prefix}{extra}  {change.family}  {change.reason}")
    for change in plan.removes:
        extra = f" ({change.extra['access_region']})" if "access_region" in change.extra else ""
        lines.append(f"    - {change.prefix}{extra}  {change.family}  {change.reason}")
    if plan.unchanged:
        lines.append(f"    = {len(plan.unchanged)} unchanged")
    for kept in target.kept:
        lines.append(f"    ~ {kept.prefix}  {kept.family}  kept ({kept.cause.replace('_', ' ')}): {kept.why}")
    for refusal in plan.refusals:
        lines.append(f"    ! {refusal.prefix}  {refusal.family}  refused ({refusal.code}): {refusal.reason}")
    if plan.renegotiates_tunnel:
        lines.append("    note: changing LocalSubnet renegotiates the IPsec tunnel")
    if plan.empty and not plan.refusals and not target.kept:
        lines.append("    no changes")
    applied = target.applied
    if applied is not None:
        done = [f"created {len(applied.created)}", f"already present {len(applied.already_present)}",
                f"deleted {len(applied.deleted)}", f"already gone {len(applied.already_gone)}"]
        lines.append(f"    applied: {', '.join(done)}; {applied.write_calls} write call(s)")
        for failure in applied.failures:
            lines.append(f"    FAILED {failure.operation} {failure.prefix}: {failure.code}: {failure.message}")
        if applied.skipped:
            lines.append(f"    skipped after a failure: {', '.join(applied.skipped)}")
    return lines
