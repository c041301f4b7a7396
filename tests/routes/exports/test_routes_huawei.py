"""Huawei VRP export: ``ip route-static <network> <mask-length> [<if>] <next hop> description <label>``."""

from __future__ import annotations

import ipaddress
import re

import pytest

from acrguard.routes.exports import routes_huawei
from acrguard.routes.exports.routes_common import RouteOptions

IPV4 = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
# ip route-static ip-address { mask | mask-length } { nexthop-address | interface-type interface-number
#                 [ nexthop-address ] } [ description text ]
LINE = re.compile(rf"^ip route-static (?P<network>{IPV4}) (?P<length>\d{{1,2}}) "
                  rf"(?:(?P<interface>[A-Za-z][A-Za-z0-9/.:-]*) )?(?P<hop>{IPV4}) description (?P<text>\S{{1,35}})$")


def parse(text: str) -> dict[str, tuple[str, str | None, str]]:
    """prefix -> (next hop, interface, description); other lines are blank or ``#`` comments."""
    routes = {}
    for line in text.splitlines():
        if not line or line.startswith("# "):
            continue
        match = LINE.match(line)
        assert match, f"not a valid VRP ip route-static command: {line!r}"
        assert 0 <= int(match["length"]) <= 32
        network = ipaddress.IPv4Network(f"{match['network']}/{match['length']}")  # no host bits
        routes[str(network)] = (match["hop"], match["interface"], match["text"])
    return routes


@pytest.mark.parametrize(("interface", "golden_name"), [(None, "huawei_vrp.txt"),
                                                        ("GigabitEthernet0/0/1", "huawei_vrp_interface.txt")])
def test_commands_match_golden_and_the_documented_syntax(data, golden, interface, golden_name):
    """Mask lengths, the next hop (after the interface when given) and description acrguard-<family>."""
    text = routes_huawei.render(data, RouteOptions("10.10.0.1", interface))
    golden(golden_name, text)
    routes = parse(text)
    assert routes["192.168.10.21/32"] == ("10.10.0.1", interface, "acrguard-vpc_endpoint")
    assert routes["100.98.170.0/24"][2] == "acrguard-oss"
    assert len(routes) == 7


def test_undo_is_the_undo_form_without_the_description():
    """``undo ip route-static <network> <length> [<if>] <hop>`` removes the route."""
    assert routes_huawei.undo("ip route-static 100.118.28.0 24 10.10.0.1 description acrguard-oss") == \
        "undo ip route-static 100.118.28.0 24 10.10.0.1"
    assert routes_huawei.undo("# oss: 1 prefix(es)") is None
