"""Check 10, ``chat-channels``: each channel is a webhook of its platform; with ``--send``, it accepts a test.

Valid: the URL is the platform's documented robot webhook (DingTalk
``https://oapi.dingtalk.com/robot/send?access_token=…``; Feishu ``https://open.feishu.cn/open-apis/bot/v2/hook/…``
or Lark ``open.larksuite.com``; WeCom ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``; Slack
``https://hooks.slack.com/services/T…/B…/…``: the platforms' custom robot and incoming webhook pages,
cited in ``acrguard.alerts.channels``), over https; a generic ``webhook`` is any https URL. A
loopback URL (a local stand-in) is accepted with the same path. The config model has already
checked the rest (signing only where the platform signs, keyword counts, rate ceilings).

Without ``--send`` the check is skipped after that, with the command to run; with it, each channel
gets the test message of ``acrguard alert test`` (``acrguard.alerts.testmessage``) and the
platform's answer is judged: accepted PASS; a refused payload or configuration (signature,
keyword, token) FAIL; rate limited or unavailable "cannot tell". Channel URLs, tokens and secrets
are never shown.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from acrguard.alerts.channels import Outcome, RenderOptions
from acrguard.alerts.testmessage import send_test_message
from acrguard.alerts.transport import HttpClientTransport
from acrguard.config.alerts import ChannelConfig
from acrguard.config.cloud import is_loopback
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine

NAME = "chat-channels"
#: type -> (hosts, path test, what the URL should look like)
_FORMS: dict[str, tuple[tuple[str, ...], str]] = {
    "dingtalk": (("oapi.dingtalk.com",), "https://oapi.dingtalk.com/robot/send?access_token=<token>"),
    "feishu": (("open.feishu.cn", "open.larksuite.com"), "https://open.feishu.cn/open-apis/bot/v2/hook/<token>"),
    "wecom": (("qyapi.weixin.qq.com",), "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>"),
    "slack": (("hooks.slack.com",), "https://hooks.slack.com/services/T…/B…/…"),
}
_OUTCOME_STATUS = {Outcome.ACCEPTED: Status.PASS, Outcome.REJECTED: Status.FAIL, Outcome.MISCONFIGURED: Status.FAIL,
                   Outcome.RATE_LIMITED: Status.UNKNOWN, Outcome.UNAVAILABLE: Status.UNKNOWN}


def _path_ok(kind: str, path: str, query: dict[str, list[str]]) -> bool:
    parts = [p for p in path.split("/") if p]
    if kind == "dingtalk":
        return path.endswith("/robot/send") and bool(query.get("access_token", [""])[0])
    if kind == "feishu":
        return "/open-apis/bot/v2/hook/" in path and bool(parts) and parts[-1] != "hook"
    if kind == "wecom":
        return path.endswith("/cgi-bin/webhook/send") and bool(query.get("key", [""])[0])
    if kind == "slack":
        return "services" in parts and len(parts) - parts.index("services") - 1 == 3
    return True


def url_problem(channel: ChannelConfig) -> str | None:
    """Why the channel's URL is not a webhook of its platform (None when it is); never repeats the URL."""
    parts = urlsplit(channel.url)
    host = (parts.hostname or "").lower()
    local = is_loopback(parts.netloc or host)
    if not local and parts.scheme != "https":
        return "the URL is not https: the robot's token would travel in clear"
    if channel.type not in _FORMS:
        return None
    hosts, form = _FORMS[channel.type]
    if not local and host not in hosts:
        return f"the URL's host is not {' or '.join(hosts)}: expected {form}"
    if not _path_ok(channel.type, parts.path, parse_qs(parts.query)):
        return f"the URL's path or query is not a {channel.type} robot's: expected {form}"
    return None


def _static_item(channel: ChannelConfig) -> Item:
    subject = f"{channel.name} ({channel.type})"
    problem = url_problem(channel)
    if problem:
        return Item(subject, Status.FAIL, problem, f"copy the webhook URL again from the {channel.type} robot's "
                    f"settings into alerts.channels[{channel.name}].url")
    local = " (a loopback stand-in)" if is_loopback(urlsplit(channel.url).netloc) else ""
    return Item(subject, Status.SKIPPED, f"a valid {channel.type} webhook{local}; not sent")


def _send_item(ctx: DoctorContext, channel: ChannelConfig) -> Item:
    subject = f"{channel.name} ({channel.type})"
    result = send_test_message(channel, ctx.transport or HttpClientTransport(), ctx.clock(),
                               RenderOptions(max_items=ctx.config.alerts.max_findings_per_message),
                               sender="acrguard doctor --send")
    status = _OUTCOME_STATUS.get(result.outcome, Status.UNKNOWN)
    fixes = {Outcome.MISCONFIGURED: "the platform refused the robot's settings: check the secret, keywords (the "
                                    "message says 'acrguard') and IP allowlist of the robot against "
                                    f"alerts.channels[{channel.name}]",
             Outcome.REJECTED: "the platform refused the message itself: see its answer; `acrguard alert test "
                               f"--config {ctx.config_hint} --channel {channel.name}` shows it again",
             Outcome.RATE_LIMITED: "the robot is rate limited now: run doctor --send again in a few minutes",
             Outcome.UNAVAILABLE: "the platform did not answer: check the network path to it and run again"}
    return Item(subject, status, f"test message {result.outcome.value} ({result.detail})",
                fixes.get(result.outcome, ""), {"outcome": result.outcome.value})


def check_channels(ctx: DoctorContext) -> CheckResult:
    """Each channel's URL; with ``--send``, the platform's answer to a test message."""
    channels = ctx.config.alerts.channels
    items = [_static_item(c) for c in channels]
    if ctx.send:
        items = [i if i.status is Status.FAIL else _send_item(ctx, c) for i, c in zip(items, channels, strict=True)]
        notes: list[str] = []
    else:
        notes = [f"send each a test message: python -m acrguard doctor --config {ctx.config_hint} --send"] \
            if channels else []
    result = combine(NAME, items, none="no alerts.channels configured: findings reach only the functions' logs",
                     notes=notes)
    if result.status is Status.SKIPPED and channels:
        return CheckResult(result.name, result.status, f"{len(channels)} channel(s) valid, not sent: add --send "
                           "to send each a test message", result.details, result.fix, result.items)
    return result
