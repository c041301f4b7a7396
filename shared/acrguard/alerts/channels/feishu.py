"""Feishu / Lark custom bot: an interactive card with a markdown body, optional signing.

From Feishu's custom bot guide ("自定义机器人使用指南",
https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, also
https://open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN): POST JSON to
``…/open-apis/bot/v2/hook/T``; with signing on, the body carries ``timestamp`` (seconds, as a
string) and ``sign`` = Base64 of HMAC-SHA256 with the key ``f"{timestamp}\\n{secret}"`` over an
empty message (the reverse of DingTalk). Limits: 100 requests a minute and 5 a second per bot, body
at most 20 KB; 11232 answers a rate-limited request. Errors: 19021 bad signature or stale timestamp, 19022 IP not
allowed, 19024 keyword missing, 9499 bad request; 19001 (unknown token) is reported by users.

Success comes in two forms. The current one is ``{"code": 0, "msg": "success", "data": {}}``; the
guide's success example also carries ``"StatusCode": 0, "StatusMessage": "success"`` (and
``"Extra": null``), marked as redundant fields kept for older integrations, and older bots answer
with those legacy fields alone. Either form is read: a non-zero ``code`` or ``StatusCode`` is a
failure with that code; both zero (or the one present zero) is success.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
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


#: the answer's code fields, current form first: (code, message)
ANSWER_FIELDS = (("code", "msg"), ("StatusCode", "StatusMessage"))


def _answer_fields(response: HttpResponse) -> tuple[str, str]:
    """The (code, message) fields to judge the answer by: the first non-zero code, else the first present."""
    try:
        data = json.loads(response.body)
    except ValueError:
        return ANSWER_FIELDS[0]
    if not isinstance(data, dict):
        return ANSWER_FIELDS[0]
    present = [fields for fields in ANSWER_FIELDS if fields[0] in data]
    for fields in present:
        if str(data[fields[0]]).strip() not in ("0", ""):
            return fields
    return present[0] if present else ANSWER_FIELDS[0]


def interpret(response: HttpResponse) -> Result:
    """``code`` (or the legacy ``StatusCode``) 0 accepted; 11232 rate limited; security errors misconfigured."""
    code_field, message_field = _answer_fields(response)
    return interpret_code_body(response, code_field=code_field, message_field=message_field,
                               rate_limited=RATE_LIMITED_CODES, misconfigured=MISCONFIGURED_CODES)


KIND = ChannelKind("feishu", RATE, build, interpret)
