"""DNS zone data: records and failure modes from the world, answered by ``localcloud.servers.dns``.

World format::

    dns:
      records:
        myreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com: {A: [192.168.10.21]}
        dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com: {A: [100.103.9.188, 100.103.7.181], rotate: true}
        alias.example.com: {CNAME: target.example.com}
      failures:
        broken.example.com: servfail     # servfail | timeout | nxdomain | empty | wrong-name

``rotate: true`` answers one address per query, round robin, like a load-balanced name.
Tests change records and failures at run time through ``cloud.dns`` (a ``DnsZone``).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from dnslib import CNAME, QTYPE, RCODE, RR, A, DNSError, DNSRecord

FAILURE_MODES = ("servfail", "timeout", "nxdomain", "empty", "wrong-name")


def _norm(name: str) -> str:
    return name.lower().rstrip(".") + "."


@dataclass
class DnsEntry:
    """Answers for one name."""

    addresses: list[str] = field(default_factory=list)
    cname: str | None = None
    rotate: bool = False
    ttl: int = 60
    _cursor: itertools.count = field(default_factory=itertools.count, repr=False)

    def answer_addresses(self) -> list[str]:
        """All addresses, or the next one in turn when rotating."""
        if self.rotate and self.addresses:
            return [self.addresses[next(self._cursor) % len(self.addresses)]]
        return list(self.addresses)


class DnsZone:
    """Mutable records and failure modes, shared by the DNS server and the tests."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self.entries: dict[str, DnsEntry] = {}
        self.failures: dict[str, str] = {}
        self.outage: str | None = None
        self.queries: list[str] = []
        data = data or {}
        for name, spec in (data.get("records") or {}).items():
            if not isinstance(spec, dict):
                raise ValueError(f"world: dns.records.{name}: expected a mapping with A and/or CNAME")
            self.set(name, spec.get("A") or [], cname=spec.get("CNAME"), rotate=bool(spec.get("rotate")),
                     ttl=int(spec.get("ttl", 60)))
        for name, mode in (data.get("failures") or {}).items():
            self.fail(name, mode)

    def set(self, name: str, addresses: list[str], *, cname: str | None = None, rotate: bool = False,
            ttl: int = 60) -> None:
        """Create or replace the answers for ``name``."""
        with self._lock:
            self.entries[_norm(name)] = DnsEntry(list(addresses), _norm(cname) if cname else None, rotate, ttl)

    def remove(self, name: str) -> None:
        """Delete a name (it then answers NXDOMAIN)."""
        with self._lock:
            self.entries.pop(_norm(name), None)

    def fail(self, name: str, mode: str | None) -> None:
        """Make one name fail in ``mode`` (None restores it)."""
        if mode is not None and mode not in FAILURE_MODES:
            raise ValueError(f"unknown DNS failure mode {mode!r}; expected one of {FAILURE_MODES}")
        with self._lock:
            if mode is None:
                self.failures.pop(_norm(name), None)
            else:
                self.failures[_norm(name)] = mode

    def set_outage(self, mode: str | None) -> None:
        """Make every name fail in ``mode`` (None ends the outage)."""
        if mode is not None and mode not in FAILURE_MODES:
            raise ValueError(f"unknown DNS failure mode {mode!r}; expected one of {FAILURE_MODES}")
        self.outage = mode

    def resolve(self, request: DNSRecord) -> DNSRecord:
        """Build the reply for a query (raises ``DNSError`` to send nothing, i.e. a timeout)."""
        qname = str(request.q.qname)
        name = _norm(qname)
        reply = request.reply()
        with self._lock:
            self.queries.append(name)
            mode = self.outage or self.failures.get(name)
            if mode == "timeout":
                raise DNSError("injected timeout")
            if mode == "servfail":
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            if mode == "nxdomain":
                reply.header.rcode = RCODE.NXDOMAIN
                return reply
            if mode == "empty":
                return reply
            if mode == "wrong-name":
                reply.add_answer(RR("unrelated.invalid.", QTYPE.A, rdata=A("192.0.2.1"), ttl=60))
                return reply
            current, seen = name, set()
            while current in self.entries and current not in seen:
                seen.add(current)
                entry = self.entries[current]
                if entry.cname:
                    reply.add_answer(RR(current, QTYPE.CNAME, rdata=CNAME(entry.cname), ttl=entry.ttl))
                    current = entry.cname
                    continue
                if request.q.qtype in (QTYPE.A, QTYPE.ANY):
                    for address in entry.answer_addresses():
                        reply.add_answer(RR(current, QTYPE.A, rdata=A(address), ttl=entry.ttl))
                return reply
            if not seen:
                reply.header.rcode = RCODE.NXDOMAIN
            return reply
