"""The auth (token) domain, from the ``WWW-Authenticate`` challenge of an unauthenticated ``GET /v2/``.

A pull through the VPC endpoint goes registry -> 401 -> auth service -> token -> OSS redirect, so
the IDC must route the auth service named in the challenge's Bearer ``realm`` (the flow: Docker's
token authentication, https://distribution.github.io/distribution/spec/auth/token/). The header
is parsed by the RFC 7235 §4.1 grammar (``1#challenge``, ``auth-scheme [ 1*SP ( token68 /
#auth-param ) ]``, quoted-strings with quoted-pairs, case-insensitive scheme and parameter names).

Which realms are routed. No Alibaba Cloud page found lists the token endpoints of an EE VPC
endpoint (the IDC guide's "step 2: obtain domain name information",
https://www.alibabacloud.com/help/en/acr/use-cases/access-enterprise-edition-instances-across-regions-or-from-idc,
could not be read past its scenario table). What public material shows:

* ``dockerauth-vpc.<region>.aliyuncs.com``: the VPC auth host paired with ``registry-vpc.<region>``
  in users' Docker ``no-proxy`` settings, and allowed for VPC registry hosts by a public ACR client
  (Go, ``isAllowedAlibabaACRAuthHost``; its repository is not named by the code index);
* ``dockerauth-ee-vpc.<region>.aliyuncs.com``: that client's test "vpc ee" (registry
  ``demo-registry-vpc.cn-hangzhou.cr.aliyuncs.com`` -> realm
  ``https://dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com/auth``, service
  ``registry.aliyuncs.com:cn-hangzhou:china:cri-example123:2a``).

Only these two are routed, over https, port 443, path ``/auth``, for the instance's own region.
Known *public* auth hosts are told apart from hostile ones, but not routed: an IDC reaches them
over the internet, not the private link. They are ``dockerauth.<region>.aliyuncs.com`` and
``dockerauth-ee.<region>.aliyuncs.com`` (the ACK Edge page of endpoints for edge nodes lists them
as the public image endpoints, and ``dockerauth-<region>.aliyuncs.com`` for China (Zhangjiakou):
https://www.alibabacloud.com/help/en/ack/ack-edge/user-guide/configuration-of-domain-name-and-ip-routing-network-segment-for-under-cloud-node-access),
and ``dockerauth-<region>.aliyuncs.com`` seen in users' error messages for Personal Edition
instances in other regions. A realm on the registry's own VPC domain is accepted by that same
public client but shown by no source for EE; it is reported (its addresses are the VPC
endpoint's, already routed as ``vpc_endpoint``), not routed again. Anything else (another host or
region, an http realm, user info, a port or path other than the above, a missing realm, an
unparsable header, a non-401 answer, a connection failure) is a finding and leaves the auth family
*unknown*: it never changes a route.

For the local cloud, ``routes.registry_probe_address`` (host:port) and ``registry_probe_scheme``
send the probe to the local registry front end with the VPC domain as the ``Host`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from acrguard.events.routing import ENDPOINT_KEEPER
from acrguard.findings import Finding, Severity

if TYPE_CHECKING:
    from acrguard.config.routes import RoutesConfig

#: Longest header value we parse (a registry's is ~150 characters).
MAX_HEADER_LENGTH = 4096
#: the VPC auth hosts that are routed (sources in the module docstring)
AUTH_HOST_PATTERNS = ("dockerauth-vpc.{region}.aliyuncs.com", "dockerauth-ee-vpc.{region}.aliyuncs.com")
#: public auth hosts: recognised, reported, never routed (sources in the module docstring)
PUBLIC_AUTH_HOST_PATTERNS = ("dockerauth.{region}.aliyuncs.com", "dockerauth-ee.{region}.aliyuncs.com",
                             "dockerauth-{region}.aliyuncs.com")
AUTH_PATH = "/auth"

_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TOKEN68 = frozenset("-._~+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_OWS = " \t"


class ChallengeSyntaxError(ValueError):
    """The header does not follow the RFC 7235 grammar; ``position`` is where parsing stopped."""

    def __init__(self, message: str, position: int) -> None:
        self.position = position
        super().__init__(f"{message} at character {position}")


@dataclass(frozen=True)
class Challenge:
    """One challenge: the scheme (lower-cased), its parameters (names lower-cased) or a token68."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)
    token68: str | None = None

    def param(self, name: str) -> str | None:
        """A parameter by case-insensitive name."""
        return self.params.get(name.lower())


class _Parser:
    """A recursive-descent parser over one header value."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> ChallengeSyntaxError:
        return ChallengeSyntaxError(message, self.pos)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_ows(self) -> None:
        while self.peek() and self.peek() in _OWS:
            self.pos += 1

    def skip_separators(self) -> bool:
        """Skip ``OWS *( "," OWS )`` (empty list elements are allowed); True if a comma was seen."""
        comma = False
        self.skip_ows()
        while self.peek() == ",":
            comma = True
            self.pos += 1
            self.skip_ows()
        return comma

    def token(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _TCHAR:
            self.pos += 1
        return self.text[start:self.pos]

    def quoted_string(self) -> str:
        if self.peek() != '"':
            raise self.error("expected '\"'")
        self.pos += 1
        out: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise self.error("unterminated quoted-string")
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\":
                escaped = self.peek(1)
                if not escaped or not _is_text(escaped):
                    raise self.error("invalid quoted-pair")
                out.append(escaped)
                self.pos += 2
                continue
            if not _is_text(char):
                raise self.error(f"control or non-Latin-1 character {char!r} in quoted-string")
            out.append(char)
            self.pos += 1

    def auth_param_ahead(self) -> bool:
        """Whether ``token BWS "="`` starts here (an auth-param, not a new scheme or a token68)."""
        save = self.pos
        try:
            if not self.token():
                return False
            self.skip_ows()
            if self.peek() != "=":
                return False
            # token68 may end in "="; an auth-param needs a value after "=" BWS.
            self.pos += 1
            self.skip_ows()
            return bool(self.peek()) and (self.peek() == '"' or self.peek() in _TCHAR)
        finally:
            self.pos = save

    def auth_param(self) -> tuple[str, str]:
        name = self.token()
        self.skip_ows()
        if self.peek() != "=":
            raise self.error("expected '=' after a parameter name")
        self.pos += 1
        self.skip_ows()
        value = self.quoted_string() if self.peek() == '"' else self.token()
        return name.lower(), value

    def token68(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _TOKEN68:
            self.pos += 1
        if self.pos == start:
            raise self.error("expected a token68 or auth-params after the scheme")
        while self.peek() == "=":
            self.pos += 1
        return self.text[start:self.pos]

    def challenge(self) -> Challenge:
        scheme = self.token()
        if not scheme:
            raise self.error("expected an auth-scheme token")
        if self.peek() not in ("", ",", " ", "\t"):
            raise self.error(f"unexpected character {self.peek()!r} after the auth-scheme")
        self.skip_ows()
        if self.at_end() or self.peek() == ",":
            return Challenge(scheme.lower())
        if not self.auth_param_ahead():
            value = self.token68()
            save = self.pos
            self.skip_ows()
            if not self.at_end() and self.peek() != ",":
                raise self.error("unexpected text after token68")
            self.pos = save
            return Challenge(scheme.lower(), {}, value)
        params: dict[str, str] = {}
        while True:
            name, value = self.auth_param()
            if name in params:
                raise self.error(f"parameter {name!r} appears twice in one challenge")
            params[name] = value
            save = self.pos
            comma = self.skip_separators()
            if self.at_end():
                break
            if not comma:
                raise self.error("expected ',' between parameters")
            if not self.auth_param_ahead():
                self.pos = save  # the next element is a new challenge
                break
        return Challenge(scheme.lower(), MappingProxyType(params))

    def parse(self) -> list[Challenge]:
        challenges: list[Challenge] = []
        self.skip_separators()
        while not self.at_end():
            challenges.append(self.challenge())
            comma = self.skip_separators()
            if not self.at_end() and not comma:
                raise self.error("expected ',' between challenges")
        if not challenges:
            raise self.error("no challenge in the header")
        return challenges


def _is_text(char: str) -> bool:
    """qdtext / quoted-pair characters: HTAB, SP, VCHAR and obs-text (Latin-1 from HTTP)."""
    code = ord(char)
    return char == "\t" or 0x20 <= code <= 0x7E or 0x80 <= code <= 0xFF


def parse_www_authenticate(value: str) -> list[Challenge]:
    """Every challenge in a ``WWW-Authenticate`` value (RFC 7235 §4.1); ``ChallengeSyntaxError`` if invalid.

    Several header lines joined with ", " (as HTTP clients present them) parse as one list.
    """
    if len(value) > MAX_HEADER_LENGTH:
        raise ChallengeSyntaxError(f"header longer than {MAX_HEADER_LENGTH} characters", MAX_HEADER_LENGTH)
    return _Parser(value).parse()


def allowed_auth_hosts(region: str) -> frozenset[str]:
    """The VPC auth hosts of ``region`` that acrguard routes."""
    return frozenset(pattern.format(region=region.lower()) for pattern in AUTH_HOST_PATTERNS)


def public_auth_hosts(region: str) -> frozenset[str]:
    """The public auth hosts of ``region``: recognised, never routed."""
    return frozenset(pattern.format(region=region.lower()) for pattern in PUBLIC_AUTH_HOST_PATTERNS)


def accepted_realms(region: str) -> str:
    """The realms acrguard routes for ``region``, as one line for findings."""
    return " or ".join(f"https://{host}{AUTH_PATH}" for host in sorted(allowed_auth_hosts(region)))


class RealmRefused(ValueError):
    """The realm is not one of the auth URLs acrguard routes; ``kind`` says what it is instead.

    ``kind``: ``hostile`` (anything unknown: another host or region, a bad scheme, user info, port
    or path), ``public`` (a known public auth host of the region), ``registry`` (the registry's own
    VPC domain).
    """

    def __init__(self, message: str, kind: str = "hostile", host: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.host = host


def check_realm(realm: str, region: str, registry_host: str | None = None) -> str:
    """The auth host of a realm acrguard routes (``RealmRefused`` saying why and what it is otherwise).

    Routed: ``https://<VPC auth host of the region>/auth`` with no user info, port other than 443,
    query or fragment; the host compared case-insensitively. The same URL shape on a public auth
    host of the region, or on ``registry_host`` (the VPC domain probed), is refused with ``kind``
    ``public`` or ``registry``.
    """
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in realm):
        raise RealmRefused(f"realm {realm!r} contains spaces, control or non-ASCII characters")
    try:
        parts = urlsplit(realm)
        port = parts.port
    except ValueError as exc:
        raise RealmRefused(f"realm {realm!r} is not a valid URL ({exc})") from None
    if parts.scheme.lower() != "https":
        raise RealmRefused(f"realm {realm!r} is not an https URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise RealmRefused(f"realm {realm!r} carries user info")
    host = (parts.hostname or "").lower()
    allowed = allowed_auth_hosts(region)
    known = host in allowed or host in public_auth_hosts(region) or (
        registry_host is not None and host == registry_host.lower().rstrip("."))
    if not known:
        raise RealmRefused(f"realm host {host or '(none)'!r} is not a documented auth host for {region} "
                           f"({', '.join(sorted(allowed))})")
    if port not in (None, 443):
        raise RealmRefused(f"realm {realm!r} uses port {port}, not 443")
    if parts.path != AUTH_PATH or parts.query or parts.fragment or realm.endswith(("?", "#")):
        raise RealmRefused(f"realm {realm!r} is not the documented path {AUTH_PATH}")
    if host in allowed:
        return host
    if host in public_auth_hosts(region):
        raise RealmRefused(f"realm host {host!r} is a public auth host of {region}, reached over the internet, "
                           "not through the private link", "public", host)
    raise RealmRefused(f"realm host {host!r} is the registry's own VPC domain", "registry", host)


@dataclass(frozen=True)
class ProbeSettings:
    """Where and how to send the ``/v2/`` probe."""

    address: str | None = None  # host:port instead of the VPC domain (local cloud)
    scheme: str = "https"
    timeout_s: float = 5.0
    verify_tls: bool = True

    @classmethod
    def from_routes(cls, routes: RoutesConfig) -> ProbeSettings:
        """The settings of an instance's ``routes:`` section."""
        return cls(routes.registry_probe_address, routes.registry_probe_scheme, routes.registry_probe_timeout_s)


@dataclass(frozen=True)
class AuthDiscovery:
    """The outcome of one probe: the auth host (None = unknown this run) and what was wrong."""

    vpc_domain: str
    host: str | None
    realm: str | None = None
    service: str | None = None
    status: int | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def known(self) -> bool:
        """Whether an acceptable auth host was found."""
        return self.host is not None


def _finding(rule: str, severity: Severity, instance_id: str, title: str, details: str, fix: str,
             evidence: Mapping[str, Any]) -> Finding:
    return Finding(rule=f"routes.auth-{rule}", severity=severity, resource=instance_id, scope=instance_id,
                   title=title, details=details, fix=fix, labels={"family": "auth"}, evidence=dict(evidence),
                   job=ENDPOINT_KEEPER)


_FIX_UNKNOWN = ("acrguard keeps the auth routes it already has; check the registry's VPC endpoint and the probe "
                "settings (routes.registry_probe_address / registry_probe_scheme).")


def _refusal(exc: RealmRefused, vpc_domain: str, region: str) -> tuple[str, Severity, str, str, str]:
    """Rule, severity, title, details and fix for a realm that is not routed."""
    accepted = f"acrguard routes the auth realms {accepted_realms(region)}"
    if exc.kind == "public":
        return ("realm-public", Severity.MEDIUM, "Auth realm is a public host",
                f"{exc}. {accepted}. Clients of {vpc_domain} fetch their token from the public host, so the IDC "
                "needs internet access to it (or its resolution to a routed address); acrguard adds no route for it.",
                "Check the instance's VPC access (ACR console > Access Control > VPC) and the probe settings; if the "
                "VPC endpoint really answers a public realm, let the IDC reach that host over the internet. "
                + _FIX_UNKNOWN)
    if exc.kind == "registry":
        return ("realm-on-registry", Severity.LOW, "Auth realm is on the registry's own domain",
                f"{exc}. {accepted}. No published source shows ACR EE answering so; if it does, the auth service "
                "is reached at the VPC endpoint's addresses, which are already routed (family vpc_endpoint), so no "
                "separate auth route is needed.", "Nothing to route. " + _FIX_UNKNOWN)
    return ("realm-refused", Severity.HIGH, "Auth realm refused",
            f"{exc}. {accepted}. A realm outside them may mean a misrouted probe or a tampered answer; it is never "
            "routed.", _FIX_UNKNOWN)


def interpret_challenge(vpc_domain: str, region: str, instance_id: str, status: int, header: str | None
                        ) -> AuthDiscovery:
    """Decide the auth host from the answer to ``GET /v2/`` (pure: no I/O)."""
    evidence: dict[str, Any] = {"vpc_domain": vpc_domain, "status": status, "www_authenticate": header}

    def unknown(rule: str, title: str, details: str, severity: Severity = Severity.MEDIUM,
                realm: str | None = None, service: str | None = None, fix: str = _FIX_UNKNOWN) -> AuthDiscovery:
        finding = _finding(rule, severity, instance_id, title, details, fix, evidence)
        return AuthDiscovery(vpc_domain, None, realm, service, status, (finding,))

    if status != 401:
        return unknown("unexpected-status", f"Registry probe answered {status}, not 401",
                       f"GET /v2/ on {vpc_domain} answered HTTP {status}; the auth service cannot be discovered "
                       "without the 401 challenge.")
    if header is None:
        return unknown("no-challenge", "Registry 401 without WWW-Authenticate",
                       f"GET /v2/ on {vpc_domain} answered 401 without a WWW-Authenticate header.")
    try:
        challenges = parse_www_authenticate(header)
    except ChallengeSyntaxError as exc:
        return unknown("bad-challenge", "Unparsable WWW-Authenticate header",
                       f"The challenge from {vpc_domain} does not follow RFC 7235: {exc}.")
    bearers = [c for c in challenges if c.scheme == "bearer"]
    if not bearers:
        return unknown("no-bearer", "No Bearer challenge from the registry",
                       f"{vpc_domain} offered {', '.join(c.scheme for c in challenges)}, not Bearer.")
    realms = {c.param("realm") for c in bearers}
    if len(realms) > 1:
        return unknown("ambiguous-realm", "Several Bearer challenges with different realms",
                       f"{vpc_domain} offered realms {sorted(str(r) for r in realms)}; refusing to pick one.",
                       Severity.HIGH)
    bearer = bearers[0]
    realm, service = bearer.param("realm"), bearer.param("service")
    evidence.update(realm=realm, service=service)
    if not realm:
        return unknown("no-realm", "Bearer challenge without a realm",
                       f"The Bearer challenge from {vpc_domain} has no realm parameter.", service=service)
    try:
        host = check_realm(realm, region, vpc_domain)
    except RealmRefused as exc:
        rule, severity, title, details, fix = _refusal(exc, vpc_domain, region)
        return unknown(rule, title, details, severity, realm=realm, service=service, fix=fix)
    fields = service.split(":") if service else []
    if len(fields) >= 4 and fields[3] != instance_id:
        return unknown("other-instance", "Challenge names another instance",
                       f"The service {service!r} names {fields[3]}, not {instance_id}: the VPC domain may point "
                       "at another instance.", Severity.HIGH, realm=realm, service=service)
    return AuthDiscovery(vpc_domain, host, realm, service, status)


def probe_auth_domain(vpc_domain: str, region: str, instance_id: str, settings: ProbeSettings,
                      session: Any = None) -> AuthDiscovery:
    """``GET /v2/`` on the VPC domain without credentials and interpret the challenge (never raises).

    ``session``: a ``requests.Session`` to reuse; a new one ignores proxy settings from the
    environment (``trust_env = False``) so the probe goes straight to the registry.
    """
    import requests

    own = session is None
    if session is None:
        session = requests.Session()
        session.trust_env = False
    target = settings.address or vpc_domain
    url = f"{settings.scheme}://{target}/v2/"
    try:
        response = session.get(url, headers={"Host": vpc_domain, "User-Agent": "acrguard-routes-probe"},
                               timeout=(settings.timeout_s, settings.timeout_s), allow_redirects=False,
                               verify=settings.verify_tls)
        status, header = response.status_code, response.headers.get("WWW-Authenticate")
        response.close()
    except requests.RequestException as exc:
        finding = _finding("probe-failed", Severity.MEDIUM, instance_id, "Registry probe failed",
                           f"GET {url} (Host {vpc_domain}) failed: {type(exc).__name__}: {exc}", _FIX_UNKNOWN,
                           {"vpc_domain": vpc_domain, "url": url})
        return AuthDiscovery(vpc_domain, None, findings=(finding,))
    finally:
        if own:
            session.close()
    return interpret_challenge(vpc_domain, region, instance_id, status, header)
