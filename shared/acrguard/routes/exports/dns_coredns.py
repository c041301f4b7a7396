"""CoreDNS: a server block that answers the registry's names with the ``hosts`` plugin.

Syntax from the CoreDNS manual (Corefile server blocks, https://coredns.io/manual/toc/#configuration)
and the ``hosts`` plugin (https://coredns.io/plugins/hosts/)::

    ZONE [ZONE...] {
        hosts [FILE [ZONES...]] {
            [INLINE]            # hosts(5) lines
            ttl SECONDS
            fallthrough [ZONES...]
        }
    }

The server block's zones are exactly the names acrguard exports, so queries for them (and only
them) are answered here: A from the inline entries, NODATA for other types of those names; every
other name goes to the Corefile's other blocks (``.``) as before. A block of its own is used
because the ``hosts`` plugin "can only be used once per Server Block", and an existing ``.``
block may already use it. Add ``import <this file>`` at the top level of the Corefile (or paste
the block); the block listens on the Corefile's default port. ``#`` starts a comment. When no
name has a usable address, the file holds comments only (an empty import is valid).
"""

from __future__ import annotations

from acrguard.routes.exports.model import ExportError, ExportInput
from acrguard.routes.exports.text import finish, header, omitted_lines

TITLE = "CoreDNS server block (hosts plugin)"
COMMENT = "#"


def render(data: ExportInput, *, ttl: int = 300) -> str:
    """The server block for the exported names, or comments only when there is none."""
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= 86400:
        raise ExportError(f"export.ttl: {ttl!r} must be an integer from 1 to 86400")
    notes = ["Add 'import <this file>' at the top level of the Corefile, then reload CoreDNS."]
    lines = [*header(COMMENT, TITLE, data, notes), ""]
    lines += omitted_lines(COMMENT, data)
    if data.a_records:
        lines.append(" ".join(name for name, _ in data.a_records) + " {")
        lines.append("    hosts {")
        lines += [f"        {address} {name}" for name, addresses in data.a_records for address in addresses]
        lines.append(f"        ttl {ttl}")
        lines.append("    }")
        lines.append("}")
    else:
        lines.append(f"{COMMENT} no names to serve")
    return finish(lines)
