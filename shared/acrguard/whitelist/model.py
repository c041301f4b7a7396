"""The values the whitelist guard passes between its steps: live entries, endpoint state, desired entries."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from acrguard.findings import Finding

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: the entry the cloud adds when the internet endpoint is enabled
#: (https://help.aliyun.com/zh/terraform/alicloud-cr-endpoint-acl-service; comment ``default``)
LOOPBACK = ipaddress.ip_network("127.0.0.1/32")
#: the internet endpoint's Status once a switch-on has finished (GetInstanceEndpoint: CREATING/RUNNING/DELETING)
RUNNING = "RUNNING"


def parse_network(text: str) -> Network | None:
    """``text`` as a network (a bare address is its /32 or /128); None when it is neither."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class AclEntry:
    """One live whitelist entry: ``entry`` exactly as the cloud shows it, and its ``comment``."""

    entry: str
    comment: str = ""

    @property
    def network(self) -> Network | None:
        """The entry as a network (None when the cloud holds something unparseable)."""
        return parse_network(self.entry)

    @property
    def cidr(self) -> str:
        """The normalized CIDR (``1.2.3.4`` -> ``1.2.3.4/32``), or the raw text when unparseable."""
        network = self.network
        return str(network) if network is not None else self.entry


@dataclass(frozen=True)
class EndpointState:
    """The internet endpoint of one instance as observed: switch, ACL switch, status and entries.

    Switching the endpoint on is asynchronous: ``Status`` is ``CREATING`` until it is ``RUNNING``,
    and ACR drops whitelist writes sent before (terraform-provider-alicloud waits for RUNNING before
    ``CreateInstanceEndpointAclPolicy``: ``alicloud/service_alicloud_cr.go``, ``WaitCrEndpointRunning``).
    A disabled endpoint answers no ``Status``; an enabled one without a ``Status`` is taken as running
    (otherwise nothing could ever be written to it).
    """

    instance_id: str
    enabled: bool
    acl_enabled: bool
    status: str
    entries: tuple[AclEntry, ...] = ()

    @property
    def networks(self) -> frozenset[str]:
        """The normalized CIDRs of every entry."""
        return frozenset(e.cidr for e in self.entries)

    @property
    def switching(self) -> bool:
        """Enabled but not RUNNING yet (``CREATING``, or another state): whitelist writes would be dropped."""
        return self.enabled and self.status.upper() not in ("", RUNNING)

    @property
    def is_open(self) -> bool:
        """Enabled, RUNNING and nothing in the whitelist: reachable from the whole internet.

        Not while the endpoint is still switching on: the cloud adds ``127.0.0.1/32`` when it
        starts, and a restore written before then would be dropped.
        """
        return self.enabled and not self.switching and not self.entries


Source = Literal["declared", "resolved", "held", "kept"]


@dataclass(frozen=True)
class DesiredEntry:
    """One entry that should be in the ACL, with the ``comment`` (marker first) acrguard writes.

    ``source``: ``declared`` (a CIDR in config), ``resolved`` (a hostname's current address),
    ``held`` (a former address still inside the hysteresis hold), ``kept`` (a hostname that could
    not be resolved keeps what it had, as does a marked live entry not yet tracked). ``fresh``: a
    hostname address first seen in this run (its absence from the whitelist is not drift).
    """

    cidr: str
    label: str
    comment: str
    source: Source = "declared"
    host: str | None = None
    note: str = ""
    fresh: bool = False


@dataclass(frozen=True)
class DesiredState:
    """Every desired entry of one instance, plus the findings met while working it out."""

    entries: tuple[DesiredEntry, ...] = ()
    findings: tuple[Finding, ...] = ()
    hosts: dict[str, str] = field(default_factory=dict)  # hostname -> one-line resolution summary

    @property
    def by_cidr(self) -> dict[str, DesiredEntry]:
        """Desired entries keyed by normalized CIDR (the first wins when two labels share one)."""
        out: dict[str, DesiredEntry] = {}
        for entry in self.entries:
            out.setdefault(entry.cidr, entry)
        return out
