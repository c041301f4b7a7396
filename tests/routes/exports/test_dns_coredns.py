"""CoreDNS export: a server block for exactly the exported names, answered by the hosts plugin."""

from __future__ import annotations

import ipaddress
import re

from acrguard.routes.exports import dns_coredns
from tests.routes.exports.syntax import NAME


def parse(text: str) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(server block zones, hosts entries, hosts options) of a Corefile holding one block with one hosts plugin.

    Written from the Corefile grammar: ``ZONE... {`` opens a server block, ``plugin [ARGS] {`` a
    plugin block, ``}`` closes; inside ``hosts`` every line is an inline hosts(5) entry or an option.
    """
    zones: list[str] = []
    entries: list[tuple[str, str]] = []
    options: list[str] = []
    depth = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if depth == 0:
            assert line.endswith(" {"), f"expected a server block: {raw!r}"
            zones = line[:-2].split()
            assert zones and all(re.fullmatch(NAME, z) for z in zones), raw
            depth = 1
        elif depth == 1:
            if line == "}":
                depth = 0
                continue
            assert line == "hosts {", f"expected the hosts plugin block: {raw!r}"
            depth = 2
        elif line == "}":
            depth = 1
        elif re.fullmatch(r"ttl \d+", line):
            options.append(line)
        else:
            match = re.fullmatch(rf"(?P<ip>\d+\.\d+\.\d+\.\d+) (?P<name>{NAME})", line)
            assert match, f"not an inline hosts entry: {raw!r}"
            ipaddress.IPv4Address(match["ip"])
            entries.append((match["ip"], match["name"]))
    assert depth == 0, "unbalanced braces"
    return zones, entries, options


def test_block_matches_golden_and_the_corefile_grammar(data, golden):
    """The block's zones are the names with addresses; the hosts plugin maps each name and sets the TTL."""
    text = dns_coredns.render(data)
    golden("coredns.conf", text)
    zones, entries, options = parse(text)
    assert zones == ["dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com", "testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com"]
    assert entries == [("100.104.12.7", "dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com"),
                       ("100.104.12.66", "dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com"),
                       ("192.168.10.21", "testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com")]
    assert options == ["ttl 300"]


def test_nothing_to_serve_renders_comments_only(make_input):
    """Without any usable address there is no server block (an empty block would have no zone)."""
    text = dns_coredns.render(make_input(records=[("a.example.com", [])]))
    assert all(line.startswith("#") or not line for line in text.splitlines())
    assert "# omitted: a.example.com: did not resolve" in text
