"""The auth domain: RFC 7235 challenge parsing, the realm allow-list, and the /v2/ probe on the local registry."""

from __future__ import annotations

import socket

import pytest

from acrguard.config.routes import RoutesConfig
from acrguard.findings import Severity
from acrguard.routes.challenge import (
    MAX_HEADER_LENGTH,
    Challenge,
    ChallengeSyntaxError,
    ProbeSettings,
    RealmRefused,
    allowed_auth_hosts,
    check_realm,
    interpret_challenge,
    parse_www_authenticate,
    probe_auth_domain,
)
from support import INSTANCE_ID, INSTANCE_NAME, REGION

VPC_DOMAIN = f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"
EE_REALM = f"https://dockerauth-ee-vpc.{REGION}.aliyuncs.com/auth"
SERVICE = f"registry.aliyuncs.com:{REGION}:26842:{INSTANCE_ID}"


def C(scheme: str, token68: str | None = None, **params: str) -> Challenge:
    """A challenge to compare with."""
    return Challenge(scheme, params, token68)


@pytest.mark.parametrize(("header", "expected"), [
    (f'Bearer realm="{EE_REALM}",service="{SERVICE}"', [C("bearer", realm=EE_REALM, service=SERVICE)]),
    # scheme and parameter names are case-insensitive; values keep their case
    ('BEARER Realm="A",SERVICE="B"', [C("bearer", realm="A", service="B")]),
    # token values, BWS around "=", OWS around commas, empty list elements
    ('Bearer realm = tok ,  service=svc', [C("bearer", realm="tok", service="svc")]),
    (' , ,Bearer realm="a",, scope="b" ,', [C("bearer", realm="a", scope="b")]),
    # quoted-pairs: escaped quote and backslash; commas inside quotes are data
    (r'Bearer realm="a\"b\\c", error="x, y"', [C("bearer", realm='a"b\\c', error="x, y")]),
    ('Bearer realm=""', [C("bearer", realm="")]),
    # several challenges in one header (RFC 7235 §4.1 example)
    ('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
     [C("newauth", realm="apps", type="1", title='Login to "apps"'), C("basic", realm="simple")]),
    ('Basic realm="r", Bearer realm="x",error="invalid_token"',
     [C("basic", realm="r"), C("bearer", realm="x", error="invalid_token")]),
    # schemes without parameters, and token68
    ("Negotiate", [C("negotiate")]),
    ("Negotiate, Basic", [C("negotiate"), C("basic")]),
    ("Negotiate abc+/9==, Bearer realm=x", [C("negotiate", "abc+/9=="), C("bearer", realm="x")]),
    ("Basic abc=", [C("basic", "abc=")]),
    # obs-text (Latin-1) is allowed inside quoted strings
    ('Bearer realm="caf\xe9"', [C("bearer", realm="caf\xe9")]),
])
def test_valid_headers_parse(header, expected):
    """Well-formed challenges parse into schemes and parameters as RFC 7235 defines them."""
    assert parse_www_authenticate(header) == expected


@pytest.mark.parametrize("header", [
    "",                                         # no challenge at all
    " , ",
    'Bearer realm="x" service="y"',             # parameters without a comma
    'Bearer realm="x',                          # unterminated quoted-string
    'Bearer realm="x\\',                        # dangling escape
    'Bearer realm="x", REALM="evil"',           # the same parameter twice (case-insensitively)
    'Bearer "x"',                               # a quoted-string where a token68/param belongs
    "=realm",                                   # no scheme
    'Bearer realm="a\x01b"',                    # control character
    'Bearer realm="a\nb"',                      # header injection attempt
    'Bearer realm="\u2603"',                    # not Latin-1
    "Bear(er realm=x",                          # scheme with a non-token character
    "Basic abc, realm=\"x\"",                   # a parameter after a token68
    "Negotiate abc def",                        # two token68s
    'Bearer realm=https://evil.example/auth',   # unquoted value with non-token characters
    'Bearer realm="a", service=',              # a parameter without a value
])
def test_malformed_headers_are_refused(header):
    """Headers outside the grammar raise ChallengeSyntaxError with a position."""
    with pytest.raises(ChallengeSyntaxError) as caught:
        parse_www_authenticate(header)
    assert caught.value.position >= 0


def test_overlong_header_is_refused_before_parsing():
    """A header beyond the length limit is refused outright."""
    with pytest.raises(ChallengeSyntaxError, match="longer than"):
        parse_www_authenticate('Bearer realm="' + "a" * MAX_HEADER_LENGTH + '"')


def test_allowed_hosts_are_the_documented_pair_for_the_region():
    """The allow-list is dockerauth-vpc and dockerauth-ee-vpc of exactly that region."""
    assert allowed_auth_hosts("cn-shanghai") == {"dockerauth-vpc.cn-shanghai.aliyuncs.com",
                                                 "dockerauth-ee-vpc.cn-shanghai.aliyuncs.com"}


@pytest.mark.parametrize(("realm", "region", "host"), [
    ("https://dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com/auth", "cn-hangzhou",
     "dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth", "cn-hangzhou", "dockerauth-vpc.cn-hangzhou.aliyuncs.com"),
    ("HTTPS://DockerAuth-VPC.cn-shanghai.AliyunCS.com/auth", "cn-shanghai", "dockerauth-vpc.cn-shanghai.aliyuncs.com"),
    ("https://dockerauth-ee-vpc.cn-beijing.aliyuncs.com:443/auth", "cn-beijing",
     "dockerauth-ee-vpc.cn-beijing.aliyuncs.com"),
])
def test_documented_realms_are_accepted(realm, region, host):
    """The documented VPC auth URLs of the instance's region give their host."""
    assert check_realm(realm, region) == host


@pytest.mark.parametrize(("realm", "reason"), [
    ("https://dockerauth-ee-vpc.cn-shanghai.aliyuncs.com/auth", "not a documented auth host"),   # other region
    ("https://dockerauth.cn-shanghai.aliyuncs.com/auth", "not a documented auth host"),           # public, other region
    ("https://dockerauth-cn-shanghai.aliyuncs.com/auth", "not a documented auth host"),
    ("https://dockerauth.aliyuncs.com/auth", "not a documented auth host"),
    ("https://dockerauth.cn-hangzhou.aliyuncs.com:8443/auth", "port 8443"),                      # public, bad port
    ("http://dockerauth-ee.cn-hangzhou.aliyuncs.com/auth", "not an https URL"),
    ("https://testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com.evil.com/auth", "not a documented auth host"),
    ("https://testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com/token", "documented path"),        # registry, bad path
    ("https://evil.example.com/auth", "not a documented auth host"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com.evil.com/auth", "not a documented auth host"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com./auth", "not a documented auth host"),
    ("https://x.dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth", "not a documented auth host"),
    ("http://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth", "not an https URL"),
    ("//dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth", "not an https URL"),
    ("dockerauth-vpc.cn-hangzhou.aliyuncs.com", "not an https URL"),
    ("https://user@dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth", "user info"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com@evil.com/auth", "user info"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com:8443/auth", "port 8443"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com:99999/auth", "not a valid URL"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/token", "documented path"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth/", "documented path"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth?next=evil", "documented path"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth#x", "documented path"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth?", "documented path"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth x", "spaces"),
    ("https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/au\xe9th", "non-ASCII"),
    ("", "not an https URL"),
])
def test_other_realms_are_refused(realm, reason):
    """Any other host, region, scheme, port, path or decoration is refused as hostile, with the reason."""
    with pytest.raises(RealmRefused, match=reason) as caught:
        check_realm(realm, "cn-hangzhou", VPC_DOMAIN)
    assert caught.value.kind == "hostile"


@pytest.mark.parametrize(("realm", "kind"), [
    ("https://dockerauth.cn-hangzhou.aliyuncs.com/auth", "public"),
    ("https://dockerauth-ee.cn-hangzhou.aliyuncs.com/auth", "public"),
    ("https://dockerauth-cn-hangzhou.aliyuncs.com/auth", "public"),
    (f"https://{VPC_DOMAIN}/auth", "registry"),
    (f"https://{VPC_DOMAIN.upper()}:443/auth", "registry"),
])
def test_known_hosts_that_are_not_routed_are_told_apart(realm, kind):
    """Public auth hosts of the region and the registry's own domain are refused with their kind, not as hostile."""
    with pytest.raises(RealmRefused) as caught:
        check_realm(realm, "cn-hangzhou", VPC_DOMAIN)
    assert caught.value.kind == kind


def test_the_registry_domain_is_only_known_when_given():
    """Without the probed VPC domain, a realm on it is an unknown host."""
    with pytest.raises(RealmRefused) as caught:
        check_realm(f"https://{VPC_DOMAIN}/auth", "cn-hangzhou")
    assert caught.value.kind == "hostile"


@pytest.mark.parametrize(("realm", "rule", "severity"), [
    ("https://dockerauth-ee.cn-hangzhou.aliyuncs.com/auth", "routes.auth-realm-public", Severity.MEDIUM),
    (f"https://{VPC_DOMAIN}/auth", "routes.auth-realm-on-registry", Severity.LOW),
    ("https://evil.example/auth", "routes.auth-realm-refused", Severity.HIGH),
])
def test_realm_findings_name_the_accepted_forms(realm, rule, severity):
    """Each refusal is its own rule and severity, and its text names the two realms acrguard routes."""
    result = interpret_challenge(VPC_DOMAIN, REGION, INSTANCE_ID, 401, f'Bearer realm="{realm}"')
    assert result.host is None
    [finding] = result.findings
    assert (finding.rule, finding.severity) == (rule, severity)
    assert f"https://dockerauth-vpc.{REGION}.aliyuncs.com/auth" in finding.details
    assert f"https://dockerauth-ee-vpc.{REGION}.aliyuncs.com/auth" in finding.details


def test_a_realm_on_the_registry_says_its_addresses_are_already_routed():
    """A realm on the VPC domain itself is explained as covered by the vpc_endpoint routes."""
    result = interpret_challenge(VPC_DOMAIN, REGION, INSTANCE_ID, 401, f'Bearer realm="https://{VPC_DOMAIN}/auth"')
    assert "vpc_endpoint" in result.findings[0].details and "Nothing to route" in result.findings[0].fix


@pytest.mark.parametrize(("status", "header", "rule"), [
    (200, None, "routes.auth-unexpected-status"),
    (404, None, "routes.auth-unexpected-status"),
    (503, f'Bearer realm="{EE_REALM}"', "routes.auth-unexpected-status"),
    (401, None, "routes.auth-no-challenge"),
    (401, 'Bearer realm="x" service="y"', "routes.auth-bad-challenge"),
    (401, 'Basic realm="registry"', "routes.auth-no-bearer"),
    (401, 'Bearer service="svc"', "routes.auth-no-realm"),
    (401, 'Bearer realm=""', "routes.auth-no-realm"),
    (401, 'Bearer realm="http://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth"', "routes.auth-realm-refused"),
    (401, f'Bearer realm="{EE_REALM}", Bearer realm="https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth"',
     "routes.auth-ambiguous-realm"),
    (401, f'Bearer realm="{EE_REALM}",service="registry.aliyuncs.com:{REGION}:26842:cri-someoneelse"',
     "routes.auth-other-instance"),
])
def test_unusable_answers_are_findings_and_unknown(status, header, rule):
    """Every answer that does not name an allowed auth host is one finding and no host."""
    result = interpret_challenge(VPC_DOMAIN, REGION, INSTANCE_ID, status, header)
    assert result.host is None and not result.known
    assert [f.rule for f in result.findings] == [rule]
    assert result.findings[0].resource == INSTANCE_ID and result.findings[0].labels == {"family": "auth"}


def test_refused_realm_is_high_severity_and_keeps_the_evidence():
    """A realm outside the allow-list is reported at high severity with the realm as evidence."""
    realm = "https://dockerauth-vpc.cn-hangzhou.aliyuncs.com.evil.com/auth"
    result = interpret_challenge(VPC_DOMAIN, REGION, INSTANCE_ID, 401, f'Bearer realm="{realm}"')
    assert result.findings[0].severity is Severity.HIGH
    assert result.realm == realm and result.findings[0].evidence["realm"] == realm


@pytest.mark.parametrize("header", [
    f'Bearer realm="{EE_REALM}",service="{SERVICE}"',
    f'Basic realm="x", Bearer realm="{EE_REALM}"',
    f'Bearer realm="{EE_REALM}", Bearer realm="{EE_REALM}", scope="repository:a:pull"',
    f'Bearer realm="{EE_REALM}",service="registry.aliyuncs.com:{REGION}:26842"',
])
def test_acceptable_challenges_name_the_auth_host(header):
    """A 401 with one allowed Bearer realm names its host, with no finding."""
    result = interpret_challenge(VPC_DOMAIN, REGION, INSTANCE_ID, 401, header)
    assert result.host == f"dockerauth-ee-vpc.{REGION}.aliyuncs.com"
    assert result.findings == ()


# -- the probe against the local registry front end -----------------------------------------------

@pytest.fixture
def settings(cloud) -> ProbeSettings:
    """Probe settings pointing at the local registry over http."""
    return ProbeSettings(cloud.endpoints()["registry"], "http", 2.0)


def test_probe_finds_the_auth_host_from_the_registry(cloud, settings):
    """The probe sends the VPC domain as Host and takes the allowed realm's host."""
    result = probe_auth_domain(VPC_DOMAIN, REGION, INSTANCE_ID, settings)
    assert result.host == f"dockerauth-ee-vpc.{REGION}.aliyuncs.com"
    assert result.status == 401 and result.service == SERVICE
    assert cloud.registry.probes[-1] == VPC_DOMAIN


def test_probe_follows_a_changed_challenge(cloud, settings):
    """A registry that now names dockerauth-vpc gives that host."""
    cloud.registry.set(VPC_DOMAIN, f"https://dockerauth-vpc.{REGION}.aliyuncs.com/auth", SERVICE)
    assert probe_auth_domain(VPC_DOMAIN, REGION, INSTANCE_ID, settings).host == \
        f"dockerauth-vpc.{REGION}.aliyuncs.com"


@pytest.mark.parametrize(("header", "rule"), [
    ('Bearer realm="https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth", realm="https://evil.example/auth"',
     "routes.auth-bad-challenge"),
    ('Bearer realm="https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth\\", x=\\"y"', "routes.auth-realm-refused"),
    ('Bearer realm="https://dockerauth-ee-vpc.cn-beijing.aliyuncs.com/auth"', "routes.auth-realm-refused"),
    ("Bearer", "routes.auth-no-realm"),
])
def test_probe_reports_hostile_headers(cloud, settings, header, rule):
    """A hostile literal header from the registry is a finding, never an auth host."""
    cloud.registry.set_raw(VPC_DOMAIN, header)
    result = probe_auth_domain(VPC_DOMAIN, REGION, INSTANCE_ID, settings)
    assert result.host is None
    assert [f.rule for f in result.findings] == [rule]


def test_probe_of_an_unknown_domain_is_a_finding(settings):
    """A Host the registry does not serve answers 404: unexpected status, unknown."""
    result = probe_auth_domain("other-registry-vpc.cn-hangzhou.cr.aliyuncs.com", REGION, INSTANCE_ID, settings)
    assert result.host is None and result.status == 404
    assert [f.rule for f in result.findings] == ["routes.auth-unexpected-status"]


def test_probe_connection_failure_is_a_finding():
    """Nothing listening at the probe address gives a probe-failed finding, not an exception."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = probe_auth_domain(VPC_DOMAIN, REGION, INSTANCE_ID, ProbeSettings(f"127.0.0.1:{port}", "http", 0.5))
    assert result.host is None
    assert [f.rule for f in result.findings] == ["routes.auth-probe-failed"]


def test_probe_ignores_proxy_settings_from_the_environment(cloud, settings, monkeypatch):
    """Proxy variables are not honoured: the probe goes straight to the registry."""
    monkeypatch.setenv("HTTP_PROXY", "http://10.255.255.1:3128")
    monkeypatch.setenv("http_proxy", "http://10.255.255.1:3128")
    assert probe_auth_domain(VPC_DOMAIN, REGION, INSTANCE_ID, settings).known


def test_probe_settings_follow_the_routes_config():
    """ProbeSettings.from_routes copies address, scheme and timeout."""
    routes = RoutesConfig(registry_probe_address="127.0.0.1:8080", registry_probe_scheme="http",
                          registry_probe_timeout_s=1.5)
    assert ProbeSettings.from_routes(routes) == ProbeSettings("127.0.0.1:8080", "http", 1.5)
    assert ProbeSettings.from_routes(RoutesConfig()) == ProbeSettings(None, "https", 5.0)
