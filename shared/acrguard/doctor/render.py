"""The doctor's report as text (one line per check, then the details and fix of each that did not pass) and as JSON.

Text::

    PASS  identity              account 1234567890123456, RAMUser acs:ram::1234567890123456:user/ops
    FAIL  vbr-service-range     idc-vbr (vbr_route_table:vtb-1): the VBR route table refused …
    ????  vpc-dns               3 cannot tell; …
    SKIP  chat-channels         1 channel(s) valid, not sent: add --send to send each a test message

    vbr-service-range: FAIL
      FAIL idc-vbr (vbr_route_table:vtb-1): …
      fix: …

    Doctor: 7 pass, 1 fail, 1 cannot tell, 1 skipped.

Everything printed goes through ``acrguard.redact.redact_text`` (no secret reaches the output).
"""

from __future__ import annotations

from typing import Any

from acrguard.doctor.model import DoctorReport, Status
from acrguard.redact import redact_text

WIDTH = 22


def summary(report: DoctorReport) -> str:
    """``Doctor: 7 pass, 1 fail, 1 cannot tell, 1 skipped.``"""
    parts = [f"{report.count(s)} {s.value}" for s in (Status.PASS, Status.FAIL, Status.UNKNOWN, Status.SKIPPED)]
    return f"Doctor: {', '.join(parts)}."


def text_lines(report: DoctorReport) -> list[str]:
    """The report as text lines."""
    lines = [redact_text(f"{r.status.label}  {r.name.ljust(WIDTH)}{r.evidence}") for r in report.results]
    for result in report.results:
        if result.status not in (Status.FAIL, Status.UNKNOWN):
            continue
        lines += ["", f"{result.name}: {result.status.label}"]
        lines += [redact_text(f"  {line}") for line in result.details]
        fixes = [f for f in redact_text(result.fix).splitlines() if f.strip()]
        if len(fixes) == 1:
            lines.append(f"  fix: {fixes[0]}")
        elif fixes:
            lines.append("  fix:")
            lines += [f"    - {f}" for f in fixes]
    return [*lines, "", summary(report)]


def to_json(report: DoctorReport, exit_code: int) -> dict[str, Any]:
    """The report as data: every check with its items, the counts and the exit code."""
    counts = {s.value: report.count(s) for s in Status}
    return {"status": report.status.value, "counts": counts, "exit_code": exit_code,
            "checks": [_redacted(r.to_dict()) for r in report.results]}


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v) for v in value]
    return value
