"""Dispatch by format, and the checks on the configured values (next hop, interface, route name)."""

from __future__ import annotations

import pytest

from acrguard.config import load_config_data
from acrguard.config.routes import ExportConfig
from acrguard.errors import ConfigError
from acrguard.routes.exports import ExportError, render_export
from acrguard.routes.exports.routes_common import RouteOptions

FIRST_LINES = {
    "linux": "#!/bin/sh", "cisco_ios": "! acrguard IDC export: Cisco IOS static routes (ip route)",
    "huawei_vrp": "# acrguard IDC export: Huawei VRP static routes (ip route-static)",
    "junos": "# acrguard IDC export: Juniper Junos static routes (set routing-options static)",
    "hosts": "# acrguard IDC export: hosts(5) entries", "dnsmasq": "# acrguard IDC export: dnsmasq host-record options",
    "bind": "; acrguard IDC export: BIND response policy zone (RPZ)",
    "coredns": "# acrguard IDC export: CoreDNS server block (hosts plugin)",
}
ROUTE_FORMATS = ("linux", "cisco_ios", "huawei_vrp", "junos")


@pytest.mark.parametrize("export_format", sorted(FIRST_LINES))
def test_every_format_renders_with_a_header_naming_acrguard_the_instance_and_the_time(data, export_format):
    """Each rendering starts with acrguard's header, names the instance and the (injected) time, ends in a newline."""
    next_hop = "10.10.0.1" if export_format in ROUTE_FORMATS else None
    text = render_export(ExportConfig(format=export_format, destination="/tmp/x", next_hop=next_hop), data)
    assert text.splitlines()[0] == FIRST_LINES[export_format]
    assert "Instance: testreg (cri-test0000000000001)" in text
    assert "Generated at: 2024-05-01T12:00:00Z" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


@pytest.mark.parametrize("export_format", sorted(FIRST_LINES))
def test_renderings_are_deterministic_whatever_the_input_order(make_input, export_format):
    """Shuffled prefixes and records give the same text: everything is sorted."""
    next_hop = "10.10.0.1" if export_format in ROUTE_FORMATS else None
    config = ExportConfig(format=export_format, destination="/tmp/x", next_hop=next_hop)
    base = make_input()
    reversed_prefixes = {f: list(reversed(p)) for f, p in reversed(base.prefixes_by_family.items())}
    shuffled = make_input(prefixes_by_family=reversed_prefixes, records=list(reversed(base.records)))
    assert render_export(config, base) == render_export(config, shuffled)


@pytest.mark.parametrize("export_format", ROUTE_FORMATS)
def test_a_route_format_without_next_hop_is_an_error_naming_the_export(data, export_format):
    """Built by hand (bypassing config validation), a missing next hop still fails, naming exports[<index>]."""
    config = ExportConfig.model_construct(format=export_format, destination="/tmp/x", next_hop=None, interface=None,
                                          route_name="acrguard", zone="acrguard.rpz", ttl=300, region=None)
    with pytest.raises(ExportError, match=rf"routes\.exports\[3\] \({export_format}\): .*needs next_hop"):
        render_export(config, data, index=3)


@pytest.mark.parametrize(("field", "value"), [
    ("next_hop", "10.10.0.1; reboot"), ("next_hop", "10.10.0.1\nip route del default"), ("next_hop", "2001:db8::1"),
    ("interface", "eth0 && reboot"), ("interface", "eth0\nreboot"), ("interface", "$(id)"),
    ("route_name", "x name y"), ("route_name", "acr\nguard")])
def test_route_options_with_injection_are_refused(field, value):
    """A next hop, interface or route name that could inject a command raises ExportError naming the field."""
    values = {"next_hop": "10.10.0.1", "interface": None, "route_name": "acrguard", field: value}
    with pytest.raises(ExportError, match=rf"exports\[1\].*\.{field}"):
        RouteOptions.checked(values["next_hop"], values["interface"], values["route_name"], where="exports[1]")


def _config(export: dict) -> dict:
    return {"cloud": {"region": "cn-hangzhou"},
            "instances": [{"name": "prod", "instance_id": "cri-abc123",
                           "routes": {"exports": [{"format": "hosts", "destination": "/srv/acrguard/hosts"}, export]}}]}


@pytest.mark.parametrize(("export", "message"), [
    ({"format": "cisco_ios", "destination": "/srv/r.txt"},
     "instances[0].routes.exports[1]: format cisco_ios renders routes and needs next_hop"),
    ({"format": "junos", "destination": "/srv/r.txt", "next_hop": "2001:db8::1"},
     "instances[0].routes.exports[1]: next_hop 2001:db8::1 is IPv6"),
    ({"format": "linux", "destination": "/srv/r.sh", "next_hop": "10.0.0.1", "interface": "eth0; reboot"},
     "instances[0].routes.exports[1].interface: expected an interface name"),
    ({"format": "hosts", "destination": "/srv/h", "next_hop": "10.0.0.1"},
     "instances[0].routes.exports[1]: next_hop/interface apply to route formats only"),
    ({"format": "bind", "destination": "s3://bucket/key"},
     "instances[0].routes.exports[1].destination: expected a local path or oss://bucket/key"),
    ({"format": "bind", "destination": "oss://Bad_Bucket/key"},
     "instances[0].routes.exports[1].destination: expected oss://<bucket>/<key>"),
    ({"format": "bind", "destination": "/srv/z", "zone": "not a zone"}, "instances[0].routes.exports[1].zone"),
    ({"format": "cisco_ios", "destination": "/srv/r", "next_hop": "10.0.0.1", "route_name": "a b"},
     "instances[0].routes.exports[1].route_name: expected 1-20 letters"),
])
def test_config_errors_name_the_export_by_its_index(export, message):
    """The loader reports export mistakes with their path, before anything is rendered."""
    with pytest.raises(ConfigError) as caught:
        load_config_data(_config(export), environ={})
    assert any(problem.startswith(message) for problem in caught.value.problems), caught.value.problems
