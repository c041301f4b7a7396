"""``acrguard audit --config FILE``: audit every pull key of the account and print a verdict per identity.

Exit status: 0 every identity PASS, 1 any WARN, 2 any FAIL; 64 usage error, 66 the config file
cannot be read, 69 the cloud could not be read (after retries), 78 the config is invalid
(sysexits.h's EX_USAGE, EX_NOINPUT, EX_UNAVAILABLE, EX_CONFIG), so a broken run never looks like a
verdict.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from acrguard.cli._sysexits import EX_CONFIG, EX_NOINPUT, SysexitsCommand
from acrguard.clients import ClientFactory
from acrguard.config import load_config
from acrguard.errors import CloudCallError, ConfigError
from acrguard.findings import Finding
from acrguard.policy.findings import RULES
from acrguard.pullkeys.audit import AuditResult, IdentityAudit, PullKeyAuditor

#: Rules of the policy engine's findings: their fix is the identity's one least-privilege fix.
ENGINE_RULES = frozenset(RULES.values())

EX_UNAVAILABLE = 69

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


@click.command("audit", cls=SysexitsCommand)
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="acrguard config file (its pull_keys section says where pull keys are)")
@click.option("--json", "as_json", is_flag=True, help="print a JSON object instead of text")
@click.option("--workers", type=click.IntRange(1, 16), default=4, show_default=True,
              help="concurrent RAM reads")
def command(config_path: str, as_json: bool, workers: int) -> None:
    """Find pull keys (configured users, ConfigMaps, discovery), judge each identity, print the findings.

    Exit 0 when every identity is PASS, 1 when any is WARN, 2 when any is FAIL.
    """
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(EX_NOINPUT if _unreadable(exc) else EX_CONFIG) from None
    factory = ClientFactory.from_config(config)
    auditor = PullKeyAuditor(factory, config.pull_keys, instance_ids=[i.instance_id for i in config.instances],
                             region=config.cloud.region, workers=workers)
    bars = _ProgressBars() if not as_json and sys.stdout.isatty() else None
    try:
        result = auditor.full_audit(progress=bars)
    except CloudCallError as exc:
        if bars:
            bars.close()
        click.echo(f"audit failed: {exc}", err=True)
        raise SystemExit(EX_UNAVAILABLE) from None
    if bars:
        bars.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render(result))
    raise SystemExit(result.exit_code)


def _unreadable(exc: ConfigError) -> bool:
    return any("cannot read" in p or "No such file" in p or "not found" in p.lower() for p in exc.problems)


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
