"""Render, compare and write each configured export; report what changed, as the change alert needs it.

``publish`` handles one export: render it, read the previous version from its destination,
and when the rendering changed (volatile lines aside) write it and return the unified diff and
the paste-ready router commands. An unchanged export is neither written nor announced.
``write=False`` computes the same result without writing (``routes plan``), and reports a local
destination that could not be written (``preflight``) as the failure ``apply`` would meet.

``publish_all`` runs every export of an instance, each on its own: one that fails (a bad value,
an unreadable destination, an OSS outage) is reported in its result (``error``, ``transient``)
and does not stop the others.

``hold`` (a reason): the rendering lacks something this run could not observe and nothing
remembered can stand in for, so an export that already exists is left exactly as it is (``held``);
one that does not exist yet is written (there is nothing to lose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from acrguard.errors import AcrguardError, TransientCloudError
from acrguard.routes.exports.diff import changed, paste_commands, unified_diff
from acrguard.routes.exports.model import ExportError
from acrguard.routes.exports.preflight import unwritable
from acrguard.routes.exports.render import render_export, where
from acrguard.routes.exports.write import open_store

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.routes import ExportConfig
    from acrguard.routes.exports.model import ExportInput


@dataclass(frozen=True)
class ExportResult:
    """The outcome of one export.

    ``changed``: the rendering differs from the stored one (or none was stored: ``created``);
    ``written``: it was stored now; ``diff``/``commands``: for the change alert (None when
    unchanged; ``commands`` None for DNS formats); ``error``: why it failed, ``transient`` when
    a retry may succeed.
    """

    index: int | None
    format: str
    location: str
    changed: bool = False
    created: bool = False
    written: bool = False
    diff: str | None = None
    commands: tuple[str, ...] | None = None
    error: str | None = None
    transient: bool = False
    held: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` plans and alerts."""
        return {"index": self.index, "format": self.format, "location": self.location, "changed": self.changed,
                "created": self.created, "written": self.written, "diff": self.diff,
                "commands": list(self.commands) if self.commands is not None else None, "error": self.error,
                "transient": self.transient, "held": self.held}


def publish(config: ExportConfig, data: ExportInput, *, index: int | None = None,
            factory: ClientFactory | None = None, region: str | None = None, write: bool = True,
            hold: str | None = None) -> ExportResult:
    """Render one export and store it if it changed (and is not ``hold``); raises ``ExportError``/``CloudCallError``."""
    text = render_export(config, data, index=index)
    store = open_store(config.destination, factory=factory, region=config.region or region,
                       new_mode=0o755 if config.format == "linux" else 0o644)
    previous = store.read()
    if not changed(previous, text):
        return ExportResult(index, config.format, store.location)
    if hold and previous is not None:
        return ExportResult(index, config.format, store.location, held=hold)
    problem = None if write else unwritable(config.destination)  # a plan finds what apply would fail on
    if problem:
        raise ExportError(f"{store.location}: {problem}")
    commands = paste_commands(config.format, previous, text)
    result = ExportResult(index, config.format, store.location, changed=True, created=previous is None,
                          diff=unified_diff(previous, text, store.location),
                          commands=tuple(commands) if commands is not None else None)
    if write:
        store.write(text)
        result = replace(result, written=True)
    return result


def publish_all(exports: Sequence[ExportConfig], data: ExportInput, *, factory: ClientFactory | None = None,
                region: str | None = None, write: bool = True, hold: str | None = None) -> list[ExportResult]:
    """``publish`` each export in turn; a failure is recorded in its result and the others still run."""
    results = []
    for index, config in enumerate(exports):
        try:
            results.append(publish(config, data, index=index, factory=factory, region=region, write=write,
                                   hold=hold))
        except AcrguardError as exc:
            message = str(exc) if str(exc).startswith("routes.exports") else f"{where(index, config)}: {exc}"
            results.append(ExportResult(index, config.format, config.destination, error=message,
                                        transient=isinstance(exc, TransientCloudError)))
    return results
