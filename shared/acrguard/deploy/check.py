"""``deploy check``: compare what is deployed in FC with ``s.yaml``, through the FC 3.0 SDK.

For each function in ``s.yaml``, read in the function's own region: it exists with the declared
runtime and handler; every declared trigger exists, is enabled, has the same type, cron
expression or EventBridge filter pattern (compared as parsed JSON); an EventBridge trigger is
asynchronous (``asyncInvocationType`` false, FC's default: a synchronous trigger gets neither FC's
async retries nor the ``onFailure`` destination); async invocation has bounded retries and an
``onFailure`` destination; a writer (``acrguard.functions``) has reserved concurrency 1 (in an
organisation: a bound, the one ``s.yaml`` declares).

From ``s.yaml`` alone: no trigger follows an EventBridge trigger in a function's ``triggers:``
(fc3 stops deploying a function's triggers at an unchanged EventBridge trigger: see
``acrguard.deploy.syaml``), and a function whose trigger receives RAM/IMS events is deployed in
``vars.globalEventsRegion`` (a warning: an EventBridge rule only sees its own region's default
bus, and EventBridge's page on RAM events says RAM is deployed centrally, with the events of
regions in China in China (Hangzhou) and those of regions outside China in Singapore:
https://help.aliyun.com/zh/eventbridge/user-guide/ram-events).

Each problem is a ``Finding`` with the fix; ``DeployReport.ok`` is false when any is HIGH or worse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.deploy.syaml import (
    EVENTBRIDGE,
    GLOBAL_EVENTS_REGION_VAR,
    FunctionResource,
    SYaml,
    Trigger,
    trigger_order_problems,
)
from acrguard.errors import CloudCallError
from acrguard.findings import Finding, Severity
from acrguard.functions import FUNCTIONS

RULE = "deploy.drift"
#: services whose ActionTrail events are global (not tied to a region): ActionTrail's "global
#: services" page lists Ims (https://help.aliyun.com/document_detail/441705.htm); RAM is "a global
#: service" in ActionTrail's terms (https://www.alibabacloud.com/help/doc-detail/28805.htm)
GLOBAL_SERVICES = frozenset({"ram", "ims"})
#: findings at this severity or worse make the check fail; milder ones are warnings
FAILING = frozenset({Severity.CRITICAL, Severity.HIGH})


@dataclass
class DeployReport:
    """What deploy check found, per function."""

    checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        """Findings that fail the check (HIGH or worse)."""
        return [f for f in self.findings if f.severity in FAILING]

    @property
    def warnings(self) -> list[Finding]:
        """Findings worth reading that do not fail the check."""
        return [f for f in self.findings if f.severity not in FAILING]

    @property
    def ok(self) -> bool:
        """No finding fails the check."""
        return not self.problems


def global_event_functions() -> frozenset[str]:
    """FC names of the functions whose EventBridge triggers receive events of global services (RAM, IMS)."""
    from acrguard.events.routing import RULES

    jobs = {rule.job for rule in RULES if GLOBAL_SERVICES & {p.lower() for p in rule.products}}
    return frozenset(spec.fc_name for spec in FUNCTIONS.values() if spec.name in jobs)


def _finding(function: str, what: str, title: str, fix: str, severity: Severity = Severity.HIGH,
             **evidence: Any) -> Finding:
    return Finding(rule=RULE, severity=severity, resource=f"fc:function/{function}", scope=function,
                   title=title, fix=fix, labels={"check": what}, evidence=evidence, job="deploy")


def _triggers(factory: ClientFactory, name: str, region: str) -> dict[str, Any]:
    from alibabacloud_fc20230330 import models

    found: dict[str, Any] = {}
    token = None
    while True:
        body = call("fc", "ListTriggers", factory.fc(region).list_triggers, name,
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


def _source_region(trigger: Any) -> str | None:
    """The region of an EventBridge trigger's rule, from ``sourceArn`` (``acs:eventbridge:<region>:…``)."""
    parts = (getattr(trigger, "source_arn", None) or "").split(":")
    return parts[2] if len(parts) > 3 and parts[0] == "acs" and parts[1] == "eventbridge" and parts[2] else None


def _compare_eventbridge(function: str, declared: Trigger, config: dict[str, Any], report: DeployReport) -> None:
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
    # FC 3.0: true = synchronous, false (the default, also when absent) = asynchronous.
    synchronous = config.get("asyncInvocationType", False) is True
    if synchronous:
        report.findings.append(_finding(
            function, f"trigger:{declared.name}:synchronous",
            f"EventBridge trigger {declared.name} invokes the function synchronously (asyncInvocationType: true): "
            "FC's async retries and the onFailure destination do not apply, a failed event is lost",
            "set asyncInvocationType: false on the trigger in s.yaml and run `s deploy` (FC 3.0: true means "
            "synchronous)", deployed=True, declared=declared.synchronous))
    elif declared.synchronous:
        report.findings.append(_finding(function, f"trigger:{declared.name}:invocation",
                                        f"EventBridge trigger {declared.name} is asynchronous, s.yaml says "
                                        "synchronous (asyncInvocationType: true)",
                                        "set asyncInvocationType: false in s.yaml (acrguard relies on FC's async "
                                        "retries)", severity=Severity.MEDIUM))


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
        # EventBridgeTriggerConfig.triggerEnable defaults to true (the SDK model and the API page).
        enabled = config.get("triggerEnable", True) is True
        _compare_eventbridge(function, declared, config, report)
    if not enabled:
        report.findings.append(_finding(function, f"trigger:{declared.name}:disabled",
                                        f"trigger {declared.name} is disabled", "enable it in the console or "
                                        "run `s deploy`", severity=Severity.CRITICAL))


def _check_order(resource: FunctionResource, report: DeployReport) -> None:
    skipped = trigger_order_problems(resource)
    if skipped:
        names = ", ".join(skipped)
        report.findings.append(_finding(
            resource.function_name, "trigger-order",
            f"s.yaml lists {names} after an EventBridge trigger: fc3 stops deploying a function's triggers at an "
            "unchanged EventBridge trigger, so changes to them are skipped",
            "move the EventBridge triggers to the end of the function's triggers: list", skipped=skipped))


def _check_global_region(resource: FunctionResource, spec: SYaml, live: dict[str, Any], report: DeployReport) -> None:
    """Warn when a function receiving RAM/IMS events is not deployed where EventBridge delivers them."""
    eventbridge = [t for t in resource.triggers if t.type == EVENTBRIDGE]
    if not eventbridge or resource.function_name not in global_event_functions():
        return
    wanted = spec.global_events_region
    name = resource.function_name
    if wanted is None:
        report.findings.append(_finding(name, "global-events-region",
                                        f"s.yaml sets no vars.{GLOBAL_EVENTS_REGION_VAR}: cannot tell whether "
                                        f"{name}'s EventBridge trigger sees RAM/IMS events",
                                        f"set vars.{GLOBAL_EVENTS_REGION_VAR} (cn-hangzhou for regions in China, "
                                        "ap-southeast-1 outside) and deploy the function there",
                                        severity=Severity.MEDIUM))
        return
    if resource.region != wanted:
        report.findings.append(_finding(name, "global-events-region",
                                        f"{name} and its EventBridge trigger are in {resource.region}, but RAM/IMS "
                                        f"events are delivered in {wanted} (vars.{GLOBAL_EVENTS_REGION_VAR}): the "
                                        "trigger never fires", f"set the function's region to "
                                        f"${{vars.{GLOBAL_EVENTS_REGION_VAR}}} in s.yaml",
                                        severity=Severity.MEDIUM, region=resource.region, expected=wanted))
        return
    for trigger in eventbridge:
        deployed = live.get(trigger.name)
        region = _source_region(deployed) if deployed is not None else None
        if region is not None and region != wanted:
            report.findings.append(_finding(name, f"trigger:{trigger.name}:region",
                                            f"EventBridge trigger {trigger.name}'s rule is in {region}, but RAM/IMS "
                                            f"events are delivered in {wanted} (vars.{GLOBAL_EVENTS_REGION_VAR})",
                                            f"recreate the trigger in {wanted} (`s deploy`)",
                                            severity=Severity.MEDIUM, region=region, expected=wanted))


def check(factory: ClientFactory, deployment: SYaml | list[FunctionResource], *,
          organization: bool = False) -> DeployReport:
    """Compare every function of ``s.yaml`` (``syaml.read``; a bare resource list has no vars) with FC.

    ``organization``: the config has an ``organization:`` section, so the writers fan their sweeps out
    and may run more than one shard at once (their reserved concurrency is compared with ``s.yaml``).
    """
    from alibabacloud_fc20230330 import models

    spec = deployment if isinstance(deployment, SYaml) else SYaml({}, list(deployment))
    report = DeployReport()
    writers = {s.fc_name for s in FUNCTIONS.values() if s.writer}
    for resource in spec.resources:
        name, region = resource.function_name, resource.region
        report.checked.append(name)
        _check_order(resource, report)
        try:
            deployed = call("fc", "GetFunction", factory.fc(region).get_function, name, models.GetFunctionRequest())
        except CloudCallError as exc:
            if exc.code == "FunctionNotFound":
                report.findings.append(_finding(name, "missing", f"function {name} is not deployed in {region}",
                                                "run `s deploy`", severity=Severity.CRITICAL))
                _check_global_region(resource, spec, {}, report)
                continue
            raise
        for attr, key in (("runtime", "runtime"), ("handler", "handler")):
            if getattr(deployed, attr) != resource.props.get(key):
                report.findings.append(_finding(name, attr, f"{attr} is {getattr(deployed, attr)!r}, s.yaml says "
                                                f"{resource.props.get(key)!r}", "run `s deploy`"))
        live = _triggers(factory, name, region)
        for declared in resource.triggers:
            if declared.name not in live:
                report.findings.append(_finding(name, f"trigger:{declared.name}:missing",
                                                f"trigger {declared.name} ({declared.type}) is missing",
                                                "run `s deploy`; for EventBridge triggers see docs/deploying.md, "
                                                "step 5, on event triggers for cloud services",
                                                severity=Severity.CRITICAL))
            else:
                _compare_trigger(name, declared, live[declared.name], report)
        _check_global_region(resource, spec, live, report)
        try:
            async_config = call("fc", "GetAsyncInvokeConfig", factory.fc(region).get_async_invoke_config, name,
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
            concurrency = call("fc", "GetConcurrencyConfig", factory.fc(region).get_concurrency_config, name)
            _check_concurrency(resource, concurrency.reserved_concurrency, organization, report)
    return report


def _declared_concurrency(resource: FunctionResource) -> int | None:
    """``concurrencyConfig.reservedConcurrency`` as ``s.yaml`` declares it (None: not declared)."""
    declared = (resource.props.get("concurrencyConfig") or {}).get("reservedConcurrency")
    return declared if isinstance(declared, int) and not isinstance(declared, bool) else None


def _check_concurrency(resource: FunctionResource, reserved: int | None, organization: bool,
                       report: DeployReport) -> None:
    """A writer runs one invocation at a time; in an organisation, as many shards at once as ``s.yaml`` declares.

    In one account two runs of a writer would race for the same targets, so anything but 1 is
    critical. An organisation's shards are account x region each and carry their account in every
    state key (docs/organisations.md), so there the writer needs a bound (FC runs an unbounded
    function as wide as the account's quota) equal to the one ``s.yaml`` declares.
    """
    name = resource.function_name
    if not organization:
        if reserved != 1:
            report.findings.append(_finding(name, "concurrency", f"writer {name} has reserved concurrency "
                                            f"{reserved}, not 1: two runs may race",
                                            "set concurrencyConfig.reservedConcurrency: 1",
                                            severity=Severity.CRITICAL))
        return
    declared = _declared_concurrency(resource)
    if reserved is None or reserved < 1:
        report.findings.append(_finding(name, "concurrency", f"writer {name} has no reserved concurrency "
                                        f"({reserved}): its shards fan out without a bound, or not at all",
                                        "set concurrencyConfig.reservedConcurrency to the shards you want in "
                                        "flight (docs/organisations.md)", severity=Severity.CRITICAL))
    elif declared is not None and reserved != declared:
        report.findings.append(_finding(name, "concurrency", f"writer {name} has reserved concurrency {reserved}, "
                                        f"s.yaml says {declared}", "run `s deploy`"))
