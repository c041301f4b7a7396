"""Changes between renderings: unchanged when only the time moved; a unified diff and router commands otherwise."""

from __future__ import annotations

import pytest

from acrguard.routes.exports import dns_bind, dns_hosts, routes_cisco, routes_huawei, routes_junos, routes_linux
from acrguard.routes.exports.diff import changed, paste_commands, unified_diff
from acrguard.routes.exports.routes_common import RouteOptions

HOP = RouteOptions("10.10.0.1")


def later(make_input, **changes):
    base = make_input()
    return make_input(generated_at=base.generated_at.replace(day=2), **changes)


def test_a_new_generation_time_alone_is_not_a_change(make_input):
    """The header time line and the SOA serial are ignored when comparing."""
    for render in (dns_bind.render, dns_hosts.render, lambda d: routes_cisco.render(d, HOP)):
        old, new = render(make_input()), render(later(make_input))
        assert old != new and not changed(old, new)
        assert unified_diff(old, new, "/srv/acrguard/export") is None


def test_a_changed_record_gives_a_unified_diff_with_the_file_name_and_times(make_input):
    """The diff names the destination in its ---/+++ lines and shows the removed and added lines."""
    old = dns_hosts.render(make_input())
    new = dns_hosts.render(later(make_input, records=[("testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
                                                       ["192.168.10.22"])]))
    diff = unified_diff(old, new, "/etc/acrguard/hosts")
    lines = diff.splitlines()
    assert lines[0] == "--- /etc/acrguard/hosts\t2024-05-01T12:00:00Z"
    assert lines[1] == "+++ /etc/acrguard/hosts\t2024-05-02T12:00:00Z"
    assert "-192.168.10.21\ttestreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com" in lines
    assert "+192.168.10.22\ttestreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com" in lines
    assert "-100.104.12.7\tdockerauth-ee-vpc.cn-hangzhou.aliyuncs.com" in lines


def test_a_first_rendering_diffs_from_dev_null(data):
    """With no previous version every line is an addition from /dev/null."""
    new = dns_hosts.render(data)
    diff = unified_diff(None, new, "oss://bucket/idc/hosts")
    assert diff.splitlines()[:2] == ["--- /dev/null", "+++ oss://bucket/idc/hosts\t2024-05-01T12:00:00Z"]
    assert all(line.startswith("+") for line in diff.splitlines()[3:])


@pytest.mark.parametrize(("module", "export_format", "expected"), [
    (routes_cisco, "cisco_ios", ["no ip route 192.168.10.21 255.255.255.255 10.10.0.1",
                                 "ip route 192.168.10.22 255.255.255.255 10.10.0.1 name acrguard-vpc_endpoint"]),
    (routes_huawei, "huawei_vrp", ["undo ip route-static 192.168.10.21 32 10.10.0.1",
                                   "ip route-static 192.168.10.22 32 10.10.0.1 description acrguard-vpc_endpoint"]),
    (routes_junos, "junos", ["delete routing-options static route 192.168.10.21/32",
                             "set routing-options static route 192.168.10.22/32 next-hop 10.10.0.1"]),
    (routes_linux, "linux", ["ip route del 192.168.10.21/32 via 10.10.0.1",
                             "ip route replace 192.168.10.22/32 via 10.10.0.1"]),
])
def test_paste_commands_remove_then_add(make_input, module, export_format, expected):
    """A replaced VPC endpoint address becomes: the vendor's removal of the old route, then the new route."""
    old = module.render(make_input(), HOP)
    new = module.render(later(make_input, prefixes_by_family={**make_input().prefixes_by_family,
                                                              "vpc_endpoint": ["192.168.10.22/32"]}), HOP)
    assert paste_commands(export_format, old, new) == expected


def test_first_paste_commands_add_everything_and_dns_formats_have_none(data):
    """Without a previous rendering every route is added; DNS formats are deployed as files, not commands."""
    commands = paste_commands("cisco_ios", None, routes_cisco.render(data, HOP))
    assert len(commands) == 7 and all(c.startswith("ip route ") for c in commands)
    assert paste_commands("hosts", None, dns_hosts.render(data)) is None
