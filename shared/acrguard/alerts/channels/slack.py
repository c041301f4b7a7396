"""Slack incoming webhook: Block Kit messages (header, sections, context) with a text fallback.

Facts from Slack's incoming-webhook and rate-limit docs (https://api.slack.com/messaging/webhooks,
https://api.slack.com/docs/rate-limits): POST JSON to ``https://hooks.slack.com/services/T…/B…/…``;
about one message a second per webhook; HTTP status tells the outcome: 200 ``ok``, 429 with
``Retry-After``, 4xx with plain-text codes (``invalid_payload``, ``channel_not_found``,
``channel_is_archived``, ``action_prohibited``, ``invalid_token``, ``no_service``). Block Kit
limits (Slack docs): header text 150 characters, section text 3000, at most 50 blocks. The header
is ``plain_text`` (never parsed); sections, context and the top-level ``text`` (the notification
fallback) are ``mrkdwn``, so every piece of cloud-side text in them is escaped (``render.escape_slack``).
"""

from __future__ import annotations

from typing import Any

from acrguard.alerts.channels.base import (
    ChannelKind,
    Outcome,
    RenderOptions,
    Result,
    body_snippet,
    by_status,
    encode_json,
    retry_after,
)
from acrguard.alerts.message import Message
from acrguard.alerts.ratelimit import RateLimit
from acrguard.alerts.render import SLACK, escape_slack, render, truncate_bytes
from acrguard.alerts.transport import HttpRequest, HttpResponse
from acrguard.config.alerts import ChannelConfig

RATE = RateLimit(per_second=1, block_s=30.0)
HEADER_CHARS = 150
SECTION_BYTES = 2900  # under the 3000-character section limit, whatever the characters
MAX_TOTAL_BYTES = 30_000  # keeps the message well under 50 blocks
MISCONFIGURED_ANSWERS = ("invalid_token", "no_service", "no_team", "channel_not_found", "channel_is_archived",
                         "action_prohibited", "team_disabled", "no_service_id")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def pack(parts: tuple[str, ...], limit: int = SECTION_BYTES) -> list[str]:
    """Join consecutive parts into section texts of at most ``limit`` bytes each."""
    sections: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}\n\n{part}" if current else part
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current:
            sections.append(current)
        current = truncate_bytes(part, limit)
    if current:
        sections.append(current)
    return sections


def build(message: Message, channel: ChannelConfig, now: float, options: RenderOptions) -> HttpRequest:
    """Header (the headline), the summary, packed finding sections, the omission note and footer."""
    rendered = render(message, SLACK, max_bytes=MAX_TOTAL_BYTES, max_items=options.max_items,
                      max_block_bytes=SECTION_BYTES)
    title = rendered.title if len(rendered.title) <= HEADER_CHARS else rendered.title[: HEADER_CHARS - 1] + "…"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
                                    _section(truncate_bytes(rendered.summary, SECTION_BYTES))]
    blocks.extend(_section(text) for text in pack(rendered.blocks))
    if rendered.note:
        blocks.append(_context(rendered.note))
    blocks.append(_context(truncate_bytes(rendered.footer, SECTION_BYTES)))
    # the top-level text is the notification fallback and is read as mrkdwn: escape it like the sections
    return HttpRequest(channel.url, encode_json({"text": escape_slack(rendered.title), "blocks": blocks}))


def interpret(response: HttpResponse) -> Result:
    """200 accepted; 429 rate limited; 5xx unavailable; token/channel errors misconfigured; other 4xx rejected."""
    decided = by_status(response)
    if decided is not None:
        return decided
    answer = body_snippet(response, 100)
    if 200 <= response.status < 300:
        return Result(Outcome.ACCEPTED, answer or "ok")
    detail = f"HTTP {response.status}: {answer}"
    if answer in MISCONFIGURED_ANSWERS or response.status in (401, 403, 404, 410):
        return Result(Outcome.MISCONFIGURED, detail, retry_after(response))
    return Result(Outcome.REJECTED, detail)


KIND = ChannelKind("slack", RATE, build, interpret)
