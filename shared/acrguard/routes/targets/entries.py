"""The read-plan-apply loop shared by targets made of individual entries.

Subclasses say how to read, create, delete and look up one entry; this class supplies the
guarantees of ``RouteTarget.apply``:

- removals are refused unless they carry acrguard's marker and an entry id (never an unmarked entry);
- if an entry of the target is still changing, wait for it before the first write;
- adds first; removals only when every add succeeded; replacement adds after their removal;
- "already exists" on create and "not found" on delete are successes;
- after each write, wait (bounded) until the entry is settled or gone; the status read that checks
  a create took effect also counts as the first poll, so a write that settles at once costs one poll;
- a write answered with a "busy" code is retried (bounded); a transient failure stops the run;
- a create the cloud refuses for good (``RefusedByCloud``, e.g. a VBR table refusing 100.64.0.0/10)
  is recorded in ``ApplyResult.refused``, not as a failure; the other adds go on, and so do the
  removals except those of the refused add's family (``kept_back``: nothing is taken away that the
  refused prefix was to replace).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from acrguard.clients import ClientFactory
from acrguard.config.routes import Family
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.routes.targets.base import (
    ApplyResult,
    CurrentRoutes,
    Failure,
    Refusal,
    RefusedByCloud,
    RouteChange,
    TargetPlan,
    client_token,
    desired_by_prefix,
    parse_marker,
)
from acrguard.routes.targets.planning import EntryRules, diff_entries
from acrguard.routes.targets.waiting import Waiter


class _Stop(Exception):
    """Raised inside ``apply`` to stop writing after a transient failure."""


class EntryTarget:
    """Base of the route table, transit router and CEN cloud-service adapters."""

    key: str
    target_type: str
    label: str
    families: tuple[Family, ...]
    settled_status: str = "Available"
    busy_codes: frozenset[str] = frozenset()

    def __init__(self, factory: ClientFactory, waiter: Waiter | None = None) -> None:
        self.factory = factory
        self.waiter = waiter or Waiter()

    # -- what subclasses provide --------------------------------------------------------------------
    def read_managed(self, marker_prefix: str) -> CurrentRoutes:
        """The target's entries, split into managed (marked) and foreign."""
        raise NotImplementedError

    def _rules(self) -> EntryRules:
        raise NotImplementedError

    def _create(self, change: RouteChange) -> bool:
        """Create one entry; False when it already exists."""
        raise NotImplementedError

    def _delete(self, change: RouteChange) -> bool:
        """Start deleting one entry; False when it is already gone."""
        raise NotImplementedError

    def _status(self, change: RouteChange, *, removal: bool) -> str | None:
        """The entry's status now (by id for a removal, by key for an add); None when absent."""
        raise NotImplementedError

    def _settled(self) -> bool:
        """True when no entry of the target is still changing."""
        return not self.read_managed("\x00").settling

    # -- the interface ------------------------------------------------------------------------------
    def plan(self, desired: Iterable[tuple[str, Family]], current: CurrentRoutes) -> TargetPlan:
        """The pure diff of ``desired`` (for this target's families) against ``current``."""
        if current.target_key != self.key:
            raise ValueError(f"routes read from {current.target_key} cannot plan {self.key}")
        return diff_entries(target_key=self.key, target_type=self.target_type, label=self.label,
                            desired=desired_by_prefix(desired, self.families), current=current, rules=self._rules())

    def apply(self, plan: TargetPlan) -> ApplyResult:
        """Carry out ``plan`` (see the module docstring for the order and the guarantees)."""
        if plan.target_key != self.key:
            raise ValueError(f"a plan for {plan.target_key} cannot be applied to {self.key}")
        for change in plan.removes:
            if parse_marker(change.marker, plan.marker_prefix) is None or not change.entry_id:
                raise ValueError(f"refusing to delete {change.key}: it does not carry acrguard's marker and id")
        result = ApplyResult(self.key)
        if plan.empty:
            return result
        steps = [("add", c) for c in plan.adds if not c.after_removal] + [("remove", c) for c in plan.removes] + \
                [("add", c) for c in plan.adds if c.after_removal]
        try:
            if plan.settling:
                self._settle(result)
            for index, (operation, change) in enumerate(steps):
                held = result.failures if operation == "remove" or change.after_removal else []
                if held:
                    result.skipped.extend(c.prefix for _, c in steps[index:])
                    break
                if operation == "remove" and change.family in {r.family for r in result.refused}:
                    result.kept_back.append(change.prefix)
                    continue
                try:
                    (self._add if operation == "add" else self._remove)(change, result)
                except _Stop:
                    result.skipped.extend(c.prefix for _, c in steps[index + 1:])
                    break
        except _Stop:
            result.skipped.extend(c.prefix for _, c in steps)
        return result

    def _settle(self, result: ApplyResult) -> None:
        try:
            settled = self.waiter.until(self._settled)
        except CloudCallError as exc:
            result.failures.append(Failure("*", "wait", exc.code or "Error", str(exc), True))
            raise _Stop from None
        if not settled:
            raise self._timeout(result, "*", "entries of the target are still changing")

    # -- one write ----------------------------------------------------------------------------------
    def _add(self, change: RouteChange, result: ApplyResult) -> None:
        created = self._write(change, "create", self._create, result)
        status: str | None = None
        probed = False
        if created:
            status, probed = self._probe(change, result), True
            if status is None:
                # The token repeated one whose entry was deleted since (same change, same state): the API
                # answered from its memory and created nothing. Create again with a fresh token.
                fresh = client_token(change.client_token, "fresh", str(time.time_ns()))
                change = dataclasses.replace(change, client_token=fresh)
                created, probed = self._write(change, "create", self._create, result), False
        if created is None:
            return
        (result.created if created else result.already_present).append(change.prefix)
        if probed and status == self.settled_status:
            return  # the probe already saw the new entry settled: one poll per write
        self._wait(change, result, removal=False, known_unsettled=probed)

    def _probe(self, change: RouteChange, result: ApplyResult) -> str | None:
        try:
            return self._status(change, removal=False)
        except CloudCallError as exc:
            result.failures.append(Failure(change.prefix, "wait", exc.code or "Error", str(exc), True))
            raise _Stop from None

    def _remove(self, change: RouteChange, result: ApplyResult) -> None:
        started = self._write(change, "delete", self._delete, result)
        if started is None:
            return
        (result.deleted if started else result.already_gone).append(change.prefix)
        self._wait(change, result, removal=True)

    def _write(self, change: RouteChange, operation: str, write: object, result: ApplyResult) -> bool | None:
        def attempt() -> bool:
            result.write_calls += 1
            return write(change)  # type: ignore[operator]

        try:
            return self.waiter.retrying(attempt, self.busy_codes)
        except RefusedByCloud as exc:
            result.refused.append(Refusal(change.prefix, change.family, exc.code, exc.reason, exc.cloud_code))
            return None
        except TransientCloudError as exc:
            result.failures.append(Failure(change.prefix, operation, exc.code or "Transient", str(exc), True))
            raise _Stop from None
        except CloudCallError as exc:
            result.failures.append(Failure(change.prefix, operation, exc.code or "Error", str(exc), False))
            return None

    def _wait(self, change: RouteChange, result: ApplyResult, *, removal: bool, known_unsettled: bool = False) -> None:
        def done() -> bool:
            status = self._status(change, removal=removal)
            return status is None if removal else status == self.settled_status

        try:
            settled = self.waiter.until(done, known_false=known_unsettled)
        except CloudCallError as exc:
            result.failures.append(Failure(change.prefix, "wait", exc.code or "Error", str(exc), True))
            raise _Stop from None
        if not settled:
            state = "gone" if removal else self.settled_status
            raise self._timeout(result, change.prefix, f"{change.key} is not {state} after {self.waiter.timeout_s}s")

    def _timeout(self, result: ApplyResult, prefix: str, message: str) -> _Stop:
        result.failures.append(Failure(prefix, "wait", "Timeout", message, True))
        return _Stop()
