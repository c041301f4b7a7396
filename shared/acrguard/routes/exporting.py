"""The keeper's IDC exports: render each configured export from the desired prefixes, write it when it changed.

The renderers, the diff and the writers are ``acrguard.routes.exports``; this module feeds them one
instance's desired prefixes and DNS records. When the keeper does not write (``routes plan``,
``dry_run``) every export is still rendered and compared with what is at its destination, so the
plan shows the diff, but nothing is written.

Unknown is not absent, for exports too: a family this run did not observe completely
(``DesiredPrefixes.observed``) keeps what the exports said for it when it was last observed
(``acrguard.routes.export_memory``), merged with whatever this run still knows; such a family is
listed in ``InstanceExports.kept`` (and the change notice says so). A family neither observed nor
remembered (a lost state on top of an outage) leaves an existing export untouched (``held``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from acrguard.config.routes import ALL_FAMILIES, Family
from acrguard.routes.export_memory import FamilyExport
from acrguard.routes.exports import DnsRecord, ExportError, ExportInput, ExportResult, publish_all
from acrguard.routes.exports.model import records_by_family

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.routes.desired import DesiredPrefixes


@dataclass(frozen=True)
class InstanceExports:
    """One instance's exports this run: each export's result, and where their content came from.

    ``observed``: each family's part as this run observed it (what to remember when it is in
    ``desired.observed``); ``kept``: families rendered from the last observation; ``unknown``:
    families neither observed nor remembered.
    """

    results: list[ExportResult] = field(default_factory=list)
    observed: Mapping[Family, FamilyExport] = field(default_factory=dict)
    kept: tuple[Family, ...] = ()
    unknown: tuple[Family, ...] = ()

    def note(self) -> str:
        """A sentence for the change notice: which families were kept from the last observation ("" if none)."""
        if not self.kept:
            return ""
        return (f"Not observed this run: {', '.join(self.kept)}. Their records and routes are kept as the last "
                "successful observation left them (unknown is not absent).")


def merge_families(desired: DesiredPrefixes, oss_addresses: Iterable[str] = (),
                   remembered: Mapping[Family, FamilyExport] | None = None
                   ) -> tuple[dict[Family, FamilyExport], dict[Family, FamilyExport], list[Family], list[Family]]:
    """``(merged, observed, kept, unknown)``: each family's export content for this run (pure).

    An observed family is rendered as observed; another one as observed plus what was remembered.
    """
    records = records_by_family(desired, sorted(oss_addresses))
    current = {family: FamilyExport.of(desired.for_family(family), records[family]) for family in ALL_FAMILIES}
    merged: dict[Family, FamilyExport] = {}
    kept: list[Family] = []
    unknown: list[Family] = []
    for family in ALL_FAMILIES:
        memory = (remembered or {}).get(family)
        if family in desired.observed:
            merged[family] = current[family]
        elif memory is not None:
            merged[family] = current[family].union(memory)
            kept.append(family)
        else:
            merged[family] = current[family]
            unknown.append(family)
    return merged, current, kept, unknown


def export_instance(config: AcrguardConfig, instance: InstanceConfig, desired: DesiredPrefixes,
                    factory: ClientFactory, *, write: bool, now: float, oss_addresses: Iterable[str] = (),
                    remembered: Mapping[Family, FamilyExport] | None = None) -> InstanceExports:
    """Render every export of ``instance``; write those that changed when ``write`` (never raises).

    ``oss_addresses``: the OSS internal domain's addresses kept this run, for its DNS record;
    ``remembered``: what the exports said per family when last observed (see the module docstring).
    """
    routes = instance.routes
    merged, observed, kept, unknown = merge_families(desired, oss_addresses, remembered)
    if routes is None or not routes.exports:
        return InstanceExports([], observed, tuple(kept), tuple(unknown))
    hold = (f"{', '.join(unknown)} could not be observed this run and no earlier observation is remembered; the "
            "export is left as it is") if unknown else None
    try:
        data = ExportInput(desired.instance, {family: list(merged[family].prefixes) for family in ALL_FAMILIES},
                           [DnsRecord(name, addresses) for family in ALL_FAMILIES
                            for name, addresses in merged[family].records],
                           datetime.fromtimestamp(now, tz=timezone.utc), instance_id=desired.instance_id)
    except ExportError as exc:
        results = [ExportResult(index, export.format, export.destination, error=f"routes.exports: {exc}")
                   for index, export in enumerate(routes.exports)]
        return InstanceExports(results, observed, tuple(kept), tuple(unknown))
    results = publish_all(routes.exports, data, factory=factory, region=config.region_of(instance), write=write,
                          hold=hold)
    return InstanceExports(results, observed, tuple(kept), tuple(unknown))
