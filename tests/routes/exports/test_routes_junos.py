"""Junos export: ``set routing-options static route <prefix> next-hop <hop>`` (qualified with an interface)."""

from __future__ import annotations

import ipaddress
import re

import pytest

from acrguard.routes.exports import routes_junos
from acrguard.routes.exports.routes_common import RouteOptions

IPV4 = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
# [edit routing-options static] route destination-prefix { next-hop address; qualified-next-hop address
#                                                          { interface interface-name; } }
LINE = re.compile(rf"^set routing-options static route (?P<prefix>{IPV4}/\d{{1,2}}) "
                  rf"(?:next-hop (?P<hop>{IPV4})|qualified-next-hop (?P<qhop>{IPV4}) "
                  r"interface (?P<interface>[a-z]+-?[0-9/.:]+))$")


def parse(text: str) -> dict[str, tuple[str, str | None]]:
    """prefix -> (next hop, interface); other lines are blank or ``#`` comments (the Junos comment character)."""
    routes = {}
    for line in text.splitlines():
        if not line or line.startswith("# "):
            continue
        match = LINE.match(line)
        assert match, f"not a valid Junos set command: {line!r}"
        prefix = str(ipaddress.IPv4Network(match["prefix"]))  # no host bits
        routes[prefix] = (match["hop"] or match["qhop"], match["interface"])
    return routes


@pytest.mark.parametrize(("interface", "golden_name"), [(None, "junos.txt"), ("ge-0/0/1.0", "junos_interface.txt")])
def test_commands_match_golden_and_the_documented_syntax(data, golden, interface, golden_name):
    """next-hop, or qualified-next-hop ... interface when an interface is configured."""
    text = routes_junos.render(data, RouteOptions("10.10.0.1", interface))
    golden(golden_name, text)
    routes = parse(text)
    assert set(routes.values()) == {("10.10.0.1", interface)}
    assert "100.118.31.0/24" in routes and len(routes) == 7


def test_undo_deletes_the_static_route():
    """``delete routing-options static route <prefix>`` removes the route whatever its next hop."""
    assert routes_junos.undo("set routing-options static route 100.118.28.0/24 next-hop 10.10.0.1") == \
        "delete routing-options static route 100.118.28.0/24"
    assert routes_junos.undo("set system host-name x") is None
