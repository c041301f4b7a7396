"""Silences: mute findings whose labels match, for a limited time (Alertmanager's silence stage).

A silenced finding is left out of messages; it is not resolved. When the silence expires, the
finding is notified like any other (new to a channel that never heard of it, else at the next
repeat).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone

from acrguard.config.alerts import Silence
from acrguard.findings import Finding


def finding_labels(finding: Finding) -> dict[str, str]:
    """The labels silences match on: the identifying labels plus ``severity`` and ``job``."""
    return {**finding.identifying_labels(), "severity": finding.severity.value, "job": finding.job}


def matcher_matches(pattern: str, value: str | None) -> bool:
    """``value`` equals ``pattern``, or full-matches the regex after a leading ``~``; a missing label never matches."""
    if value is None:
        return False
    if pattern.startswith("~"):
        return re.fullmatch(pattern[1:], value) is not None
    return value == pattern


def is_active(silence: Silence, now: float) -> bool:
    """Whether ``silence`` applies at ``now`` (epoch seconds)."""
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    if silence.starts_at is not None and moment < silence.starts_at:
        return False
    return moment < silence.expires_at


def silence_for(finding: Finding, silences: Iterable[Silence], now: float) -> Silence | None:
    """The first active silence whose matchers all match ``finding``, or None."""
    labels = finding_labels(finding)
    for silence in silences:
        if is_active(silence, now) and all(matcher_matches(p, labels.get(k)) for k, p in silence.matchers.items()):
            return silence
    return None
