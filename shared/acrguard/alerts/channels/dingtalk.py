"""DingTalk custom robot: markdown messages, optional signing, keyword security.

Facts from DingTalk's custom robot docs (open.dingtalk.com, "custom robot security settings" and "send
messages"): POST JSON to ``…/robot/send?access_token=T``; with signing on,
add ``timestamp`` (milliseconds) and ``sign`` = URL-encoded Base64 of HMAC-SHA256(key=secret,
message=``f"{timestamp}\\n{secret}"``) to the query. Answers are HTTP 200 with ``errcode``: 0 ok,
130101 "send too fast" (20 messages a minute per robot; going over blocks it for 10 minutes),
310000 security failures (sign, keyword, timestamp, IP), 300001/300005 "token is not exist"
(community reports). When keywords are configured one of them must appear in the message.
The reference gives no size limit; we keep the text under 18,000 bytes (our choice, below the
commonly reported 20,000).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

from acrguard.alerts.channels.base import ChannelKind, RenderOptions, Result, encode_json, interpret_code_body
from acrguard.alerts.message import Message
from acrguard.alerts.ratelimit import RateLimit
from acrguard.alerts.render import DINGTALK, render
from acrguard.alerts.transport import HttpRequest, HttpResponse
from acrguard.config.alerts import ChannelConfig

RATE = RateLimit(per_minute=20, block_s=600.0)
MAX_TEXT_BYTES = 18_000
RATE_LIMITED_CODES = (130101,)
MISCONFIGURED_CODES = (310000, 300001, 300005)


def sign(secret: str, timestamp_ms: str) -> str:
    """Base64 HMAC-SHA256 with the secret as key over ``"{timestamp}\\n{secret}"`` (before URL encoding)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def signed_url(url: str, secret: str, now: float) -> str:
    """``url`` with ``timestamp`` (ms) and the URL-encoded ``sign`` appended."""
    timestamp = str(int(now * 1000))
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={quote_plus(sign(secret, timestamp))}"


def build(message: Message, channel: ChannelConfig, now: float, options: RenderOptions) -> HttpRequest:
    """A markdown message (title + text), signed when the channel has a secret."""
    rendered = render(message, DINGTALK, max_bytes=MAX_TEXT_BYTES, max_items=options.max_items,
                      keywords=channel.keywords)
    payload = {"msgtype": "markdown", "markdown": {"title": rendered.title, "text": rendered.text},
               "at": {"isAtAll": False}}
    url = signed_url(channel.url, channel.secret, now) if channel.secret else channel.url
    return HttpRequest(url, encode_json(payload))


def interpret(response: HttpResponse) -> Result:
    """``errcode`` 0 accepted; 130101 rate limited; 310000 and unknown tokens misconfigured."""
    return interpret_code_body(response, code_field="errcode", message_field="errmsg",
                               rate_limited=RATE_LIMITED_CODES, misconfigured=MISCONFIGURED_CODES)


KIND = ChannelKind("dingtalk", RATE, build, interpret)
