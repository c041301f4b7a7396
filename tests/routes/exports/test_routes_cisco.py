"""Cisco IOS export: ``ip route <network> <mask> [<if>] <next hop> name <label>`` per prefix."""

from __future__ import annotations

import ipaddress
import re

import pytest

from acrguard.routes.exports import routes_cisco
from acrguard.routes.exports.routes_common import RouteOptions

IPV4 = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
# ip route prefix mask {ip-address | interface-type interface-number [ip-address]} [name next-hop-name]
LINE = re.compile(rf"^ip route (?P<network>{IPV4}) (?P<mask>{IPV4}) (?:(?P<interface>[A-Za-z][A-Za-z0-9/.:-]*) )?"
                  rf"(?P<hop>{IPV4}) name (?P<name>[A-Za-z0-9_-]+)$")


def parse(text: str) -> dict[str, tuple[str, str | None, str]]:
    """prefix -> (next hop, interface, name); every other line is blank or a ``!`` comment."""
    routes = {}
    for line in text.splitlines():
        if not line or line.startswith("! "):
            continue
        match = LINE.match(line)
        assert match, f"not a valid IOS ip route command: {line!r}"
        network = ipaddress.IPv4Network(f"{match['network']}/{match['mask']}")  # contiguous mask, no host bits
        routes[str(network)] = (match["hop"], match["interface"], match["name"])
    return routes


@pytest.mark.parametrize(("interface", "golden_name"), [(None, "cisco_ios.txt"),
                                                        ("GigabitEthernet0/1", "cisco_ios_interface.txt")])
def test_commands_match_golden_and_the_documented_syntax(data, golden, interface, golden_name):
    """Dotted masks, the next hop (after the interface when given) and the name acrguard-<family>."""
    text = routes_cisco.render(data, RouteOptions("10.10.0.1", interface))
    golden(golden_name, text)
    routes = parse(text)
    assert routes["192.168.10.21/32"] == ("10.10.0.1", interface, "acrguard-vpc_endpoint")
    assert routes["100.104.12.66/32"][2] == "acrguard-auth"
    assert routes["100.118.28.0/24"][2] == "acrguard-oss"
    assert len(routes) == 7


def test_route_name_prefix_is_configurable(data):
    """``route_name`` replaces the ``acrguard`` in ``name acrguard-<family>``."""
    routes = parse(routes_cisco.render(data, RouteOptions("10.10.0.1", route_name="ACR-prod")))
    assert {name for _, _, name in routes.values()} == {"ACR-prod-vpc_endpoint", "ACR-prod-auth", "ACR-prod-oss"}


def test_undo_is_the_no_form_without_the_name():
    """``no ip route <network> <mask> [<if>] <hop>`` removes the route."""
    assert routes_cisco.undo("ip route 100.118.28.0 255.255.255.0 Gi0/1 10.10.0.1 name acrguard-oss") == \
        "no ip route 100.118.28.0 255.255.255.0 Gi0/1 10.10.0.1"
    assert routes_cisco.undo("! a comment") is None
