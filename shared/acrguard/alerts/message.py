"""What a message says, before any channel formats it: one alert group, or a digest of many.

A ``GroupMessage`` is what Alertmanager calls a notification of an aggregation group: the
findings of one rule in one scope that a channel is told about now (the firing ones, or for a
"resolved" message the ones that resolved). A ``DigestMessage`` folds many groups into one
message when a channel's rate limit would not let each go out on its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from acrguard.findings import Finding, Severity

Status = Literal["firing", "resolved"]


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Most severe first, then by resource and title (stable across runs)."""
    return tuple(sorted(findings, key=lambda f: (f.severity.rank, f.resource, f.title, f.fingerprint)))


@dataclass(frozen=True)
class GroupMessage:
    """The findings of one group that one channel is told about now."""

    group_key: str
    rule: str
    scope: str
    job: str
    status: Status
    reason: str
    findings: tuple[Finding, ...]
    since: float  # when the oldest of these findings started firing (epoch seconds)
    resolved_since: tuple[Finding, ...] = ()  # told to the channel before, no longer firing (firing messages)

    @property
    def severity(self) -> Severity:
        """The worst severity among the findings."""
        return Severity.worst([f.severity for f in self.findings])

    @property
    def group_hash(self) -> str:
        """A short stable id of the group (sha256 of the group key), safe to show."""
        return hashlib.sha256(self.group_key.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class DigestMessage:
    """Many group messages in one, with every group and finding counted."""

    groups: tuple[GroupMessage, ...]
    reason: str

    @property
    def severity(self) -> Severity:
        """The worst severity among the firing groups (INFO when all resolved)."""
        return Severity.worst([g.severity for g in self.groups if g.status == "firing"])

    @property
    def finding_count(self) -> int:
        """How many findings the digest covers."""
        return sum(len(g.findings) for g in self.groups)


Message = GroupMessage | DigestMessage
