"""Desired prefixes per instance and family: discovery + resolution + hysteresis, for the route targets.

Families (``acrguard.config.routes.Family``):

* ``vpc_endpoint``: the ENI addresses from ``GetInstanceVpcEndpoint``, as /32s;
* ``auth``: the addresses of the auth host named by the registry's Bearer realm, as /32s;
* ``oss``: the region's published OSS internal VIP ranges (``acrguard.routes.oss_ranges``), plus a
  temporary /32 (and a finding) for each resolved OSS address outside them.

Every /32 goes through the hysteresis (``acrguard.hysteresis``): added at once, removed only after
``safety.hold_runs`` successful observations and ``safety.hold_hours`` hours without it. Marked
/32s that the targets carry but the state does not know (a lost state document) are passed as
``live`` and adopted into the hysteresis first, so they follow the same hold. A family whose
observation this run was not complete is *uncertain* (``DesiredPrefixes.may_remove`` is False):
the plan must not remove any of its managed prefixes, even one missing from the desired set.

``observe_instance`` does the I/O (SDK, DNS, HTTP probe); ``desire`` and ``build_desired`` are pure;
``desired_prefixes`` runs both with a ``HysteresisTracker``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family, RoutesConfig
from acrguard.errors import ConfigError
from acrguard.events.routing import ENDPOINT_KEEPER
from acrguard.findings import Finding, Severity
from acrguard.hysteresis import Decision, HoldPolicy, Observation, StepResult, Tracked, adopt, step
from acrguard.resolve import DnsResolver, NameResolver, NoSuchName, Outcome, Resolved, ResolverSettings, describe
from acrguard.routes.challenge import ProbeSettings, probe_auth_domain
from acrguard.routes.discovery import discover
from acrguard.routes.oss_ranges import (
    OssRangeTable,
    RegionRanges,
    load_oss_ranges,
    oss_internal_domain,
    split_by_ranges,
)

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.hysteresis import HysteresisTracker


def hysteresis_scope(instance_id: str) -> str:
    """The hysteresis scope of an instance's route families (keys are the family names)."""
    return f"routes:{instance_id}"


def _iso(moment: float | None) -> str:
    if moment is None:
        return "never"
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def host_prefix(address: str) -> str:
    """``192.0.2.1`` -> ``192.0.2.1/32``."""
    return f"{ipaddress.IPv4Address(address)}/32"


@dataclass(frozen=True)
class HeldRemoval:
    """A /32 that is no longer observed but is kept by the hysteresis, and why."""

    family: Family
    address: str
    misses: int
    first_missed: float | None
    last_seen: float
    runs_left: int
    hours_left: float

    @property
    def prefix(self) -> str:
        """The held /32."""
        return host_prefix(self.address)

    @property
    def why(self) -> str:
        """A sentence for plans and alerts."""
        waiting = []
        if self.runs_left:
            waiting.append(f"{self.runs_left} more successful run(s)")
        if self.hours_left:
            waiting.append(f"{self.hours_left:.1f} more hour(s)")
        pending = " and ".join(waiting) or "the next run"
        return (f"{self.family} {self.address}: absent from {self.misses} successful observation(s) since "
                f"{_iso(self.first_missed)}, last seen {_iso(self.last_seen)}; kept until {pending}")


@dataclass(frozen=True)
class ReleasedAddress:
    """A /32 whose hold expired in this run: it is no longer desired."""

    family: Family
    address: str
    misses: int
    first_missed: float | None
    last_seen: float

    @property
    def prefix(self) -> str:
        """The released /32."""
        return host_prefix(self.address)


@dataclass(frozen=True)
class InstanceObservations:
    """What one run observed for one instance, per family (the input of the pure part)."""

    instance: str
    instance_id: str
    region: str
    observations: Mapping[Family, Observation]
    oss_ranges: RegionRanges | None = None
    oss_domain: str | None = None
    findings: tuple[Finding, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    transient: bool = False

    def observation(self, family: Family) -> Observation:
        """The family's observation (unknown when none was made)."""
        return self.observations.get(family, Observation.unknown())


@dataclass(frozen=True)
class DesiredPrefixes:
    """The prefixes one instance needs routed, per family, with what was held back and why.

    ``prefixes[family]``: CIDR strings to route; ``certain``: families whose observation this run
    was complete, the only ones a plan may remove managed prefixes from; ``held``: removals held
    back by the hysteresis; ``released``: /32s whose hold expired now; ``transient``: a cloud
    read failed in a way worth retrying (the caller may raise so FC retries the invocation).
    """

    instance: str
    instance_id: str
    region: str
    prefixes: Mapping[Family, frozenset[str]]
    certain: frozenset[Family] = frozenset()
    held: tuple[HeldRemoval, ...] = ()
    released: tuple[ReleasedAddress, ...] = ()
    findings: tuple[Finding, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    transient: bool = False

    def for_family(self, family: Family) -> frozenset[str]:
        """The prefixes of one family (empty when none)."""
        return self.prefixes.get(family, frozenset())

    def all_prefixes(self) -> frozenset[str]:
        """Every desired prefix of every family."""
        return frozenset().union(*self.prefixes.values()) if self.prefixes else frozenset()

    def pairs(self) -> list[tuple[str, Family]]:
        """``(prefix, family)`` for every desired prefix, sorted (the input of a route target's ``plan``)."""
        return sorted((prefix, family) for family in ALL_FAMILIES for prefix in self.for_family(family))

    def may_remove(self, family: Family) -> bool:
        """Whether a plan may remove managed prefixes of ``family`` that are not desired."""
        return family in self.certain

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` plans."""
        return {
            "instance": self.instance, "instance_id": self.instance_id, "region": self.region,
            "prefixes": {family: sorted(self.for_family(family)) for family in ALL_FAMILIES},
            "certain": sorted(self.certain),
            "held": [{"family": h.family, "prefix": h.prefix, "why": h.why} for h in self.held],
            "released": [{"family": r.family, "prefix": r.prefix, "last_seen": _iso(r.last_seen)}
                         for r in self.released],
            "findings": [{"rule": f.rule, "severity": f.severity.value, "title": f.title} for f in self.findings],
            "evidence": dict(self.evidence),
        }


# -- pure part ---------------------------------------------------------------------------------

def _finding(rule: str, severity: Severity, obs: InstanceObservations | str, title: str, details: str,
             fix: str, evidence: Mapping[str, Any] | None = None, **labels: str) -> Finding:
    instance_id = obs if isinstance(obs, str) else obs.instance_id
    return Finding(rule=f"routes.{rule}", severity=severity, resource=instance_id, scope=instance_id, title=title,
                   details=details, fix=fix, labels=labels, evidence=dict(evidence or {}), job=ENDPOINT_KEEPER)


def routable(address: str) -> bool:
    """Whether an observed address may become a /32 route (IPv4, not loopback/multicast/reserved/…)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return isinstance(ip, ipaddress.IPv4Address) and not (
        ip.is_unspecified or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip == ipaddress.IPv4Address("255.255.255.255"))


def sanitize(obs: InstanceObservations) -> InstanceObservations:
    """Drop addresses that must never be routed; such an answer makes its observation incomplete."""
    observations: dict[Family, Observation] = {}
    findings = list(obs.findings)
    for family in ALL_FAMILIES:
        observation = obs.observation(family)
        refused = sorted(a for a in observation.seen if not routable(a))
        if refused:
            findings.append(_finding(
                "address-refused", Severity.HIGH, obs, f"Refused to route {', '.join(refused)}",
                f"The {family} observation contained {', '.join(refused)} (loopback, multicast, reserved or not "
                "IPv4). They are not routed, and this run's observation does not count toward removals.",
                "Check the DNS answers for the names of this family (a hijacked or misconfigured resolver?).",
                {"refused": refused}, family=family))
            observation = Observation(observation.seen - frozenset(refused), False)
        observations[family] = observation
    return InstanceObservations(obs.instance, obs.instance_id, obs.region, observations, obs.oss_ranges,
                                obs.oss_domain, tuple(findings), obs.evidence, obs.transient)


def _held(family: Family, decisions: tuple[Decision, ...]) -> list[HeldRemoval]:
    return [HeldRemoval(family, d.address, d.record.misses, d.record.first_missed, d.record.last_seen, d.runs_left,
                        d.hours_left) for d in decisions]


def _released(family: Family, decisions: tuple[Decision, ...]) -> list[ReleasedAddress]:
    return [ReleasedAddress(family, d.address, d.record.misses, d.record.first_missed, d.record.last_seen)
            for d in decisions]


def build_desired(obs: InstanceObservations, steps: Mapping[Family, StepResult]) -> DesiredPrefixes:
    """Assemble the desired prefixes from this run's (sanitized) observations and hysteresis steps (pure)."""
    prefixes: dict[Family, frozenset[str]] = {}
    held: list[HeldRemoval] = []
    released: list[ReleasedAddress] = []
    findings = list(obs.findings)
    certain = {f for f in ALL_FAMILIES if obs.observation(f).complete}
    for family in ("vpc_endpoint", "auth"):
        result = steps.get(family)
        if result is None:
            certain.discard(family)
            prefixes[family] = frozenset()
            continue
        prefixes[family] = frozenset(host_prefix(a) for a in result.keep)
        held += _held(family, result.held)
        released += _released(family, result.released)
    oss = steps.get("oss")
    tracked_oss = oss.keep if oss else frozenset()
    _inside, outside = split_by_ranges(tracked_oss, obs.oss_ranges)
    ranges = obs.oss_ranges.prefixes if obs.oss_ranges else frozenset()
    prefixes["oss"] = ranges | frozenset(host_prefix(a) for a in outside)
    if oss is None or obs.oss_ranges is None:
        certain.discard("oss")
    if oss is not None:
        held += _held("oss", tuple(d for d in oss.held if d.address in outside))
        released += _released("oss", tuple(d for d in oss.released
                                           if obs.oss_ranges is None or not obs.oss_ranges.contains(d.address)))
        seen_outside = sorted(a for a in obs.observation("oss").seen if a in outside)
        if obs.oss_ranges is not None:
            for address in seen_outside:
                findings.append(_finding(
                    "oss-outside-ranges", Severity.MEDIUM, obs,
                    f"OSS address {address} is outside the published ranges",
                    f"{obs.oss_domain or 'the OSS internal domain'} resolved to {address}, which none of the "
                    f"{obs.region} VIP ranges ({', '.join(sorted(ranges))}) covers. A temporary {address}/32 is "
                    "routed (with the usual hysteresis) so pulls keep working.",
                    "Check whether OSS published new ranges for the region and update the ranges file "
                    "(routes.oss_ranges_file, or a newer acrguard); the /32 then becomes redundant.",
                    {"address": address, "ranges": sorted(ranges), **_ranges_evidence(obs)},
                    family="oss", address=address))
    return DesiredPrefixes(obs.instance, obs.instance_id, obs.region, prefixes, frozenset(certain), tuple(held),
                           tuple(released), tuple(findings), obs.evidence, obs.transient)


def _ranges_evidence(obs: InstanceObservations) -> dict[str, Any]:
    return {k: obs.evidence[k] for k in ("oss_ranges",) if k in obs.evidence}


def live_addresses(live: Mapping[Family, Iterable[str]] | None) -> dict[Family, frozenset[str]]:
    """Host addresses of the /32 prefixes we route per family (ranges are not tracked, so ignored)."""
    found: dict[Family, frozenset[str]] = {}
    for family, prefixes in (live or {}).items():
        addresses = set()
        for prefix in prefixes:
            try:
                network = ipaddress.ip_network(prefix, strict=False)
            except ValueError:
                continue
            if network.version == 4 and network.prefixlen == 32:
                addresses.add(str(network.network_address))
        found[family] = frozenset(addresses)
    return found


def desire(obs: InstanceObservations, tracked: Mapping[Family, Mapping[str, Tracked]], now: float,
           policy: HoldPolicy, *, live: Mapping[Family, Iterable[str]] | None = None
           ) -> tuple[DesiredPrefixes, dict[Family, dict[str, Tracked]]]:
    """The desired prefixes and the new hysteresis state, from observations and the old state (pure).

    ``live``: prefixes per family that the route targets carry with our marker; for a family the
    state has no record of (a lost state), their /32s are adopted first, so they too are removed
    only after the hold (as ``HysteresisTracker.observe`` does).
    """
    clean = sanitize(obs)
    adopted = live_addresses(live)
    steps = {family: step(dict(tracked[family]) if family in tracked else adopt({}, adopted.get(family, ()), now),
                          clean.observation(family), now, policy)
             for family in ALL_FAMILIES}
    return build_desired(clean, steps), {family: dict(result.tracked) for family, result in steps.items()}


# -- observation (I/O) -------------------------------------------------------------------------

def outcome_observation(outcome: Outcome) -> Observation:
    """Only a successful answer is an observation; NXDOMAIN, empty and failed answers are unknown."""
    if isinstance(outcome, Resolved):
        return Observation(outcome.addresses, outcome.complete)
    return Observation.unknown()


def _dns_findings(instance_id: str, family: Family, outcome: Outcome) -> list[Finding]:
    if isinstance(outcome, Resolved):
        return []
    keep = "acrguard keeps the routes it already has for this name; nothing is removed on a failed lookup."
    if isinstance(outcome, NoSuchName):
        return [_finding("dns-no-such-name", Severity.MEDIUM, instance_id, f"{outcome.name} does not resolve",
                         f"{describe(outcome)}. Treated as unknown, not as absent.",
                         "Check the name and the configured nameservers (routes.nameservers). " + keep,
                         {"outcome": describe(outcome)}, family=family, name=outcome.name)]
    return [_finding("dns-unknown", Severity.LOW, instance_id, f"{outcome.name} could not be resolved",
                     f"{describe(outcome)}.", "Check the nameservers (routes.nameservers, routes.dns_port). " + keep,
                     {"outcome": describe(outcome)}, family=family, name=outcome.name, reason=outcome.reason)]


def observe_instance(config: AcrguardConfig, instance: InstanceConfig, factory: ClientFactory, *,
                     resolver: NameResolver | None = None, session: Any = None,
                     ranges: OssRangeTable | None = None) -> InstanceObservations:
    """Discover, probe and resolve everything one instance needs routed (never raises on cloud/DNS/HTTP failures).

    ``ranges``: a table loaded once for all instances (default: ``routes.oss_ranges_file`` or the
    shipped table; an invalid file becomes a critical finding and leaves ``oss`` uncertain).
    """
    routes = instance.routes or RoutesConfig()
    region = config.region_of(instance)
    instance_id = instance.instance_id
    resolver = resolver or DnsResolver(ResolverSettings.from_routes(routes))
    findings: list[Finding] = []
    evidence: dict[str, Any] = {}

    discovery = discover(factory, instance_id, region, linked_vpc_ids=routes.linked_vpc_ids, resolver=resolver)
    findings += discovery.findings
    evidence.update(vpc_domains=list(discovery.domains), vpc_endpoint_addresses=sorted(discovery.addresses),
                    default_access=list(discovery.default_access))
    observations: dict[Family, Observation] = {"vpc_endpoint": discovery.observation()}

    observations["auth"] = Observation.unknown()
    vpc_domain = discovery.vpc_domain
    if vpc_domain is None and discovery.instance_name:
        # The documented pattern <name>-registry-vpc.<region>.cr.aliyuncs.com, when only GetInstanceVpcEndpoint
        # failed (the Terraform provider's cr storage-domain-routing example uses it).
        vpc_domain = f"{discovery.instance_name.lower()}-registry-vpc.{region}.cr.aliyuncs.com"
        evidence["vpc_domain_derived"] = vpc_domain
    if vpc_domain is None:
        findings.append(_finding("auth-no-domain", Severity.MEDIUM, instance_id, "No VPC domain to probe",
                                 "The VPC endpoint domain is unknown this run, so the auth service cannot be "
                                 "discovered.", "See the discovery findings for this instance.", family="auth"))
    else:
        auth = probe_auth_domain(vpc_domain, region, instance_id, ProbeSettings.from_routes(routes), session)
        findings += auth.findings
        evidence.update(auth_realm=auth.realm, auth_host=auth.host)
        if auth.host is not None:
            outcome = resolver.resolve(auth.host)
            evidence["auth_dns"] = describe(outcome)
            findings += _dns_findings(instance_id, "auth", outcome)
            observations["auth"] = outcome_observation(outcome)

    observations["oss"] = Observation.unknown()
    region_ranges: RegionRanges | None = None
    if ranges is None:
        try:
            ranges = load_oss_ranges(routes.oss_ranges_file)
        except ConfigError as exc:
            findings.append(_finding("oss-ranges-invalid", Severity.CRITICAL, instance_id,
                                     "OSS ranges file is invalid", str(exc),
                                     "Fix or remove routes.oss_ranges_file; OSS routes are left as they are "
                                     "until it loads.", family="oss"))
    if ranges is not None:
        evidence["oss_ranges"] = ranges.label
        region_ranges = ranges.for_region(region)
        if region_ranges is None:
            absence = ranges.absence(region)
            findings.append(_finding(
                "oss-ranges-missing", Severity.HIGH, instance_id, f"No OSS VIP ranges for {region}",
                f"{ranges.label}: {absence}. Only the resolved OSS addresses are routed, as temporary /32s; OSS "
                "moves its VIP within the region's ranges, so pulls may break when it moves.",
                "If OSS publishes ranges for the region (the 内网VIP网段 column of "
                "https://help.aliyun.com/zh/oss/user-guide/regions-and-endpoints), put them in a file of the same "
                "format and point routes.oss_ranges_file at it; otherwise ask Alibaba Cloud support for them.",
                {"table": ranges.label, "absence": absence}, family="oss"))
        elif region_ranges.outside_service_space:
            outside = list(region_ranges.outside_service_space)
            findings.append(_finding(
                "oss-ranges-unusual", Severity.MEDIUM, instance_id,
                f"OSS VIP ranges of {region} outside 100.64.0.0/10: {', '.join(outside)}",
                f"{ranges.label} publishes {', '.join(outside)} for {region}, outside 100.64.0.0/10 where "
                "cloud-service VIPs live. They are routed as published; CEN cloud-service access refuses them "
                "(reported as routes.refused out_of_range), route tables take them.",
                "Check the published table; if a range is a typo there, correct it in a file of your own "
                "(routes.oss_ranges_file).", {"table": ranges.label, "ranges": outside}, family="oss"))
    try:
        oss_domain: str | None = oss_internal_domain(instance_id, region, instance.oss_bucket)
    except ValueError as exc:
        oss_domain = None
        findings.append(_finding("oss-domain-invalid", Severity.HIGH, instance_id, "OSS domain cannot be built",
                                 str(exc), "Correct instances[].oss_bucket.", family="oss"))
    if oss_domain is not None:
        outcome = resolver.resolve(oss_domain)
        evidence.update(oss_domain=oss_domain, oss_dns=describe(outcome))
        findings += _dns_findings(instance_id, "oss", outcome)
        observations["oss"] = outcome_observation(outcome)
    return InstanceObservations(instance.name, instance_id, region, observations, region_ranges, oss_domain,
                                tuple(findings), evidence, discovery.transient)


def desired_prefixes(config: AcrguardConfig, instance: InstanceConfig, factory: ClientFactory,
                     tracker: HysteresisTracker, *, now: float | None = None, commit: bool = True,
                     resolver: NameResolver | None = None, session: Any = None,
                     ranges: OssRangeTable | None = None,
                     live: Mapping[Family, Iterable[str]] | None = None) -> DesiredPrefixes:
    """Observe one instance and turn it into desired prefixes, updating the hysteresis state.

    ``commit`` False previews without saving the hysteresis (``routes plan``); ``now`` defaults
    to the tracker's clock; ``live``: our marked prefixes per family on the targets, whose
    untracked /32s are adopted into the hysteresis (a lost state never means an instant removal).
    """
    observed = sanitize(observe_instance(config, instance, factory, resolver=resolver, session=session,
                                         ranges=ranges))
    return desired_from(observed, tracker, now=now, commit=commit, live=live)


def desired_from(observed: InstanceObservations, tracker: HysteresisTracker, *, now: float | None = None,
                 commit: bool = True, live: Mapping[Family, Iterable[str]] | None = None) -> DesiredPrefixes:
    """The hysteresis step of ``desired_prefixes`` for an instance already observed (and sanitized)."""
    moment = tracker.clock() if now is None else now
    steps = tracker.observe(hysteresis_scope(observed.instance_id),
                            {family: observed.observation(family) for family in ALL_FAMILIES},
                            now=moment, commit=commit, adopt_live=live_addresses(live))
    return build_desired(observed, steps)

