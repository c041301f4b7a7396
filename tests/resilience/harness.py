"""What the resilience tests share: invoking the functions as FC would, faults, and watchers of the cloud.

* ``Functions`` invokes a function's real handler with bytes and an FC-shaped context carrying the
  STS credentials of the function's role (exactly its ``deploy/policies``, see
  ``support.with_function_roles``; the configs name no credentials), and
  ``deliver`` retries an invocation that raised a transient error, as FC's async retry does (as
  many times as ``s.yaml`` allows the function: ``maxAsyncRetryAttempts``, default 3,
  https://alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/error-handling-1-2); ``scheduled`` is one
  timer run, followed by the next
  one when FC gave up on it.
* ``random_faults`` installs the seeded fault mix of issue 8 on every product of the local cloud.
* ``AclWatch`` replays every whitelist write the cloud carried out, in order, so a test can check
  the whitelist after each single write (never empty while enabled, declared entries never removed);
  ``RouteWatch`` reads the endpoint keeper's targets and the prefixes its deletions removed.
* ``chat_texts`` and ``mentions`` read what the chat robots accepted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from acrguard.alerts.state import read_section
from acrguard.errors import StateError, TransientCloudError
from acrguard.functions import function
from acrguard.runtime.local import invoke, make_context
from acrguard.state.sqlite import SqliteStateStore
from support import ACCOUNT, INSTANCE_ID, REGION, ROOT_KEY, ROOT_SECRET, fc_credentials, function_names

#: FC's async invocation runs a failed invocation again 3 times by default
#: (https://alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/error-handling-1-2)
FC_DEFAULT_RETRIES = 3
S_YAML = Path(__file__).resolve().parents[2] / "s.yaml"
#: the SDK read timeout in the tests' configs; an injected latency above it is a client timeout
READ_TIMEOUT_MS = 300
#: the whitelist writes of ACR (cr 2018-12-01)
ACL_WRITES = ("CreateInstanceEndpointAclPolicy", "DeleteInstanceEndpointAclPolicy", "UpdateInstanceEndpointStatus")
#: API name prefixes that only read (the local ActionTrail's rule)
READ_PREFIXES = ("Get", "List", "Describe", "Query", "Check")
#: calls whose names are not reads but that change nothing a function guards: IMS GenerateCredentialReport only
#: compiles a report of the account's credentials (the pull-key audit's key hygiene, acrguard.pullkeys.credreport)
READ_ONLY_CALLS = frozenset({("ims", "GenerateCredentialReport")})
_REQUEST_IDS = itertools.count(1)


def fc_attempts(job: str) -> int:
    """How many times FC runs an async invocation of ``job``'s function: once, plus ``s.yaml``'s retries."""
    spec = function(job)
    resources = (yaml.safe_load(S_YAML.read_text(encoding="utf-8")) or {}).get("resources") or {}
    for resource in resources.values():
        props = resource.get("props") or {}
        if props.get("functionName") == spec.fc_name:
            retries = (props.get("asyncInvokeConfig") or {}).get("maxAsyncRetryAttempts", FC_DEFAULT_RETRIES)
            return 1 + int(retries)
    return 1 + FC_DEFAULT_RETRIES


def timer(job: str, n: int = 0) -> bytes:
    """The timer event of ``job``'s ``n``-th scheduled run (each run has its own trigger time)."""
    moment = f"2026-11-25T{10 + n // 60:02d}:{n % 60:02d}:00Z"
    return json.dumps({"triggerTime": moment, "triggerName": "sweep",
                       "payload": json.dumps({"job": job})}).encode()


def chat_channel(cloud: Any, token: str, *, secret: str | None = None) -> dict[str, Any]:
    """A DingTalk channel config for the robot ``token`` of the local chat sinks."""
    channel: dict[str, Any] = {"name": "ops", "type": "dingtalk",
                               "url": f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token={token}"}
    if secret:
        channel["secret"] = secret
    return channel


def cloud_section(cloud: Any, *, key: str = ROOT_KEY, secret: str = ROOT_SECRET, attempts: int = 2,
                  credentials: bool = False) -> dict[str, Any]:
    """The ``cloud:`` section for the local cloud: fast SDK retries and a short read timeout.

    No credentials unless ``credentials``: a function signs with its role's (``Functions``).
    """
    endpoints = cloud.endpoints()
    section: dict[str, Any] = {
        "region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"], "protocol": "http",
        "retry": {"max_attempts": attempts, "base_delay_ms": 5, "max_delay_ms": 20},
        "read_timeout_ms": READ_TIMEOUT_MS, "connect_timeout_ms": 1000,
        # CEN writes are paced to their 3/1(s) quota (tests/test_clients_flow_control.py): not waited for here
        "flow_control": {"operations": {"cbn:*": {"pace": False}}}}
    if credentials:
        section["credentials"] = {"access_key_id": key, "access_key_secret": secret}
    return section


def dns_settings(cloud: Any) -> dict[str, Any]:
    """Whitelist resolver settings that ask only the local cloud's DNS server, with a short timeout."""
    host, port = cloud.endpoints()["dns"].split(":")
    return {"nameservers": [host], "dns_port": int(port), "dns_timeout_s": 0.2, "queries_per_name": 2}


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write a config file (YAML) and return its path."""
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Delivery:
    """One event's handling by FC: the last result and the transient errors of the attempts before it."""

    result: dict[str, Any] | None
    errors: list[BaseException] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        """How many times the handler ran."""
        return len(self.errors) + (1 if self.result is not None else 0)

    @property
    def status(self) -> str | None:
        """The status of the (single) event in the result, e.g. ``done`` (None when every attempt failed)."""
        if self.result is None or not self.result.get("events"):
            return None
        return self.result["events"][0]["status"]


def role_context(cloud: Any, job: str, request_id: str | None = None) -> Any:
    """An FC-shaped context for ``job`` carrying its role's STS credentials, obtained afresh as FC does."""
    return make_context(function(job), REGION, ACCOUNT, credentials=fc_credentials(cloud, job),
                        request_id=request_id or f"req-{next(_REQUEST_IDS)}")


def all_at_once(invocations: list[Callable[[], Any]], timeout_s: float = 60) -> list[Any]:
    """Run every invocation in a thread of its own, all released together; each result, or what it raised."""
    outcomes: list[Any] = [None] * len(invocations)
    start = threading.Barrier(len(invocations))

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = invocations[index]()
        except Exception as exc:  # the caller inspects what each invocation raised
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(invocations))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout_s)
    return outcomes


def by_function(cloud: Any, request: Any) -> bool:
    """Whether a recorded request was signed by a function's role session (not by the test's own set-up)."""
    token = cloud.sts_tokens.get(request.access_key_id or "")
    return token is not None and token.role_name in function_names()


class Functions:
    """Invokes the deployed functions' handlers locally, with one config file, as FC would.

    Each invocation's context carries the STS credentials of the function's role, obtained afresh
    (``role_context``); ``credentials`` puts these instead, and ``as_role=False`` none (the config's).
    """

    def __init__(self, cloud: Any, config_path: Path, *, credentials: Any = None, as_role: bool = True) -> None:
        self.cloud = cloud
        self.config_path = config_path
        self.credentials = credentials
        self.as_role = as_role

    def invoke(self, job: str, event: bytes, request_id: str | None = None) -> dict[str, Any]:
        """One attempt: ``handler(event, context)`` of ``job``'s function (exceptions propagate)."""
        spec = function(job)
        request_id = request_id or f"req-{next(_REQUEST_IDS)}"
        if self.credentials is None and self.as_role:
            context = role_context(self.cloud, job, request_id)
        else:
            context = make_context(spec, REGION, ACCOUNT, credentials=self.credentials, request_id=request_id)
        return invoke(spec, event, context, self.config_path)

    def deliver(self, job: str, event: bytes, attempts: int | None = None) -> Delivery:
        """The event's handling with FC's async retries: transient failures are retried (``fc_attempts`` runs)."""
        delivery = Delivery(None)
        for _ in range(attempts or fc_attempts(job)):
            try:
                delivery.result = self.invoke(job, event)
            except (TransientCloudError, StateError) as exc:
                delivery.errors.append(exc)
                continue
            return delivery
        return delivery

    def scheduled(self, job: str, n: int) -> list[Delivery]:
        """The ``n``-th timer run; when FC gave up on it, the next scheduled run too (the sweep it catches up in).

        Returns the deliveries; the last one is the run that finished (or the second that failed).
        """
        first = self.deliver(job, timer(job, n))
        if first.result is not None:
            return [first]
        return [first, self.deliver(job, timer(job, 1000 + n))]


def random_faults(cloud: Any, seed: int, *, scale: float = 1.0) -> None:
    """The issue's fault mix on every API and OSS call, seeded: throttling, 503s, dropped connections, timeouts.

    5% ``Throttling.User`` (400), 2% ``ServiceUnavailable`` (503), 0.5% connections closed without
    an answer and 0.5% answers slower than the client's read timeout (carried out late).
    """
    cloud.faults.reseed(seed)
    cloud.inject(code="Throttling.User", status=400, probability=0.05 * scale)
    cloud.inject(code="ServiceUnavailable", status=503, probability=0.02 * scale)
    cloud.inject(drop=True, probability=0.005 * scale)
    cloud.inject(latency_ms=READ_TIMEOUT_MS + 150, probability=0.005 * scale)


@contextlib.contextmanager
def faults_paused(cloud: Any) -> Iterator[None]:
    """Suspend every fault rule (for the test's own set-up calls); the rules and their counters come back after."""
    rules = cloud.faults.rules()
    cloud.faults.clear()
    try:
        yield
    finally:
        for rule in rules:
            cloud.faults.add(rule)


def write_calls(cloud: Any, since: int = 0, *, product: str | None = None) -> list[Any]:
    """Every request after ``since`` that was not a read, whatever its outcome."""
    return [r for r in cloud.requests.filter(product=product, since=since)
            if not r.action.startswith(READ_PREFIXES) and (r.product, r.action) not in READ_ONLY_CALLS]


def carried_out(request: Any) -> bool:
    """Whether the cloud carried a recorded request out (not refused by a fault, not dropped, no error)."""
    return not request.fault and 0 < request.status < 400 and request.error_code is None


def chat_texts(cloud: Any, kind: str = "dingtalk") -> list[str]:
    """The texts of every message the chat robots accepted, oldest first."""
    return [m.text for m in cloud.chat.accepted(kind)]


def mentions(cloud: Any, text: str, kind: str = "dingtalk") -> int:
    """How many accepted messages contain ``text``."""
    return sum(1 for body in chat_texts(cloud, kind) if text in body)


def pending_deliveries(state_path: Path) -> list[str]:
    """Alert groups with a message still owed to a channel (failed or deferred deliveries, held updates)."""
    store = SqliteStateStore(state_path)
    try:
        alerts = read_section(store)
    finally:
        store.close()
    return [key for key, group in (alerts.get("groups") or {}).items()
            for entry in (group.get("notified") or {}).values() if entry.get("pending")]


def settle_alerts(functions: Functions, job: str, state_path: Path, runs: int = 4) -> None:
    """Run the job (faults cleared by the caller) until no message is owed: held updates, failed deliveries."""
    import time

    for n in range(runs):
        time.sleep(1.05)  # the tests' alerts.group_interval_s: held group updates are due now
        assert functions.deliver(job, timer(job, 100 + n)).status == "done"
        if not pending_deliveries(state_path):
            return
    raise AssertionError(f"messages still owed after {runs} runs: {pending_deliveries(state_path)}")


def repeated_messages(cloud: Any, kind: str = "dingtalk") -> list[str]:
    """Messages a group got twice in a row (a second delivery of the same news: firing, new or resolved).

    A group's footer names it (``group <id>``); a group changes state between two legitimate
    messages, so two equal messages in a row mean one was delivered twice.
    """
    last: dict[str, str] = {}
    repeated = []
    for text in chat_texts(cloud, kind):
        group = text.rsplit("group ", 1)[-1].split(" ", 1)[0]
        if last.get(group) == text:
            repeated.append(text)
        last[group] = text
    return repeated


def _network(entry: str) -> Any:
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return entry


@dataclass(frozen=True)
class AclState:
    """The internet endpoint's whitelist after one write (``seq``: the request log position)."""

    seq: int
    action: str
    entry: str
    enabled: bool
    entries: frozenset[Any]


class AclWatch:
    """Replays the whitelist writes the local cloud carried out, in order, from the state when it was made.

    ``states`` holds the whitelist after every single write; ``check`` compares the replay with the
    instance's real state so a wrong replay cannot hide a problem.
    """

    def __init__(self, cloud: Any, instance_id: str = INSTANCE_ID) -> None:
        self.cloud = cloud
        self.instance_id = instance_id
        instance = self._instance()
        self.entries = {_network(e.entry) for e in instance.acl}
        self.enabled = bool(instance.internet_enable)
        self.since = cloud.requests.last_seq()
        self.states: list[AclState] = []

    def _instance(self) -> Any:
        return self.cloud.backend("cr", ACCOUNT, REGION).instances[self.instance_id]

    def catch_up(self) -> list[AclState]:
        """Replay the writes recorded since the last call; returns the new states."""
        new = []
        for request in self.cloud.requests.filter(product="cr", action=ACL_WRITES, since=self.since):
            self.since = max(self.since, request.seq)
            if not carried_out(request) or request.params.get("InstanceId") != self.instance_id:
                continue
            entry = request.params.get("Entry", "")
            if request.action == "CreateInstanceEndpointAclPolicy":
                self.entries.add(_network(entry))
            elif request.action == "DeleteInstanceEndpointAclPolicy":
                self.entries.discard(_network(entry))
            else:
                enable = str(request.params.get("Enable", "")).lower() == "true"
                if enable and not self.enabled:
                    self.entries.add(ipaddress.ip_network("127.0.0.1/32"))
                self.enabled = enable
            state = AclState(request.seq, request.action, entry, self.enabled, frozenset(self.entries))
            self.states.append(state)
            new.append(state)
        return new

    def resync(self) -> None:
        """Take the cloud's state as the new starting point (after a test changed the backend directly)."""
        self.catch_up()
        instance = self._instance()
        self.entries = {_network(e.entry) for e in instance.acl}
        self.enabled = bool(instance.internet_enable)

    def live(self) -> set[str]:
        """The instance's whitelist now, from the cloud's state (no API call, so no fault)."""
        return {str(_network(e.entry)) for e in self._instance().acl}

    def check(self) -> None:
        """Catch up and assert that the replay matches the cloud (the replay is then trustworthy)."""
        self.catch_up()
        assert {str(e) for e in self.entries} == self.live(), "the replay of the whitelist writes went wrong"

    def emptied(self) -> list[AclState]:
        """States in which the endpoint was enabled with an empty whitelist (open to everyone)."""
        return [s for s in self.states if s.enabled and not s.entries]

    def removed(self, entries: set[str]) -> list[AclState]:
        """Deletions of any of ``entries``."""
        wanted = {_network(e) for e in entries}
        return [s for s in self.states if s.action == "DeleteInstanceEndpointAclPolicy" and _network(s.entry) in wanted]


class RouteWatch:
    """What the endpoint keeper's targets hold (read from the local cloud's state, so no fault applies),
    and which prefixes the keeper's deletions removed.

    ``begin`` (before a run) remembers the ids of the entries of the route tables, since a deletion
    names an id, not a prefix; ``removed`` then lists the prefixes every carried-out deletion since
    removed, on every target type (the IPsec connection's ``LocalSubnet`` by the difference), and
    ``created`` the prefixes every carried-out creation added. A write repeating a ``ClientToken``
    the cloud already carried out is not counted: the cloud answered it from its memory (it may be
    an SDK retry, or a timed-out original that arrived after a later run's watch began).
    """

    def __init__(self, cloud: Any) -> None:
        from tests.routes.keeperworld import CEN, MARKER, TR_TABLE, VBR_TABLE, VPN

        self.cloud = cloud
        self.marker, self.vbr, self.tr, self.cen, self.vpn = MARKER, VBR_TABLE, TR_TABLE, CEN, VPN
        self.ids: dict[str, dict[str, str]] = {}
        self.subnet: list[str] = []
        self.since = 0
        self.answered: set[str] = set()
        self.begin()

    def _vpc(self) -> Any:
        return self.cloud.backend("vpc", ACCOUNT, REGION)

    def _cbn(self) -> Any:
        return self.cloud.backend("cbn", ACCOUNT, None)

    def begin(self) -> None:
        """Remember the route entries' ids and the connection's subnets; later deletions are counted from here."""
        self.ids = {"vbr": {e.id: e.destination for e in self._vpc().tables[self.vbr].entries.values()},
                    "tr": {e.id: e.destination for e in self._cbn().tr_tables[self.tr].entries}}
        self.subnet = list(self._vpc().vpn_connections[self.vpn].local_subnet)
        self.since = self.cloud.requests.last_seq()
        self.answered = {r.params["ClientToken"] for r in self.cloud.requests.all()
                         if r.seq <= self.since and carried_out(r) and r.params.get("ClientToken")}

    def routes(self) -> dict[str, Counter[str]]:
        """Per target, how many live entries carrying acrguard's marker route each prefix (VPN: every item)."""
        vbr = Counter(e.destination for e in self._vpc().tables[self.vbr].entries.values()
                      if e.deleted_at is None and (e.name or "").startswith(self.marker))
        tr = Counter(e.destination for e in self._cbn().tr_tables[self.tr].entries
                     if e.deleted_at is None and (e.name or "").startswith(self.marker))
        cen = Counter(s.host for s in self._cbn().cens[self.cen].route_services
                      if s.deleted_at is None and (s.description or "").startswith(self.marker))
        vpn = Counter(self._vpc().vpn_connections[self.vpn].local_subnet)
        return {"vbr": vbr, "tr": tr, "cen": cen, "vpn": vpn}

    def removed(self) -> list[tuple[str, str]]:
        """``(target, prefix)`` for every prefix a carried-out deletion removed since ``begin``."""
        return self._changes()[1]

    def created(self) -> list[tuple[str, str]]:
        """``(target, prefix)`` for every prefix a carried-out creation added since ``begin``."""
        return self._changes()[0]

    def _changes(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        out: list[tuple[str, str]] = []
        added: list[tuple[str, str]] = []
        subnet = list(self.subnet)
        answered = set(self.answered)
        for request in self.cloud.requests.filter(since=self.since):
            if not carried_out(request):
                continue
            params = request.params
            token = params.get("ClientToken")
            if token in answered:
                # The cloud already carried out a request with this token, so this one (a retry, or an
                # original answered too late and recorded after this watch began) changed nothing.
                continue
            if token:
                answered.add(token)
            if request.action == "CreateRouteEntry":
                added.append(("vbr", str(params.get("DestinationCidrBlock"))))
            elif request.action == "CreateTransitRouterRouteEntry":
                added.append(("tr", str(params.get("TransitRouterRouteEntryDestinationCidrBlock"))))
            elif request.action == "ResolveAndRouteServiceInCen":
                added.append(("cen", str(params.get("Host"))))
            elif request.action == "DeleteRouteEntry":
                out.append(("vbr", self.ids["vbr"].get(params.get("RouteEntryId", ""), f"unknown id {params}")))
            elif request.action == "DeleteTransitRouterRouteEntry":
                out.append(("tr", self.ids["tr"].get(params.get("TransitRouterRouteEntryId", ""),
                                                     f"unknown id {params}")))
            elif request.action == "DeleteRouteServiceInCen":
                out.append(("cen", str(params.get("Host"))))
            elif request.action == "ModifyVpnConnectionAttribute" and params.get("LocalSubnet"):
                after = [str(ipaddress.ip_network(s.strip(), strict=False))
                         for s in str(params["LocalSubnet"]).split(",") if s.strip()]
                out += [("vpn", prefix) for prefix in subnet if prefix not in after]
                added += [("vpn", prefix) for prefix in after if prefix not in subnet]
                subnet = after
        return added, out
