"""Desired prefixes per instance and family: discovery + resolution + acceptance + hysteresis, for the route targets.

Families (``acrguard.config.routes.Family``):

* ``vpc_endpoint``: the ENI addresses from ``GetInstanceVpcEndpoint``, as /32s;
* ``auth``: the addresses of the auth host named by the registry's Bearer realm, as /32s;
* ``oss``: the region's published OSS internal VIP ranges (``acrguard.routes.oss_ranges``); in a
  region without published ranges, the resolved OSS addresses as /32s.

Every answer passes the acceptance rules first (``acrguard.addresses``): auth and OSS addresses
only inside 100.64.0.0/10 (and outside 100.100.0.0/16), an OSS address only inside the region's
published ranges, an endpoint address only inside the VPC ranges, none inside the IDC's ranges,
and at most ``routes.max_addresses_per_name`` addresses per name. An answer that breaks a rule is
refused *whole*: the family is *frozen* this run (``DesiredPrefixes.frozen``: nothing is added to or
removed from any target for it, not even the good addresses of the same answer), and a finding
names each refused address and the name (or API) that answered it. Addresses tracked from before
that no longer pass the rules are not desired any more (they leave the targets after the hold).

Every /32 goes through the hysteresis (``acrguard.hysteresis``): added at once, removed only after
``safety.hold_runs`` successful observations and ``safety.hold_hours`` hours without it. Marked
/32s that the targets carry but the state does not know (a lost state document) are passed as
``live`` and adopted into the hysteresis first, so they follow the same hold. A family whose
observation this run was not complete is *uncertain* (``DesiredPrefixes.may_remove`` is False):
the plan must not remove any of its managed prefixes, even one missing from the desired set.
Whether a managed prefix that is not desired may go now is the ``retiring`` hold
(``acrguard.routes.retiring``), attached by the keeper per target.

``observe_instance`` does the I/O (SDK, DNS, HTTP probe); ``accept_answers``, ``desire`` and
``build_desired`` are pure; ``desired_prefixes`` runs them with a ``HysteresisTracker``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from acrguard.addresses import AddressRules, address_order, check_answer, networks
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
)

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.hysteresis import HysteresisTracker
    from acrguard.routes.retiring import Retiring

#: families whose addresses come from DNS answers (the per-name cap applies to them)
DNS_FAMILIES: tuple[Family, ...] = ("auth", "oss")


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
    #: families whose answer was refused this run (``accept_answers``): nothing added or removed for them
    frozen: frozenset[Family] = frozenset()
    #: the acceptance rules the answers were judged by (None: not judged yet)
    rules: AddressRules | None = None

    def observation(self, family: Family) -> Observation:
        """The family's observation (unknown when none was made)."""
        return self.observations.get(family, Observation.unknown())

    def answerer(self, family: Family) -> str:
        """What gave the family's addresses: the DNS name, or the API for the VPC endpoint."""
        if family == "auth":
            return str(self.evidence.get("auth_host") or "the auth host")
        if family == "oss":
            return self.oss_domain or "the OSS internal domain"
        return f"GetInstanceVpcEndpoint (LinkedVpcs[].Ip of {self.instance_id})"


@dataclass(frozen=True)
class DesiredPrefixes:
    """The prefixes one instance needs routed, per family, with what was held back and why.

    ``prefixes[family]``: CIDR strings to route; ``certain``: families whose observation this run
    was complete, the only ones a plan may remove managed prefixes from; ``held``: removals held
    back by the hysteresis; ``released``: /32s whose hold expired now; ``transient``: a cloud
    read failed in a way worth retrying (the caller may raise so FC retries the invocation);
    ``observed``: families observed completely and accepted this run (the IDC exports take their
    records from this run only for those); ``frozen``: families whose answer was refused (nothing
    added or removed for them); ``rules``: the acceptance rules; ``retiring``: per target key, the
    hold of each managed prefix that is no longer desired there (attached by the keeper; a removal
    needs an expired one, see ``releasable``).
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
    observed: frozenset[Family] = frozenset()
    frozen: frozenset[Family] = frozenset()
    rules: AddressRules | None = None
    retiring: Mapping[str, Mapping[str, Retiring]] = field(default_factory=dict)

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
        return family in self.certain and family not in self.frozen

    def may_add(self, family: Family) -> bool:
        """Whether a plan may add prefixes of ``family`` (not when its answer was refused this run)."""
        return family not in self.frozen

    def retirement(self, target_key: str, prefix: str) -> Retiring | None:
        """The hold of a managed ``prefix`` no longer desired on a target (None: none is known)."""
        return self.retiring.get(target_key, {}).get(prefix)

    def releasable(self, target_key: str, prefix: str, family: Family, *, ledger: bool = False) -> bool:
        """Whether a managed ``prefix`` may be removed from a target now.

        The family must be certain, and the prefix's hold on that target must have expired (a marker
        or a ledger line never skips it). ``ledger``: ownership rests on the state alone (an IPsec
        ``LocalSubnet`` item), so the prefix must also be one acrguard's own rules could have produced.
        """
        if not self.may_remove(family):
            return False
        retiring = self.retirement(target_key, prefix)
        if retiring is None or not retiring.expired:
            return False
        return not ledger or (self.rules is not None and self.rules.plausible(family, prefix))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` plans."""
        return {
            "instance": self.instance, "instance_id": self.instance_id, "region": self.region,
            "prefixes": {family: sorted(self.for_family(family)) for family in ALL_FAMILIES},
            "certain": sorted(self.certain), "frozen": sorted(self.frozen),
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
    """Whether an address may appear in an export at all (IPv4, not loopback/multicast/reserved/…).

    The stricter per-family rules a route must pass are ``acrguard.addresses.AddressRules``.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return isinstance(ip, ipaddress.IPv4Address) and not (
        ip.is_unspecified or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip == ipaddress.IPv4Address("255.255.255.255"))


def rules_for(routes: RoutesConfig | None, ranges: RegionRanges | None) -> AddressRules:
    """The acceptance rules of an instance: its region's OSS ranges and its ``routes:`` settings."""
    routes = routes or RoutesConfig()
    endpoint = networks(routes.vpc_cidrs)
    return AddressRules(oss_ranges=ranges.ranges if ranges is not None else None,
                        endpoint_ranges=endpoint or AddressRules().endpoint_ranges,
                        idc_ranges=networks(routes.idc_cidrs), cap=routes.max_addresses_per_name)


def _refusal_finding(obs: InstanceObservations, family: Family, name: str, reason: str, refused: Mapping[str, str],
                     count: int, cap: int, over_cap: bool) -> Finding:
    listed = sorted(refused, key=address_order)
    shown = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
    what = f"{shown} from {name}" if refused else f"{count} addresses from {name}"
    if over_cap and not refused:
        rule, title = "answer-too-large", f"Refused the {family} answer of {name}: {count} addresses"
        fix = (f"Check the DNS record of {name}: the registry's names answer a few addresses. If the pool is really "
               f"this large, raise routes.max_addresses_per_name (now {cap}).")
    else:
        rule, title = "address-refused", f"Refused to route {what}"
        fix = (f"Check who can write DNS records for {name} (PrivateZone zones bound to the VPC, the configured "
               "nameservers): a hijacked or misconfigured record? If OSS published new ranges, update the ranges "
               "file (routes.oss_ranges_file or a newer acrguard); for an endpoint in a VPC outside the RFC 1918 "
               "ranges, set routes.vpc_cidrs.")
    return _finding(
        rule, Severity.HIGH, obs, title,
        f"{name} answered {reason}. The whole answer is refused: nothing is added to or removed from any target "
        f"for {family} this run, and the IDC exports keep what they said for it.",
        fix, {"name": name, "refused": dict(refused), "addresses": count, "cap": cap}, family=family, name=name)


def accept_answers(obs: InstanceObservations, rules: AddressRules | None = None) -> InstanceObservations:
    """Judge each family's answer against the acceptance rules; a refused answer freezes its family (pure).

    ``rules`` default: those of the observations (``obs.rules``), else the defaults for the region's
    ranges. A frozen family's observation becomes unknown (nothing of it counts), with a finding.
    """
    rules = rules or obs.rules or AddressRules(oss_ranges=obs.oss_ranges.ranges if obs.oss_ranges else None)
    observations: dict[Family, Observation] = {}
    findings = list(obs.findings)
    frozen = set(obs.frozen)
    for family in ALL_FAMILIES:
        observation = obs.observation(family)
        cap = rules.cap if family in DNS_FAMILIES else max(rules.cap, len(observation.seen))
        name = obs.answerer(family)
        check = check_answer(name, observation.seen, lambda a, f=family: rules.problem(f, a), cap)
        if not check.ok:
            findings.append(_refusal_finding(obs, family, name, check.reason(), check.refused,
                                             len(check.addresses), cap, check.over_cap))
            frozen.add(family)
            observation = Observation.unknown()
        observations[family] = observation
    return dataclasses.replace(obs, observations=observations, findings=tuple(findings), frozen=frozenset(frozen),
                               rules=rules)


def _held(family: Family, decisions: tuple[Decision, ...]) -> list[HeldRemoval]:
    return [HeldRemoval(family, d.address, d.record.misses, d.record.first_missed, d.record.last_seen, d.runs_left,
                        d.hours_left) for d in decisions]


def _released(family: Family, decisions: tuple[Decision, ...]) -> list[ReleasedAddress]:
    return [ReleasedAddress(family, d.address, d.record.misses, d.record.first_missed, d.record.last_seen)
            for d in decisions]


def build_desired(obs: InstanceObservations, steps: Mapping[Family, StepResult]) -> DesiredPrefixes:
    """Assemble the desired prefixes from this run's (accepted) observations and hysteresis steps (pure).

    Tracked addresses that no longer pass the acceptance rules (left from an earlier version or an
    earlier state) are not desired; in a region with published ranges OSS is routed by its ranges
    alone (the tracked OSS addresses only feed the DNS records of the exports).
    """
    rules = obs.rules or AddressRules(oss_ranges=obs.oss_ranges.ranges if obs.oss_ranges else None)
    prefixes: dict[Family, frozenset[str]] = {}
    held: list[HeldRemoval] = []
    released: list[ReleasedAddress] = []
    observed = {f for f in ALL_FAMILIES if obs.observation(f).complete and f not in obs.frozen}
    certain = set(observed)
    ranged = obs.oss_ranges is not None
    for family in ALL_FAMILIES:
        result = steps.get(family)
        if result is None:
            certain.discard(family)
            observed.discard(family)
            prefixes[family] = obs.oss_ranges.prefixes if family == "oss" and ranged else frozenset()
            continue
        if family == "oss" and ranged:
            prefixes[family] = obs.oss_ranges.prefixes
            continue
        good = frozenset(a for a in result.keep if rules.problem(family, a) is None)
        prefixes[family] = frozenset(host_prefix(a) for a in good)
        held += _held(family, tuple(d for d in result.held if d.address in good))
        released += _released(family, result.released)
    if not ranged:
        certain.discard("oss")
    return DesiredPrefixes(obs.instance, obs.instance_id, obs.region, prefixes, frozenset(certain), tuple(held),
                           tuple(released), tuple(obs.findings), obs.evidence, obs.transient,
                           observed=frozenset(observed), frozen=obs.frozen, rules=rules)


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
    clean = accept_answers(obs)
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
                f"{ranges.label}: {absence}. Only the resolved OSS addresses are routed, as /32s, and only inside "
                "100.64.0.0/10 outside 100.100.0.0/16; OSS moves its VIP within the region's ranges, so pulls may "
                "break when it moves.",
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
                                tuple(findings), evidence, discovery.transient,
                                rules=rules_for(routes, region_ranges))


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
    observed = accept_answers(observe_instance(config, instance, factory, resolver=resolver, session=session,
                                               ranges=ranges))
    return desired_from(observed, tracker, now=now, commit=commit, live=live)


def desired_from(observed: InstanceObservations, tracker: HysteresisTracker, *, now: float | None = None,
                 commit: bool = True, live: Mapping[Family, Iterable[str]] | None = None) -> DesiredPrefixes:
    """The hysteresis step of ``desired_prefixes`` for an instance already observed (and accepted)."""
    moment = tracker.clock() if now is None else now
    steps = tracker.observe(hysteresis_scope(observed.instance_id),
                            {family: observed.observation(family) for family in ALL_FAMILIES},
                            now=moment, commit=commit, adopt_live=live_addresses(live))
    return build_desired(observed, steps)

