"""What the four router formats share: the checked route options and the layout of a route file.

A route file is the header, then one section per family (a comment, then one statement per
prefix, sorted), in ``ALL_FAMILIES`` order; a family without prefixes gets a comment saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from acrguard.config.routes import ALL_FAMILIES
from acrguard.routes.exports.model import ExportError, ExportInput, RouteEntry, check_ipv4
from acrguard.routes.exports.text import finish, header

_INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9_./:-]{0,63}$")
_ROUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,19}$")


@dataclass(frozen=True)
class RouteOptions:
    """The IDC side of the routes: next hop, optional outgoing interface, label prefix (all checked)."""

    next_hop: str
    interface: str | None = None
    route_name: str = "acrguard"

    @classmethod
    def checked(cls, next_hop: str | None, interface: str | None = None, route_name: str = "acrguard", *,
                where: str = "export") -> RouteOptions:
        """Options whose every value is safe to paste into a router or run in a shell."""
        if next_hop is None:
            raise ExportError(f"{where}: a route format needs next_hop (the IDC-side next hop toward the cloud)")
        check_ipv4(next_hop, f"{where}.next_hop")
        if interface is not None and (not isinstance(interface, str) or not _INTERFACE.match(interface)):
            raise ExportError(f"{where}.interface: {interface!r} is not an interface name (letters, digits and "
                              "_ . / : -, starting with a letter); refused")
        if not isinstance(route_name, str) or not _ROUTE_NAME.match(route_name):
            raise ExportError(f"{where}.route_name: {route_name!r} must be 1-20 letters, digits, '_' or '-' "
                              "starting with a letter; refused")
        return cls(next_hop, interface, route_name)

    def label(self, entry: RouteEntry) -> str:
        """``acrguard-oss``: the route's name/description."""
        return f"{self.route_name}-{entry.family}"


def route_document(data: ExportInput, comment: str, title: str, notes: Iterable[str],
                   statement: Callable[[RouteEntry], str], *, first: Iterable[str] = (),
                   preamble: Iterable[str] = ()) -> str:
    """The whole route file: ``first`` (a shebang), header, ``preamble``, then a section per family."""
    lines = [*first, *header(comment, title, data, notes), *preamble]
    for family in ALL_FAMILIES:
        entries = data.routes_of(family)
        lines.append("")
        if not entries:
            lines.append(f"{comment} {family}: no prefixes")
            continue
        lines.append(f"{comment} {family}: {len(entries)} prefix(es)")
        lines += [statement(entry) for entry in entries]
    return finish(lines)
