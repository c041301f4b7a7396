"""The decision log: one JSON line per decision, scrubbed of the configured and the environment's secrets."""

from __future__ import annotations

import io
import json

from acrguard.config import load_config_data
from acrguard.runtime.handler import _secrets
from acrguard.runtime.logs import DecisionLog

SIGNING_SECRET = "SECsigningSecret0001"
HOOK_URL = "https://hooks.example.com/opaque/7f3a9c2e1b"
ROLE_SECRET = "RoleSecretFromTheEnvironment01"
ROLE_TOKEN = "CAISroleTokenFromTheEnvironment01"


def _written(log: DecisionLog) -> str:
    stream = log.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue() + json.dumps(log.lines)


def test_configured_secrets_are_scrubbed_from_every_line():
    """Secrets the handler names (a channel URL, a signing secret) never reach the line, even in plain words."""
    log = DecisionLog(stream=io.StringIO(), secrets=(HOOK_URL, SIGNING_SECRET))
    line = log.decision("failed", error=f"robot at {HOOK_URL} said: bad sign for {SIGNING_SECRET}")
    written = _written(log)
    assert SIGNING_SECRET not in written and "7f3a9c2e1b" not in written
    assert line["error"] == "robot at **** said: bad sign for ****"


def test_the_role_credentials_in_the_environment_are_scrubbed(monkeypatch):
    """The function role's secret and token (FC's environment variables) are removed wherever they appear."""
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ROLE_SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", ROLE_TOKEN)
    monkeypatch.setenv("securityToken", ROLE_TOKEN + "old")
    log = DecisionLog(stream=io.StringIO())
    log.decision("transient-failure", error=f"echoed {ROLE_SECRET} / {ROLE_TOKEN} / {ROLE_TOKEN}old",
                 detail={"nested": [ROLE_TOKEN]})
    written = _written(log)
    assert ROLE_SECRET not in written and "CAISroleToken" not in written


def test_the_handler_names_credentials_channels_and_every_value_from_the_environment():
    """The handler gives the log the key secret and token, channel URLs and secrets, and every ${…} value."""
    config = load_config_data({
        "cloud": {"credentials": {"access_key_id": "LTAI5tAbCdEfGhIjKlMn3x", "access_key_secret": "${AK_SECRET}",
                                  "security_token": "tok-0001-abcdef"}},
        "alerts": {"channels": [{"name": "ding", "type": "dingtalk", "url": HOOK_URL, "secret": SIGNING_SECRET,
                                 "keywords": ["${DING_KEYWORD}"]}]},
    }, environ={"AK_SECRET": "ak-secret-from-env", "DING_KEYWORD": "kw-from-env-0001"})
    assert set(_secrets(config)) == {"ak-secret-from-env", "tok-0001-abcdef", HOOK_URL, SIGNING_SECRET,
                                     "kw-from-env-0001"}
