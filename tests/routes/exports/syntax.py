"""Pieces of the line grammars the export tests check (import as ``tests.routes.exports.syntax``)."""

from __future__ import annotations

import ipaddress
import re

#: a lower-case DNS name with at least two labels (RFC 1123 labels)
NAME = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]+"
#: a dotted IPv4 address (checked further by ``ipaddress`` in ``entries``)
IPV4 = r"\d+\.\d+\.\d+\.\d+"


def entries(text: str, line: re.Pattern[str], what: str) -> list[tuple[str, str]]:
    """``(name, ip)`` of every line matching ``line`` (groups ``name`` and ``ip``); every other line must be blank
    or a ``#`` comment, else the assertion names the line and ``what`` it should have been."""
    found = []
    for text_line in text.splitlines():
        if not text_line or text_line.startswith("#"):
            continue
        match = line.match(text_line)
        assert match, f"not a {what}: {text_line!r}"
        ipaddress.IPv4Address(match["ip"])
        found.append((match["name"], match["ip"]))
    return found
