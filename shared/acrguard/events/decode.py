"""From FC's ``event`` argument to typed events.

FC hands a Python handler ``event`` as ``bytes``
(https://alibabacloud.com/help/en/functioncompute/latest/event-handlers); the
CLI and tests may pass ``str`` or already-decoded JSON. The JSON is one object (a CloudEvents
envelope, a timer event, or, recognised but not handled, a legacy ACR webhook body or a bare
ActionTrail record) or, tolerated, a list of them (a batch). Every way of being wrong ends in a
``MalformedEventError`` naming the event id when known and the JSON path of the problem: bad UTF-8,
bad JSON, too big, too deep, a shape acrguard does not know, or a known field of the wrong type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from acrguard.events._fields import Ctx, describe_type, short
from acrguard.events.acr import LegacyAcrWebhook, looks_like_legacy_webhook, parse_legacy_webhook
from acrguard.events.actiontrail import BareActionTrailRecord, looks_like_actiontrail_record, parse_actiontrail_record
from acrguard.events.envelope import CloudEvent, looks_like_cloudevent, parse_cloudevent
from acrguard.events.errors import MalformedEventError
from acrguard.events.shard import ShardEvent, looks_like_shard, parse_shard
from acrguard.events.timer import TimerEvent, looks_like_timer, parse_timer

#: largest event accepted, in bytes: FC's async payload limit is 128 KB; this leaves room for sync tests
MAX_EVENT_BYTES = 1024 * 1024
#: deepest nesting accepted (real events are under 10 levels)
MAX_DEPTH = 64

#: any decoded event
Event = CloudEvent | TimerEvent | ShardEvent | LegacyAcrWebhook | BareActionTrailRecord


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(raw: object) -> Any:
    """``raw`` (bytes, str, or already-decoded JSON) as JSON values, checked for size, depth and types."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        data = bytes(raw)
        if len(data) > MAX_EVENT_BYTES:
            raise MalformedEventError(f"event is {len(data)} bytes; at most {MAX_EVENT_BYTES} are accepted "
                                      "(FC async payloads are at most 128 KB)")
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEventError(f"event is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                      f"{exc.start} is invalid)") from None
    if isinstance(raw, str):
        text = raw.lstrip("\ufeff")
        if len(text) > MAX_EVENT_BYTES:
            raise MalformedEventError(f"event is {len(text)} characters; at most {MAX_EVENT_BYTES} are accepted")
        if not text.strip():
            raise MalformedEventError("event is empty")
        value = _parse_text(text)
        if isinstance(value, str) and value.strip().startswith(("{", "[")):  # JSON encoded twice: tolerated
            value = _parse_text(value)
    elif isinstance(raw, (Mapping, list, tuple)):
        value = raw
    else:
        raise MalformedEventError(f"event must be bytes, text or a JSON object, not {type(raw).__name__}")
    _check_tree(value)
    return value


def _parse_text(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedEventError(f"not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise MalformedEventError(f"JSON nested too deeply (more than {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # NaN/Infinity, integers with too many digits
        raise MalformedEventError(f"not valid JSON: {short(str(exc), 120)}") from None


def _check_tree(value: Any) -> None:
    """Depth, key and value types of a decoded document, without recursion."""
    stack: list[tuple[Any, Ctx, int]] = [(value, Ctx(), 1)]
    while stack:
        node, ctx, depth = stack.pop()
        if depth > MAX_DEPTH:
            ctx.fail(f"nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, Mapping):
            for key, child in node.items():
                if not isinstance(key, str):
                    ctx.fail(f"has a key that is {describe_type(key)}, not a string")
                stack.append((child, ctx.key(key), depth + 1))
        elif isinstance(node, (list, tuple)):
            stack.extend((child, ctx.index(i), depth + 1) for i, child in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            ctx.fail("holds NaN or Infinity, which are not JSON")
        elif not (node is None or isinstance(node, (str, int, float, bool))):
            ctx.fail(f"holds a {type(node).__name__}, which is not a JSON value")


def parse_object(obj: Any, ctx: Ctx | None = None) -> Event:
    """Type one decoded JSON object as the event it is."""
    ctx = ctx or Ctx()
    if not isinstance(obj, Mapping):
        ctx.fail(f"expected an event (a JSON object), found {describe_type(obj)}")
    if looks_like_cloudevent(obj):
        return parse_cloudevent(obj, ctx)
    if looks_like_timer(obj):
        return parse_timer(obj, ctx)
    if looks_like_shard(obj):
        return parse_shard(obj, ctx)
    if looks_like_legacy_webhook(obj):
        return parse_legacy_webhook(obj, ctx)
    if looks_like_actiontrail_record(obj):
        return BareActionTrailRecord(parse_actiontrail_record(obj, ctx))
    keys = ", ".join(short(str(k), 30) for k in list(obj)[:8]) or "none"
    ctx.fail("not an event acrguard recognises: expected a CloudEvents envelope (specversion, id, source, type), "
             f"a timer event (triggerTime, triggerName, payload) or an ACR webhook body (push_data, repository); "
             f"found keys: {keys}")


def decode_events(raw: object) -> tuple[Event, ...]:
    """Every event in ``raw``: one for a single object, several for a batch (a JSON list)."""
    value = load_json(raw)
    if isinstance(value, (list, tuple)):
        if not value:
            raise MalformedEventError("event is an empty list (a batch with no events)")
        return tuple(parse_object(item, Ctx().index(i)) for i, item in enumerate(value))
    return (parse_object(value),)


def decode_event(raw: object) -> Event:
    """The single event in ``raw``; a batch of more than one is an error (use ``decode_events``)."""
    events = decode_events(raw)
    if len(events) != 1:
        raise MalformedEventError(f"expected one event, found a batch of {len(events)}")
    return events[0]
