"""What every channel module provides, and how webhook answers become outcomes.

A channel module knows one platform: how to build the request for a message (markup, size
limit, signing) and what its answers mean. DingTalk, Feishu and WeCom answer HTTP 200 with an
error code in the JSON body, so the body decides, not the status (each channel module cites its platform). Only
rate limits, 5xx and network failures are worth retrying soon; security errors (bad signature,
missing keyword, unknown token) will fail the same way until someone fixes the configuration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum
from typing import Any

from acrguard.alerts.message import Message
from acrguard.alerts.ratelimit import RateLimit
from acrguard.alerts.transport import HttpRequest, HttpResponse
from acrguard.config.alerts import ChannelConfig
from acrguard.redact import redact_text


class Outcome(str, Enum):
    """What became of one message."""

    ACCEPTED = "accepted"
    RATE_LIMITED = "rate limited"  # retry later, after the platform's block
    UNAVAILABLE = "unavailable"  # 5xx, timeout, network: retry later
    MISCONFIGURED = "misconfigured"  # signature, keyword, token, IP allowlist: fix the config
    REJECTED = "rejected"  # the platform refused this message (payload); retrying will not help

    @property
    def retry_later(self) -> bool:
        """Whether the same message may succeed on a later run without any change."""
        return self in (Outcome.RATE_LIMITED, Outcome.UNAVAILABLE)


@dataclass(frozen=True)
class Result:
    """An outcome with a short explanation (never a URL or secret) and an optional wait."""

    outcome: Outcome
    detail: str = ""
    retry_after_s: float | None = None

    @property
    def accepted(self) -> bool:
        """The platform took the message."""
        return self.outcome is Outcome.ACCEPTED


@dataclass(frozen=True)
class RenderOptions:
    """Settings from ``alerts:`` that shape every message."""

    max_items: int = 10


@dataclass(frozen=True)
class ChannelKind:
    """One platform: its rate limit, how to build a request, how to read the answer."""

    type: str
    rate: RateLimit
    build: Callable[[Message, ChannelConfig, float, RenderOptions], HttpRequest]
    interpret: Callable[[HttpResponse], Result]


def encode_json(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (non-ASCII kept as is, so byte counts match what the platform measures)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def retry_after(response: HttpResponse) -> float | None:
    """The ``Retry-After`` header in seconds, when present and numeric."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def by_status(response: HttpResponse) -> Result | None:
    """The outcome decided by the HTTP status alone (429, 5xx), or None to look at the body."""
    if response.status == 429:
        return Result(Outcome.RATE_LIMITED, "HTTP 429", retry_after(response))
    if response.status >= 500:
        return Result(Outcome.UNAVAILABLE, f"HTTP {response.status}")
    return None


def body_snippet(response: HttpResponse, limit: int = 200) -> str:
    """The start of the answer, redacted, for error messages."""
    return redact_text(response.body[:limit].decode("utf-8", errors="replace").strip())


def interpret_code_body(response: HttpResponse, *, code_field: str, message_field: str,
                        rate_limited: Collection[int], misconfigured: Collection[int]) -> Result:
    """Read a ``{code, message}`` JSON answer given with HTTP 200 (DingTalk, Feishu, WeCom)."""
    decided = by_status(response)
    if decided is not None:
        return decided
    try:
        data = json.loads(response.body)
        code = int(data[code_field])
    except (ValueError, KeyError, TypeError):
        # 200 without the expected body (a proxy page?) may or may not have reached the robot.
        kind = Outcome.UNAVAILABLE if response.status < 400 else Outcome.REJECTED
        return Result(kind, f"HTTP {response.status}, unexpected answer: {body_snippet(response)!r}")
    message = redact_text(str(data.get(message_field, "")))[:300]
    detail = f"{code_field} {code}: {message}"
    if code == 0 and response.status < 300:
        return Result(Outcome.ACCEPTED, detail)
    if code in rate_limited:
        return Result(Outcome.RATE_LIMITED, detail, retry_after(response))
    if code in misconfigured:
        return Result(Outcome.MISCONFIGURED, detail)
    return Result(Outcome.REJECTED, detail)
