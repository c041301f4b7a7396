"""``deploy check``: compare what is deployed in FC with ``s.yaml``, through the FC 3.0 SDK.

For each function in ``s.yaml``: it exists with the declared runtime and handler; every declared
trigger exists, is enabled, has the same type, cron expression or EventBridge filter pattern
(compared as parsed JSON); async invocation has bounded retries and an ``onFailure``
destination; a writer (``acrguard.functions``) has reserved concurrency 1. Each problem is a
``Finding`` with the fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.deploy.syaml import FunctionResource, Trigger
from acrguard.errors import CloudCallError
from acrguard.findings import Finding, Severity
from acrguard.functions import FUNCTIONS

RULE = "deploy.drift"


@dataclass
class DeployReport:
    """What deploy check found, per function."""

    checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _finding(function: str, what: str, title: str, fix: str, severity: Severity = Severity.HIGH,
             **evidence: Any) -> Finding:
    return Finding(rule=RULE, severity=severity, resource=f"fc:function/{function}", scope=function,
                   title=title, fix=fix, labels={"check": what}, evidence=evidence, job="deploy")


def _triggers(factory: ClientFactory, name: str) -> dict[str, Any]:
    from alibabacloud_fc20230330 import models

    found: dict[str, Any] = {}
    token = None
    while True:
        body = call("fc", "ListTriggers", factory.fc().list_triggers, name,
                    models.ListTriggersRequest(limit=100, next_token=token))
        for trigger in body.triggers or []:
            found[trigger.trigger_name] = trigger
        token = body.next_token
        if not token:
            return found


def _trigger_config(trigger: Any) -> dict[str, Any]:
    try:
        value = json.loads(trigger.trigger_config or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _compare_trigger(function: str, declared: Trigger, deployed: Any, report: DeployReport) -> None:
    config = _trigger_config(deployed)
    if deployed.trigger_type != declared.type:
        report.findings.append(_finding(function, f"trigger:{declared.name}:type",
                                        f"trigger {declared.name} is {deployed.trigger_type}, s.yaml says "
                                        f"{declared.type}", "run `s deploy` to recreate it"))
        return
    if declared.type == "timer":
        enabled = config.get("enable") is True
        if config.get("cronExpression") != declared.config.get("cronExpression"):
            report.findings.append(_finding(function, f"trigger:{declared.name}:cron",
                                            f"timer {declared.name} runs on {config.get('cronExpression')!r}, "
                                            f"s.yaml says {declared.config.get('cronExpression')!r}",
                                            "run `s deploy`"))
    else:
        enabled = config.get("triggerEnable") is True
        try:
            live = json.loads(config.get("eventRuleFilterPattern") or "null")
        except ValueError:
            live = None
        if live != declared.pattern:
            report.findings.append(_finding(function, f"trigger:{declared.name}:pattern",
                                            f"EventBridge trigger {declared.name} filters differently from s.yaml: "
                                            "events acrguard handles may be missed",
                                            "run `s deploy`, then `acrguard deploy check` again",
                                            deployed=live, declared=declared.pattern))
    if not enabled:
        report.findings.append(_finding(function, f"trigger:{declared.name}:disabled",
                                        f"trigger {declared.name} is disabled", "enable it in the console or "
                                        "run `s deploy`", severity=Severity.CRITICAL))


def check(factory: ClientFactory, resources: list[FunctionResource]) -> DeployReport:
    """Compare every function of ``s.yaml`` with what FC reports."""
    from alibabacloud_fc20230330 import models

    report = DeployReport()
    writers = {spec.fc_name for spec in FUNCTIONS.values() if spec.writer}
    for resource in resources:
        name = resource.function_name
        report.checked.append(name)
        try:
            deployed = call("fc", "GetFunction", factory.fc().get_function, name, models.GetFunctionRequest())
        except CloudCallError as exc:
            if exc.code == "FunctionNotFound":
                report.findings.append(_finding(name, "missing", f"function {name} is not deployed",
                                                "run `s deploy`", severity=Severity.CRITICAL))
                continue
            raise
        for attr, key in (("runtime", "runtime"), ("handler", "handler")):
            if getattr(deployed, attr) != resource.props.get(key):
                report.findings.append(_finding(name, attr, f"{attr} is {getattr(deployed, attr)!r}, s.yaml says "
                                                f"{resource.props.get(key)!r}", "run `s deploy`"))
        live = _triggers(factory, name)
        for declared in resource.triggers:
            if declared.name not in live:
                report.findings.append(_finding(name, f"trigger:{declared.name}:missing",
                                                f"trigger {declared.name} ({declared.type}) is missing",
                                                "run `s deploy`; for EventBridge triggers see the README's "
                                                "note on event triggers for cloud services",
                                                severity=Severity.CRITICAL))
            else:
                _compare_trigger(name, declared, live[declared.name], report)
        try:
            async_config = call("fc", "GetAsyncInvokeConfig", factory.fc().get_async_invoke_config, name,
                                models.GetAsyncInvokeConfigRequest())
        except CloudCallError as exc:
            if exc.code not in ("AsyncConfigNotExists", "AsyncConfigNotFound"):
                raise
            async_config = None
        retries = getattr(async_config, "max_async_retry_attempts", None)
        if async_config is None or retries is None:
            report.findings.append(_finding(name, "async-retries", "async retries are not set (FC retries 3 times "
                                            "by default, unbounded in intent)", "set asyncInvokeConfig in s.yaml"))
        destination = getattr(getattr(getattr(async_config, "destination_config", None), "on_failure", None),
                              "destination", None)
        if not destination:
            report.findings.append(_finding(name, "on-failure", "no onFailure destination: an invocation that fails "
                                            "every retry is lost silently", "set asyncInvokeConfig."
                                            "destinationConfig.onFailure in s.yaml"))
        if name in writers:
            concurrency = call("fc", "GetConcurrencyConfig", factory.fc().get_concurrency_config, name)
            if concurrency.reserved_concurrency != 1:
                report.findings.append(_finding(name, "concurrency", f"writer {name} has reserved concurrency "
                                                f"{concurrency.reserved_concurrency}, not 1: two runs may race",
                                                "set concurrencyConfig.reservedConcurrency: 1",
                                                severity=Severity.CRITICAL))
    return report
