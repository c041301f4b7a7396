"""Cisco IOS: ``ip route`` global configuration commands.

Syntax from the Cisco IOS IP Routing: Protocol-Independent Command Reference, ``ip route`` (the
``name`` keyword is in the IOS 12.2+ references; the base form also in the Cisco IOS command
reference page https://www.cisco.com/E-Learning/bulk/public/tac/cim/cib/using_cisco_ios_software/cmdrefs/ip_route.htm)::

    ip route [vrf vrf-name] prefix mask {ip-address | interface-type interface-number [ip-address]}
             [dhcp] [distance] [name next-hop-name] [permanent | track number] [tag tag]
    no ip route [vrf vrf-name] prefix mask {ip-address | interface-type interface-number [ip-address]}

One line per prefix, with a dotted-decimal mask and the route named after its family:
``ip route <network> <netmask> [<interface>] <next_hop> name acrguard-<family>``. Lines that start
with ``!`` are comments (as in IOS configuration files). Paste in global configuration mode
(``configure terminal``).
"""

from __future__ import annotations

import re

from acrguard.routes.exports.model import ExportInput, RouteEntry
from acrguard.routes.exports.routes_common import RouteOptions, route_document

TITLE = "Cisco IOS static routes (ip route)"
COMMENT = "!"
STATEMENT = re.compile(r"^ip route (?P<route>\S+ \S+(?: \S+)? \S+) name \S+$")


def statement(entry: RouteEntry, options: RouteOptions) -> str:
    """``ip route 192.0.2.1 255.255.255.255 10.0.0.1 name acrguard-auth``."""
    hop = f"{options.interface} {options.next_hop}" if options.interface else options.next_hop
    return f"ip route {entry.network.network_address} {entry.network.netmask} {hop} name {options.label(entry)}"


def render(data: ExportInput, options: RouteOptions) -> str:
    """The commands, grouped by family, for global configuration mode."""
    notes = ["Paste in global configuration mode (configure terminal)."]
    return route_document(data, COMMENT, TITLE, notes, lambda e: statement(e, options))


def undo(line: str) -> str | None:
    """``no ip route <network> <mask> [<if>] <next_hop>`` for a route statement (None otherwise)."""
    match = STATEMENT.match(line)
    return f"no ip route {match['route']}" if match else None
