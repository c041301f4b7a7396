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
        = 100.118.31.0/24  oss  shared with acrguard instance otherreg
        ? 100.103.5.5/32  auth  not added: the auth answer was refused
        ! 100.118.28.0/24  oss  refused (foreign): …

and one closing line in the manner of Terraform's (``summary_line``)::

    Plan: 7 to add, 2 to remove, 1 held, 1 refused; 1 export to change.
    Apply complete: 7 added, 2 removed, 1 held, 1 refused; 1 export written.
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
        frozen = [f for f in ALL_FAMILIES if not desired.may_add(f)]
        if frozen:
            lines.append(f"  refused answer {', '.join(frozen)}: nothing of it is added or removed this run "
                         "(see the findings)")
        uncertain = [f for f in ALL_FAMILIES if not desired.may_remove(f) and f not in frozen]
        if uncertain:
            lines.append(f"  uncertain {', '.join(uncertain)}: not fully observed this run, nothing of it is removed")
    for target in run.targets:
        lines += render_target(target)
    for export in run.exports:
        state = "error: " + export.error if export.error else "held: " + export.held if export.held else \
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
    for covered in plan.covered:
        lines.append(f"    = {covered.prefix}  {covered.family}  {covered.label}")
    for change in target.decision.withheld:
        lines.append(f"    ? {change.prefix}  {change.family}  not added: the {change.family} answer was refused")
    for kept in target.kept:
        lines.append(f"    ~ {kept.prefix}  {kept.family}  kept ({kept.cause.replace('_', ' ')}): {kept.why}")
    for refusal in plan.refusals:
        lines.append(f"    ! {refusal.prefix}  {refusal.family}  refused ({refusal.code}): {refusal.reason}")
    if plan.renegotiates_tunnel:
        lines.append("    note: changing LocalSubnet renegotiates the IPsec tunnel")
    if plan.empty and not plan.refusals and not target.kept and not target.decision.withheld:
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


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(result: KeeperResult) -> str:
    """One closing line: what the plan would do, or what the apply did (Terraform's ``Plan:``/``Apply complete:``).

    Held routes are kept although no longer (or not surely) desired (hysteresis, uncertain family,
    blast radius); refused ones are desired prefixes a target will not take.
    """
    targets = [t for run in result.runs for t in run.targets]
    decisions = [t.decision for t in targets if t.decision is not None]
    held = sum(len(d.kept) for d in decisions)
    refused = sum(len(d.plan.refusals) for d in decisions)
    exports = [e for run in result.runs for e in run.exports]
    trouble = []
    unchecked = sum(1 for run in result.runs if run.error is not None)
    unread = sum(1 for t in targets if t.decision is None)
    failed_exports = sum(1 for e in exports if e.error)
    if unchecked:
        trouble.append(f"{_count(unchecked, 'instance')} not checked")
    if unread:
        trouble.append(f"{_count(unread, 'target')} not read")
    if failed_exports:
        trouble.append(f"{_count(failed_exports, 'export')} failed")
    writes = result.mode == "apply" and not result.dry_run
    if writes:
        applied = [t.applied for t in targets if t.applied is not None]
        added = sum(len(a.created) + len(a.already_present) for a in applied)
        removed = sum(len(a.deleted) + len(a.already_gone) for a in applied)
        failed = sum(len(a.failures) + len(a.skipped) for a in applied)
        written = sum(1 for e in exports if e.written)
        parts = [f"{added} added", f"{removed} removed", f"{held} held"]
        if refused:
            parts.append(f"{refused} refused")
        if failed:
            parts.append(f"{failed} failed")
        head = "Apply incomplete" if failed or trouble else "Apply complete"
        tail = f"; {_count(written, 'export')} written" if written else ""
    else:
        adds = sum(len(d.plan.adds) for d in decisions)
        removes = sum(len(d.plan.removes) for d in decisions)
        changing = sum(1 for e in exports if e.changed)
        parts = [f"{adds} to add", f"{removes} to remove", f"{held} held"]
        if refused:
            parts.append(f"{refused} refused")
        head = "Plan (dry_run: nothing written)" if result.mode == "apply" else "Plan"
        tail = f"; {_count(changing, 'export')} to change" if changing else ""
        if not adds and not removes and not changing:
            head = f"No changes. {head}"
    line = f"{head}: {', '.join(parts)}{tail}."
    if trouble:
        line += f" Not complete: {', '.join(trouble)}."
    return line
