"""Robots, channels, findings and a shared clock for the alert tests."""

from __future__ import annotations

from typing import Any

from acrguard.findings import Actor, Finding, Severity
from localcloud import LocalCloud
from support import base_world

DING_TOKEN = "dingtoken0001abcdef"
DING_SECRET = "SECdingtalksecret0001"
DING_KEYWORD = "acrguard"
FEISHU_TOKEN = "feishuhook0001abcdef"
FEISHU_SECRET = "feishusecret0001xyz"
WECOM_KEY = "wecomkey0001abcdef"
SLACK_PATH = "T0001AAAA/B0001BBBB/slacksecret0001xyz"
WEBHOOK_NAME = "acrguard-hook"
#: Strings that must never show up in logs, exceptions or reports.
SECRETS = (DING_TOKEN, DING_SECRET, FEISHU_TOKEN, FEISHU_SECRET, WECOM_KEY, "slacksecret0001xyz")


def chat_world() -> dict[str, Any]:
    """The base world plus one robot of each platform (DingTalk and Feishu signed)."""
    world = base_world()
    world["chat"] = {
        "dingtalk": {DING_TOKEN: {"secret": DING_SECRET, "keywords": [DING_KEYWORD]}},
        "feishu": {FEISHU_TOKEN: {"secret": FEISHU_SECRET}},
        "wecom": {WECOM_KEY: {}},
        "slack": {SLACK_PATH: {}},
        "webhook": {WEBHOOK_NAME: {}},
    }
    return world


def channel(cloud: LocalCloud, kind: str, **overrides: Any) -> dict[str, Any]:
    """Config data of a channel of ``kind`` pointed at the cloud's chat sink."""
    base = f"http://{cloud.endpoints()['chat']}"
    data: dict[str, Any] = {
        "dingtalk": {"name": "ding", "type": "dingtalk", "url": f"{base}/dingtalk/robot/send?access_token={DING_TOKEN}",
                     "secret": DING_SECRET, "keywords": [DING_KEYWORD]},
        "feishu": {"name": "feishu", "type": "feishu", "url": f"{base}/feishu/open-apis/bot/v2/hook/{FEISHU_TOKEN}",
                   "secret": FEISHU_SECRET},
        "wecom": {"name": "wecom", "type": "wecom", "url": f"{base}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}"},
        "slack": {"name": "slack", "type": "slack", "url": f"{base}/slack/services/{SLACK_PATH}"},
        "webhook": {"name": "hook", "type": "webhook", "url": f"{base}/webhook/{WEBHOOK_NAME}"},
    }[kind]
    return {**data, **overrides}


def finding(index: int = 0, *, rule: str = "whitelist.open-to-internet", scope: str = "cri-test0000000000001",
            severity: Severity = Severity.CRITICAL, job: str = "whitelist", **fields: Any) -> Finding:
    """A finding whose resource (and so fingerprint) depends on ``index``."""
    values: dict[str, Any] = {
        "resource": f"acl-entry-{index:04d}", "title": f"Whitelist entry {index} open to the internet",
        "details": f"+ 0.0.0.0/0 (entry {index})", "fix": "Remove the entry or narrow it to your office range",
        "actor": Actor("ram-user:alice", "198.51.100.7", "aliyun-cli/3.0.200", "LTAI5tAbCdEfGhIjKlMn3x",
                       "2026-01-31T10:00:00Z", "UpdateInstanceEndpointStatus", "evt-1"),
    }
    values.update(fields)
    return Finding(rule=rule, severity=severity, scope=scope, job=job, **values)


class CloudClock:
    """The pipeline's clock is the local cloud's: sleeping moves it forward instead of waiting."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.slept = 0.0

    def now(self) -> float:
        """The cloud's time."""
        return self.cloud.clock.now()

    def sleep(self, seconds: float) -> None:
        """Advance the cloud's clock."""
        self.slept += seconds
        self.cloud.advance(seconds)
