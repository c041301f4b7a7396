"""Observations several doctor checks share, each made once per run with the keeper's own readers.

* the VPC endpoint (``acrguard.routes.discovery.discover``: ``GetInstance`` and
  ``GetInstanceVpcEndpoint``; never raises, failures are findings);
* the ``/v2/`` challenge of the instance's VPC domain (``acrguard.routes.challenge.probe_auth_domain``);
* the OSS ranges table the instance uses (``routes.oss_ranges_file`` or the shipped one).
"""

from __future__ import annotations

from dataclasses import dataclass

from acrguard.config.model import InstanceConfig
from acrguard.doctor.context import DoctorContext
from acrguard.errors import ConfigError
from acrguard.routes.challenge import AuthDiscovery, ProbeSettings, probe_auth_domain
from acrguard.routes.discovery import Discovery, discover
from acrguard.routes.oss_ranges import OssRangeTable, load_oss_ranges


def endpoint(ctx: DoctorContext, instance: InstanceConfig) -> Discovery:
    """The instance's VPC endpoint as the keeper discovers it (without the DNS cross-check)."""
    routes = instance.routes
    linked = routes.linked_vpc_ids if routes is not None else ()
    return ctx.memo(("endpoint", instance.instance_id), lambda: discover(
        ctx.factory, instance.instance_id, ctx.region_of(instance), linked_vpc_ids=linked))


def challenge(ctx: DoctorContext, instance: InstanceConfig) -> AuthDiscovery | None:
    """The auth realm read from the VPC domain's ``/v2/`` challenge (None: the VPC domain is not known)."""
    def probe() -> AuthDiscovery | None:
        domain = endpoint(ctx, instance).vpc_domain
        if domain is None or instance.routes is None:
            return None
        return probe_auth_domain(domain, ctx.region_of(instance), instance.instance_id,
                                 ProbeSettings.from_routes(instance.routes))

    return ctx.memo(("challenge", instance.instance_id), probe)


@dataclass(frozen=True)
class RangesOutcome:
    """The OSS ranges table an instance uses, or why it cannot be read."""

    table: OssRangeTable | None
    problem: ConfigError | None = None


def oss_ranges(ctx: DoctorContext, instance: InstanceConfig | None) -> RangesOutcome:
    """The table of ``routes.oss_ranges_file`` (the shipped one when unset or for no instance)."""
    path = instance.routes.oss_ranges_file if instance is not None and instance.routes is not None else None

    def load() -> RangesOutcome:
        try:
            return RangesOutcome(load_oss_ranges(path))
        except ConfigError as exc:
            return RangesOutcome(None, exc)

    return ctx.memo(("oss-ranges", path), load)
