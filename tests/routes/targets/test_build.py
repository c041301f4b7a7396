"""Building target adapters from the routes config."""

from __future__ import annotations

import pytest

from acrguard.config.routes import CenServiceTarget, RouteTableTarget, TransitRouterTarget, VpnConnectionTarget
from acrguard.routes.targets.build import build_target, build_targets
from acrguard.routes.targets.cen_service import CenServiceRoutes
from acrguard.routes.targets.route_table import RouteTableRoutes
from acrguard.routes.targets.transit_router import TransitRouterRoutes
from acrguard.routes.targets.vpn_connection import VpnConnectionSubnets

CONFIGS = [
    RouteTableTarget(type="vbr_route_table", route_table_id="vtb-vbr1", next_hop_id="ri-1"),
    CenServiceTarget(type="cen_service", cen_id="cen-1", host_region_id="cn-hangzhou", host_vpc_id="vpc-1",
                     access_region_ids=("cn-hangzhou",)),
    TransitRouterTarget(type="cen_transit_router", route_table_id="vtb-tr1", attachment_id="tr-attach-vpc1"),
    VpnConnectionTarget(type="vpn_connection", vpn_connection_id="vco-1", name="office tunnel"),
]


def test_each_config_type_gets_its_adapter_with_a_stable_key(factory):
    """Every target type maps to its adapter; keys name type and resource; names become labels."""
    built = build_targets(CONFIGS, factory, ledgers={"vpn_connection:vco-1": {"100.118.28.0/24": "oss"}})
    assert [type(t) for t in built] == [RouteTableRoutes, CenServiceRoutes, TransitRouterRoutes,
                                        VpnConnectionSubnets]
    assert [t.key for t in built] == ["vbr_route_table:vtb-vbr1", "cen_service:cen-1:cn-hangzhou",
                                      "cen_transit_router:vtb-tr1", "vpn_connection:vco-1"]
    assert built[3].label == "office tunnel" and built[3].owned == {"100.118.28.0/24": "oss"}


def test_two_configs_for_the_same_target_are_an_error(factory):
    """Two adapters writing one table would fight over it, so the duplicate is reported with both indexes."""
    with pytest.raises(ValueError, match=r"routes.targets\[1\] and routes.targets\[0\] both name vbr_route_table"):
        build_targets([CONFIGS[0], CONFIGS[0]], factory)


def test_a_plan_from_another_target_is_rejected(factory):
    """Reads and plans are bound to the target they came from."""
    vbr = build_target(CONFIGS[0], factory)
    other = build_target(RouteTableTarget(type="vbr_route_table", route_table_id="vtb-vbr2", next_hop_id="ri-1"),
                         factory)
    plan = other.plan(set(), _empty(other.key))
    with pytest.raises(ValueError, match="cannot be applied"):
        vbr.apply(plan)
    with pytest.raises(ValueError, match="cannot plan"):
        vbr.plan(set(), _empty(other.key))


def _empty(key):
    from acrguard.routes.targets.base import CurrentRoutes

    return CurrentRoutes(key, "acrguard:r:", (), (), used=0, quota=200)
