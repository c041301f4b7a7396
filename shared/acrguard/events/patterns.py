"""EventBridge filter patterns for the routing table: the suggested pattern per job, a matcher, samples.

The trigger of each function must let through exactly the events the routing table sends to it
(``routing.handled_events``). ``trigger_patterns(job)`` builds that pattern; ``matches`` evaluates a
pattern against an event the way EventBridge does, so a test can check that ``s.yaml``'s patterns
and the table agree, using ``sample_events()`` (one minimal event per routed type and name).

Pattern semantics (https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-patterns):
keys are ANDed, the values in a key's list are ORed, nested objects match nested fields, string
comparison is exact and case-sensitive; operators ``prefix``, ``suffix``, ``contains``,
``anything-but`` (value, list or ``{"prefix"}``), ``numeric``, ``cidr`` (IPv4), ``exists``; ``null``
and ``""`` match themselves. When the event's field is a list, any element may match.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from acrguard.events.envelope import KIND_ACTIONTRAIL
from acrguard.events.routing import JOBS, RULES, HandledEvents, handled_events

_MISSING = object()


def trigger_patterns(job: str) -> list[dict[str, Any]]:
    """The EventBridge filter pattern(s) that let through exactly ``job``'s events (one per event kind).

    ActionTrail events are matched by ``type`` suffix and ``data.eventName``, not by ``source``:
    the source of RAM events on EventBridge is unconfirmed (no published sample; the RAM events page,
    https://help.aliyun.com/zh/eventbridge/user-guide/ram-events, lists only their types),
    and the type's prefix is ``actiontrail:`` on EventBridge's ActionTrail page
    (https://www.alibabacloud.com/help/en/doc-detail/204963.htm) but the product in its samples.
    """
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}; known: {', '.join(JOBS)}")
    return [_pattern(h) for h in handled_events() if h.job == job]


def _pattern(handled: HandledEvents) -> dict[str, Any]:
    if handled.kind == KIND_ACTIONTRAIL:
        return {"type": [{"suffix": s} for s in handled.type_suffixes],
                "data": {"eventName": sorted(handled.event_names)}}
    return {"source": list(handled.sources), "type": list(handled.types)}


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether EventBridge would deliver ``event`` (a decoded JSON object) to a rule with ``pattern``."""
    for key, condition in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(condition, Mapping):
            if not isinstance(value, Mapping) or not matches(condition, value):
                return False
        elif isinstance(condition, list):
            if not any(_matches_one(c, value) for c in condition):
                return False
        else:
            raise ValueError(f"pattern field {key!r} must be a list of conditions or an object")
    return True


def _matches_one(condition: Any, value: Any) -> bool:
    if isinstance(condition, Mapping) and len(condition) == 1 and "exists" in condition:
        return (value is not _MISSING) == bool(condition["exists"])
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return any(_matches_one(condition, v) for v in value)
    if not isinstance(condition, Mapping):
        return type(condition) is type(value) and condition == value
    (op, arg), = condition.items()
    if op == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if op == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if op == "contains":
        return isinstance(value, str) and arg in value
    if op == "anything-but":
        if isinstance(arg, Mapping) and "prefix" in arg:
            return not (isinstance(value, str) and value.startswith(arg["prefix"]))
        excluded = arg if isinstance(arg, list) else [arg]
        return value not in excluded
    if op == "numeric":
        return _numeric(arg, value)
    if op == "cidr":
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    raise ValueError(f"unsupported pattern operator {op!r}")


def _numeric(arg: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    checks = {"=": value.__eq__, "<": value.__lt__, "<=": value.__le__, ">": value.__gt__, ">=": value.__ge__}
    return all(checks[arg[i]](arg[i + 1]) for i in range(0, len(arg), 2))


def sample_events() -> list[tuple[str, dict[str, Any]]]:
    """``(job, event)`` for every (type, eventName) the table routes: minimal, valid, successful events.

    Request parameters carry a placeholder for every id the rule reads, so routing finds resources.
    """
    samples: list[tuple[str, dict[str, Any]]] = []
    for rule in RULES:
        params = {p.split(".", 1)[1]: f"sample-{p.split('.', 1)[1].lower()}"
                  for spec in rule.resources for part in spec.parts for p in part.paths[:1]
                  if p.startswith("requestParameters.")}
        for index, name in enumerate(rule.names):
            if rule.kind == KIND_ACTIONTRAIL:
                product = rule.products[0]
                for category in ("ApiCall", "ConsoleOperation"):
                    samples.append((rule.job, {
                        "specversion": "1.0", "id": f"sample-{product}-{name}-{category}", "source": f"acs.{product}",
                        "type": f"{product}:ActionTrail:{category}", "time": "2024-05-01T08:00:00Z",
                        "aliyuneventbusname": "default",
                        "data": {"eventName": name, "serviceName": product.capitalize(), "eventRW": "Write",
                                 "eventType": category, "errorCode": "", "eventId": f"sample-{index}",
                                 "userIdentity": {"type": "ram-user", "userName": "sample-user"},
                                 "requestParameters": dict(params)}}))
            else:
                samples.append((rule.job, {
                    "specversion": "1.0", "id": f"sample-cr-{name}", "source": "acs.cr", "type": f"cr:Artifact:{name}",
                    "time": "2024-05-01T16:00:00+08:00", "aliyuneventbusname": "default",
                    "data": {"InstanceId": "cri-sample", "RepoNamespaceName": "ns", "RepoName": "app", "Tag": "v1",
                             "Digest": "sha256:" + "0" * 64}}))
    return samples
