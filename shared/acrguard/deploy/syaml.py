"""Read ``s.yaml``: resources, their props with ``${vars.*}`` substituted, triggers and patterns.

Facts about the ``fc3`` component this module encodes (devsapp/fc3 at commit ``4ca1c1b8``):

* A function's triggers are created in the function's own region (``props.region``): fc3 builds
  its FC client for that region, and FC creates an EventBridge trigger's rule on that region's
  default bus (``src/resources/fc/index.ts``, ``deployTrigger``).
* ``Trigger.run`` in ``src/subCommands/deploy/impl/trigger.ts`` (lines 84-96) *returns* from its loop
  when an EventBridge trigger has no change, so every trigger listed after it in ``triggers:`` is
  skipped on that deploy. EventBridge triggers must therefore come last (``trigger_order_problems``).

And about FC 3.0: an EventBridge trigger's ``asyncInvocationType`` is ``true`` for a synchronous
call and ``false`` (the default) for an asynchronous one (``EventBridgeTriggerConfig`` in
``alibabacloud_fc20230330/models/_event_bridge_trigger_config.py``;
https://help.aliyun.com/zh/functioncompute/api-fc-2023-03-30-struct-eventbridgetriggerconfig).
Only an asynchronous invocation gets FC's async retries and ``asyncInvokeConfig`` destinations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acrguard import boundedyaml

_VAR = re.compile(r"\$\{vars\.([A-Za-z0-9_]+)\}")

EVENTBRIDGE = "eventbridge"
#: the ``s.yaml`` var naming the region whose default bus receives events of global services (RAM, IMS)
GLOBAL_EVENTS_REGION_VAR = "globalEventsRegion"


@dataclass(frozen=True)
class Trigger:
    """One trigger of a function."""

    name: str
    type: str
    config: dict[str, Any]

    @property
    def pattern(self) -> dict[str, Any] | None:
        """The parsed EventBridge pattern of an ``eventbridge`` trigger."""
        if self.type != EVENTBRIDGE:
            return None
        pattern = json.loads(self.config["eventRuleFilterPattern"])
        if not isinstance(pattern, dict) or not pattern:
            raise ValueError(f"trigger {self.name}: eventRuleFilterPattern must be a non-empty JSON object")
        return pattern

    @property
    def synchronous(self) -> bool:
        """Whether an EventBridge trigger invokes synchronously (``asyncInvocationType: true``; default false)."""
        return self.type == EVENTBRIDGE and self.config.get("asyncInvocationType", False) is True


@dataclass(frozen=True)
class FunctionResource:
    """One fc3 resource of ``s.yaml``."""

    resource: str
    props: dict[str, Any]

    @property
    def function_name(self) -> str:
        """The function's name in FC."""
        return str(self.props["functionName"])

    @property
    def region(self) -> str:
        """The region the function (and so each of its triggers) is deployed in."""
        return str(self.props["region"])

    @property
    def triggers(self) -> list[Trigger]:
        """The triggers in the order ``s.yaml`` lists them (the order fc3 deploys them in)."""
        return [Trigger(t["triggerName"], t["triggerType"], t.get("triggerConfig") or {})
                for t in self.props.get("triggers") or []]


@dataclass(frozen=True)
class SYaml:
    """The whole file: its ``vars`` and its fc3 resources."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    resources: list[FunctionResource] = field(default_factory=list)

    def __iter__(self) -> Iterator[FunctionResource]:
        return iter(self.resources)

    @property
    def global_events_region(self) -> str | None:
        """``vars.globalEventsRegion``: where EventBridge delivers RAM/IMS (global) events, when set."""
        value = self.variables.get(GLOBAL_EVENTS_REGION_VAR)
        return str(value) if value else None


def trigger_order_problems(resource: FunctionResource) -> list[str]:
    """Names of the triggers fc3 may skip: every non-EventBridge trigger listed after an EventBridge one."""
    seen_eventbridge = False
    skipped = []
    for trigger in resource.triggers:
        if trigger.type == EVENTBRIDGE:
            seen_eventbridge = True
        elif seen_eventbridge:
            skipped.append(trigger.name)
    return skipped


def _substitute(node: Any, variables: Mapping[str, Any], where: str) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, variables, f"{where}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, variables, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        for name in _VAR.findall(node):
            if name not in variables:
                raise ValueError(f"s.yaml {where}: ${{vars.{name}}} is not defined under vars")
        whole = _VAR.fullmatch(node)
        if whole:
            return variables[whole.group(1)]
        return _VAR.sub(lambda m: str(variables[m.group(1)]), node)
    return node


def read(path: str | Path) -> SYaml:
    """``s.yaml`` with its vars, and every fc3 resource with the vars substituted."""
    data = boundedyaml.load(Path(path).read_text(encoding="utf-8"), str(path))  # bounded like every YAML input
    variables = data.get("vars") or {}
    resources = []
    for name, resource in (data.get("resources") or {}).items():
        if resource.get("component") != "fc3":
            continue
        props = _substitute(resource.get("props") or {}, variables, f"resources.{name}.props")
        resources.append(FunctionResource(name, props))
    return SYaml(variables, resources)


def load(path: str | Path) -> list[FunctionResource]:
    """Every fc3 resource in ``s.yaml`` with variables substituted."""
    return read(path).resources
