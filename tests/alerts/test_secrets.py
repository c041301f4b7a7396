"""Webhook URLs, tokens and secrets never appear in logs, errors, reports or the state store."""

from __future__ import annotations

import json
import logging

from acrguard.alerts.channels import Outcome
from acrguard.alerts.transport import HttpClientTransport, HttpRequest, TransportError
from acrguard.config.alerts import ChannelConfig
from tests.alerts.helpers import DING_SECRET, DING_TOKEN, FEISHU_SECRET, FEISHU_TOKEN, SECRETS, channel, finding

SCOPE = "cri-test0000000000001"


def _assert_clean(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"leaked {leaked}"


def test_failures_of_every_kind_leak_nothing(cloud, alerts_config, invocation, caplog, store):
    """5xx, bad signatures, rate limits, timeouts and refused connections: logs and reports stay clean."""
    caplog.set_level(logging.DEBUG)
    dead = f"http://127.0.0.1:9/webhook/{SECRETS[0]}"
    config = alerts_config(channels=[
        channel(cloud, "dingtalk", secret="SECwrongsecret000"), channel(cloud, "feishu"),
        channel(cloud, "wecom"), channel(cloud, "slack", timeout_s=0.2),
        channel(cloud, "webhook", name="dead", url=dead)])
    cloud.chat.fail("feishu", status=503, body=f"upstream {SECRETS[2]} failed")
    cloud.chat.fail("wecom", status=200, body={"errcode": 45009, "errmsg": f"api freq out of limit key={SECRETS[4]}"})
    cloud.chat.fail("slack", status=503, delay_s=0.4)
    report = invocation(config).process("whitelist", [finding()], {SCOPE})
    outcomes = {d.channel: d.outcome for d in report.deliveries}
    assert outcomes == {"ding": Outcome.MISCONFIGURED, "feishu": Outcome.UNAVAILABLE, "wecom": Outcome.RATE_LIMITED,
                        "slack": Outcome.UNAVAILABLE, "dead": Outcome.UNAVAILABLE}
    assert any("alerts:" in r.getMessage() for r in caplog.records)
    _assert_clean(caplog.text)
    _assert_clean(repr(report) + json.dumps(report.summary()))
    _assert_clean(json.dumps(store.values(""), ensure_ascii=False))


def test_transport_errors_name_no_url(cloud):
    """A refused connection raises TransportError whose text and cause hold no URL or token."""
    request = HttpRequest(f"http://127.0.0.1:9/robot/send?access_token={SECRETS[0]}", b"{}")
    try:
        HttpClientTransport().send(request, 1.0)
    except TransportError as exc:
        assert exc.kind == "connect"
        _assert_clean(str(exc) + repr(exc) + repr(exc.__cause__) + repr(exc.__context__))
    else:
        raise AssertionError("expected a TransportError")
    _assert_clean(repr(request))


def test_config_objects_do_not_show_url_or_secret(cloud):
    """A channel's repr and str leave out its URL and secret."""
    config = ChannelConfig.model_validate(channel(cloud, "dingtalk"))
    _assert_clean(repr(config) + str(config))


def _leaks(text: str, secret: str, window: int = 8) -> bool:
    """Whether any ``window`` consecutive characters of ``secret`` appear in ``text`` (a partial leak counts)."""
    return any(secret[i:i + window] in text for i in range(len(secret) - window + 1))


def test_a_robot_error_echoing_its_own_token_or_secret_leaks_nowhere(cloud, alerts_config, invocation, caplog, store):
    """Feishu 19021 naming its token and DingTalk 310000 naming its secret: log, report and state stay clean."""
    caplog.set_level(logging.DEBUG)
    config = alerts_config("feishu", "dingtalk")
    cloud.chat.fail("feishu", status=200, body={"code": 19021, "msg": f"sign match fail, robot {FEISHU_TOKEN} "
                                                                      f"secret {FEISHU_SECRET}"})
    cloud.chat.fail("dingtalk", status=200, body={"errcode": 310000, "errmsg": f"sign not match: {DING_SECRET} for "
                                                                             f"{DING_TOKEN}"})
    report = invocation(config).process("whitelist", [finding()], {SCOPE})
    assert {d.channel: d.outcome for d in report.deliveries} == {"feishu": Outcome.MISCONFIGURED,
                                                                 "ding": Outcome.MISCONFIGURED}
    state = json.dumps(store.values(""), ensure_ascii=False)
    assert "code 19021: sign match fail" in state and "errcode 310000: sign not match" in state  # the cause is kept
    for text in (caplog.text, repr(report) + json.dumps(report.summary()), state):
        leaked = [s for s in (FEISHU_TOKEN, FEISHU_SECRET, DING_SECRET, DING_TOKEN) if _leaks(text, s)]
        assert not leaked, f"leaked {leaked}"
