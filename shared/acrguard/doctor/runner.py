"""Run every doctor check in order and collect their answers.

A check that needs the cloud does not run after the identity check found the credentials refused
(it answers "cannot tell", pointing at the identity). A cloud error a check lets escape becomes
"cannot tell" with what to grant or to retry; any other exception is a bug and is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from acrguard.doctor import (
    channels,
    global_events,
    identity,
    published_ranges,
    quotas,
    realm,
    roles,
    triggers,
    vbr,
    vpc_dns,
)
from acrguard.doctor.answers import describe, unknown_fix
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, DoctorReport, Status, single
from acrguard.errors import CloudCallError


@dataclass(frozen=True)
class Check:
    """One check: its name, what it verifies (for ``--help`` and ``docs/doctor.md``), and whether it calls the cloud."""

    name: str
    summary: str
    run: Callable[[DoctorContext], CheckResult]
    cloud: bool = True


CHECKS: tuple[Check, ...] = (
    Check(identity.NAME, "who the credentials are (STS GetCallerIdentity)", identity.check_identity),
    Check(roles.NAME, "each function's role allows every action its code needs", roles.check_roles),
    Check(triggers.NAME, "deployed triggers match s.yaml; EventBridge ones asynchronous", triggers.check_triggers),
    Check(vbr.NAME, "each VBR route table takes a destination inside 100.64.0.0/10 (DryRun)", vbr.check_vbr),
    Check(quotas.NAME, "the routes acrguard needs fit in each route table's quota", quotas.check_quotas),
    Check(global_events.NAME, "ActionTrail keeps global events where the pull-key auditor listens",
          global_events.check_global_events),
    Check(realm.NAME, "the VPC domain's /v2/ challenge names an accepted auth realm", realm.check_realm),
    Check(vpc_dns.NAME, "the three names resolve within their ranges through the configured nameservers",
          vpc_dns.check_dns),
    Check(published_ranges.NAME, "each region has published OSS ranges in the shipped table",
          published_ranges.check_oss_ranges, cloud=False),
    Check(channels.NAME, "each chat channel is valid; with --send it accepts a test message", channels.check_channels,
          cloud=False),
)


def run_check(check: Check, ctx: DoctorContext) -> CheckResult:
    """One check's answer; an escaped cloud error is "cannot tell" with its fix."""
    if check.cloud and ctx.identity_refused and check.name != identity.NAME:
        return single(check.name, Status.UNKNOWN, "not run: the credentials were refused (see identity)",
                      "fix the credentials (see identity) and run doctor again")
    try:
        return check.run(ctx)
    except CloudCallError as exc:
        return single(check.name, Status.UNKNOWN, describe(exc), unknown_fix(exc))


def run_doctor(ctx: DoctorContext, checks: Iterable[Check] = CHECKS) -> DoctorReport:
    """Every check, in order (identity first: the others use the caller's account)."""
    return DoctorReport(tuple(run_check(check, ctx) for check in checks))
