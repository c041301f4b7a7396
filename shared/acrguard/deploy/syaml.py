"""Read ``s.yaml``: resources, their props with ``${vars.*}`` substituted, triggers and patterns."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_VAR = re.compile(r"\$\{vars\.([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class Trigger:
    """One trigger of a function."""

    name: str
    type: str
    config: dict[str, Any]

    @property
    def pattern(self) -> dict[str, Any] | None:
        """The parsed EventBridge pattern of an ``eventbridge`` trigger."""
        if self.type != "eventbridge":
            return None
        pattern = json.loads(self.config["eventRuleFilterPattern"])
        if not isinstance(pattern, dict) or not pattern:
            raise ValueError(f"trigger {self.name}: eventRuleFilterPattern must be a non-empty JSON object")
        return pattern


@dataclass(frozen=True)
class FunctionResource:
    """One fc3 resource of ``s.yaml``."""

    resource: str
    props: dict[str, Any]

    @property
    def function_name(self) -> str:
        return str(self.props["functionName"])

    @property
    def triggers(self) -> list[Trigger]:
        return [Trigger(t["triggerName"], t["triggerType"], t.get("triggerConfig") or {})
                for t in self.props.get("triggers") or []]


def _substitute(node: Any, variables: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, variables) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, variables) for v in node]
    if isinstance(node, str):
        whole = _VAR.fullmatch(node)
        if whole:
            return variables[whole.group(1)]
        return _VAR.sub(lambda m: str(variables[m.group(1)]), node)
    return node


def load(path: str | Path) -> list[FunctionResource]:
    """Every fc3 resource in ``s.yaml`` with variables substituted."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    variables = data.get("vars") or {}
    resources = []
    for name, resource in (data.get("resources") or {}).items():
        if resource.get("component") != "fc3":
            continue
        resources.append(FunctionResource(name, _substitute(resource.get("props") or {}, variables)))
    return resources
