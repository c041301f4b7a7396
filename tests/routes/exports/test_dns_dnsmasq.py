"""dnsmasq export: one ``host-record=<name>,<IPv4>`` per address (exact-name records, several per name)."""

from __future__ import annotations

import ipaddress
import re

from acrguard.routes.exports import dns_dnsmasq

# dnsmasq(8): --host-record=<name>[,<name>....],[<IPv4-address>],[<IPv6-address>][,<TTL>]; config lines drop "--".
LINE = re.compile(r"^host-record=(?P<name>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]+),(?P<ip>\d+\.\d+\.\d+\.\d+)$")


def parse(text: str) -> list[tuple[str, str]]:
    """(name, address) of every option line; the rest are blank or ``#`` comment lines."""
    entries = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, f"not a dnsmasq host-record option: {line!r}"
        ipaddress.IPv4Address(match["ip"])
        entries.append((match["name"], match["ip"]))
    return entries


def test_options_match_golden_and_dnsmasq_syntax(data, golden):
    """Sorted host-record lines; nothing for names that did not resolve (a comment instead)."""
    text = dns_dnsmasq.render(data)
    golden("dnsmasq.conf", text)
    assert parse(text) == [("dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com", "100.104.12.7"),
                           ("dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com", "100.104.12.66"),
                           ("testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com", "192.168.10.21")]
    assert "address=" not in text
    assert "# omitted: cri-test0000000000001-registry.oss-cn-hangzhou-internal.aliyuncs.com" in text
