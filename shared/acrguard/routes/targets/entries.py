"""The read-plan-apply loop shared by targets made of individual entries.

Subclasses say how to read, create, delete and look up one entry; this class supplies the
guarantees of ``RouteTarget.apply``:

- removals are refused unless they carry acrguard's marker and an entry id (never an unmarked entry);
- adds first; removals only when every add succeeded; replacement adds after their removal;
- "already exists" on create and "not found" on delete are successes;
- the writes wait (bounded) until their entries are settled or gone, as the API requires
  (``writes_while_changing``):

  * a table that refuses a write while another of its entries is changing (a VPC/VBR route table:
    ``IncorrectRouteEntryStatus`` / ``TaskConflict``) is written one entry at a time: if an entry is
    still changing, wait for it before the first write; after each write, wait until its entry is
    settled or gone. The status read that checks a create took effect also counts as the first poll,
    so a write that settles at once costs one poll;
  * a target that takes writes while other entries are still changing (a transit router table, CEN
    cloud-service access: only the entry being changed is locked) gets all its writes one after
    another without waiting, then one read of the whole target checks them all, repeated (bounded)
    until they have settled: a chain that settles at once costs one poll. Replacement adds wait for
    their removals to be gone first (same destination), which costs one read more; removals planned
    while an entry was changing wait for it first (an entry still changing refuses its removal);
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
    #: whether the API takes a write while other entries of the target are still changing (see the module docstring)
    writes_while_changing: bool = False

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

    def _snapshot(self) -> dict[str, str]:
        """Every entry's status in one read of the target, by key and by ``id:<entry id>`` (chained targets)."""
        raise NotImplementedError

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
        if self.writes_while_changing:
            return self._apply_chain(plan, result)
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

    def _apply_chain(self, plan: TargetPlan, result: ApplyResult) -> ApplyResult:
        """All writes one after another, none waiting for another to settle; one read then checks them all."""
        steps = [("add", c) for c in plan.adds if not c.after_removal] + [("remove", c) for c in plan.removes] + \
                [("add", c) for c in plan.adds if c.after_removal]
        added: list[RouteChange] = []  # adds written or found present: each must be seen settled
        removed: list[RouteChange] = []  # removals started or found gone: each must be seen gone
        if plan.settling and plan.removes:
            try:
                self._settle(result)  # an entry that is itself still changing refuses its removal: wait first
            except _Stop:
                result.skipped.extend(c.prefix for _, c in steps)
                return result
        index = 0
        try:
            for index, (operation, change) in enumerate(steps):
                if (operation == "remove" or change.after_removal) and result.failures:
                    result.skipped.extend(c.prefix for _, c in steps[index:])
                    break
                if operation == "remove" and change.family in {r.family for r in result.refused}:
                    result.kept_back.append(change.prefix)
                    continue
                if operation == "add" and change.after_removal and removed:
                    try:
                        self._await(result, [], removed)  # a replacement takes its removed entry's destination
                    except _Stop:
                        result.skipped.extend(c.prefix for _, c in steps[index:])
                        return result
                    removed = []
                self._chain_write(operation, change, result, added if operation == "add" else removed)
            self._await(result, added, [c for c in removed if c.key not in {a.key for a in added}])
        except _Stop:
            result.skipped.extend(c.prefix for _, c in steps[index + 1:])
        return result

    def _chain_write(self, operation: str, change: RouteChange, result: ApplyResult,
                     written: list[RouteChange]) -> None:
        """One create or delete, not waited for; it joins ``written`` unless it failed or was refused."""
        if operation == "add":
            created = self._write(change, "create", self._create, result)
            if created is not None:
                (result.created if created else result.already_present).append(change.prefix)
                written.append(change)
            return
        started = self._write(change, "delete", self._delete, result)
        if started is not None:
            (result.deleted if started else result.already_gone).append(change.prefix)
            written.append(change)

    def _await(self, result: ApplyResult, added: list[RouteChange], removed: list[RouteChange]) -> None:
        """Read the whole target until every add is settled and every removal gone (one read when they are).

        An add reported created but absent repeated the client token of a create whose entry was deleted
        since (the API answered from its memory and created nothing): it is created once more, with a
        fresh token.
        """
        if not added and not removed:
            return
        waiting = list(added)
        renewed: set[str] = set()

        def settled() -> bool:
            statuses = self._snapshot()
            missing = [c for c in waiting if c.key not in statuses and c.prefix in result.created
                       and c.key not in renewed]
            for change in missing:
                renewed.add(change.key)
                fresh = dataclasses.replace(change, client_token=client_token(change.client_token, "fresh",
                                                                               str(time.time_ns())))
                if self._write(fresh, "create", self._create, result) is None:
                    waiting.remove(change)  # refused or failed (recorded): nothing more to wait for
            return not missing and all(statuses.get(c.key) == self.settled_status for c in waiting) and \
                not any(f"id:{c.entry_id}" in statuses for c in removed)

        try:
            done = self.waiter.until(settled)
        except CloudCallError as exc:
            result.failures.append(Failure("*", "wait", exc.code or "Error", str(exc), True))
            raise _Stop from None
        if not done:
            raise self._timeout(result, "*", f"the writes to {self.label} have not settled after "
                                             f"{self.waiter.timeout_s}s")

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
