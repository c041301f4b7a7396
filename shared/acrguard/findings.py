"""``Finding``: the one record every job produces and the alert pipeline consumes.

A finding's identity (its fingerprint) is a hash of its sorted identifying labels, so the same
problem found twice, by two invocations or two jobs, is the same finding (Alertmanager's
``hashAlert``). Everything else (title, details, evidence, fix) may change between sightings
without making it a new finding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How urgent a finding is; ordered from most to least severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical … 4 for info (lower is worse)."""
        return list(Severity).index(self)

    def at_least(self, other: Severity | str) -> bool:
        """Whether this severity is as bad as ``other`` or worse."""
        return self.rank <= Severity(other).rank

    @classmethod
    def worst(cls, severities: list[Severity]) -> Severity:
        """The most severe of ``severities`` (INFO when empty)."""
        return min(severities, key=lambda s: s.rank, default=cls.INFO)


@dataclass(frozen=True)
class Actor:
    """Who made a change, from the ActionTrail record (never the AccessKey secret)."""

    identity: str  # e.g. "ram-user:alice", "assumed-role:ops/session", "root-account"
    source_ip: str | None = None
    user_agent: str | None = None
    access_key_id: str | None = None  # masked by renderers
    event_time: str | None = None
    event_name: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class Finding:
    """One problem (or change worth telling people about) with its fix.

    ``rule``: stable id such as ``whitelist.open-to-internet``; ``resource``: what it is about
    (``cri-…``, ``vtb-…``, ``ram-user/acr-puller``); ``scope``: the grouping scope (usually the
    instance id or the account); ``labels``: extra identifying labels (part of the fingerprint);
    ``evidence``: data that supports it (not part of the fingerprint). ``notice``: a one-off event
    (acrguard changed a route, someone changed the ACL) rather than a condition; it is told once and
    its disappearance is not announced as "resolved" (put what makes each occurrence unique, e.g.
    the change, in ``labels``). ``account``: the member account the finding is about, in an
    organisation (``acrguard.org``); empty in one account, where it is no label at all, so a
    finding's fingerprint is the same as before organisations existed.
    """

    rule: str
    severity: Severity
    resource: str
    title: str
    details: str = ""
    fix: str = ""
    scope: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    actor: Actor | None = None
    job: str = ""
    notice: bool = False  # a one-off event (a change made or seen), not a lasting condition: never "resolved"
    account: str = ""  # the member account (organisations); "" in one account

    def identifying_labels(self) -> dict[str, str]:
        """The labels that make up the identity: rule, resource, scope, ``labels`` and the account when set."""
        labels = {**{k: str(v) for k, v in self.labels.items()}, "rule": self.rule, "resource": self.resource,
                  "scope": self.scope}
        if self.account:
            labels["account"] = self.account
        return labels

    @property
    def fingerprint(self) -> str:
        """Hex sha256 over the sorted identifying labels (stable across runs and processes)."""
        digest = hashlib.sha256()
        for name, value in sorted(self.identifying_labels().items()):
            digest.update(name.encode("utf-8"))
            digest.update(b"\xff")
            digest.update(value.encode("utf-8"))
            digest.update(b"\xff")
        return digest.hexdigest()[:32]

    @property
    def group_key(self) -> str:
        """Findings of one rule in one scope are sent together."""
        return f"{self.rule}|{self.scope or self.resource}"
