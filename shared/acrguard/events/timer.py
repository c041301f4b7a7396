"""The timer trigger's event: ``{"triggerTime", "triggerName", "payload"}``.

Source: FC trigger event formats (https://www.alibabacloud.com/help/en/functioncompute/fc/time-triggers).
``payload`` is the string
configured on the trigger, which may itself be JSON (so it is decoded a second time). A payload
that looks like JSON but does not parse is kept as text with a note rather than rejected: a typo
in a trigger's payload must not stop the periodic sweep, which is every job's safety net.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from acrguard.events._fields import Ctx, describe_type, get_str, lookup
from acrguard.events.times import get_time

KIND = "timer"


@dataclass(frozen=True)
class TimerEvent:
    """A timer invocation: which trigger fired, when, and its payload (text and, when JSON, decoded)."""

    trigger_name: str
    trigger_time: datetime
    trigger_time_raw: str
    payload: str | None = None
    payload_json: Any = None
    payload_note: str | None = None

    kind = KIND

    @property
    def correlation_id(self) -> str:
        """``timer:<triggerName>@<triggerTime>``: one firing of one trigger."""
        return f"timer:{self.trigger_name}@{self.trigger_time_raw}"


def looks_like_timer(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` has the timer event's keys."""
    return lookup(obj, "triggerTime")[0] is not None or lookup(obj, "triggerName")[0] is not None


def _payload(obj: Mapping[str, Any], ctx: Ctx) -> tuple[str | None, Any, str | None]:
    key, value = lookup(obj, "payload")
    if value is None or value == "":
        return None, None, None
    if isinstance(value, (Mapping, list)):  # already decoded by whoever invoked us: tolerated
        return json.dumps(value, sort_keys=True), value, None
    if not isinstance(value, str):
        ctx.key(key or "payload").fail(f"expected a string, found {describe_type(value)}")
    text = value.strip()
    if not text.startswith(("{", "[")):
        return value, None, None
    try:
        return value, json.loads(text), None
    except ValueError as exc:
        return value, None, f"payload looks like JSON but does not parse ({exc}); used as plain text"
    except RecursionError:
        return value, None, "payload looks like JSON but is nested too deeply; used as plain text"


def parse_timer(obj: Mapping[str, Any], ctx: Ctx) -> TimerEvent:
    """Type a timer event; ``triggerName`` and ``triggerTime`` are required."""
    name = get_str(obj, "triggerName", ctx, required=True, numbers=False, max_chars=256) or ""
    when, raw = get_time(obj, "triggerTime", ctx, required=True)
    assert when is not None and raw is not None  # required=True guarantees both
    payload, decoded, note = _payload(obj, ctx)
    return TimerEvent(trigger_name=name, trigger_time=when, trigger_time_raw=raw, payload=payload,
                      payload_json=decoded, payload_note=note)
