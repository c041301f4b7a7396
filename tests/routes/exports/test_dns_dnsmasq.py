"""dnsmasq export: one ``host-record=<name>,<IPv4>`` per address (exact-name records, several per name)."""

from __future__ import annotations

import re

from acrguard.routes.exports import dns_dnsmasq
from tests.routes.exports.syntax import IPV4, NAME, entries

# dnsmasq(8): --host-record=<name>[,<name>....],[<IPv4-address>],[<IPv6-address>][,<TTL>]; config lines drop "--".
LINE = re.compile(rf"^host-record=(?P<name>{NAME}),(?P<ip>{IPV4})$")


def parse(text: str) -> list[tuple[str, str]]:
    """(name, address) of every entry; every other line is blank or a comment."""
    found = entries(text, LINE, "dnsmasq host-record option")
    return found


def test_options_match_golden_and_dnsmasq_syntax(data, golden):
    """Sorted host-record lines; nothing for names that did not resolve (a comment instead)."""
    text = dns_dnsmasq.render(data)
    golden("dnsmasq.conf", text)
    assert parse(text) == [("dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com", "100.104.12.7"),
                           ("dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com", "100.104.12.66"),
                           ("testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com", "192.168.10.21")]
    assert "address=" not in text
    assert "# omitted: cri-test0000000000001-registry.oss-cn-hangzhou-internal.aliyuncs.com" in text
