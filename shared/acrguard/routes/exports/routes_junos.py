"""Juniper Junos: ``set routing-options static route`` configuration commands.

Syntax from the Junos OS routing documentation, ``static`` and ``qualified-next-hop`` statements
at ``[edit routing-options static route destination-prefix]``
(https://juniper.net/documentation/en_US/junos13.1/topics/reference/configuration-statement/static-edit-routing-options.html,
https://juniper.net/documentation/en_US/junos13.1/topics/reference/configuration-statement/qualified-next-hop-edit-routing-options.html;
comments: "Using the Junos OS CLI Comment Character #")::

    route destination-prefix { next-hop address; qualified-next-hop address { interface interface-name; } }

One line per prefix: ``set routing-options static route <prefix> next-hop <next_hop>``, or with an
interface ``set routing-options static route <prefix> qualified-next-hop <next_hop> interface <if>``.
Lines that start with ``#`` are comments (the Junos CLI comment character). Load in
configuration mode with ``load set terminal`` (or ``load set <file>``), review, then ``commit``.
"""

from __future__ import annotations

import re

from acrguard.routes.exports.model import ExportInput, RouteEntry
from acrguard.routes.exports.routes_common import RouteOptions, route_document

TITLE = "Juniper Junos static routes (set routing-options static)"
COMMENT = "#"
STATEMENT = re.compile(r"^set routing-options static route (?P<prefix>\S+) (?:next-hop \S+|qualified-next-hop \S+ "
                       r"interface \S+)$")


def statement(entry: RouteEntry, options: RouteOptions) -> str:
    """``set routing-options static route 192.0.2.1/32 next-hop 10.0.0.1``."""
    if options.interface:
        return (f"set routing-options static route {entry.prefix} qualified-next-hop {options.next_hop} "
                f"interface {options.interface}")
    return f"set routing-options static route {entry.prefix} next-hop {options.next_hop}"


def render(data: ExportInput, options: RouteOptions) -> str:
    """The ``set`` commands, grouped by family, for ``load set terminal``."""
    notes = ["Load in configuration mode: load set terminal (paste, Ctrl-D), show | compare, commit."]
    return route_document(data, COMMENT, TITLE, notes, lambda e: statement(e, options))


def undo(line: str) -> str | None:
    """``delete routing-options static route <prefix>`` for a route statement (None otherwise)."""
    match = STATEMENT.match(line)
    return f"delete routing-options static route {match['prefix']}" if match else None
