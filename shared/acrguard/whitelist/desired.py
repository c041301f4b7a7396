"""The entries an instance's whitelist should hold: declared CIDRs, and hostnames resolved with hysteresis.

A CIDR is desired as written. A hostname is resolved every run (``acrguard.resolve``); its
addresses go through ``acrguard.hysteresis`` in the scope ``whitelist:<instance-id>``, keyed by
hostname: a new address is desired at once, a former one stays desired (``held``) until it was
absent from ``safety.hold_runs`` complete resolutions over ``safety.hold_hours``. A hostname
that cannot be resolved (``Unknown``) or resolves to nothing (``NoSuchName``) is a finding and
keeps the addresses it had (``kept``): unknown is never absent.

Live entries carrying this instance's marker for a hostname that the state does not know yet
(a lost state document, a first run after an upgrade) are adopted into the hysteresis first, so
they are removed only after the same hold as any other address.

A hostname's answer is judged before it counts (``acrguard.addresses``, ``judge_answer``): only
public IPv4 addresses may enter the ACL (``public_problem``: no loopback, unspecified, broadcast,
multicast, link-local, private, shared, reserved or documentation address); the others are
dropped with a finding, and the rest of that answer counts only as a partial observation (it may
add, never remove). An answer with more than ``DEFAULT_MAX_ADDRESSES_PER_NAME`` addresses is
refused whole: the host's entries are uncertain this run (nothing added or removed), with a finding.
Tracked addresses that are not public are not desired.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from acrguard.addresses import DEFAULT_MAX_ADDRESSES_PER_NAME, check_answer, public_problem
from acrguard.events.routing import WHITELIST_GUARD
from acrguard.findings import Finding, Severity
from acrguard.hysteresis import Decision, HysteresisTracker, Observation, StepResult, step
from acrguard.resolve import DnsResolver, NameResolver, NoSuchName, Outcome, Resolved, ResolverSettings, describe
from acrguard.whitelist.marker import make_comment, owned_by
from acrguard.whitelist.model import DesiredEntry, DesiredState, EndpointState

if TYPE_CHECKING:
    from acrguard.config.model import InstanceConfig
    from acrguard.config.whitelist import WhitelistConfig

JOB = WHITELIST_GUARD  # the job name the alert pipeline and the handler use


def hysteresis_scope(instance_id: str) -> str:
    """The hysteresis scope of an instance's hostname entries."""
    return f"whitelist:{instance_id}"


def resolver_settings(instance: InstanceConfig, whitelist: WhitelistConfig) -> ResolverSettings:
    """Nameservers for hostname entries: the whitelist's own, else the instance's routes', else the VPC resolvers."""
    routes = instance.routes
    nameservers = tuple(whitelist.nameservers) or (tuple(routes.nameservers) if routes else ()) or \
        ResolverSettings().nameservers
    port = whitelist.dns_port or (routes.dns_port if routes else 53)
    return ResolverSettings(nameservers, port, whitelist.queries_per_name, whitelist.dns_timeout_s)


def resolve_hosts(instance: InstanceConfig, whitelist: WhitelistConfig,
                  resolver: NameResolver | None = None) -> dict[str, Outcome]:
    """Resolve every hostname entry once (an empty dict when there are none; never raises)."""
    hosts = [e.host for e in whitelist.entries if e.host is not None]
    if not hosts:
        return {}
    resolver = resolver or DnsResolver(resolver_settings(instance, whitelist))
    return resolver.resolve_all(hosts)


def observation_of(outcome: Outcome | None) -> Observation:
    """What a resolution outcome tells the hysteresis: only ``Resolved`` is an observation."""
    if isinstance(outcome, Resolved):
        return Observation.success(outcome.addresses) if outcome.complete else Observation.partial(outcome.addresses)
    return Observation.unknown()


def judge_answer(host: str, outcome: Outcome | None, cap: int = DEFAULT_MAX_ADDRESSES_PER_NAME
                 ) -> tuple[Observation, Finding | None, str]:
    """The observation a hostname's answer may count as, a finding when it was filtered or refused, and why.

    Non-public addresses are dropped (the rest is a partial observation); an answer over ``cap``
    addresses is refused whole (unknown). Returns the reason as text ("" when the answer is clean).
    """
    observation = observation_of(outcome)
    if not isinstance(outcome, Resolved):
        return observation, None, ""
    check = check_answer(host, outcome.addresses, public_problem, cap)
    if check.ok:
        return observation, None, ""
    if check.over_cap:
        return Observation.unknown(), None, check.reason()
    return Observation.partial(outcome.addresses - set(check.refused)), None, check.reason()


def _address(cidr: str) -> str | None:
    """The single address of a /32 (or /128) entry, else None (hostname entries are single addresses)."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return str(network.network_address) if network.num_addresses == 1 else None


def _host_cidr(address: str) -> str:
    return str(ipaddress.ip_network(address, strict=False))


@dataclass(frozen=True)
class _HostInput:
    host: str
    label: str
    comment: str
    live: frozenset[str]  # addresses of live entries marked with this host's label


def compute_desired(instance: InstanceConfig, whitelist: WhitelistConfig, endpoint: EndpointState,
                    outcomes: Mapping[str, Outcome], tracker: HysteresisTracker, *, now: float,
                    commit: bool) -> DesiredState:
    """The desired entries of one instance (``commit`` False: preview, the hysteresis state is not written)."""
    entries: list[DesiredEntry] = []
    findings: list[Finding] = []
    summaries: dict[str, str] = {}
    for entry in whitelist.entries:
        if entry.cidr is not None:
            entries.append(DesiredEntry(entry.cidr, entry.key, make_comment(instance.name, entry.key, entry.comment)))
    hosts = [_HostInput(e.host, e.key, make_comment(instance.name, e.key, e.comment),
                        _live_addresses(endpoint, instance.name, e.key))
             for e in whitelist.entries if e.host is not None]
    scope = hysteresis_scope(instance.instance_id)
    results = _track(tracker, scope, hosts, outcomes, now=now, commit=commit)
    for host in hosts:
        outcome = outcomes.get(host.host)
        summaries[host.host] = describe(outcome) if outcome is not None else f"{host.host}: not resolved"
        result = results[host.host]
        for decision in result.decisions:
            if decision.kept and public_problem(decision.address) is None:
                entries.append(_desired_from(decision, host))
        finding = _resolution_finding(instance, host, outcome, result)
        if finding is not None:
            findings.append(finding)
        refused = _refused_finding(instance, host, outcome)
        if refused is not None:
            findings.append(refused)
    if commit:
        _forget_undeclared(tracker, scope, {h.host for h in hosts})
    return DesiredState(tuple(entries), tuple(findings), summaries)


def _live_addresses(endpoint: EndpointState, instance_name: str, label: str) -> frozenset[str]:
    found = set()
    for live in endpoint.entries:
        marker = owned_by(live.comment, instance_name)
        address = _address(live.cidr) if marker is not None and marker.label == label else None
        if address is not None:
            found.add(address)
    return frozenset(found)


def _track(tracker: HysteresisTracker, scope: str, hosts: list[_HostInput], outcomes: Mapping[str, Outcome], *,
           now: float, commit: bool) -> dict[str, StepResult]:
    """Adopt untracked marked addresses, then apply this run's observation per hostname."""
    if not hosts:
        return {}
    observations = {h.host: judge_answer(h.host, outcomes.get(h.host))[0] for h in hosts}
    current = {h.host: tracker.current(scope, h.host) for h in hosts}
    adopt = {h.host: Observation.partial(h.live - set(current[h.host])) for h in hosts
             if h.live - set(current[h.host])}
    if commit:
        if adopt:
            tracker.observe(scope, adopt, now=now, commit=True)
        return tracker.observe(scope, observations, now=now, commit=True)
    results = {}
    for host, observation in observations.items():
        tracked = current[host]
        if host in adopt:
            tracked = dict(step(tracked, adopt[host], now, tracker.policy).tracked)
        results[host] = step(tracked, observation, now, tracker.policy)
    return results


def _desired_from(decision: Decision, host: _HostInput) -> DesiredEntry:
    cidr = _host_cidr(decision.address)
    if decision.status in ("added", "seen"):
        return DesiredEntry(cidr, host.label, host.comment, "resolved", host.host, fresh=decision.status == "added")
    if decision.status == "missing":
        note = (f"no longer served by {host.host}; removal held back ({decision.runs_left} more run(s), "
                f"{decision.hours_left:.1f} h)")
        return DesiredEntry(cidr, host.label, host.comment, "held", host.host, note)
    return DesiredEntry(cidr, host.label, host.comment, "kept", host.host,
                        "kept: this run's resolution did not show whether it is still served")


def _resolution_finding(instance: InstanceConfig, host: _HostInput, outcome: Outcome | None,
                        result: StepResult) -> Finding | None:
    if isinstance(outcome, Resolved):
        return None
    kept = sorted(_host_cidr(a) for a in result.keep)
    keeping = f"keeping its entries {', '.join(kept)}" if kept else "it has no entry yet"
    if isinstance(outcome, NoSuchName):
        rule, severity = "whitelist.host-no-address", Severity.HIGH
        title = f"{host.host} resolves to no address ({'NXDOMAIN' if outcome.reason == 'nxdomain' else 'no A'})"
    else:
        rule, severity = "whitelist.host-unresolved", Severity.MEDIUM
        title = f"{host.host} could not be resolved"
    return Finding(
        rule=rule, severity=severity, resource=instance.instance_id, scope=instance.instance_id, job=JOB,
        title=title, labels={"host": host.host},
        details=f"{describe(outcome) if outcome is not None else host.host + ': not resolved'}; {keeping}. "
                "Nothing is removed while a hostname's addresses are unknown.",
        fix=f"Check the DNS record of {host.host} and the nameservers configured for the whitelist.",
        evidence={"host": host.host, "kept": kept})


def _refused_finding(instance: InstanceConfig, host: _HostInput, outcome: Outcome | None) -> Finding | None:
    """A finding when the hostname's answer had addresses that may not enter the ACL, or too many of them."""
    observation, _, reason = judge_answer(host.host, outcome)
    if not reason or not isinstance(outcome, Resolved):
        return None
    whole = observation.is_unknown
    if whole and len(outcome.addresses) > DEFAULT_MAX_ADDRESSES_PER_NAME:
        rule = "whitelist.host-too-many"
        title = f"{host.host} answered {len(outcome.addresses)} addresses; none is taken"
        effect = "The whole answer is refused: this hostname's entries are neither added nor removed this run."
    else:
        rule = "whitelist.host-address-refused"
        title = f"{host.host} resolved to addresses that may not enter a public ACL"
        effect = ("Those addresses are not added; the others are, and nothing of this hostname is removed this run."
                  if not whole else "None of them is added, and nothing of this hostname is removed this run.")
    return Finding(
        rule=rule, severity=Severity.HIGH, resource=instance.instance_id, scope=instance.instance_id, job=JOB,
        title=title, labels={"host": host.host}, details=f"{reason}. {effect}",
        fix=f"Check the DNS record of {host.host} and who can change it; a public ACL takes public IPv4 "
            "addresses only.", evidence={"host": host.host, "addresses": sorted(outcome.addresses)})


def _forget_undeclared(tracker: HysteresisTracker, scope: str, declared: set[str]) -> None:
    """Drop hysteresis records of hostnames no longer in the config (their entries are then plain removals)."""
    for key in sorted(set(tracker.scope_keys(scope)) - declared):
        tracker.forget(scope, key)
