"""hosts(5) export: ``<IPv4>\\t<name>`` lines, one per address, sorted; unresolved names only as comments."""

from __future__ import annotations

import re

from acrguard.routes.exports import dns_hosts
from tests.routes.exports.syntax import IPV4, NAME, entries

# hosts(5): IP_address canonical_hostname [aliases...]; '#' starts a comment.
LINE = re.compile(rf"^(?P<ip>{IPV4})[ \t]+(?P<name>{NAME})$")


def parse(text: str) -> list[tuple[str, str]]:
    """(address, name) of every entry; every other line is blank or a comment."""
    found = entries(text, LINE, "hosts(5) entry")
    return [(ip, name) for name, ip in found]


def test_entries_match_golden_and_hosts5_syntax(data, golden):
    """One line per (name, IPv4 address), sorted by name then address; IPv6 and unresolved names are comments."""
    text = dns_hosts.render(data)
    golden("hosts.txt", text)
    assert parse(text) == [("100.104.12.7", "dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com"),
                           ("100.104.12.66", "dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com"),
                           ("192.168.10.21", "testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com")]
    assert "# omitted: cri-test0000000000001-registry.oss-cn-hangzhou-internal.aliyuncs.com: did not resolve" in text
    assert "2001:db8::1 not exported" in text
