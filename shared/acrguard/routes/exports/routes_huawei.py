"""Huawei VRP: ``ip route-static`` system-view commands.

Syntax from the Huawei VRP command references, ``ip route-static`` ("configures an IPv4 unicast
static route"; e.g. the NetEngine 8000 F and AR router command references, Static Route commands)::

    ip route-static ip-address { mask | mask-length } { nexthop-address | interface-type interface-number
                    [ nexthop-address ] } [ preference preference | tag tag ] * [ description text ]
    undo ip route-static ip-address { mask | mask-length } [ interface-type interface-number ] [ nexthop-address ]

One line per prefix, with the mask length and a description naming the family:
``ip route-static <network> <mask-length> [<interface>] <next_hop> description acrguard-<family>``
(the description is at most 33 characters, without spaces). Lines starting with ``#`` are the
separators/comments of VRP configuration files. Paste in the system view (``system-view``).
"""

from __future__ import annotations

import re

from acrguard.routes.exports.model import ExportInput, RouteEntry
from acrguard.routes.exports.routes_common import RouteOptions, route_document

TITLE = "Huawei VRP static routes (ip route-static)"
COMMENT = "#"
STATEMENT = re.compile(r"^ip route-static (?P<route>\S+ \d+(?: \S+)? \S+) description \S+$")


def statement(entry: RouteEntry, options: RouteOptions) -> str:
    """``ip route-static 192.0.2.1 32 10.0.0.1 description acrguard-auth``."""
    hop = f"{options.interface} {options.next_hop}" if options.interface else options.next_hop
    return (f"ip route-static {entry.network.network_address} {entry.network.prefixlen} {hop} "
            f"description {options.label(entry)}")


def render(data: ExportInput, options: RouteOptions) -> str:
    """The commands, grouped by family, for the system view."""
    notes = ["Paste in the system view (system-view)."]
    return route_document(data, COMMENT, TITLE, notes, lambda e: statement(e, options))


def undo(line: str) -> str | None:
    """``undo ip route-static <network> <length> [<if>] <next_hop>`` for a route statement (None otherwise)."""
    match = STATEMENT.match(line)
    return f"undo ip route-static {match['route']}" if match else None
