"""WeCom (WeChat Work) group robot: markdown messages of at most 4096 bytes.

Facts from https://developer.work.weixin.qq.com/document/path/91770: POST JSON to
``…/cgi-bin/webhook/send?key=K``; ``msgtype``
``markdown`` (content ≤ 4096 bytes) or ``text`` (≤ 2048 bytes); 20 messages a minute per robot.
Answers are HTTP 200 with ``errcode``: 0 ok, 45009 "api freq out of limit" (commonly reported,
unverified), 93000 "invalid webhook url" (unknown key, user reports).
"""

from __future__ import annotations

from acrguard.alerts.channels.base import ChannelKind, RenderOptions, Result, encode_json, interpret_code_body
from acrguard.alerts.message import Message
from acrguard.alerts.ratelimit import RateLimit
from acrguard.alerts.render import WECOM, render
from acrguard.alerts.transport import HttpRequest, HttpResponse
from acrguard.config.alerts import ChannelConfig

RATE = RateLimit(per_minute=20, block_s=60.0)
MAX_MARKDOWN_BYTES = 4096
MAX_TEXT_BYTES = 2048
RATE_LIMITED_CODES = (45009,)
MISCONFIGURED_CODES = (93000,)


def build(message: Message, channel: ChannelConfig, now: float, options: RenderOptions) -> HttpRequest:
    """A markdown message whose content fits WeCom's 4096 bytes."""
    rendered = render(message, WECOM, max_bytes=MAX_MARKDOWN_BYTES, max_items=options.max_items)
    return HttpRequest(channel.url, encode_json({"msgtype": "markdown", "markdown": {"content": rendered.text}}))


def interpret(response: HttpResponse) -> Result:
    """``errcode`` 0 accepted; 45009 rate limited; 93000 (bad key) misconfigured."""
    return interpret_code_body(response, code_field="errcode", message_field="errmsg",
                               rate_limited=RATE_LIMITED_CODES, misconfigured=MISCONFIGURED_CODES)


KIND = ChannelKind("wecom", RATE, build, interpret)
