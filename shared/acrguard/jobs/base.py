"""What every job receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from acrguard.findings import Finding

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig
    from acrguard.events.routing import RouteResult
    from acrguard.findings import Actor
    from acrguard.runtime.logs import DecisionLog
    from acrguard.state.base import StateStore


#: In ``JobResult.scopes``: the job observed every scope it has (a full sweep that saw everything),
#: so any earlier finding of the job that is absent now is resolved.
ALL_SCOPES = "*"


@dataclass
class JobContext:
    """Everything a job may use in one invocation."""

    config: AcrguardConfig
    factory: ClientFactory
    store: StateStore
    log: DecisionLog
    dry_run: bool = False
    #: in an organisation, its other accounts: account id -> a function returning a ``ClientFactory`` for it (an
    #: ``AssumeRole`` made only when called). The pull-key auditor searches them for the owners of keys its account
    #: does not own (``acrguard.pullkeys.owners.OtherAccounts``). None: one account
    other_accounts: Any = None
    #: in an organisation's shard, the function's own ``ClientFactory`` (the central account's role), for what
    #: lives in the central account while ``factory`` is a member's: the endpoint keeper's ``oss://`` IDC exports.
    #: None: ``factory`` is the function's own
    central_factory: Any = None


@dataclass
class JobResult:
    """The complete findings of the scopes the job observed, and what it changed.

    ``scopes`` are the ``Finding.scope`` values observed successfully (findings of observed scopes
    that are absent now are resolved); ``changes`` are human-readable lines of what was written.
    ``retry``: a transient failure left work undone after some was done; the handler sends the
    findings (the notices of what was written) first, then fails the invocation so FC retries it.
    ``alerts``: False when this invocation has nothing for the alert pipeline: an organisation's
    shard, whose findings its sweep's summary sends (``acrguard.org``).
    """

    findings: list[Finding] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)
    changes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    retry: bool = False
    alerts: bool = True


class Job(Protocol):
    """A job: a full sweep, and the handling of one routed event."""

    name: str

    def sweep(self, ctx: JobContext) -> JobResult:
        """Check (and, unless dry-run, fix) everything in the config."""
        ...

    def handle(self, ctx: JobContext, routed: RouteResult, actor: Actor | None) -> JobResult:
        """Re-check only the resources an event touched (re-reading live state)."""
        ...
