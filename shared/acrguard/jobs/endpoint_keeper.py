"""The endpoint keeper as a job: sweeps on timers, re-checks what an ActionTrail event touched.

Events (``acrguard.events.routing``): a VPC endpoint link/unlink names the ``cr-instance`` (that
instance is re-checked, every target); a route entry change names the ``route-table`` (for every
instance whose targets include that table, the instance is discovered again and that table alone is
read and repaired; see ``acrguard.routes.keeper``). Other resources are ignored. The event is never
trusted for the state: the instances are discovered and the targets read again.

A ``CreateRouteEntry`` whose entry carries acrguard's marker (``acrguard:``) is skipped: it is
the echo of the keeper's own write (or an imitation of one, which the next sweep adopts under the
usual hold), and re-checking after each of its own writes would only repeat the run.

A transient failure (throttling, 5xx, network, entries still settling) fails the invocation so
FC retries it. A run that wrote nothing raises at once; a run that changed routes first has its
change notices sent (``JobResult.retry``: the handler sends the findings, then raises), so the
retry, which finds those changes done, never leaves them untold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acrguard.errors import TransientCloudError
from acrguard.events.routing import ENDPOINT_KEEPER
from acrguard.jobs.base import JobContext, JobResult
from acrguard.routes.targets.base import MARKER_ROOT

if TYPE_CHECKING:
    from acrguard.events.routing import RouteResult
    from acrguard.findings import Actor
    from acrguard.routes.keeper import KeeperResult

#: the resource types of routed events the keeper acts on
RESOURCE_TYPES = frozenset({"cr-instance", "route-table"})


class EndpointKeeperJob:
    """Adapter from ``acrguard.routes.keeper`` to the ``Job`` interface."""

    name = ENDPOINT_KEEPER

    def sweep(self, ctx: JobContext) -> JobResult:
        """Discover, resolve and route every instance with a ``routes:`` section."""
        from acrguard.routes.keeper import run_sweep

        return self._result(run_sweep(ctx.config, ctx.factory, ctx.store, exports_factory=ctx.central_factory))

    def handle(self, ctx: JobContext, routed: RouteResult, actor: Actor | None) -> JobResult:
        """Re-check the instances the event's instance or route table concerns."""
        from acrguard.routes.keeper import handle_event

        resources = [(r.type, r.id) for r in routed.resources if r.type in RESOURCE_TYPES]
        if own_write(routed):
            return JobResult(summary={"instances": 0, "skipped": "acrguard's own route entry"})
        if not resources:
            return JobResult(summary={"instances": 0, "ignored": [str(r) for r in routed.resources]})
        return self._result(handle_event(ctx.config, ctx.factory, ctx.store, resources,
                                         exports_factory=ctx.central_factory))

    @staticmethod
    def _result(result: KeeperResult) -> JobResult:
        changes = result.changes
        if result.transient and not changes:
            raise TransientCloudError("routes", "Transient", "a read or write failed transiently and nothing was "
                                      "changed; the invocation is retried (every write is idempotent)")
        return JobResult(findings=list(result.findings), scopes=set(result.observed_scopes), changes=changes,
                         summary={"instances": len(result.runs), "dry_run": result.dry_run,
                                  "stopped": result.stopped.message if result.stopped else None},
                         retry=result.transient)


def own_write(routed: RouteResult) -> bool:
    """Whether the event is the creation of a route entry named with acrguard's marker."""
    name = (routed.details or {}).get("route_entry_name", "")
    return (routed.event_name or "").lower() == "createrouteentry" and name.startswith(f"{MARKER_ROOT}:")


JOB = EndpointKeeperJob()
