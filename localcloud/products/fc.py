"""Function Compute 3.0 (fc 2023-03-30, ROA): what ``acrguard deploy check`` reads, and ``InvokeFunction``.

Functions, their triggers, async invocation configs and concurrency configs, seeded from the
world (``accounts.<id>.regions.<region>.fc.functions``) or from ``s.yaml`` through
``seed_from_syaml`` (what ``s deploy`` would have created). Paths and field names follow
``alibabacloud_fc20230330`` (``client.py`` pathnames; ``models/_function.py``, ``_trigger.py``,
``_async_config.py``, ``_concurrency_config.py``). ``triggerConfig`` is a JSON *string*, as in the
API. Error codes ``FunctionNotFound``/``TriggerNotFound``/``AsyncConfigNotExists`` (404) are the
emulator's choice, not checked against the real service.

Trigger configs are answered as FC 3.0's GetTrigger/ListTriggers give them: ``triggerConfig`` is a
JSON string (``Trigger.trigger_config: str`` in ``models/_trigger.py``) holding the type's config
struct. For ``eventbridge`` that is ``EventBridgeTriggerConfig`` (``models/_event_bridge_trigger_config.py``;
https://help.aliyun.com/zh/functioncompute/api-fc-2023-03-30-struct-eventbridgetriggerconfig):
``asyncInvocationType`` true = synchronous, false = asynchronous, default false; ``triggerEnable``
default true. Fields a trigger was created without are answered with those documented defaults
(whether the real service echoes absent fields is unverified: emulator's choice; clients should
read an absent field as its default too). An EventBridge trigger's ``sourceArn`` names a rule on
the default bus of the function's own region (fc3 and FC create it there).

``InvokeFunction`` (``POST /2023-03-30/functions/{functionName}/invocations``, the SDK's
``invoke_function_with_options``) runs the function's code from its ``code_dir`` (a directory with
``index.py``, as FC unpacks a code package; ``localcloud.core.invocations``). The header
``x-fc-invocation-type`` (``InvokeFunctionHeaders``: "Sync or Async"; default Sync) chooses:
``Async`` queues the invocation and answers ``202`` at once (FC's invocation examples:
https://help.aliyun.com/en/functioncompute/call-example), then runs it with FC's async retries and
failure destination; ``Sync`` runs it and answers ``200`` with the handler's return value (JSON, with
the gateway's ``RequestId`` added to an object: emulator's choice), or, when the handler raised, with
``x-fc-error-type: UnhandledInvocationError`` and the error (emulator's choice of body). Other
values are ``InvalidArgument`` (400). An asynchronous payload is at most 128 KB and a synchronous one
32 MB (FC 3.0 limits: https://alibabacloud.com/help/tc/functioncompute/fc-3-0/product-overview/limits-of-usage);
a larger one is ``InvalidArgument`` (the code is the emulator's choice). A function without a
``code_dir`` cannot run here: ``FunctionNotRunnable`` (400, emulator's choice). Tests and benchmarks
wait for the queue with ``runner(...).drain()`` and read ``records`` and ``failures``.

World format::

    fc:
      functions:
        - name: acrguard-whitelist-guard
          runtime: python3.10
          handler: index.handler
          timeout: 60
          memory: 512
          role: acs:ram::123:role/acrguard-whitelist-guard
          reserved_concurrency: 1
          code_dir: functions/whitelist_guard       # where index.py is: what InvokeFunction runs
          async: {maxAsyncRetryAttempts: 2, destinationConfig: {onFailure: {destination: acs:mns:...}}}
          triggers:
            - {name: sweep, type: timer, config: {cronExpression: "0 */5 * * * *", enable: true}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from localcloud.core.invocations import FunctionRunner
from localcloud.errors import CloudError
from localcloud.service import Call, Service, page_by_token

SEED_TIME = "2026-01-01T00:00:00Z"
#: FC 3.0's request payload limits: asynchronous and synchronous invocations
ASYNC_PAYLOAD_LIMIT = 128 * 1024
SYNC_PAYLOAD_LIMIT = 32 * 1024 * 1024
INVOCATION_TYPES = ("Sync", "Async")
#: documented defaults of ``EventBridgeTriggerConfig`` (SDK model docstring and the API struct page)
EVENTBRIDGE_DEFAULTS: dict[str, Any] = {"triggerEnable": True, "asyncInvocationType": False}


@dataclass
class FcTrigger:
    """A trigger of a function."""

    name: str
    type: str
    config: dict[str, Any]
    description: str = ""
    qualifier: str = "LATEST"


@dataclass
class FcFunction:
    """A function and the configs deploy check compares."""

    name: str
    runtime: str = "python3.10"
    handler: str = "index.handler"
    timeout: int = 3
    memory: int = 512
    role: str = ""
    description: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    vpc: dict[str, Any] | None = None
    triggers: dict[str, FcTrigger] = field(default_factory=dict)
    async_config: dict[str, Any] | None = None
    reserved_concurrency: int | None = None
    code_dir: str | None = None


class FcBackend:
    """FC state of one account in one region."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.region = region
        self.functions: dict[str, FcFunction] = {}
        self.runners: dict[str, FunctionRunner] = {}

    def seed(self, data: dict[str, Any]) -> None:
        """Load ``functions:`` from a world file."""
        for index, spec in enumerate(data.get("functions") or []):
            if "name" not in spec:
                raise ValueError(f"functions[{index}]: needs 'name'")
            function = FcFunction(spec["name"], spec.get("runtime", "python3.10"), spec.get("handler", "index.handler"),
                                  int(spec.get("timeout", 3)), int(spec.get("memory", 512)), spec.get("role", ""),
                                  spec.get("description", ""), dict(spec.get("environment") or {}), spec.get("vpc"),
                                  async_config=spec.get("async"), reserved_concurrency=spec.get("reserved_concurrency"),
                                  code_dir=str(spec["code_dir"]) if spec.get("code_dir") else None)
            for trigger in spec.get("triggers") or []:
                function.triggers[trigger["name"]] = FcTrigger(trigger["name"], trigger["type"],
                                                               dict(trigger.get("config") or {}),
                                                               trigger.get("description", ""))
            self.functions[function.name] = function

    def function(self, name: str) -> FcFunction:
        """The function, or ``FunctionNotFound``."""
        function = self.functions.get(name)
        if function is None:
            raise CloudError("FunctionNotFound", f"function '{name}' does not exist", 404)
        return function

    def arn(self, name: str) -> str:
        """The function's ARN."""
        return f"acs:fc:{self.region}:{self.account_id}:functions/{name}"

    def runner(self, name: str) -> FunctionRunner:
        """The function's runner (its warm instance, async queue and invocation records)."""
        self.function(name)
        with self.cloud.lock:
            runner = self.runners.get(name)
            if runner is None:
                runner = self.runners[name] = FunctionRunner(self.cloud, self.account_id, self.region, name)
            return runner

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until no function of this account and region has an asynchronous invocation queued or running."""
        import time

        deadline = time.monotonic() + timeout
        return all(runner.drain(max(0.0, deadline - time.monotonic())) for runner in list(self.runners.values()))


def seed_from_syaml(cloud: Any, account_id: str, region: str, resources: list[Any]) -> None:
    """Create the functions of ``s.yaml`` resources (``acrguard.deploy.syaml.FunctionResource``) as deployed.

    Each function goes to its own ``props.region`` (where fc3 deploys it), ``region`` when it names none.
    """
    for resource in resources:
        props = resource.props
        backend: FcBackend = cloud.backend("fc", account_id, props.get("region") or region)
        function = FcFunction(props["functionName"], props.get("runtime", ""), props.get("handler", ""),
                              int(props.get("timeout", 3)), int(props.get("memorySize", 512)), props.get("role", ""),
                              props.get("description", ""), dict(props.get("environmentVariables") or {}),
                              props.get("vpcConfig") if isinstance(props.get("vpcConfig"), dict) else None,
                              async_config=props.get("asyncInvokeConfig"),
                              reserved_concurrency=(props.get("concurrencyConfig") or {}).get("reservedConcurrency"))
        for trigger in resource.triggers:
            function.triggers[trigger.name] = FcTrigger(trigger.name, trigger.type, dict(trigger.config))
        backend.functions[function.name] = function


SERVICE = Service("fc", "2023-03-30", FcBackend, regional=True)


def _trigger_body(backend: FcBackend, function: FcFunction, trigger: FcTrigger) -> dict[str, Any]:
    source_arn = (f"acs:eventbridge:{backend.region}:{backend.account_id}:eventbus/default/rule/"
                  f"{function.name}-{trigger.name}" if trigger.type == "eventbridge" else None)
    config = {**EVENTBRIDGE_DEFAULTS, **trigger.config} if trigger.type == "eventbridge" else trigger.config
    body = {"triggerName": trigger.name, "triggerType": trigger.type, "triggerId": f"{function.name}-{trigger.name}",
            "triggerConfig": json.dumps(config), "description": trigger.description,
            "qualifier": trigger.qualifier, "targetArn": backend.arn(function.name), "status": "Enabled",
            "createdTime": SEED_TIME, "lastModifiedTime": SEED_TIME}
    if source_arn:
        body["sourceArn"] = source_arn
    return body


@SERVICE.route("GET", "/2023-03-30/functions/{functionName}", action="GetFunction")
def get_function(call: Call, backend: FcBackend) -> dict[str, Any]:
    """One function's configuration."""
    function = backend.function(call.path_params["functionName"])
    return {"functionName": function.name, "functionArn": backend.arn(function.name), "runtime": function.runtime,
            "handler": function.handler, "timeout": function.timeout, "memorySize": function.memory,
            "role": function.role, "description": function.description,
            "environmentVariables": function.environment, "vpcConfig": function.vpc or {},
            "state": "Active", "lastUpdateStatus": "Successful", "createdTime": SEED_TIME,
            "lastModifiedTime": SEED_TIME}


@SERVICE.route("GET", "/2023-03-30/functions/{functionName}/triggers", action="ListTriggers")
def list_triggers(call: Call, backend: FcBackend) -> dict[str, Any]:
    """A function's triggers, paged by ``limit`` (1-100, default 20) and ``nextToken``."""
    function = backend.function(call.path_params["functionName"])
    limit = call.get_int("limit", 20, minimum=1, maximum=100)
    prefix = call.get("prefix", "") or ""
    triggers = [t for name, t in sorted(function.triggers.items()) if name.startswith(prefix)]
    page, token = page_by_token(triggers, call.get("nextToken"), limit)
    body: dict[str, Any] = {"triggers": [_trigger_body(backend, function, t) for t in page]}
    if token:
        body["nextToken"] = token
    return body


@SERVICE.route("GET", "/2023-03-30/functions/{functionName}/triggers/{triggerName}", action="GetTrigger")
def get_trigger(call: Call, backend: FcBackend) -> dict[str, Any]:
    """One trigger."""
    function = backend.function(call.path_params["functionName"])
    trigger = function.triggers.get(call.path_params["triggerName"])
    if trigger is None:
        raise CloudError("TriggerNotFound", f"trigger '{call.path_params['triggerName']}' does not exist", 404)
    return _trigger_body(backend, function, trigger)


@SERVICE.route("GET", "/2023-03-30/functions/{functionName}/async-invoke-config", action="GetAsyncInvokeConfig")
def get_async_invoke_config(call: Call, backend: FcBackend) -> dict[str, Any]:
    """The async invocation config (retries, event age, destinations)."""
    function = backend.function(call.path_params["functionName"])
    if function.async_config is None:
        raise CloudError("AsyncConfigNotExists", f"async invoke config of '{function.name}' does not exist", 404)
    return {"functionArn": backend.arn(function.name), "createdTime": SEED_TIME, "lastModifiedTime": SEED_TIME,
            **function.async_config}


@SERVICE.route("GET", "/2023-03-30/functions/{functionName}/concurrency", action="GetConcurrencyConfig")
def get_concurrency_config(call: Call, backend: FcBackend) -> dict[str, Any]:
    """The reserved concurrency (absent when none is set)."""
    function = backend.function(call.path_params["functionName"])
    body: dict[str, Any] = {"functionArn": backend.arn(function.name)}
    if function.reserved_concurrency is not None:
        body["reservedConcurrency"] = function.reserved_concurrency
    return body


@SERVICE.route("POST", "/2023-03-30/functions/{functionName}/invocations", action="InvokeFunction")
def invoke_function(call: Call, backend: FcBackend) -> tuple[int, Any]:
    """Run the function now (Sync) or queue it (Async); see the module docstring."""
    function = backend.function(call.path_params["functionName"])
    kind = call.headers.get("x-fc-invocation-type") or "Sync"
    if kind not in INVOCATION_TYPES:
        raise CloudError("InvalidArgument", f"x-fc-invocation-type must be Sync or Async, got {kind!r}", 400)
    limit = ASYNC_PAYLOAD_LIMIT if kind == "Async" else SYNC_PAYLOAD_LIMIT
    if len(call.body) > limit:
        raise CloudError("InvalidArgument", f"the {kind.lower()} invocation payload is {len(call.body)} bytes; "
                                            f"at most {limit} are accepted", 400)
    if not function.code_dir:
        raise CloudError("FunctionNotRunnable", f"the local cloud has no code for function '{function.name}' "
                                                "(world: code_dir)", 400)
    runner = backend.runner(function.name)
    if kind == "Async":
        record = runner.invoke_async(call.body)
        return 202, {"invocationId": record.request_id}
    record = runner.invoke_sync(call.body, call.cloud.lock, float(function.timeout))
    if record.status != "succeeded":
        raise CloudError("UnhandledInvocationError", record.error, 200,
                         extra={"x-fc-error-type": "UnhandledInvocationError"})
    return 200, record.result
