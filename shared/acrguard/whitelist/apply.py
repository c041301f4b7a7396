"""Carry out a whitelist plan with the cr20181201 SDK, in plan order, never emptying an open endpoint.

``CreateInstanceEndpointAclPolicy`` / ``DeleteInstanceEndpointAclPolicy`` per entry and
``UpdateInstanceEndpointStatus`` for the endpoint switch. The plan puts restores and adds before
removals. Adds that follow one another in the plan go side by side (``ADD_WORKERS`` in flight): they are
independent entries, each its own call, and Terraform's ``alicloud_cr_endpoint_acl_policy`` creates them
the same way, one resource per entry with no lock (``alicloud/resource_alicloud_cr_endpoint_acl_policy.go``;
its provider locks only its route-entry writes). The API also has an ``Entries`` list (the SDK's
``CreateInstanceEndpointAclPolicyRequest.entries``), undocumented on the API page: not used, since how it
answers a list holding an entry that already exists is not known. Every call waits for its place under
the operation's quota (``acrguard.clients.call``). Removals stay one at a time. Apply adds guards of its own:

* switching the endpoint on is asynchronous (``CREATING`` -> ``RUNNING``) and ACR drops whitelist
  writes sent before it runs (terraform-provider-alicloud, ``alicloud/service_alicloud_cr.go``
  ``WaitCrEndpointRunning``), so after an ``enable`` apply waits (bounded, ``observe.SWITCH_WAIT``)
  for RUNNING and then counts the whitelist as read back; when the wait runs out, the rest of the
  plan is skipped (``ApplyResult.waiting``) and the next run finishes it;
* after a ``disable``, the endpoint counts as disabled only once a read shows it so; until then a
  removal that would empty the whitelist is still refused;

* when any add or switch fails, every removal of the run is skipped: the whitelist keeps what it
  has and the next run (which observes again) converges;
* a removal is skipped when, by what this run has written so far, it would leave the whitelist of
  an enabled endpoint empty; after a failed removal the rest are skipped too;
* another run or a person may change the whitelist between this run's read and its writes. Before
  its first removal the run takes the instance's removal lease (``lease``: two guard runs never
  remove at the same time); right before each removal it reads the whitelist again and removes
  the entry only while another entry the plan wants (``WhitelistPlan.keeps``) is live in that
  read (an entry already gone is not removed again). After its last removal it reads once more;
  a read that finds the enabled endpoint with an empty whitelist restores it at once
  (``WhitelistPlan.fallback``; ``ApplyResult.restored_at`` says when), since a person may have
  deleted the last wanted entry in the moment between the re-read and the removal;
* an add (removal) the cloud refuses is read back: when the entry is there (gone) anyway, e.g.
  the SDK's retry of a write whose answer was lost, it counts as done (writes are idempotent).

Dry run calls no mutating API. Failures are returned, not raised, so one instance's trouble does
not hide another's; the caller decides whether a transient failure should fail the invocation.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.whitelist.model import AclEntry, EndpointState
from acrguard.whitelist.observe import SWITCH_WAIT, observe_endpoint, wait_until_running
from acrguard.whitelist.plan import Operation, WhitelistPlan

if TYPE_CHECKING:
    from collections.abc import Callable

    from acrguard.routes.targets.waiting import Waiter
    from acrguard.whitelist.lease import RemovalLease

Outcome = Literal["done", "failed", "skipped", "dry-run"]

ACTIONS = {"add": "CreateInstanceEndpointAclPolicy", "remove": "DeleteInstanceEndpointAclPolicy",
           "enable": "UpdateInstanceEndpointStatus", "disable": "UpdateInstanceEndpointStatus"}
#: every mutating action the guard may call (tests count them in the request log)
WRITE_ACTIONS = frozenset(ACTIONS.values())
#: adds in flight at once on one instance: at a round trip of 30-100 ms, enough to start more than the 90 a
#: second acrguard allows itself of ACR's assumed 100/1(s) per operation (acrguard/data/flow_control.json)
ADD_WORKERS = 16


@dataclass(frozen=True)
class OperationResult:
    """What happened to one operation."""

    operation: Operation
    outcome: Outcome
    detail: str = ""
    code: str | None = None
    transient: bool = False
    at: float | None = None  # when a write was carried out (epoch seconds)

    @property
    def action(self) -> str:
        """The API the operation calls."""
        return ACTIONS[self.operation.kind]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping."""
        return {**self.operation.to_dict(), "action": self.action, "outcome": self.outcome, "detail": self.detail,
                "code": self.code, "transient": self.transient}


@dataclass(frozen=True)
class Waiting:
    """The endpoint acrguard switched on was not RUNNING when the wait ran out: the last status and the wait."""

    status: str
    waited_s: float


@dataclass(frozen=True)
class ApplyResult:
    """The results of one plan's operations, in order; ``waiting`` when a switch-on outlasted the wait."""

    instance_id: str
    results: tuple[OperationResult, ...] = ()
    waiting: Waiting | None = None
    healed_at: float | None = None

    @property
    def restored_at(self) -> float | None:
        """When this run closed an open whitelist (a planned restore, or one a re-read called for), else None."""
        if self.healed_at is not None:
            return self.healed_at
        done = [r for r in self.results if r.outcome == "done" and r.operation.restore and r.operation.kind == "add"]
        return done[0].at if done else None

    def with_outcome(self, outcome: Outcome) -> tuple[OperationResult, ...]:
        """Results with this outcome."""
        return tuple(r for r in self.results if r.outcome == outcome)

    @property
    def failed(self) -> tuple[OperationResult, ...]:
        """Operations the cloud refused or that did not get an answer."""
        return self.with_outcome("failed")

    @property
    def transient(self) -> bool:
        """Whether a failure is worth retrying the whole invocation for."""
        return any(r.transient for r in self.failed)


def apply_plan(plan: WhitelistPlan, factory: ClientFactory, *, dry_run: bool,
               waiter: Waiter | None = None, lease: RemovalLease | None = None,
               clock: Callable[[], float] = time.time) -> ApplyResult:
    """Run ``plan.operations`` in order (none when ``dry_run``) and say what happened to each.

    ``waiter``: how to wait for a switched-on endpoint to run (default ``SWITCH_WAIT``, real time).
    ``lease``: taken before the first removal and given back at the end (None: removals need none).
    """
    if dry_run:
        return ApplyResult(plan.instance_id, tuple(OperationResult(op, "dry-run", "dry_run is set; nothing written")
                                                   for op in plan.operations))
    run = _Run(plan, factory, waiter or SWITCH_WAIT, lease, clock)
    try:
        run.go()
    finally:
        if lease is not None:
            lease.release()
    return ApplyResult(plan.instance_id, tuple(run.results), run.waiting, run.healed_at)


class _Run:
    """One plan being carried out: what is expected in the whitelist, and what happened so far."""

    def __init__(self, plan: WhitelistPlan, factory: ClientFactory, waiter: Waiter, lease: RemovalLease | None,
                 clock: Callable[[], float]) -> None:
        self.plan, self.factory, self.waiter, self.lease, self.clock = plan, factory, waiter, lease, clock
        self.expected = set(plan.before)
        self.enabled = plan.enabled
        self.blocked = ""
        self.waiting: Waiting | None = None
        self.results: list[OperationResult] = []
        self.healed_at: float | None = None
        self.removed = False

    def go(self) -> None:
        """Carry out every operation in plan order (adds in a row side by side), each removal only once
        ``removal_blocked`` allows it."""
        operations = list(self.plan.operations)
        index = 0
        while index < len(operations):
            op = operations[index]
            if self.waiting is not None:
                self.skip(op, f"skipped: the internet endpoint is still {self.waiting.status} after "
                              f"{self.waiting.waited_s:g}s; ACR drops whitelist writes until it is RUNNING; the next "
                              "run finishes")
                index += 1
                continue
            if op.kind == "add":
                end = index
                while end < len(operations) and operations[end].kind == "add":
                    end += 1
                self.write_adds(operations[index:end])
                index = end
                continue
            if op.kind == "remove":
                reason = self.removal_blocked(op)
                if reason:
                    self.skip(op, reason)
                    index += 1
                    continue
            self.write(op)
            index += 1
        if self.removed and not self.blocked:
            self.check_after_removals()

    def write_adds(self, adds: list[Operation]) -> None:
        """Send adds side by side (they are independent entries); record what happened to each, in plan order."""
        if len(adds) == 1:
            self.write(adds[0])
            return
        with ThreadPoolExecutor(max_workers=min(ADD_WORKERS, len(adds)), thread_name_prefix="acrguard-acl-add") \
                as pool:
            sent = list(pool.map(self.send, adds))
        for op, outcome in zip(adds, sent, strict=True):
            self.record(op, outcome)

    def skip(self, op: Operation, detail: str) -> None:
        """Record ``op`` as not sent, and why."""
        self.results.append(OperationResult(op, "skipped", detail))

    def removal_blocked(self, op: Operation) -> str:
        """Why ``op`` (a removal) must not be sent now; '' when it may."""
        if self.blocked:
            return self.blocked
        if self.enabled and not self.expected - {AclEntry(op.entry).cidr}:
            return "would leave the whitelist of an enabled endpoint empty"
        if self.lease is not None:
            refused = self.lease.acquire()
            if refused:
                self.blocked = f"skipped: {refused}"
                return self.blocked
        try:
            fresh = observe_endpoint(self.factory, self.plan.instance_id, self.plan.region)
        except CloudCallError as exc:
            self.blocked = (f"skipped: the whitelist could not be read again before removing entries ({exc.code}); "
                            "nothing is removed on doubt")
            return self.blocked
        if self.heal(fresh):
            self.blocked = "skipped: the whitelist was found empty and restored; the next run plans again"
            return self.blocked
        cidr = AclEntry(op.entry).cidr
        if cidr not in fresh.networks:
            self.expected.discard(cidr)
            return "skipped: already gone when the whitelist was read again (someone else removed it)"
        if fresh.enabled and not (fresh.networks & self.plan.keeps) - {cidr}:
            self.blocked = (f"skipped: no other wanted entry is in the whitelist now (read again: "
                            f"{', '.join(sorted(fresh.networks)) or 'empty'}); another run or a person changed it, "
                            "so nothing is removed; the next run plans again")
            return self.blocked
        self.expected = set(fresh.networks)
        self.enabled = fresh.enabled
        return ""

    def write(self, op: Operation) -> None:
        """Send ``op``; a refusal whose effect is there anyway counts as done; a failure blocks later removals."""
        self.record(op, self.send(op))

    def send(self, op: Operation) -> _Sent:
        """Call the API for ``op``; a refused add or removal is read back (``_in_effect``). No state changes here."""
        try:
            _run(self.factory, self.plan, op)
        except CloudCallError as exc:
            in_effect = not isinstance(exc, TransientCloudError) and _in_effect(self.factory, self.plan, op)
            return _Sent(exc, in_effect, self.clock())
        return _Sent(None, False, self.clock())

    def record(self, op: Operation, sent: _Sent) -> None:
        """What ``send`` found, in this run's results and expectations; a failure blocks later removals."""
        exc = sent.error
        if exc is not None:
            if sent.in_effect:
                self.results.append(OperationResult(op, "done", f"already in effect ({exc.code})", at=sent.at))
                self.expected = _after(op, self.expected)
                self.removed = self.removed or op.kind == "remove"
                return
            self.results.append(OperationResult(op, "failed", str(exc), exc.code, isinstance(exc, TransientCloudError)))
            self.blocked = (f"skipped: {ACTIONS[op.kind]} of {op.entry or 'the endpoint'} failed earlier in this run; "
                            "the next run converges")
            return
        self.results.append(OperationResult(op, "done", at=sent.at))
        if op.kind in ("add", "remove"):
            self.expected = _after(op, self.expected)
            self.removed = self.removed or op.kind == "remove"
        elif op.kind == "enable":
            self.enabled = True
            settled = wait_until_running(self.factory, self.plan.instance_id, self.plan.region, self.waiter,
                                         known_false=False)
            if settled.running and settled.state is not None:
                self.expected = set(settled.state.networks)  # what the cloud holds now (it adds 127.0.0.1/32)
            else:
                status = settled.state.status if settled.state is not None else ""
                self.waiting = Waiting(status or "not RUNNING", self.waiter.timeout_s)
        else:
            self.enabled = _still_enabled(self.factory, self.plan)

    def check_after_removals(self) -> None:
        """Read once more after the last removal; restore at once if the whitelist is found open."""
        try:
            fresh = observe_endpoint(self.factory, self.plan.instance_id, self.plan.region)
        except CloudCallError:
            return  # the next run observes again
        self.heal(fresh)

    def heal(self, fresh: EndpointState) -> bool:
        """Restore the whitelist when a read finds the enabled endpoint open; whether it was open."""
        if not fresh.is_open:
            return False
        for op in self.plan.fallback:
            restore = Operation(op.kind, op.entry, op.comment, "restore: a read during this run found the whitelist "
                                "empty (changed by someone else)", restore=True)
            try:
                _run(self.factory, self.plan, restore)
            except CloudCallError as exc:
                self.results.append(OperationResult(restore, "failed", str(exc), exc.code,
                                                    isinstance(exc, TransientCloudError)))
                continue
            at = self.clock()
            self.healed_at = self.healed_at or at
            self.results.append(OperationResult(restore, "done", at=at))
            self.expected.add(AclEntry(restore.entry).cidr)
        return True


@dataclass(frozen=True)
class _Sent:
    """What one write's call came to: the error, if any, whether its effect is there anyway, and when."""

    error: CloudCallError | None
    in_effect: bool
    at: float


def _still_enabled(factory: ClientFactory, plan: WhitelistPlan) -> bool:
    """After a disable: whether the endpoint must still count as enabled (it does unless a read shows it off)."""
    try:
        return observe_endpoint(factory, plan.instance_id, plan.region).enabled
    except CloudCallError:
        return True


def _after(op: Operation, expected: set[str]) -> set[str]:
    """The whitelist's CIDRs once an add or removal is in effect."""
    cidr = AclEntry(op.entry).cidr
    return expected | {cidr} if op.kind == "add" else expected - {cidr}


def _in_effect(factory: ClientFactory, plan: WhitelistPlan, op: Operation) -> bool:
    """Whether a refused add (removal) is in effect anyway: the entry is there (gone) when read again.

    A write whose answer was lost (a network cut, a read timeout) is sent again by the SDK, and
    ACR refuses the repeat (the entry already exists, or no longer does): that is the first
    attempt's success, not a failure. The refusal codes are not published, so the endpoint is
    read again instead of trusting a code; a failed read keeps the failure.
    """
    if op.kind not in ("add", "remove"):
        return False
    try:
        present = AclEntry(op.entry).cidr in observe_endpoint(factory, plan.instance_id, plan.region).networks
    except CloudCallError:
        return False
    return present if op.kind == "add" else not present


def _run(factory: ClientFactory, plan: WhitelistPlan, op: Operation) -> None:
    from alibabacloud_cr20181201 import models as cr_models

    client = factory.cr(plan.region)
    common = {"instance_id": plan.instance_id, "endpoint_type": "internet", "module_name": "Registry"}
    func: Callable[..., object]
    if op.kind == "add":
        func = client.create_instance_endpoint_acl_policy
        request: object = cr_models.CreateInstanceEndpointAclPolicyRequest(entry=op.entry, comment=op.comment,
                                                                           **common)
    elif op.kind == "remove":
        func = client.delete_instance_endpoint_acl_policy
        request = cr_models.DeleteInstanceEndpointAclPolicyRequest(entry=op.entry, **common)
    else:
        func = client.update_instance_endpoint_status
        request = cr_models.UpdateInstanceEndpointStatusRequest(enable=op.kind == "enable", **common)
    call("cr", ACTIONS[op.kind], func, request)
