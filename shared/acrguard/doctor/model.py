"""What a doctor check answers: a status, one line of evidence, the details and the fix.

A check looks at several things (functions, route targets, instances, channels); each is an
``Item`` with its own status, and ``combine`` folds them into the check's ``CheckResult``: it fails
when one item fails, cannot tell when one cannot tell (and none fails), passes when at least one
passes and the rest pass or were skipped, and is skipped when nothing applied (no target of the
kind, no channel) or the check is opt-in and was not asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """The answer of a check (or of one item of it)."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "cannot tell"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        """Four characters for the text output: ``PASS``, ``FAIL``, ``????``, ``SKIP``."""
        return {"pass": "PASS", "fail": "FAIL", "cannot tell": "????", "skipped": "SKIP"}[self.value]


#: worst first: how items fold into one status
_ORDER = (Status.FAIL, Status.UNKNOWN, Status.PASS, Status.SKIPPED)


def worst(statuses: Iterable[Status]) -> Status:
    """The status of several answers: FAIL > cannot tell > PASS > SKIPPED (SKIPPED when there are none)."""
    found = set(statuses)
    return next((s for s in _ORDER if s in found), Status.SKIPPED)


@dataclass(frozen=True)
class Item:
    """One thing a check looked at (a function, a route target, a name) and what it found."""

    subject: str
    status: Status
    evidence: str
    fix: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """``subject: evidence``."""
        return f"{self.subject}: {self.evidence}"


@dataclass(frozen=True)
class CheckResult:
    """A check's answer: ``evidence`` is one line; ``details`` and ``fix`` say more when it did not pass."""

    name: str
    status: Status
    evidence: str
    details: tuple[str, ...] = ()
    fix: str = ""
    items: tuple[Item, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``--json``)."""
        return {"name": self.name, "status": self.status.value, "evidence": self.evidence,
                "details": list(self.details), "fix": self.fix,
                "items": [{"subject": i.subject, "status": i.status.value, "evidence": i.evidence, "fix": i.fix,
                           **({"data": dict(i.data)} if i.data else {})} for i in self.items],
                **({"data": dict(self.data)} if self.data else {})}


def single(name: str, status: Status, evidence: str, fix: str = "", *, details: Iterable[str] = (),
           data: Mapping[str, Any] | None = None) -> CheckResult:
    """A check answered in one piece (no items)."""
    return CheckResult(name, status, evidence, tuple(details), fix, (), dict(data or {}))


def combine(name: str, items: Iterable[Item], *, none: str, notes: Iterable[str] = ()) -> CheckResult:
    """Fold ``items`` into the check's result; ``none`` is the evidence (and status SKIPPED) when there are none.

    Evidence: the one item's line, or counts and the first item that did not pass. Details: every
    item with its status, then ``notes``. Fix: the fixes of the items that did not pass, once each;
    when they differ, each is preceded by the subjects it is for.
    """
    found = tuple(items)
    extra = tuple(notes)
    if not found:
        return CheckResult(name, Status.SKIPPED, none, extra)
    status = worst(i.status for i in found)
    if len(found) == 1:
        evidence = found[0].line()
    else:
        counts = ", ".join(f"{sum(1 for i in found if i.status is s)} {s.value}" for s in _ORDER
                           if any(i.status is s for i in found))
        first = next((i for i in found if i.status is status), found[0])
        evidence = f"{counts}; {first.line()}" if status in (Status.FAIL, Status.UNKNOWN) else counts
    details = tuple(f"{i.status.label} {i.line()}" for i in found) + extra
    by_fix: dict[str, list[str]] = {}
    for item in found:
        if item.status in (Status.FAIL, Status.UNKNOWN) and item.fix:
            by_fix.setdefault(item.fix, []).append(item.subject)
    if len(by_fix) == 1:
        fix = next(iter(by_fix))
    else:
        fix = "\n".join(f"{', '.join(dict.fromkeys(subjects))}: {text}" for text, subjects in by_fix.items())
    return CheckResult(name, status, evidence, details, fix, found)


@dataclass(frozen=True)
class DoctorReport:
    """Every check's result, in the order they ran."""

    results: tuple[CheckResult, ...]

    def count(self, status: Status) -> int:
        """How many checks ended with ``status``."""
        return sum(1 for r in self.results if r.status is status)

    @property
    def status(self) -> Status:
        """The worst status of all checks."""
        return worst(r.status for r in self.results)

    def result(self, name: str) -> CheckResult:
        """The result of the check called ``name`` (``KeyError`` if it did not run)."""
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)
