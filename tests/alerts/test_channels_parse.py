"""How each platform's answers are read (pure parsing; delivery itself is tested over HTTP)."""

from __future__ import annotations

import json

import pytest

from acrguard.alerts.channels import Outcome, kind_of
from acrguard.alerts.transport import HttpResponse


def _json(data, status=200, headers=None) -> HttpResponse:
    return HttpResponse(status, json.dumps(data).encode(), headers or {})


@pytest.mark.parametrize(("kind", "answer", "outcome"), [
    ("dingtalk", {"errcode": 0, "errmsg": "ok"}, Outcome.ACCEPTED),
    ("dingtalk", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, Outcome.RATE_LIMITED),
    ("dingtalk", {"errcode": 310000, "errmsg": "keywords not in content"}, Outcome.MISCONFIGURED),
    ("dingtalk", {"errcode": 300001, "errmsg": "token is not exist"}, Outcome.MISCONFIGURED),
    ("dingtalk", {"errcode": 40035, "errmsg": "缺少参数 json"}, Outcome.REJECTED),
    ("feishu", {"StatusCode": 0, "code": 0, "msg": "success"}, Outcome.ACCEPTED),
    ("feishu", {"code": 11232, "msg": "frequency limited"}, Outcome.RATE_LIMITED),
    ("feishu", {"code": 19021, "msg": "sign match fail"}, Outcome.MISCONFIGURED),
    ("wecom", {"errcode": 0, "errmsg": "ok"}, Outcome.ACCEPTED),
    ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}, Outcome.RATE_LIMITED),
    ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, Outcome.MISCONFIGURED),
])
def test_code_in_a_200_body_decides(kind, answer, outcome):
    """DingTalk, Feishu and WeCom answer HTTP 200; the code in the body decides the outcome."""
    assert kind_of(kind).interpret(_json(answer)).outcome is outcome


@pytest.mark.parametrize("kind", ["dingtalk", "feishu", "wecom", "slack", "webhook"])
def test_5xx_and_429_are_retried_later(kind):
    """Every platform: 5xx is unavailable, 429 is rate limited with its Retry-After."""
    interpret = kind_of(kind).interpret
    assert interpret(HttpResponse(502, b"bad gateway")).outcome is Outcome.UNAVAILABLE
    limited = interpret(HttpResponse(429, b"rate_limited", {"retry-after": "7"}))
    assert limited.outcome is Outcome.RATE_LIMITED and limited.retry_after_s == 7.0


def test_a_200_without_the_expected_body_is_retried():
    """A 200 that is not the platform's JSON (a proxy page) may not have arrived: retried later."""
    assert kind_of("dingtalk").interpret(HttpResponse(200, b"<html>portal</html>")).outcome is Outcome.UNAVAILABLE


@pytest.mark.parametrize(("status", "body", "outcome"), [
    (200, b"ok", Outcome.ACCEPTED),
    (404, b"no_service", Outcome.MISCONFIGURED),
    (410, b"channel_is_archived", Outcome.MISCONFIGURED),
    (400, b"invalid_payload", Outcome.REJECTED),
])
def test_slack_status_and_text_decide(status, body, outcome):
    """Slack answers with HTTP status and a short text code."""
    assert kind_of("slack").interpret(HttpResponse(status, body)).outcome is outcome
