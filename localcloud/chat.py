"""Chat webhook sinks: stand-ins for the DingTalk, Feishu, WeCom, Slack and generic webhooks.

One HTTP server on its own 127.0.0.1 port, a path per platform and robot::

    POST /dingtalk/robot/send?access_token=T[&timestamp=MS&sign=S]
    POST /feishu/open-apis/bot/v2/hook/T
    POST /wecom/cgi-bin/webhook/send?key=K
    POST /slack/services/T/B/X
    POST /webhook/NAME
    GET  /messages[?kind=&robot=]          what was received (for the demo)

Robots come from the world (unknown tokens are refused as the platforms refuse them)::

    chat:
      dingtalk: {TOKEN: {secret: SEC..., keywords: [acrguard]}}
      feishu:   {TOKEN: {secret: ..., keywords: [...], answer: documented}}   # or current, legacy
      wecom:    {KEY: {}}
      slack:    {"T000/B000/XXXX": {}}
      webhook:  {NAME: {}}

Behaviour, from the platforms' robot and webhook docs (DingTalk's custom robot pages on
open.dingtalk.com; https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot;
https://work.weixin.qq.com/api/doc/90000/90136/91770; https://api.slack.com/docs/rate-limits and
Slack's incoming webhook docs) unless marked otherwise:

* DingTalk: signature in the query (HMAC-SHA256 keyed with the secret over ``"{ms}\\n{secret}"``,
  Base64, URL-encoded), timestamp within one hour; keyword must appear; 20 messages a minute per
  robot, the 21st answers 130101 and blocks the robot for 10 minutes. Errors are HTTP 200 with
  ``errcode``/``errmsg``: 310000 (``sign not match``, ``invalid timestamp``, ``keywords not in
  content``), 300001 ``token is not exist`` (user reports), 40035 for a body that is not a message
  (emulator's choice of code).
* Feishu: ``timestamp`` (seconds) and ``sign`` in the JSON body (HMAC-SHA256 keyed with
  ``"{s}\\n{secret}"`` over an empty message); 100 a minute and 5 a second; body at most 20 KB.
  ``code``/``msg``: 19021 bad signature or stale timestamp, 19001 unknown token, 19024 keyword
  missing (user reports), 11232 rate limited; 9499 for a bad or oversize body (emulator's choice).
  The answer's form is the robot's ``answer`` setting. ``documented`` (default): the success body of
  the custom bot guide (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot),
  ``{"code": 0, "msg": "success", "data": {}}`` plus the legacy fields the guide keeps for older
  integrations, ``"Extra": null, "StatusCode": 0, "StatusMessage": "success"``; errors as
  ``{"code", "msg", "data"}``. ``current``: ``code``/``msg``/``data`` only. ``legacy``: only
  ``Extra``/``StatusCode``/``StatusMessage``, errors too (emulator's choice for errors: no sample of
  a legacy error body was found).
* WeCom: 20 a minute → 45009; unknown key → 93000; markdown over 4096 bytes or text over 2048 →
  40058 (emulator's choice of code).
* Slack: about one a second → HTTP 429 ``rate_limited`` with ``Retry-After``; unknown webhook → 404
  ``no_service``; bad JSON → 400 ``invalid_payload``; no text or blocks → 400 ``no_text``; header
  over 150 characters, a section over 3000 or more than 50 blocks → 400 ``invalid_blocks`` (Slack
  Block Kit limits).

Only accepted messages count toward a rate limit (emulator's choice). Tests can make a sink fail
with ``ChatSinks.fail`` (a 5xx, any body, or a delay). Time is the cloud's clock.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from localcloud.clock import Clock
from localcloud.httpserver import QuietHandler

KINDS = ("dingtalk", "feishu", "wecom", "slack", "webhook")
WINDOW_S = 60.0
DINGTALK_PER_MINUTE = 20
DINGTALK_BLOCK_S = 600.0
WECOM_PER_MINUTE = 20
FEISHU_PER_MINUTE = 100
FEISHU_PER_SECOND = 5
FEISHU_MAX_BODY = 20 * 1024
SLACK_PER_SECOND = 1
SIGN_SKEW_S = 3600.0
#: the forms of a Feishu robot's answers (see the module docstring)
FEISHU_ANSWERS = ("documented", "current", "legacy")


@dataclass(frozen=True)
class Robot:
    """One robot's security settings."""

    secret: str | None = None
    keywords: tuple[str, ...] = ()
    answer: str = "documented"  # Feishu only: the form of its answers (FEISHU_ANSWERS)


@dataclass
class ChatMessage:
    """One request a sink received and what it answered."""

    kind: str
    robot: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, or the raw text when not JSON
    raw: bytes
    at: float
    status: int = 200
    answer: Any = None
    accepted: bool = False

    @property
    def text(self) -> str:
        """The human-readable content of the message (markdown text, card body or Slack sections)."""
        body = self.body if isinstance(self.body, dict) else {}
        if self.kind == "dingtalk":
            part = body.get(body.get("msgtype", ""), {}) or {}
            return "\n".join(str(part.get(k, "")) for k in ("title", "text", "content") if part.get(k))
        if self.kind == "wecom":
            return str((body.get(body.get("msgtype", ""), {}) or {}).get("content", ""))
        if self.kind == "feishu":
            card = body.get("card") or {}
            title = ((card.get("header") or {}).get("title") or {}).get("content", "")
            elements = [str(e.get("content", "")) for e in card.get("elements") or [] if isinstance(e, dict)]
            return "\n".join([title, *elements]) if card else str((body.get("content") or {}).get("text", ""))
        if self.kind == "slack":
            texts = [body.get("text", "")]
            for block in body.get("blocks") or []:
                text = block.get("text") or {}
                texts.append(text.get("text", "") if isinstance(text, dict) else "")
                texts.extend(e.get("text", "") for e in block.get("elements") or [] if isinstance(e, dict))
            return "\n".join(t for t in texts if t)
        return str(body.get("text", ""))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``GET /messages``."""
        return {"kind": self.kind, "robot": self.robot, "path": self.path, "query": self.query, "body": self.body,
                "at": self.at, "status": self.status, "answer": self.answer, "accepted": self.accepted}


@dataclass
class FailRule:
    """Answer matching requests with ``status``/``body`` (after ``delay_s``), ``times`` times (None: always)."""

    kind: str = "*"
    robot: str = "*"
    status: int = 503
    body: Any = "Service Unavailable"
    delay_s: float = 0.0
    times: int | None = 1
    fired: int = field(default=0, init=False)


class ChatSinks:
    """The robots of every platform, their rate-limit state, and what they received."""

    def __init__(self, config: dict[str, Any] | None, clock: Clock) -> None:
        self.clock = clock
        self.robots: dict[str, dict[str, Robot]] = {kind: {} for kind in KINDS}
        self.received: list[ChatMessage] = []
        self._accepted_at: dict[tuple[str, str], list[float]] = {}
        self._blocked_until: dict[tuple[str, str], float] = {}
        self._failures: list[FailRule] = []
        self._lock = threading.Lock()
        config = config or {}
        if not isinstance(config, dict):
            raise ValueError("world: chat must map platform kinds to robots")
        for kind, robots in config.items():
            if kind not in KINDS:
                raise ValueError(f"world: chat.{kind}: unknown platform; expected one of {list(KINDS)}")
            for token, settings in (robots or {}).items():
                self.add_robot(kind, str(token), **(settings or {}))

    # -- set-up --------------------------------------------------------------------------------
    def add_robot(self, kind: str, token: str, secret: str | None = None, keywords: list[str] | tuple[str, ...] = (),
                  answer: str = "documented") -> None:
        """Register a robot (a token with its security settings; a Feishu robot's answer form)."""
        if kind not in KINDS:
            raise ValueError(f"unknown chat platform {kind!r}; expected one of {list(KINDS)}")
        if answer not in FEISHU_ANSWERS or (kind != "feishu" and answer != "documented"):
            raise ValueError(f"chat.{kind}.{token}: answer must be one of {list(FEISHU_ANSWERS)} (Feishu robots only)")
        self.robots[kind][token] = Robot(secret, tuple(keywords), answer)

    def fail(self, kind: str = "*", robot: str = "*", *, status: int = 503, body: Any = "Service Unavailable",
             delay_s: float = 0.0, times: int | None = 1) -> FailRule:
        """Make matching requests fail (fnmatch patterns) with ``status``/``body`` after ``delay_s``."""
        rule = FailRule(kind, robot, status, body, delay_s, times)
        with self._lock:
            self._failures.append(rule)
        return rule

    def clear_failures(self) -> None:
        """Remove every failure rule."""
        with self._lock:
            self._failures.clear()

    # -- inspection ----------------------------------------------------------------------------
    def messages(self, kind: str | None = None, robot: str | None = None, *, accepted: bool | None = None
                 ) -> list[ChatMessage]:
        """Received requests, optionally by platform, robot and whether they were accepted."""
        with self._lock:
            items = list(self.received)
        return [m for m in items if (kind is None or m.kind == kind) and (robot is None or m.robot == robot)
                and (accepted is None or m.accepted == accepted)]

    def accepted(self, kind: str | None = None, robot: str | None = None) -> list[ChatMessage]:
        """Messages the sinks accepted (what people would have seen)."""
        return self.messages(kind, robot, accepted=True)

    # -- handling ------------------------------------------------------------------------------
    def handle(self, path: str, query: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        """Answer one POST: ``(status, JSON-ready or text answer, extra headers)``."""
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        kind, robot = _route(path, params)
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode("utf-8", errors="replace")
        message = ChatMessage(kind or "unknown", robot or "", path, params, parsed, body, self.clock.now())
        rule = self._failure_for(message.kind, message.robot)
        if rule is not None:
            if rule.delay_s:
                time.sleep(rule.delay_s)
            status, answer, headers = rule.status, rule.body, {}
        elif kind is None:
            status, answer, headers = 404, "404 page not found", {}
        else:
            with self._lock:
                status, answer, headers = _HANDLERS[kind](self, message)
        message.status, message.answer = status, answer
        with self._lock:
            self.received.append(message)
        return status, answer, headers

    def _failure_for(self, kind: str, robot: str) -> FailRule | None:
        with self._lock:
            for rule in self._failures:
                if fnmatch.fnmatchcase(kind, rule.kind) and fnmatch.fnmatchcase(robot, rule.robot) and \
                        (rule.times is None or rule.fired < rule.times):
                    rule.fired += 1
                    return rule
        return None

    # rate-limit bookkeeping (called with the lock held)
    def _recent(self, key: tuple[str, str], window: float) -> int:
        now = self.clock.now()
        times = [t for t in self._accepted_at.get(key, []) if t > now - WINDOW_S]
        self._accepted_at[key] = times
        return sum(1 for t in times if t > now - window)

    def _accept(self, message: ChatMessage) -> None:
        message.accepted = True
        self._accepted_at.setdefault((message.kind, message.robot), []).append(self.clock.now())


def _route(path: str, params: dict[str, str]) -> tuple[str | None, str | None]:
    """``(kind, robot token)`` for a request path, or ``(None, None)``."""
    parts = [p for p in path.split("/") if p]
    if parts[:3] == ["dingtalk", "robot", "send"] and len(parts) == 3:
        return "dingtalk", params.get("access_token", "")
    if parts[:5] == ["feishu", "open-apis", "bot", "v2", "hook"] and len(parts) == 6:
        return "feishu", parts[5]
    if parts[:4] == ["wecom", "cgi-bin", "webhook", "send"] and len(parts) == 4:
        return "wecom", params.get("key", "")
    if parts[:2] == ["slack", "services"] and len(parts) == 5:
        return "slack", "/".join(parts[2:])
    if parts[:1] == ["webhook"] and len(parts) == 2:
        return "webhook", parts[1]
    return None, None


def _keywords_present(robot: Robot, text: str) -> bool:
    return not robot.keywords or any(k in text for k in robot.keywords)


def _dingtalk_sign(secret: str, timestamp: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def _feishu_sign(secret: str, timestamp: str) -> str:
    mac = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def _dingtalk(sinks: ChatSinks, message: ChatMessage) -> tuple[int, Any, dict[str, str]]:
    def answer(code: int, text: str) -> tuple[int, Any, dict[str, str]]:
        return 200, {"errcode": code, "errmsg": text}, {}

    robot = sinks.robots["dingtalk"].get(message.robot)
    if robot is None:
        return answer(300001, "token is not exist")
    key = ("dingtalk", message.robot)
    now = sinks.clock.now()
    if sinks._blocked_until.get(key, 0.0) > now or sinks._recent(key, WINDOW_S) >= DINGTALK_PER_MINUTE:
        sinks._blocked_until.setdefault(key, 0.0)
        if sinks._blocked_until[key] <= now:
            sinks._blocked_until[key] = now + DINGTALK_BLOCK_S
        return answer(130101, "send too fast, exceed 20 times per minute")
    if robot.secret:
        timestamp, signature = message.query.get("timestamp", ""), message.query.get("sign", "")
        if not timestamp.isdigit() or abs(int(timestamp) / 1000.0 - now) > SIGN_SKEW_S:
            return answer(310000, "invalid timestamp")
        if not hmac.compare_digest(signature, _dingtalk_sign(robot.secret, timestamp)):
            return answer(310000, "sign not match")
    body = message.body
    if not isinstance(body, dict) or body.get("msgtype") not in ("text", "markdown", "link", "actionCard",
                                                                  "feedCard"):
        return answer(40035, "缺少参数 json")
    if not _keywords_present(robot, message.text):
        return answer(310000, "keywords not in content")
    sinks._accept(message)
    return answer(0, "ok")


def _feishu_answer(form: str, code: int, text: str) -> dict[str, Any]:
    """A Feishu answer body in one of ``FEISHU_ANSWERS``."""
    current = {"code": code, "data": {}, "msg": text}
    legacy = {"Extra": None, "StatusCode": code, "StatusMessage": text}
    if form == "legacy":
        return legacy
    if form == "documented" and code == 0:
        return {**current, **legacy}
    return current


def _feishu(sinks: ChatSinks, message: ChatMessage) -> tuple[int, Any, dict[str, str]]:
    robot = sinks.robots["feishu"].get(message.robot)

    def answer(code: int, text: str) -> tuple[int, Any, dict[str, str]]:
        return 200, _feishu_answer(robot.answer if robot else "documented", code, text), {}

    if robot is None:
        return answer(19001, "param invalid: incoming webhook access token invalid")
    key = ("feishu", message.robot)
    if sinks._recent(key, WINDOW_S) >= FEISHU_PER_MINUTE or sinks._recent(key, 1.0) >= FEISHU_PER_SECOND:
        return answer(11232, "frequency limited")
    if len(message.raw) > FEISHU_MAX_BODY:
        return answer(9499, f"request body too large ({len(message.raw)} bytes, limit {FEISHU_MAX_BODY})")
    body = message.body
    if not isinstance(body, dict) or body.get("msg_type") not in ("text", "post", "interactive", "image",
                                                                   "share_chat"):
        return answer(9499, "Bad Request")
    if robot.secret:
        timestamp, signature = str(body.get("timestamp", "")), str(body.get("sign", ""))
        fresh = timestamp.isdigit() and abs(int(timestamp) - sinks.clock.now()) <= SIGN_SKEW_S
        if not fresh or not hmac.compare_digest(signature, _feishu_sign(robot.secret, timestamp)):
            return answer(19021, "sign match fail or timestamp is not within one hour from current time")
    if not _keywords_present(robot, json.dumps(body, ensure_ascii=False)):
        return answer(19024, "Key Words Not Found")
    sinks._accept(message)
    return answer(0, "success")


def _wecom(sinks: ChatSinks, message: ChatMessage) -> tuple[int, Any, dict[str, str]]:
    def answer(code: int, text: str) -> tuple[int, Any, dict[str, str]]:
        return 200, {"errcode": code, "errmsg": text}, {}

    if message.robot not in sinks.robots["wecom"]:
        return answer(93000, "invalid webhook url, hint: [localcloud]")
    if sinks._recent(("wecom", message.robot), WINDOW_S) >= WECOM_PER_MINUTE:
        return answer(45009, "api freq out of limit, hint: [localcloud]")
    body = message.body
    kind = body.get("msgtype") if isinstance(body, dict) else None
    if kind not in ("text", "markdown", "image", "news", "file", "voice", "template_card"):
        return answer(40008, "invalid message type")
    content = str((body.get(kind) or {}).get("content", ""))
    limit = {"markdown": 4096, "text": 2048}.get(kind)
    if limit is not None and len(content.encode("utf-8")) > limit:
        return answer(40058, f"{kind}.content exceed max length {limit}")
    sinks._accept(message)
    return answer(0, "ok")


def _slack(sinks: ChatSinks, message: ChatMessage) -> tuple[int, Any, dict[str, str]]:
    if message.robot not in sinks.robots["slack"]:
        return 404, "no_service", {}
    if sinks._recent(("slack", message.robot), 1.0) >= SLACK_PER_SECOND:
        return 429, "rate_limited", {"Retry-After": "1"}
    body = message.body
    if not isinstance(body, dict):
        return 400, "invalid_payload", {}
    blocks = body.get("blocks")
    if not body.get("text") and not blocks:
        return 400, "no_text", {}
    if blocks is not None and not _valid_blocks(blocks):
        return 400, "invalid_blocks", {}
    sinks._accept(message)
    return 200, "ok", {}


def _valid_blocks(blocks: Any) -> bool:
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for block in blocks:
        if not isinstance(block, dict) or "type" not in block:
            return False
        text = block.get("text")
        if isinstance(text, dict):
            limit = 150 if block["type"] == "header" else 3000
            if len(str(text.get("text", ""))) > limit:
                return False
    return True


def _webhook(sinks: ChatSinks, message: ChatMessage) -> tuple[int, Any, dict[str, str]]:
    if message.robot not in sinks.robots["webhook"]:
        return 404, {"error": "unknown webhook"}, {}
    if not isinstance(message.body, dict):
        return 400, {"error": "the body is not a JSON object"}, {}
    sinks._accept(message)
    return 200, {"status": "ok"}, {}


_HANDLERS: dict[str, Callable[[ChatSinks, ChatMessage], tuple[int, Any, dict[str, str]]]] = {
    "dingtalk": _dingtalk, "feishu": _feishu, "wecom": _wecom, "slack": _slack, "webhook": _webhook,
}


def make_handler(sinks: Callable[[], ChatSinks]) -> type[QuietHandler]:
    """The handler class serving the sinks that ``sinks()`` returns (looked up per request)."""

    class ChatHandler(QuietHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            status, answer, headers = sinks().handle(parts.path, parts.query, self.read_body())
            try:
                if isinstance(answer, (dict, list)):
                    self.send_bytes(status, json.dumps(answer, ensure_ascii=False).encode("utf-8"), headers=headers)
                else:
                    self.send_bytes(status, str(answer).encode("utf-8"), "text/plain; charset=utf-8", headers)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                self.close_connection = True

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.rstrip("/") != "/messages":
                self.send_bytes(404, b'{"error":"not found"}')
                return
            args = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            items = sinks().messages(args.get("kind"), args.get("robot"))
            self.send_bytes(200, json.dumps({"messages": [m.to_dict() for m in items]}, ensure_ascii=False,
                                            default=str).encode("utf-8"))

    return ChatHandler

