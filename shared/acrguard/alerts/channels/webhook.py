"""A generic JSON webhook: the group (or digest) as structured data, in the spirit of Alertmanager's.

The payload carries ``version``, ``status`` (``firing``, ``resolved`` or ``digest``), the group
key and its sha256, the findings (at most ``max_findings_per_message``, the rest counted in
``truncatedFindings``) and a markdown ``text`` for receivers that just show it. Finding
``evidence`` is not sent (it may hold raw API responses); AccessKey ids are masked. Any 2xx is
success; 429 and 5xx are retried later; 401/403/404/410 mean the URL or its credentials are wrong.
"""

from __future__ import annotations

import hashlib
from typing import Any

from acrguard.alerts.channels.base import (
    ChannelKind,
    Outcome,
    RenderOptions,
    Result,
    body_snippet,
    by_status,
    encode_json,
)
from acrguard.alerts.message import DigestMessage, GroupMessage, Message
from acrguard.alerts.ratelimit import RateLimit
from acrguard.alerts.render import PLAIN, clean, render, when
from acrguard.alerts.transport import HttpRequest, HttpResponse
from acrguard.config.alerts import ChannelConfig
from acrguard.findings import Finding
from acrguard.redact import mask_access_key_id, redact_text

RATE = RateLimit()
MAX_TEXT_BYTES = 8000
MAX_GROUPS_IN_DIGEST = 500
VERSION = "1"


def finding_data(finding: Finding) -> dict[str, Any]:
    """A finding as JSON, redacted (no evidence; masked AccessKey id)."""
    actor = finding.actor
    return {
        "fingerprint": finding.fingerprint, "rule": finding.rule, "severity": finding.severity.value,
        "resource": redact_text(finding.resource), "scope": finding.scope, "title": redact_text(finding.title),
        "details": redact_text(finding.details)[:4000], "fix": redact_text(finding.fix)[:2000],
        "labels": {k: redact_text(str(v)) for k, v in finding.labels.items()}, "job": finding.job,
        "actor": None if actor is None else {
            "identity": clean(actor.identity, 200), "sourceIp": actor.source_ip,
            "userAgent": clean(actor.user_agent, 300) or None,
            "accessKeyId": mask_access_key_id(actor.access_key_id) if actor.access_key_id else None,
            "eventTime": actor.event_time, "eventName": actor.event_name, "eventId": actor.event_id},
    }


def group_data(message: GroupMessage, max_items: int) -> dict[str, Any]:
    """The structured part of a group message."""
    return {
        "status": message.status, "reason": message.reason, "groupKey": message.group_key,
        "groupHash": hashlib.sha256(message.group_key.encode("utf-8")).hexdigest(), "rule": message.rule,
        "scope": message.scope, "job": message.job, "severity": message.severity.value,
        "since": when(message.since), "findings": [finding_data(f) for f in message.findings[:max_items]],
        "truncatedFindings": max(0, len(message.findings) - max_items),
        "resolvedSince": [f.fingerprint for f in message.resolved_since],
    }


def build(message: Message, channel: ChannelConfig, now: float, options: RenderOptions) -> HttpRequest:
    """The JSON payload described in the module docstring."""
    text = render(message, PLAIN, max_bytes=MAX_TEXT_BYTES, max_items=options.max_items).text
    payload: dict[str, Any] = {"version": VERSION, "source": "acrguard", "receiver": channel.name}
    if isinstance(message, DigestMessage):
        groups = message.groups[:MAX_GROUPS_IN_DIGEST]
        payload.update({
            "status": "digest", "reason": message.reason, "severity": message.severity.value,
            "groupCount": len(message.groups), "findingCount": message.finding_count,
            "groups": [{**{k: v for k, v in group_data(g, 0).items() if k not in ("findings", "truncatedFindings")},
                        "findingCount": len(g.findings), "fingerprints": [f.fingerprint for f in g.findings]}
                       for g in groups],
            "truncatedGroups": len(message.groups) - len(groups)})
    else:
        payload.update(group_data(message, options.max_items))
    payload["text"] = text
    return HttpRequest(channel.url, encode_json(payload))


def interpret(response: HttpResponse) -> Result:
    """2xx accepted; 429 and 5xx retried later; 401/403/404/410 misconfigured; other 4xx rejected."""
    decided = by_status(response)
    if decided is not None:
        return decided
    detail = f"HTTP {response.status}" + (f": {body_snippet(response, 100)}" if response.body else "")
    if 200 <= response.status < 300:
        return Result(Outcome.ACCEPTED, detail)
    if response.status in (401, 403, 404, 410):
        return Result(Outcome.MISCONFIGURED, detail)
    return Result(Outcome.REJECTED, detail)


KIND = ChannelKind("webhook", RATE, build, interpret)
