"""Linux: a POSIX shell script of ``ip route replace`` commands (iproute2).

Syntax from ip-route(8) (iproute2, https://man7.org/linux/man-pages/man8/ip-route.8.html)::

    ip route { add | del | change | append | replace } ROUTE
    ROUTE := NODE_SPEC [ INFO_SPEC ]
    NODE_SPEC := [ TYPE ] PREFIX ...
    NH := [ via [ FAMILY ] ADDRESS ] [ dev STRING ]

``replace`` "changes or adds" the route, so the script is idempotent and can run at every boot
or after every change. One line per prefix: ``ip route replace <prefix> via <next_hop> [dev <if>]``.
The script starts with ``set -e`` so that the first failing command stops it. It only adds or
replaces; a prefix acrguard no longer routes is removed with ``ip route del`` (the change alert
lists those commands, ``acrguard.routes.exports.diff.paste_commands``).
"""

from __future__ import annotations

import re

from acrguard.routes.exports.model import ExportInput, RouteEntry
from acrguard.routes.exports.routes_common import RouteOptions, route_document

TITLE = "Linux routes (ip-route(8) script)"
COMMENT = "#"
STATEMENT = re.compile(r"^ip route replace (?P<route>\S+ via \S+(?: dev \S+)?)$")


def statement(entry: RouteEntry, options: RouteOptions) -> str:
    """``ip route replace 192.0.2.1/32 via 10.0.0.1 dev eth1``."""
    device = f" dev {options.interface}" if options.interface else ""
    return f"ip route replace {entry.prefix} via {options.next_hop}{device}"


def render(data: ExportInput, options: RouteOptions) -> str:
    """The script (``#!/bin/sh``, header, ``set -e``, one ``ip route replace`` per prefix)."""
    notes = ["Run as root: sh <this file>. It adds or replaces routes only; see the change alert for removals."]
    return route_document(data, COMMENT, TITLE, notes, lambda e: statement(e, options), first=["#!/bin/sh"],
                          preamble=["set -e"])


def undo(line: str) -> str | None:
    """The command that removes the route ``line`` adds (None if ``line`` is not a route statement)."""
    match = STATEMENT.match(line)
    return f"ip route del {match['route']}" if match else None
