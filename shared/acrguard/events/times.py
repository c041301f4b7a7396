"""Lenient timestamps: the formats Alibaba Cloud events are seen to use, and nothing vaguer.

Seen in the published samples (https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-overview; https://www.alibabacloud.com/help/doc-detail/28819.html;
https://www.alibabacloud.com/help/en/eventbridge/user-guide/container-registry-events): RFC 3339 with an offset
(``2020-11-19T21:04:41+08:00``), UTC with ``Z`` (``2020-11-19T21:04:42Z``), fractional seconds
with a zone *name* (``2020-11-19T21:04:42.179PRC``), and ``YYYY-MM-DD HH:MM:SS`` without a zone
(ACR's ``ImageUpdate``, local time). Zone names: ``Z``/``UTC``/``GMT`` are UTC; ``PRC`` and
``CST`` are China Standard Time (+08:00), the only meaning they have in Alibaba Cloud payloads
(our reading; the samples give no other). Epoch numbers (seconds, or milliseconds when larger than
1e11) are accepted too. Anything else is an error naming the value's path.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

from acrguard.events._fields import Ctx, describe_type, lookup, short

_TIME = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,12}))?)?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{1,5})?\s*$"
)
_ZONE_NAMES = {"Z": 0, "UTC": 0, "GMT": 0, "UT": 0, "PRC": 8 * 60, "CST": 8 * 60}
#: accepted forms, for error messages
ACCEPTED = "RFC 3339 such as 2020-11-19T21:04:41+08:00, 2020-11-19T21:04:42Z or 2020-11-19T21:04:42.179PRC"


def _zone(text: str | None, default: timezone) -> timezone | None:
    if not text:
        return default
    upper = text.upper()
    if upper in _ZONE_NAMES:
        return timezone(timedelta(minutes=_ZONE_NAMES[upper]))
    if upper[0] in "+-":
        digits = upper[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            return None
        sign = -1 if upper[0] == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return None


def parse_time(value: object, ctx: Ctx, *, naive: timezone = timezone.utc) -> datetime:
    """An aware ``datetime`` from ``value``; times without a zone are taken to be in ``naive``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 0:
            ctx.fail(f"is not a usable epoch time ({describe_type(value)} out of range)")
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            ctx.fail("is an epoch time out of range")
    if not isinstance(value, str):
        ctx.fail(f"expected a time ({ACCEPTED}), found {describe_type(value)}")
    match = _TIME.match(value)
    zone = _zone(match.group("zone"), naive) if match else None
    if match is None or zone is None:
        ctx.fail(f"unrecognised time {short(value, 40)!r}: expected {ACCEPTED}")
    frac = (match.group("frac") or "")[:6].ljust(6, "0")
    try:
        return datetime.fromisoformat(match.group("date")).replace(
            hour=int(match.group("h") or 0), minute=int(match.group("m") or 0), second=int(match.group("s") or 0),
            microsecond=int(frac), tzinfo=zone)
    except ValueError as exc:
        ctx.fail(f"is not a real date and time ({short(value, 40)!r}: {exc})")


def get_time(obj: dict, name: str, ctx: Ctx, *, required: bool = False,
             naive: timezone = timezone.utc) -> tuple[datetime | None, str | None]:
    """A time field as ``(parsed, raw text)``; absent, null or ``""`` gives ``(None, None)`` unless required."""
    key, value = lookup(obj, name)
    where = ctx.key(key or name)
    if value is None or value == "":
        if required:
            where.fail("is missing" if key is None else "is empty")
        return None, None
    raw = value if isinstance(value, str) else str(value)
    if len(raw) > 64:
        where.fail(f"is {len(raw)} characters long; a time is at most 64")
    return parse_time(value, where, naive=naive), raw
