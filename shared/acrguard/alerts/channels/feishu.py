"""Feishu / Lark custom bot: an interactive card with a markdown body, optional signing.

Facts from ``events-fc.md`` §4: POST JSON to ``…/open-apis/bot/v2/hook/T``; with signing on, the
body carries ``timestamp`` (seconds, as a string) and ``sign`` = Base64 of HMAC-SHA256 with the
key ``f"{timestamp}\\n{secret}"`` over an empty message (the reverse of DingTalk). Limits: 100
requests a minute and 5 a second per bot, body at most 20 KB. Answers carry ``code``: 0 ok,
11232 rate limited, 19021 bad signature or stale timestamp; 19001 (unknown token), 19022 (IP
not allowed) and 19024 (keyword missing) are security errors reported by users.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from acrguard.alerts.channels.base import ChannelKind, RenderOptions, Result, encode_json, interpret_code_body
from acrguard.alerts.message import Message
from acrguard.alerts.ratelimit import RateLimit
from acrguard.alerts.render import FEISHU, render
from acrguard.alerts.transport import HttpRequest, HttpResponse
from acrguard.config.alerts import ChannelConfig
from acrguard.findings import Severity

RATE = RateLimit(per_minute=100, per_second=5, block_s=60.0)
MAX_BODY_BYTES = 20 * 1024
RATE_LIMITED_CODES = (11232,)
MISCONFIGURED_CODES = (19021, 19001, 19022, 19024)
#: Card header colours by severity (Feishu card ``template`` names).
TEMPLATE = {Severity.CRITICAL: "red", Severity.HIGH: "orange", Severity.MEDIUM: "yellow", Severity.LOW: "blue",
            Severity.INFO: "grey"}


def sign(secret: str, timestamp_s: str) -> str:
    """Base64 HMAC-SHA256 keyed with ``"{timestamp}\\n{secret}"`` over an empty message."""
    mac = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def _payload(title: str, text: str, template: str) -> dict[str, Any]:
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": title}, "template": template},
        "elements": [{"tag": "markdown", "content": text}]}}


def build(message: Message, channel: ChannelConfig, now: float, options: RenderOptions) -> HttpRequest:
    """An interactive card (coloured header, markdown body) under 20 KB, signed when a secret is set."""
    resolved = getattr(message, "status", "firing") == "resolved"
    template = "green" if resolved else TEMPLATE[message.severity]
    envelope = encode_json({**_payload("", "", template), "timestamp": "0000000000", "sign": "x" * 44})
    budget = MAX_BODY_BYTES - len(envelope) - 600  # header title and JSON escaping of the body
    while True:
        rendered = render(message, FEISHU, max_bytes=budget, max_items=options.max_items, keywords=channel.keywords)
        body_text = rendered.block_break.join(p for p in (rendered.summary, *rendered.blocks, rendered.note,
                                                          rendered.footer) if p)
        payload = _payload(rendered.title, body_text, template)
        if channel.secret:
            timestamp = str(int(now))
            payload = {"timestamp": timestamp, "sign": sign(channel.secret, timestamp), **payload}
        body = encode_json(payload)
        if len(body) <= MAX_BODY_BYTES or budget < 1000:
            return HttpRequest(channel.url, body)
        budget -= len(body) - MAX_BODY_BYTES + 200


def interpret(response: HttpResponse) -> Result:
    """``code`` 0 accepted; 11232 rate limited; signature, token, IP and keyword errors misconfigured."""
    return interpret_code_body(response, code_field="code", message_field="msg",
                               rate_limited=RATE_LIMITED_CODES, misconfigured=MISCONFIGURED_CODES)


KIND = ChannelKind("feishu", RATE, build, interpret)
