"""Carry out a whitelist plan with the cr20181201 SDK, in plan order, never emptying an open endpoint.

``CreateInstanceEndpointAclPolicy`` / ``DeleteInstanceEndpointAclPolicy`` per entry and
``UpdateInstanceEndpointStatus`` for the endpoint switch. The plan puts restores and adds before
removals; apply adds guards of its own:

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
* an add (removal) the cloud refuses is read back: when the entry is there (gone) anyway, e.g.
  the SDK's retry of a write whose answer was lost, it counts as done (writes are idempotent).

Dry run calls no mutating API. Failures are returned, not raised, so one instance's trouble does
not hide another's; the caller decides whether a transient failure should fail the invocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.whitelist.model import AclEntry
from acrguard.whitelist.observe import SWITCH_WAIT, observe_endpoint, wait_until_running
from acrguard.whitelist.plan import Operation, WhitelistPlan

if TYPE_CHECKING:
    from collections.abc import Callable

    from acrguard.routes.targets.waiting import Waiter

Outcome = Literal["done", "failed", "skipped", "dry-run"]

ACTIONS = {"add": "CreateInstanceEndpointAclPolicy", "remove": "DeleteInstanceEndpointAclPolicy",
           "enable": "UpdateInstanceEndpointStatus", "disable": "UpdateInstanceEndpointStatus"}
#: every mutating action the guard may call (tests count them in the request log)
WRITE_ACTIONS = frozenset(ACTIONS.values())


@dataclass(frozen=True)
class OperationResult:
    """What happened to one operation."""

    operation: Operation
    outcome: Outcome
    detail: str = ""
    code: str | None = None
    transient: bool = False

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
               waiter: Waiter | None = None) -> ApplyResult:
    """Run ``plan.operations`` in order (none when ``dry_run``) and say what happened to each.

    ``waiter``: how to wait for a switched-on endpoint to run (default ``SWITCH_WAIT``, real time).
    """
    if dry_run:
        return ApplyResult(plan.instance_id, tuple(OperationResult(op, "dry-run", "dry_run is set; nothing written")
                                                   for op in plan.operations))
    waiter = waiter or SWITCH_WAIT
    expected = set(plan.before)
    enabled = plan.enabled
    blocked = ""
    waiting: Waiting | None = None
    results: list[OperationResult] = []
    for op in plan.operations:
        if waiting is not None:
            results.append(OperationResult(op, "skipped", f"skipped: the internet endpoint is still "
                                           f"{waiting.status} after {waiting.waited_s:g}s; ACR drops whitelist writes "
                                           "until it is RUNNING; the next run finishes"))
            continue
        if op.kind == "remove":
            remaining = expected - {AclEntry(op.entry).cidr}
            if blocked:
                results.append(OperationResult(op, "skipped", blocked))
                continue
            if enabled and not remaining:
                results.append(OperationResult(op, "skipped", "would leave the whitelist of an enabled endpoint "
                                                              "empty"))
                continue
        try:
            _run(factory, plan, op)
        except CloudCallError as exc:
            if not isinstance(exc, TransientCloudError) and _in_effect(factory, plan, op):
                results.append(OperationResult(op, "done", f"already in effect ({exc.code})"))
                expected = _after(op, expected)
                continue
            results.append(OperationResult(op, "failed", str(exc), exc.code, isinstance(exc, TransientCloudError)))
            blocked = (f"skipped: {ACTIONS[op.kind]} of {op.entry or 'the endpoint'} failed earlier in this run; "
                       "the next run converges")
            continue
        results.append(OperationResult(op, "done"))
        if op.kind in ("add", "remove"):
            expected = _after(op, expected)
        elif op.kind == "enable":
            enabled = True
            settled = wait_until_running(factory, plan.instance_id, plan.region, waiter, known_false=False)
            if settled.running and settled.state is not None:
                expected = set(settled.state.networks)  # what the cloud holds now (it adds 127.0.0.1/32)
            else:
                status = settled.state.status if settled.state is not None else ""
                waiting = Waiting(status or "not RUNNING", waiter.timeout_s)
        else:
            enabled = _still_enabled(factory, plan)
    return ApplyResult(plan.instance_id, tuple(results), waiting)


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
