"""The chat sinks: signatures checked, rate limits with the platforms' codes, everything recorded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import urllib.request
from typing import Any

import pytest

from support import base_world

DING, DING_SECRET = "dtok0001", "SECding0001"
FEISHU, FEISHU_SECRET = "ftok0001", "feishu-secret"


@pytest.fixture
def world() -> dict[str, Any]:
    """The base world with one robot per platform."""
    data = base_world()
    data["chat"] = {"dingtalk": {DING: {"secret": DING_SECRET, "keywords": ["acrguard"]}},
                    "feishu": {FEISHU: {"secret": FEISHU_SECRET, "keywords": ["acrguard"]}},
                    "wecom": {"wkey": {}}, "slack": {"T1/B1/X1": {}}, "webhook": {"hook": {}}}
    return data


def post(cloud, path: str, body: Any) -> tuple[int, Any]:
    """POST JSON to the chat sink; the answer as (status, JSON or text)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://{cloud.endpoints()['chat']}{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


def ding_path(cloud, secret: str = DING_SECRET, timestamp_ms: int | None = None) -> str:
    """The signed DingTalk path (the custom robot's signing: HMAC-SHA256 keyed with the secret, open.dingtalk.com)."""
    ts = str(timestamp_ms if timestamp_ms is not None else int(cloud.clock.now() * 1000))
    sign = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    return f"/dingtalk/robot/send?access_token={DING}&timestamp={ts}&sign={urllib.parse.quote_plus(sign)}"


def feishu_body(cloud, text: str = "acrguard alert", secret: str = FEISHU_SECRET) -> dict[str, Any]:
    """A signed Feishu text message (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot)."""
    ts = str(int(cloud.clock.now()))
    sign = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    return {"timestamp": ts, "sign": sign, "msg_type": "text", "content": {"text": text}}


MARKDOWN = {"msgtype": "markdown", "markdown": {"title": "t", "text": "acrguard: something"}}


def test_dingtalk_accepts_a_correct_signature_and_records_it(cloud):
    """A signed message with the keyword is accepted (errcode 0) and recorded with its query and body.

    Source: DingTalk's custom robot security settings (open.dingtalk.com).
    """
    assert post(cloud, ding_path(cloud), MARKDOWN) == (200, {"errcode": 0, "errmsg": "ok"})
    (message,) = cloud.chat.accepted("dingtalk", DING)
    assert message.body == MARKDOWN and message.query["access_token"] == DING
    assert message.text == "t\nacrguard: something"


def test_dingtalk_rejects_bad_signatures_stale_timestamps_missing_keywords_and_tokens(cloud):
    """Security failures answer 310000 with the platform's messages; an unknown token 300001.

    Source: DingTalk's robot docs (310000); 300001: user reports.
    """
    assert post(cloud, ding_path(cloud, secret="wrong"), MARKDOWN)[1] == {"errcode": 310000,
                                                                         "errmsg": "sign not match"}
    stale = int((cloud.clock.now() - 7200) * 1000)
    assert post(cloud, ding_path(cloud, timestamp_ms=stale), MARKDOWN)[1]["errmsg"] == "invalid timestamp"
    no_keyword = {"msgtype": "text", "text": {"content": "hello"}}
    assert post(cloud, ding_path(cloud), no_keyword)[1] == {"errcode": 310000, "errmsg": "keywords not in content"}
    assert post(cloud, "/dingtalk/robot/send?access_token=nope", MARKDOWN)[1] == {"errcode": 300001,
                                                                                 "errmsg": "token is not exist"}
    assert cloud.chat.accepted() == []


def test_dingtalk_21st_message_in_a_minute_blocks_the_robot_for_ten_minutes(cloud):
    """20 a minute pass; the 21st gets 130101 and the robot stays blocked for 10 minutes.

    Source: DingTalk's robot docs; ACR's event notification page (20 a minute, 10 minutes).
    """
    for _ in range(20):
        assert post(cloud, ding_path(cloud), MARKDOWN)[1]["errcode"] == 0
    assert post(cloud, ding_path(cloud), MARKDOWN)[1] == {"errcode": 130101,
                                                          "errmsg": "send too fast, exceed 20 times per minute"}
    cloud.advance(61)
    assert post(cloud, ding_path(cloud), MARKDOWN)[1]["errcode"] == 130101
    cloud.advance(540)
    assert post(cloud, ding_path(cloud), MARKDOWN)[1]["errcode"] == 0


def test_feishu_checks_signature_in_the_body_and_keyword(cloud):
    """Feishu: a good signature is accepted; a bad one gets 19021; a missing keyword 19024; unknown token 19001.

    Source: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot; 19001: user reports.
    """
    path = f"/feishu/open-apis/bot/v2/hook/{FEISHU}"
    assert post(cloud, path, feishu_body(cloud))[1]["code"] == 0
    assert post(cloud, path, feishu_body(cloud, secret="bad"))[1] == {
        "code": 19021, "data": {}, "msg": "sign match fail or timestamp is not within one hour from current time"}
    assert post(cloud, path, feishu_body(cloud, text="hello"))[1]["code"] == 19024
    assert post(cloud, "/feishu/open-apis/bot/v2/hook/unknown", feishu_body(cloud))[1]["code"] == 19001


@pytest.mark.parametrize(("form", "ok", "refused"), [
    ("documented",
     {"code": 0, "msg": "success", "data": {}, "Extra": None, "StatusCode": 0, "StatusMessage": "success"},
     {"code": 19024, "msg": "Key Words Not Found", "data": {}}),
    ("current", {"code": 0, "msg": "success", "data": {}}, {"code": 19024, "msg": "Key Words Not Found", "data": {}}),
    ("legacy", {"Extra": None, "StatusCode": 0, "StatusMessage": "success"},
     {"Extra": None, "StatusCode": 19024, "StatusMessage": "Key Words Not Found"}),
])
def test_feishu_answers_in_the_form_the_world_gives_the_robot(cloud, form, ok, refused):
    """A Feishu robot's ``answer`` setting picks the documented, current or legacy body, for success and errors.

    Source: the custom bot guide's success example; the legacy error body: emulator's choice.
    """
    cloud.load_world({**cloud.world, "chat": {"feishu": {"formbot": {"keywords": ["acrguard"], "answer": form}}}})
    path = "/feishu/open-apis/bot/v2/hook/formbot"
    assert post(cloud, path, {"msg_type": "text", "content": {"text": "acrguard alert"}}) == (200, ok)
    assert post(cloud, path, {"msg_type": "text", "content": {"text": "hello"}}) == (200, refused)


def test_an_unknown_answer_form_is_a_world_error(cloud):
    """Only documented, current and legacy exist, and only for Feishu robots.

    Source: emulator's choice.
    """
    with pytest.raises(ValueError, match="answer must be one of"):
        cloud.chat.add_robot("feishu", "x", answer="v3")
    with pytest.raises(ValueError, match="Feishu robots only"):
        cloud.chat.add_robot("dingtalk", "x", answer="legacy")


def test_feishu_allows_five_a_second(cloud):
    """The sixth message within a second gets 11232; a second later it passes.

    Source: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (100 a minute, 5 a second).
    """
    path = f"/feishu/open-apis/bot/v2/hook/{FEISHU}"
    codes = [post(cloud, path, feishu_body(cloud))[1]["code"] for _ in range(6)]
    assert codes == [0, 0, 0, 0, 0, 11232]
    cloud.advance(1.1)
    assert post(cloud, path, feishu_body(cloud))[1]["code"] == 0


def test_wecom_limits_20_a_minute_and_4096_bytes(cloud):
    """WeCom: 45009 past 20 a minute, 40058 for markdown over 4096 bytes, 93000 for an unknown key.

    Source: https://developer.work.weixin.qq.com/document/path/91770; 40058: emulator's choice.
    """
    path = "/wecom/cgi-bin/webhook/send?key=wkey"
    too_long = {"msgtype": "markdown", "markdown": {"content": "x" * 4097}}
    assert post(cloud, path, too_long)[1]["errcode"] == 40058
    for _ in range(20):
        assert post(cloud, path, {"msgtype": "markdown", "markdown": {"content": "hi"}})[1]["errcode"] == 0
    assert post(cloud, path, {"msgtype": "markdown", "markdown": {"content": "hi"}})[1]["errcode"] == 45009
    assert post(cloud, "/wecom/cgi-bin/webhook/send?key=other", MARKDOWN)[1]["errcode"] == 93000


def test_slack_answers_429_when_faster_than_one_a_second(cloud):
    """Slack: ok, then 429 rate_limited with Retry-After within the same second; bad blocks are 400.

    Source: https://api.slack.com/docs/rate-limits; Slack's Block Kit limits.
    """
    path = "/slack/services/T1/B1/X1"
    assert post(cloud, path, {"text": "hi"}) == (200, "ok")
    assert post(cloud, path, {"text": "hi"}) == (429, "rate_limited")
    cloud.advance(1.5)
    assert post(cloud, path, {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}) \
        == (400, "invalid_blocks")
    assert post(cloud, "/slack/services/T9/B9/X9", {"text": "hi"}) == (404, "no_service")


def test_injected_failures_answer_as_told_and_are_recorded(cloud):
    """``fail`` makes the next matching requests answer a 5xx; they are recorded as not accepted."""
    cloud.chat.fail("webhook", status=502, body="bad gateway", times=1)
    assert post(cloud, "/webhook/hook", {"a": 1}) == (502, "bad gateway")
    assert post(cloud, "/webhook/hook", {"a": 1}) == (200, {"status": "ok"})
    assert [m.accepted for m in cloud.chat.messages("webhook")] == [False, True]


def test_messages_can_be_listed_over_http(cloud):
    """``GET /messages`` lists what was received (for the demo)."""
    post(cloud, "/webhook/hook", {"text": "acrguard"})
    with urllib.request.urlopen(f"http://{cloud.endpoints()['chat']}/messages?kind=webhook", timeout=5) as answer:
        listed = json.loads(answer.read())["messages"]
    assert [(m["kind"], m["robot"], m["accepted"], m["body"]) for m in listed] == [
        ("webhook", "hook", True, {"text": "acrguard"})]


def test_unknown_platform_in_the_world_is_an_error():
    """A world with an unknown chat platform fails to load, naming it."""
    from localcloud import LocalCloud

    with pytest.raises(ValueError, match=r"world: chat\.teams: unknown platform"):
        LocalCloud({"chat": {"teams": {}}})
