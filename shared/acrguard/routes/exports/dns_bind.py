"""BIND: a response policy zone (RPZ) that overrides the registry's names in an IDC resolver.

Why a response policy zone. The IDC resolver must answer the cloud-internal names (the VPC
endpoint domain exists only in the VPC's PrivateZone; the auth and OSS internal names must
resolve to the addresses the IDC routes) while resolving everything else as before:

* a primary zone for ``cn-hangzhou.cr.aliyuncs.com`` (or ``aliyuncs.com``) would make the
  resolver authoritative for *every* name below it, answering NXDOMAIN for all the names acrguard
  does not list (other instances, public endpoints);
* a zone per exact name works, but each needs its own ``zone`` statement, so a new or renamed
  name means editing ``named.conf``;
* an RPZ (BIND 9 ARM, "Response Policy Zone (RPZ) Rewriting",
  https://bind9.readthedocs.io/en/latest/reference.html#response-policy-zone-rpz-rewriting;
  draft-vixie-dnsop-dns-rpz) rewrites exactly the listed names and nothing else, from one file:
  a QNAME trigger is the name written *relative to the policy zone's origin*
  (``<name>.<zone>.``), and A records under it are "local data" returned instead of the real
  answer (queries for other types of that name get NODATA, so no public AAAA leaks through).

The file is an RFC 1035 §5 master file: ``$ORIGIN`` and ``$TTL``, an SOA and an NS record (a
zone needs both; RPZ ignores them, ``localhost.`` is the conventional target), then one A
record per name and address. The SOA serial is the generation time in seconds since the
epoch: it increases with every change (acrguard writes the file only when its records changed,
``acrguard.routes.exports.write``) and fits the 32-bit serial until 2106 (RFC 1982).

named.conf (the header repeats it with the configured zone name and file)::

    options { response-policy { zone "acrguard.rpz"; } qname-wait-recurse no; };
    zone "acrguard.rpz" { type primary; file "/etc/bind/acrguard.rpz.zone"; allow-query { none; }; };

``qname-wait-recurse no`` applies the override without first resolving the name upstream (an
IDC without internet, or a name that SERVFAILs publicly, would otherwise never be rewritten).
"""

from __future__ import annotations

from acrguard.routes.exports.model import ExportError, ExportInput, check_hostname
from acrguard.routes.exports.text import SERIAL_COMMENT, finish, header, omitted_lines

TITLE = "BIND response policy zone (RPZ)"
COMMENT = ";"
REFRESH, RETRY, EXPIRE, NEGATIVE_TTL = 3600, 600, 86400, 300


def serial(data: ExportInput) -> int:
    """The SOA serial: the generation time in whole seconds since the epoch (RFC 1982 32-bit)."""
    value = int(data.generated_at.timestamp())
    if not 0 < value < 2**32:
        raise ExportError(f"generation time {data.timestamp} does not fit a 32-bit SOA serial")
    return value


def render(data: ExportInput, *, zone: str = "acrguard.rpz", ttl: int = 300) -> str:
    """The zone file of policy zone ``zone``: SOA, NS, and an A record per name and address."""
    zone = check_hostname(zone, "export.zone")
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= 86400:
        raise ExportError(f"export.ttl: {ttl!r} must be an integer from 1 to 86400")
    for name, _addresses in data.a_records:
        if len(name) + 1 + len(zone) > 253:
            raise ExportError(f"{name} under the policy zone {zone} is longer than 253 characters; use a "
                              "shorter zone name")
    notes = ["named.conf:",
             f'  options {{ response-policy {{ zone "{zone}"; }} qname-wait-recurse no; }};',
             f'  zone "{zone}" {{ type primary; file "<this file>"; allow-query {{ none; }}; }};',
             "Each owner name below is a QNAME trigger: <name>.<zone>. answers <name> with these A records."]
    lines = [*header(COMMENT, TITLE, data, notes), "",
             f"$ORIGIN {zone}.",
             f"$TTL {ttl}",
             "@ IN SOA localhost. hostmaster.localhost. (",
             f"        {serial(data)} {SERIAL_COMMENT}",
             f"        {REFRESH} ; refresh",
             f"        {RETRY} ; retry",
             f"        {EXPIRE} ; expire",
             f"        {NEGATIVE_TTL} ) ; negative caching TTL",
             "@ IN NS localhost.",
             ""]
    lines += omitted_lines(COMMENT, data)
    lines += [f"{name} IN A {address}" for name, addresses in data.a_records for address in addresses]
    return finish(lines)
