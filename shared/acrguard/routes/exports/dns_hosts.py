"""``/etc/hosts``-format lines for the registry's names.

Syntax from hosts(5) (https://man7.org/linux/man-pages/man5/hosts.5.html): one line per IP
address, ``IP_address canonical_hostname [aliases...]``, fields separated by blanks or tabs,
``#`` to the end of the line is a comment. A name with several addresses gets one line per
address (glibc's ``getaddrinfo`` returns all of them; ``gethostbyname`` only the first, unless
``multi on`` is set in host.conf(5)).

The file holds acrguard's records only, so it must not *be* ``/etc/hosts``: append it with a
configuration-management tool, or point a resolver that reads extra hosts files at it
(dnsmasq ``addn-hosts=``, CoreDNS ``hosts <file>``).
"""

from __future__ import annotations

from acrguard.routes.exports.model import ExportInput
from acrguard.routes.exports.text import finish, header, omitted_lines

TITLE = "hosts(5) entries"
COMMENT = "#"


def render(data: ExportInput) -> str:
    """``<address>\\t<name>`` lines sorted by name then address, with a comment per omitted name."""
    notes = ["Merge into /etc/hosts, or use as an extra hosts file (dnsmasq addn-hosts=); do not replace /etc/hosts."]
    lines = [*header(COMMENT, TITLE, data, notes), ""]
    lines += omitted_lines(COMMENT, data)
    lines += [f"{address}\t{name}" for name, addresses in data.a_records for address in addresses]
    return finish(lines)
