"""The keeper's IDC exports: render each configured export from the desired prefixes, write it when it changed.

The renderers, the diff and the writers are ``acrguard.routes.exports``; this module only feeds
them one instance's desired prefixes and DNS records. When the keeper does not write
(``routes plan``, ``dry_run``) every export is still rendered and compared with what is at its
destination, so the plan shows the diff, but nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from acrguard.routes.exports import ExportError, ExportResult, input_from_desired, publish_all

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.routes.desired import DesiredPrefixes


def export_instance(config: AcrguardConfig, instance: InstanceConfig, desired: DesiredPrefixes,
                    factory: ClientFactory, *, write: bool, now: float, oss_addresses: Iterable[str] = ()
                    ) -> list[ExportResult]:
    """Render every export of ``instance``; write those that changed when ``write`` (never raises).

    ``oss_addresses``: the OSS internal domain's addresses kept this run, for its DNS record.
    """
    routes = instance.routes
    if routes is None or not routes.exports:
        return []
    try:
        data = input_from_desired(desired, datetime.fromtimestamp(now, tz=timezone.utc),
                                  oss_addresses=sorted(oss_addresses))
    except ExportError as exc:
        return [ExportResult(index, export.format, export.destination, error=f"routes.exports: {exc}")
                for index, export in enumerate(routes.exports)]
    return publish_all(routes.exports, data, factory=factory, region=config.region_of(instance), write=write)
