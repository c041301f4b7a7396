"""The input of every IDC export, checked so that nothing but clean prefixes, names and addresses is rendered.

``ExportInput`` is a small pure value (no I/O): the instance, the desired prefixes per family
and the DNS records (name -> addresses), with an injected generation time so that renderings
are reproducible. Everything that ends up in a router command, a shell script or a zone file is
validated here, strictly, and refused with an ``ExportError`` that names the offending value:

* prefixes: IPv4 CIDR in canonical form (``192.0.2.0/24``; no host bits, no whitespace), not
  broader than ``/MIN_PREFIX_LENGTH`` (a default or huge route in an IDC router would capture
  unrelated traffic);
* names: RFC 1035 "preferred name syntax" host names (letter-digit-hyphen labels of 1-63
  characters, at most 253 characters), compared in lower case without the trailing dot;
* addresses: canonical IP address text. IPv6 addresses and IPv4 addresses that must never be
  routed (loopback, multicast, ...; ``acrguard.routes.desired.routable``) are not refused but
  left out of the records, each with a comment, as are names without any address;
* the instance name and id: letters, digits, ``.``, ``_`` and ``-`` only.

Anything else (a newline, a ``;``, a space, a ``$(...)``) is refused rather than rendered:
the outputs are pasted into routers and run as root.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family
from acrguard.errors import BadInputError
from acrguard.routes.desired import routable

if TYPE_CHECKING:
    from acrguard.routes.desired import DesiredPrefixes

#: The broadest prefix an export renders (the OSS VIP ranges are /24s).
MIN_PREFIX_LENGTH = 16

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


class ExportError(BadInputError):
    """An export cannot be rendered or written; the message names the export and the value."""


def check_hostname(value: object, where: str) -> str:
    """``value`` as a lower-case host name without trailing dot, or ``ExportError`` naming ``where``."""
    if not isinstance(value, str):
        raise ExportError(f"{where}: expected a host name, got {type(value).__name__}")
    name = value.lower()
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if not (1 <= len(name) <= 253) or len(labels) < 2 or not all(_LABEL.match(label) for label in labels) \
            or labels[-1].isdigit():
        raise ExportError(f"{where}: {value!r} is not a host name (letters, digits and '-' in dot-separated "
                          "labels of 1-63 characters); refused")
    return name


def check_ipv4(value: object, where: str) -> str:
    """``value`` as a canonical IPv4 address, or ``ExportError`` naming ``where``."""
    if not isinstance(value, str):
        raise ExportError(f"{where}: expected an IPv4 address, got {type(value).__name__}")
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ExportError(f"{where}: {value!r} is not an IPv4 address; refused") from None
    if str(address) != value:
        raise ExportError(f"{where}: {value!r} is not in canonical dotted-quad form; refused")
    return value


def check_prefix(value: object, where: str) -> ipaddress.IPv4Network:
    """``value`` as a canonical IPv4 network no broader than ``/MIN_PREFIX_LENGTH``, or ``ExportError``."""
    if not isinstance(value, str):
        raise ExportError(f"{where}: expected an IPv4 prefix, got {type(value).__name__}")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ExportError(f"{where}: {value!r} is not an IPv4 prefix such as 100.118.28.0/24; refused") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ExportError(f"{where}: {value!r} is IPv6; the IDC exports carry IPv4 prefixes only")
    if str(network) != value:
        raise ExportError(f"{where}: {value!r} is not in canonical form (expected {network}); refused")
    if network.prefixlen < MIN_PREFIX_LENGTH:
        raise ExportError(f"{where}: {value} is broader than /{MIN_PREFIX_LENGTH}; refused (it would capture "
                          "unrelated traffic in the IDC)")
    return network


def check_token(value: object, where: str) -> str:
    """An identifier that is safe in a comment or a label (letters, digits, ``.``, ``_``, ``-``)."""
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise ExportError(f"{where}: {value!r} must be 1-63 letters, digits, '.', '_' or '-'; refused")
    return value


@dataclass(frozen=True)
class DnsRecord:
    """One name and the addresses it resolved to (empty: it did not resolve)."""

    name: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Omitted:
    """A name or address left out of the DNS records, and why (rendered as a comment)."""

    name: str
    reason: str


@dataclass(frozen=True)
class RouteEntry:
    """One prefix to route, with the family it is routed for."""

    family: Family
    network: ipaddress.IPv4Network

    @property
    def prefix(self) -> str:
        """``192.0.2.0/24``."""
        return str(self.network)


@dataclass(frozen=True)
class ExportInput:
    """Everything an export renders, checked at construction (see the module docstring).

    ``prefixes_by_family``: family -> IPv4 prefixes; ``records``: ``DnsRecord`` or
    ``(name, [addresses])`` pairs; ``generated_at``: a timezone-aware time (injected, so that
    a rendering is a pure function of this value).
    """

    instance_name: str
    prefixes_by_family: Mapping[str, Sequence[str]]
    records: Sequence[DnsRecord | tuple[str, Sequence[str]]]
    generated_at: datetime
    instance_id: str | None = None
    _routes: tuple[RouteEntry, ...] = field(init=False, repr=False, compare=False)
    _a_records: tuple[tuple[str, tuple[str, ...]], ...] = field(init=False, repr=False, compare=False)
    _omitted: tuple[Omitted, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_token(self.instance_name, "ExportInput.instance_name")
        if self.instance_id is not None:
            check_token(self.instance_id, "ExportInput.instance_id")
        if not isinstance(self.generated_at, datetime) or self.generated_at.utcoffset() is None:
            raise ExportError("ExportInput.generated_at: expected a timezone-aware datetime")
        object.__setattr__(self, "_routes", _route_entries(self.prefixes_by_family))
        a_records, omitted = _dns_records(self.records)
        object.__setattr__(self, "_a_records", a_records)
        object.__setattr__(self, "_omitted", omitted)

    @property
    def routes(self) -> tuple[RouteEntry, ...]:
        """Every prefix once, sorted by family (``ALL_FAMILIES`` order) then numerically.

        A prefix desired by two families is listed under the first of them.
        """
        return self._routes

    def routes_of(self, family: Family) -> tuple[RouteEntry, ...]:
        """The entries listed under ``family``."""
        return tuple(r for r in self._routes if r.family == family)

    @property
    def a_records(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``(name, IPv4 addresses)`` sorted by name, addresses sorted numerically; names without one omitted."""
        return self._a_records

    @property
    def omitted(self) -> tuple[Omitted, ...]:
        """Names and addresses that are not rendered, sorted, each with its reason."""
        return self._omitted

    @property
    def timestamp(self) -> str:
        """The generation time in UTC, ISO 8601 to the second (``2024-05-01T12:00:00Z``)."""
        return self.generated_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def label(self) -> str:
        """``name`` or ``name (cri-…)`` for headers."""
        return f"{self.instance_name} ({self.instance_id})" if self.instance_id else self.instance_name


def _route_entries(prefixes_by_family: Mapping[str, Sequence[str]]) -> tuple[RouteEntry, ...]:
    if not isinstance(prefixes_by_family, Mapping):
        raise ExportError("ExportInput.prefixes_by_family: expected a mapping of family -> prefixes")
    unknown = sorted(str(f) for f in prefixes_by_family if f not in ALL_FAMILIES)
    if unknown:
        raise ExportError(f"ExportInput.prefixes_by_family: unknown families {unknown!r}; known: {list(ALL_FAMILIES)}")
    seen: set[ipaddress.IPv4Network] = set()
    entries: list[RouteEntry] = []
    for family in ALL_FAMILIES:
        prefixes = prefixes_by_family.get(family, ())
        if isinstance(prefixes, str):
            raise ExportError(f"ExportInput.prefixes_by_family[{family!r}]: expected a list of prefixes, got a string")
        networks = {check_prefix(p, f"ExportInput.prefixes_by_family[{family!r}][{i}]")
                    for i, p in enumerate(prefixes)}
        for network in sorted(networks - seen):
            entries.append(RouteEntry(family, network))
        seen |= networks
    return tuple(entries)


def _dns_records(records: Iterable[Any]) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[Omitted, ...]]:
    if isinstance(records, (str, bytes)) or not isinstance(records, Iterable):
        raise ExportError("ExportInput.records: expected a list of DnsRecord or (name, [addresses]) pairs")
    by_name: dict[str, set[ipaddress.IPv4Address]] = {}
    omitted: set[Omitted] = set()
    for i, record in enumerate(records):
        where = f"ExportInput.records[{i}]"
        if isinstance(record, DnsRecord):
            name, addresses = record.name, record.addresses
        elif isinstance(record, (tuple, list)) and len(record) == 2:
            name, addresses = record
        else:
            raise ExportError(f"{where}: expected a DnsRecord or a (name, [addresses]) pair, got {record!r}")
        name = check_hostname(name, f"{where}.name")
        if isinstance(addresses, str) or not isinstance(addresses, Iterable):
            raise ExportError(f"{where}.addresses: expected a list of addresses, got {addresses!r}")
        kept = by_name.setdefault(name, set())
        for j, text in enumerate(addresses):
            address = _address(text, f"{where}.addresses[{j}]")
            if isinstance(address, ipaddress.IPv6Address):
                omitted.add(Omitted(name, f"IPv6 address {address} not exported (A records only)"))
            elif not routable(str(address)):
                omitted.add(Omitted(name, f"address {address} is not routable (loopback, multicast, reserved …)"))
            else:
                kept.add(address)
    for name, kept in by_name.items():
        if not kept:
            omitted.add(Omitted(name, "did not resolve to a usable IPv4 address; no record"))
    a_records = tuple((name, tuple(str(a) for a in sorted(kept))) for name, kept in sorted(by_name.items()) if kept)
    return a_records, tuple(sorted(omitted, key=lambda o: (o.name, o.reason)))


def _address(value: object, where: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if not isinstance(value, str):
        raise ExportError(f"{where}: expected an IP address, got {type(value).__name__}")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ExportError(f"{where}: {value!r} is not an IP address; refused") from None
    if str(address) != value:
        raise ExportError(f"{where}: {value!r} is not in canonical form (expected {address}); refused")
    return address


def _hosts_of(prefixes: Iterable[str]) -> list[str]:
    hosts = []
    for prefix in prefixes:
        network = ipaddress.ip_network(prefix, strict=False)
        if network.version == 4 and network.prefixlen == 32:
            hosts.append(str(network.network_address))
    return hosts


def records_by_family(desired: DesiredPrefixes, oss_addresses: Iterable[str] = ()) -> dict[Family, list[DnsRecord]]:
    """The DNS records an IDC resolver needs, per family, from one instance's desired prefixes and evidence.

    The VPC domain(s) get the ``vpc_endpoint`` /32s and the auth host the ``auth`` /32s, both as
    kept by the hysteresis (so a failed lookup this run does not drop a record), except addresses
    that a complete observation no longer sees (held for routing only: DNS must not point clients at
    a vanished ENI); the OSS domain gets ``oss_addresses`` (the OSS addresses kept this run) plus
    any OSS /32 routed (a region without published ranges). A name known without addresses is kept,
    so the rendering says that it did not resolve.
    """
    evidence = desired.evidence

    def answering(family: Family) -> tuple[str, ...]:
        # Routes keep a vanished address for the hold; DNS must not send clients to it. Only
        # when this run observed the family completely is "held" known to mean "gone".
        hosts = _hosts_of(desired.for_family(family))
        if desired.may_remove(family):
            gone = {h.address for h in desired.held if h.family == family}
            hosts = [h for h in hosts if h not in gone] or hosts
        return tuple(sorted(hosts, key=ipaddress.ip_address))

    records: dict[Family, list[DnsRecord]] = {family: [] for family in ALL_FAMILIES}
    for domain in evidence.get("vpc_domains") or ():
        records["vpc_endpoint"].append(DnsRecord(domain, answering("vpc_endpoint")))
    if evidence.get("auth_host"):
        records["auth"].append(DnsRecord(evidence["auth_host"], answering("auth")))
    if evidence.get("oss_domain"):
        addresses = set(oss_addresses) | set(_hosts_of(desired.for_family("oss")))
        records["oss"].append(DnsRecord(evidence["oss_domain"], tuple(sorted(addresses))))
    return records


def records_from_desired(desired: DesiredPrefixes, oss_addresses: Iterable[str] = ()) -> list[DnsRecord]:
    """Every family's records (``records_by_family``) in one list."""
    return [record for records in records_by_family(desired, oss_addresses).values() for record in records]


def input_from_desired(desired: DesiredPrefixes, generated_at: datetime, *,
                       oss_addresses: Iterable[str] = ()) -> ExportInput:
    """The export input of one instance: its desired prefixes and ``records_from_desired``."""
    return ExportInput(desired.instance, {family: sorted(desired.for_family(family)) for family in ALL_FAMILIES},
                       records_from_desired(desired, oss_addresses), generated_at, instance_id=desired.instance_id)
