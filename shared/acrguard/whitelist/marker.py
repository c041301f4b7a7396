"""The ownership marker acrguard writes into the ``Comment`` of every ACL entry it creates.

``acrguard:<instance-name>:<label>`` first, then the declared comment after one space. Only
entries whose marker names this instance are acrguard's; everything else is never changed
(except unsafe entries, and only when the config says so).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "acrguard"
#: label of the 127.0.0.1/32 entry written when an open ACL is closed and nothing is declared
RESTORE_LABEL = "restore"


@dataclass(frozen=True)
class Marker:
    """A parsed marker: which instance and which declared entry an ACL entry belongs to."""

    instance: str
    label: str


def make_comment(instance: str, label: str, comment: str = "") -> str:
    """The ``Comment`` for an entry acrguard creates: the marker, then the human comment."""
    marker = f"{PREFIX}:{instance}:{label}"
    return f"{marker} {comment.strip()}" if comment.strip() else marker


def parse_marker(comment: str | None) -> Marker | None:
    """The marker at the start of ``comment``, or None when the entry is not acrguard's."""
    if not comment:
        return None
    token = comment.strip().split(maxsplit=1)[0] if comment.strip() else ""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return Marker(parts[1], parts[2])


def owned_by(comment: str | None, instance: str) -> Marker | None:
    """The marker when it names ``instance``; None for unmarked entries and other instances' marks."""
    marker = parse_marker(comment)
    return marker if marker is not None and marker.instance == instance else None
