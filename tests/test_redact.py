"""Redaction: what ``redact_text`` and ``redact_url`` remove from free text, JSON, URLs and robot answers."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from acrguard.redact import mask_access_key_id, redact_text, redact_url

TOKEN = "CAIS9xQ1tokenvalue+Sl/ash=="
SECRET = "AkSecretNeverShown0001"
KEY_ID = "LTAI5tAbCdEfGhIjKlMn3x"


def test_access_key_ids_are_masked_also_after_a_url_encoded_equals_sign():
    """``AccessKeyId%3DLTAI…`` (an SDK's URL-encoded string to sign) shows the id masked."""
    text = redact_text(f"string to sign: GET&%2F&AccessKeyId%3D{KEY_ID}%26Action%3DListUsers")
    assert KEY_ID not in text and "AccessKeyId%3DLTAI****Mn3x" in text


@pytest.mark.parametrize("template", [
    "SecurityToken%3D{t}%26SignatureMethod%3DHMAC-SHA1",  # URL-encoded query inside a signature error
    "SecurityToken={t}&Signature=abc",
    '{{"SecurityToken":"{t}","RequestId":"r-1"}}',  # JSON without spaces
    '{{"AccessKeySecret": "{t}"}}',
    "{{'security_token': '{t}'}}",  # a Python dict's repr
    "StaticCredentials(security_token='{t}')",
    "x-acs-security-token: {t}",
    "customAccessKeySecret={t}",
])
def test_secret_pairs_are_removed_in_every_spelling(template):
    """Tokens and secrets named in query strings, JSON, reprs and headers are replaced by ****."""
    text = redact_text(template.format(t=TOKEN))
    assert TOKEN not in text and quote(TOKEN, safe="") not in text and "CAIS9xQ1" not in text
    assert "****" in text


def test_redacting_json_text_keeps_it_valid_json():
    """A decision log line (JSON holding JSON) is still valid JSON after every secret in it is removed."""
    inner = json.dumps({"SecurityToken": TOKEN, "url": "https://hooks.slack.com/services/T0/B0/xyz",
                        "h": "authorization: Bearer abcdef123"})
    line = json.dumps({"error": inner, "hook": "access_token=abc\\"})
    cleaned = redact_text(line)
    assert json.loads(cleaned)["error"].count("****") == 3
    assert TOKEN not in cleaned and "xyz" not in cleaned and "abcdef123" not in cleaned


def test_known_secrets_are_removed_longest_first_and_in_encoded_forms():
    """A secret that contains a shorter one is removed whole; URL-encoded and JSON-escaped copies go too."""
    hook = "feishuhook0001abcdef"
    text = redact_text(f"token {hook}; again {quote(TOKEN, safe='')} and {json.dumps(TOKEN)}",
                       ("feishu", hook, TOKEN))
    assert "hook0001" not in text and "CAIS9xQ1" not in text


@pytest.mark.parametrize(("url", "shown"), [
    ("https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1&sign=x%2By",
     "https://oapi.dingtalk.com/robot/send?access_token=****&timestamp=****&sign=****"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-123", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/0f3c-uuid", "https://open.feishu.cn/open-apis/bot/v2/hook/****"),
    ("https://hooks.slack.com/services/T0001/B0001/XyZsecret", "https://hooks.slack.com/services/****"),
    ("https://alerts.example.com/api/v1/incoming/9f8e7d6c5b4a", "https://alerts.example.com/****"),
    ("https://user:pass@alerts.example.com/hook?id=7", "https://****@alerts.example.com/****?id=****"),
])
def test_webhook_urls_show_the_host_and_never_the_token(url, shown):
    """Known robots keep their path shape; a generic webhook shows its host only; query values are masked."""
    assert redact_url(url) == shown


def test_webhook_path_tokens_in_free_text_are_removed():
    """Slack, Feishu and generic webhook paths inside a message lose their token."""
    text = redact_text("posted to https://hooks.slack.com/services/T0001/B0001/XyZsecret and "
                       "https://example.com/webhooks/123/abcDEFtoken and https://open.larksuite.com/open-apis/bot/v2/hook/u-1")
    assert "XyZsecret" not in text and "abcDEFtoken" not in text and "u-1" not in text


def test_harmless_parameters_and_ids_stay_readable():
    """Signature method and nonce, object keys and masked ids are left alone."""
    text = redact_text('SignatureMethod=HMAC-SHA1&SignatureNonce=42 "key": "state/acrguard.json"')
    assert text == 'SignatureMethod=HMAC-SHA1&SignatureNonce=42 "key": "state/acrguard.json"'
    assert mask_access_key_id("STS.NUabcdefghijkl") == "STS.****ijkl"
