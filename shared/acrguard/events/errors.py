"""``MalformedEventError``: an event acrguard cannot read, with where and what.

A malformed event will never succeed on retry, so handlers log it (with its id) and report it
once instead of raising into FC's async retry loop. The message names the event id when it is
known and the JSON path of the problem (``$.data.userIdentity.type``; ``$[1]...`` inside a
batch), never the offending value when that value could be a secret.
"""

from __future__ import annotations

from typing import Any

from acrguard.errors import BadInputError


class MalformedEventError(BadInputError):
    """An event that is not valid JSON, not a shape acrguard knows, or has a field of the wrong type."""

    def __init__(self, problem: str, *, path: str = "$", event_id: str | None = None) -> None:
        self.problem = problem
        self.path = path
        self.event_id = event_id
        where = f"event {event_id}" if event_id else "event (id unknown)"
        super().__init__(f"malformed {where} at {path}: {problem}")

    def to_json(self) -> dict[str, Any]:
        """The error as a JSON-ready dict (``path``, ``problem``, ``id``)."""
        return {"path": self.path, "problem": self.problem, "id": self.event_id}
