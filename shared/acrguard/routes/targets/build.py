"""Build route target adapters from the ``routes.targets`` config and a ``ClientFactory``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from acrguard.clients import ClientFactory
from acrguard.config.routes import (
    CenServiceTarget,
    Family,
    RouteTableTarget,
    TransitRouterTarget,
    VpnConnectionTarget,
)
from acrguard.routes.targets.base import RouteTarget
from acrguard.routes.targets.cen_service import CenServiceRoutes
from acrguard.routes.targets.route_table import RouteTableRoutes
from acrguard.routes.targets.transit_router import TransitRouterRoutes
from acrguard.routes.targets.vpn_connection import VpnConnectionSubnets
from acrguard.routes.targets.waiting import Waiter

TargetConfig = RouteTableTarget | CenServiceTarget | TransitRouterTarget | VpnConnectionTarget


def build_target(config: TargetConfig, factory: ClientFactory, *, owned: Mapping[str, Family] | None = None,
                 shared: Mapping[str, str] | None = None, waiter: Waiter | None = None) -> RouteTarget:
    """The adapter for one configured target.

    ``owned`` is the VPN ownership ledger (prefix -> family) saved under the target's ``key``, and
    ``shared`` what other instances' ledgers list for it (prefix -> instance); the other target
    types mark their entries and ignore both.
    """
    if isinstance(config, RouteTableTarget):
        return RouteTableRoutes(config, factory, waiter)
    if isinstance(config, CenServiceTarget):
        return CenServiceRoutes(config, factory, waiter)
    if isinstance(config, TransitRouterTarget):
        return TransitRouterRoutes(config, factory, waiter)
    if isinstance(config, VpnConnectionTarget):
        return VpnConnectionSubnets(config, factory, owned=owned, shared=shared, waiter=waiter)
    raise TypeError(f"not a route target config: {type(config).__name__}")


def target_product(config: TargetConfig) -> str:
    """The SDK product (``ClientFactory.client``) a configured target is read and written with."""
    if isinstance(config, (RouteTableTarget, VpnConnectionTarget)):
        return "vpc"
    if isinstance(config, (CenServiceTarget, TransitRouterTarget)):
        return "cbn"
    raise TypeError(f"not a route target config: {type(config).__name__}")


def target_key(config: TargetConfig) -> str:
    """The key of a configured target (as its adapter's ``key``), without building a client."""
    if isinstance(config, RouteTableTarget):
        return f"{config.type}:{config.route_table_id}"
    if isinstance(config, CenServiceTarget):
        return f"{config.type}:{config.cen_id}:{config.host_region_id}"
    if isinstance(config, TransitRouterTarget):
        return f"{config.type}:{config.route_table_id}"
    if isinstance(config, VpnConnectionTarget):
        return f"{config.type}:{config.vpn_connection_id}"
    raise TypeError(f"not a route target config: {type(config).__name__}")


def build_targets(configs: Iterable[TargetConfig], factory: ClientFactory, *,
                  ledgers: Mapping[str, Mapping[str, Family]] | None = None,
                  shared: Mapping[str, Mapping[str, str]] | None = None,
                  waiter: Waiter | None = None) -> list[RouteTarget]:
    """Adapters for every configured target; two configs naming the same target are an error."""
    targets: list[RouteTarget] = []
    seen: dict[str, int] = {}
    for index, config in enumerate(configs):
        target = build_target(config, factory, owned=None, waiter=waiter)
        if target.key in seen:
            raise ValueError(f"routes.targets[{index}] and routes.targets[{seen[target.key]}] both name {target.key}")
        seen[target.key] = index
        if isinstance(config, VpnConnectionTarget):
            target = build_target(config, factory, owned=(ledgers or {}).get(target.key),
                                  shared=(shared or {}).get(target.key), waiter=waiter)
        targets.append(target)
    return targets
