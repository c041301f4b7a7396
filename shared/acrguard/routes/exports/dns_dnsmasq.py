"""dnsmasq configuration: one ``host-record=`` per name and address.

Syntax from dnsmasq(8) (https://thekelleys.org.uk/dnsmasq/docs/dnsmasq-man.html): the
configuration file holds one long option per line without the leading ``--``, ``#`` starts a
comment line, and::

    --host-record=<name>[,<name>....],[<IPv4-address>],[<IPv6-address>][,<TTL>]
    "Add A, AAAA and PTR records to the DNS ... A name may appear in more than one host-record
     and therefore be assigned more than one address."

``host-record`` is chosen over ``address=/<name>/<ip>`` because ``--address`` answers for the
name *and every name below it* (it is a domain match), while ``host-record`` answers for exactly
the listed name; OpenWrt switched its host entries to ``host-record`` for the same reason.
dnsmasq also answers reverse (PTR) lookups of the addresses with these names. Include the file
with ``conf-file=<path>`` (or drop it into a ``conf-dir=``) and restart dnsmasq.
"""

from __future__ import annotations

from acrguard.routes.exports.model import ExportInput
from acrguard.routes.exports.text import finish, header, omitted_lines

TITLE = "dnsmasq host-record options"
COMMENT = "#"


def render(data: ExportInput) -> str:
    """``host-record=<name>,<address>`` lines sorted by name then address."""
    notes = ["Include with conf-file=<this file> (or put it in a conf-dir=) and restart dnsmasq."]
    lines = [*header(COMMENT, TITLE, data, notes), ""]
    lines += omitted_lines(COMMENT, data)
    lines += [f"host-record={name},{address}" for name, addresses in data.a_records for address in addresses]
    return finish(lines)
