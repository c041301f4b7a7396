"""The DNS front end: serves the cloud's ``DnsZone`` with dnslib on 127.0.0.1 (UDP and TCP, one port).

A TCP client that disconnects before its answer is written ends quietly, as on the HTTP front ends
(``localcloud.httpserver.QuietServerErrors``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from dnslib import DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer, TCPServer

from localcloud.core.dns_zone import DnsZone
from localcloud.httpserver import QuietServerErrors


class _Resolver(BaseResolver):
    def __init__(self, zone: Callable[[], DnsZone]) -> None:
        self.zone = zone

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        return self.zone().resolve(request)


class _SilentLogger(DNSLogger):
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)


class _QuietTcpServer(QuietServerErrors, TCPServer):
    """dnslib's threaded TCP server, without tracebacks for clients that went away."""


class RunningDns:
    """UDP and TCP DNS servers on the same port."""

    def __init__(self, zone: Callable[[], DnsZone], host: str = "127.0.0.1") -> None:
        resolver = _Resolver(zone)
        for attempt in range(20):
            self.udp = DNSServer(resolver, address=host, port=0, logger=_SilentLogger())
            port = self.udp.server.server_address[1]
            try:
                self.tcp = DNSServer(resolver, address=host, port=port, tcp=True, logger=_SilentLogger(),
                                     server=_QuietTcpServer)
                break
            except OSError:  # the UDP port's TCP twin is taken by another socket: pick another port
                self.udp.server.server_close()
                if attempt == 19:
                    raise
        self.threads = [threading.Thread(target=s.server.serve_forever, kwargs={"poll_interval": 0.05},
                                         name="localcloud-dns", daemon=True) for s in (self.udp, self.tcp)]
        for thread in self.threads:
            thread.start()
        self.host = host
        self.port = port

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop both servers."""
        for server in (self.udp, self.tcp):
            server.server.shutdown()
            server.server.server_close()
