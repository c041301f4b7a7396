"""Feishu answers success in two forms, current and legacy; both are read, and a non-zero code in either fails."""

from __future__ import annotations

import json

import pytest

from acrguard.alerts.channels import Outcome, kind_of
from acrguard.alerts.transport import HttpResponse
from tests.alerts.helpers import FEISHU_SECRET, FEISHU_TOKEN, finding

CURRENT_OK = {"code": 0, "msg": "success", "data": {}}
LEGACY_OK = {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}


def read(answer: dict) -> object:
    """The channel's reading of an HTTP 200 answer."""
    return kind_of("feishu").interpret(HttpResponse(200, json.dumps(answer).encode(), {}))


@pytest.mark.parametrize("answer", [CURRENT_OK, LEGACY_OK, {**CURRENT_OK, **LEGACY_OK}],
                         ids=["current", "legacy", "documented"])
def test_either_success_form_is_accepted(answer):
    """code 0, StatusCode 0, or both (the guide's example) mean the message was taken."""
    assert read(answer).outcome is Outcome.ACCEPTED


@pytest.mark.parametrize(("answer", "outcome", "detail"), [
    ({"code": 19021, "msg": "sign match fail", "data": {}}, Outcome.MISCONFIGURED, "code 19021: sign match fail"),
    ({"Extra": None, "StatusCode": 19021, "StatusMessage": "sign match fail"}, Outcome.MISCONFIGURED,
     "StatusCode 19021: sign match fail"),
    ({"Extra": None, "StatusCode": 11232, "StatusMessage": "frequency limited"}, Outcome.RATE_LIMITED,
     "StatusCode 11232: frequency limited"),
    ({"Extra": None, "StatusCode": 9499, "StatusMessage": "Bad Request"}, Outcome.REJECTED,
     "StatusCode 9499: Bad Request"),
], ids=["current-19021", "legacy-19021", "legacy-11232", "legacy-9499"])
def test_a_non_zero_code_in_either_form_is_a_failure_with_the_code(answer, outcome, detail):
    """The failure names the field and the code it came from."""
    result = read(answer)
    assert (result.outcome, result.detail) == (outcome, detail)


def test_a_non_zero_code_wins_over_a_zero_in_the_other_form():
    """An answer carrying both forms fails when either code is non-zero."""
    assert read({"code": 0, "msg": "success", "StatusCode": 19024, "StatusMessage": "Key Words Not Found"}).detail \
        == "StatusCode 19024: Key Words Not Found"
    assert read({"code": 19024, "msg": "Key Words Not Found", "StatusCode": 0}).outcome is Outcome.MISCONFIGURED


def test_an_answer_in_neither_form_is_not_taken_for_success():
    """A 200 without either code (a proxy page?) is not counted as delivered."""
    assert read({"ok": True}).outcome is Outcome.UNAVAILABLE


@pytest.mark.parametrize("form", ["documented", "current", "legacy"])
def test_each_form_over_http(cloud, alerts_config, invocation, form):
    """A robot answering in each form takes the card; with the wrong secret each form's refusal is read as such."""
    cloud.chat.add_robot("feishu", FEISHU_TOKEN, secret=FEISHU_SECRET, answer=form)
    good = invocation(alerts_config("feishu")).process("whitelist", [finding()], {"cri-test0000000000001"})
    assert [d.outcome for d in good.deliveries] == [Outcome.ACCEPTED]
    answer = cloud.chat.messages("feishu")[0].answer
    assert ("StatusCode" in answer) == (form != "current") and ("code" in answer) == (form != "legacy")

    cloud.chat.add_robot("feishu", FEISHU_TOKEN, secret="rotated-secret", answer=form)
    other = "cri-test0000000000002"  # a new group, so it is sent at once
    bad = invocation(alerts_config("feishu")).process("whitelist", [finding(1, scope=other)], {other})
    assert [d.outcome for d in bad.deliveries] == [Outcome.MISCONFIGURED]
    assert "19021" in bad.deliveries[0].detail
