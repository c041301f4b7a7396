"""The parts every rendering shares: the header comment and the lines that change with time only.

Every export starts with a header naming acrguard, the instance and the generation time. The
time line (and the BIND SOA serial, which is derived from the time) are *volatile*: they change
on every run although nothing else did, so ``comparable`` drops them before deciding whether a
rendering changed (``acrguard.routes.exports.diff``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from acrguard.routes.exports.model import ExportInput

GENERATED_AT = "Generated at: "
SERIAL_COMMENT = "; serial (generation time)"

_VOLATILE = (
    re.compile(r"^(#|!|;) " + re.escape(GENERATED_AT) + r"\S+$"),
    re.compile(r"^\s+\d+ " + re.escape(SERIAL_COMMENT) + r"$"),
)
_GENERATED = re.compile(r"^(?:#|!|;) " + re.escape(GENERATED_AT) + r"(\S+)$", re.MULTILINE)


def header(comment: str, title: str, data: ExportInput, notes: Iterable[str] = ()) -> list[str]:
    """The header comment lines: what this is, for which instance, when, and how to use it."""
    lines = [f"{comment} acrguard IDC export: {title}",
             f"{comment} Instance: {data.label}",
             f"{comment} {GENERATED_AT}{data.timestamp}",
             f"{comment} Only the prefixes/records acrguard manages; acrguard rewrites this file when they change."]
    lines += [f"{comment} {note}" if note else comment for note in notes]
    return lines


def omitted_lines(comment: str, data: ExportInput) -> list[str]:
    """One comment per name or address left out of the records, with the reason."""
    return [f"{comment} omitted: {o.name}: {o.reason}" for o in data.omitted]


def finish(lines: Iterable[str]) -> str:
    """Join lines with ``\\n`` and end the text with exactly one newline."""
    return "\n".join(lines).rstrip("\n") + "\n"


def is_volatile(line: str) -> bool:
    """Whether ``line`` changes with the generation time only (the time line, the SOA serial)."""
    return any(pattern.match(line) for pattern in _VOLATILE)


def comparable(text: str) -> list[str]:
    """The lines of ``text`` that matter when deciding whether it changed (volatile lines dropped)."""
    return [line.rstrip() for line in text.splitlines() if not is_volatile(line.rstrip())]


def generated_at(text: str) -> str | None:
    """The generation time written in a rendering's header, if it has one."""
    match = _GENERATED.search(text)
    return match.group(1) if match else None
