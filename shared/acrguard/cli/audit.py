"""``acrguard audit --config FILE``: audit every pull key of the account and print a verdict per identity.

Exit status (the contract of ``docs/exit-codes.md``): 0 every identity PASS, 1 any WARN, 2 any
FAIL; 64 usage error, 66 the config file cannot be read, 69 the cloud refused a read, 75 the cloud
could not be reached or throttled after retries (retry later), 78 the config is invalid or no
credentials can be found, 130 interrupted; so a broken run never looks like a verdict.
``--workers`` defaults to ``pull_keys.workers``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from acrguard.cli._cloud import cloud_options, instance_option, prepare
from acrguard.cli.exitcodes import ContractCommand, ExitCode, code_for, exit_epilog, fail, run_interruptible
from acrguard.errors import CloudCallError
from acrguard.findings import Finding
from acrguard.policy.findings import RULES
from acrguard.pullkeys.audit import AuditResult, IdentityAudit, PullKeyAuditor

#: Rules of the policy engine's findings: their fix is the identity's one least-privilege fix.
ENGINE_RULES = frozenset(RULES.values())

_PHASES = {"discover": "Listing AccessKeys", "policies": "Reading policies", "owners": "Finding key owners",
           "keys": "Listing AccessKeys", "audit": "Judging pull users"}


class _ProgressBars:
    """One ``click.progressbar`` per phase of the audit, drawn only on a terminal."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.bar: Any = None
        self.done = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase, self.done = phase, 0
            self.bar = click.progressbar(length=max(total, 1), label=_PHASES.get(phase, phase), show_pos=True)
            self.bar.__enter__()
        self.bar.update(max(0, done - self.done))
        self.done = done

    def close(self) -> None:
        """Finish the current bar."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("audit", cls=ContractCommand, epilog=exit_epilog(
    ok="every identity PASS", attention="any WARN", fail="any FAIL",
    errors=(ExitCode.NOINPUT, ExitCode.UNAVAILABLE, ExitCode.TEMPFAIL, ExitCode.CONFIG)))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="acrguard config file (its pull_keys section says where pull keys are)")
@click.option("--json", "as_json", is_flag=True, help="print a JSON object instead of text")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="concurrent RAM reads (default: pull_keys.workers)")
@instance_option
@cloud_options
def command(config_path: str, as_json: bool, workers: int | None, instances: tuple[str, ...],
            profile: str | None, region: str | None) -> None:
    """Find pull keys (configured users, ConfigMaps, discovery), judge each identity, print the findings."""
    setup = prepare(config_path, profile=profile, region=region, instances=instances)
    config = setup.config
    auditor = PullKeyAuditor(setup.factory, config.pull_keys, instance_ids=[i.instance_id for i in config.instances],
                             region=config.cloud.region, workers=workers)
    bars = _ProgressBars() if not as_json and sys.stdout.isatty() else None
    try:
        result = run_interruptible(lambda: auditor.full_audit(progress=bars))
    except CloudCallError as exc:
        if bars:
            bars.close()
        fail(code_for(exc), f"audit failed: {exc}")
    if bars:
        bars.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render(result))
    raise SystemExit(result.exit_code)


def render(result: AuditResult) -> str:
    """The text report: one block per identity, then run-level findings and a summary line."""
    lines: list[str] = []
    for identity in result.identities:
        lines.extend(_identity_lines(identity))
        lines.append("")
    if result.findings:
        lines.append("Other findings:")
        for finding in result.findings:
            lines.extend(_finding_lines(finding))
        lines.append("")
    counts = {v: sum(1 for i in result.identities if i.verdict.value == v) for v in ("FAIL", "WARN", "PASS")}
    summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no pull keys found"
    lines.append(f"{len(result.identities)} pull identit{'y' if len(result.identities) == 1 else 'ies'}: "
                 f"{summary}; overall {result.verdict.value}")
    return "\n".join(lines)


def _identity_lines(identity: IdentityAudit) -> list[str]:
    origins = ", ".join(identity.origins)
    lines = [f"{identity.verdict.value:<4}  {identity.severity.value:<8}  {identity.user_name}  ({origins})"]
    for name, kind, version, via in identity.policies:
        lines.append(f"      policy {name} ({kind}, default {version}) via {via}")
    if identity.keys is not None:
        keys = ", ".join(f"{k.masked} {k.status}" for k in identity.keys.keys) or "no AccessKeys"
        login = "console login enabled" if identity.keys.console_login else "no console login"
        lines.append(f"      keys: {keys}; {login}")
    for finding in identity.findings:
        engine = finding.rule in ENGINE_RULES
        lines.extend(_finding_lines(finding, skip_first_detail=engine, show_fix=not engine))
    fix = identity.policy_verdict.fix if identity.policy_verdict is not None else None
    if fix is not None:
        lines.append("  least-privilege fix:")
        lines.extend(f"      {line}" for line in fix.text().splitlines())
    return lines


def _finding_lines(finding: Finding, *, skip_first_detail: bool = False, show_fix: bool = True) -> list[str]:
    lines = [f"  [{finding.severity.value}] {finding.rule}: {finding.title}"]
    details = [line for line in finding.details.splitlines() if line.strip()]
    lines.extend(f"      {line}" for line in details[1 if skip_first_detail else 0:])
    if finding.fix and show_fix:
        lines.append("      fix:")
        lines.extend(f"        {line}" for line in finding.fix.splitlines())
    return lines
