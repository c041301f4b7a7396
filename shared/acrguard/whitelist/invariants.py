"""The rules every observed whitelist is checked against, each broken rule a ``Finding`` (pure).

Severities (an empty whitelist leaves the enabled endpoint open to everyone:
https://help.aliyun.com/zh/terraform/alicloud-cr-endpoint-acl-service; InfraGuard rates
``0.0.0.0/0`` in a CR whitelist high,
https://aliyun.github.io/infraguard/docs/policies/aliyun/rules/cr-instance-any-ip-access-check, we
rate it critical because the whitelist is the only barrier of the internet endpoint):

=================================  ========  ===================================================
rule                               severity  when
=================================  ========  ===================================================
whitelist.open-to-internet         critical  endpoint enabled and the whitelist is empty
whitelist.acl-disabled             critical  endpoint enabled with its ACL switched off
whitelist.any-address              critical  an entry of prefix length 0 (``0.0.0.0/0``, ``::/0``)
whitelist.too-broad                high      an entry broader than the floor (default /16, /48)
whitelist.endpoint-undeclared      high      endpoint enabled, config declares it disabled
whitelist.endpoint-disabled        medium    endpoint disabled, config declares it enabled
whitelist.endpoint-switching       medium    endpoint enabled but not RUNNING yet (``CREATING``):
                                             whitelist writes wait; not "open" meanwhile
whitelist.unmanaged                medium    an entry without our marker, not allowed, not declared
whitelist.unparseable-entry        medium    an entry that is not an address or CIDR
whitelist.drift-missing            medium    a desired entry is not in the whitelist (not for an
                                             address a hostname was first seen with this run)
whitelist.drift-stale              low       an entry with our marker that is no longer desired
=================================  ========  ===================================================

``127.0.0.1/32`` (added by the cloud when the endpoint is enabled) is never an unmanaged finding, and
acrguard's own marked ``127.0.0.1/32`` restore is not stale while nothing else is declared.
While the endpoint is switching on, neither "open" nor "missing" is reported: the cloud adds
``127.0.0.1/32`` when it starts, and ACR drops whitelist writes until then (see ``model``).
Resolution findings (hostnames without addresses) come from ``desired``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from acrguard.events.routing import WHITELIST_GUARD
from acrguard.findings import Finding, Severity
from acrguard.whitelist.marker import RESTORE_LABEL, owned_by
from acrguard.whitelist.model import LOOPBACK, AclEntry, DesiredState, EndpointState, Network

if TYPE_CHECKING:
    from acrguard.config.model import InstanceConfig
    from acrguard.config.whitelist import WhitelistConfig

JOB = WHITELIST_GUARD  # the job name the alert pipeline and the handler use


def floor_of(network: Network, whitelist: WhitelistConfig) -> int:
    """The broadest prefix length allowed for this address family."""
    return whitelist.floor_prefix if network.version == 4 else whitelist.floor_prefix_v6


def is_unsafe(network: Network, whitelist: WhitelistConfig) -> bool:
    """Whether an entry opens too much: any-address, or broader than the floor."""
    return network.prefixlen < floor_of(network, whitelist) or network.prefixlen == 0


def is_allowed_unmanaged(network: Network, whitelist: WhitelistConfig) -> bool:
    """Whether an unmarked entry is one others may keep (inside an ``allowed_unmanaged`` CIDR, or loopback)."""
    if network == LOOPBACK:
        return True
    for allowed in whitelist.allowed_unmanaged:
        allowed_network = ipaddress.ip_network(allowed)
        if allowed_network.version == network.version and network.subnet_of(allowed_network):  # type: ignore[arg-type]
            return True
    return False


def check(instance: InstanceConfig, whitelist: WhitelistConfig, endpoint: EndpointState,
          desired: DesiredState) -> list[Finding]:
    """Every finding about one instance's internet endpoint, most severe first."""
    findings: list[Finding] = []
    findings += _endpoint_findings(instance, whitelist, endpoint)
    desired_cidrs = desired.by_cidr
    for entry in endpoint.entries:
        findings += _entry_findings(instance, whitelist, entry,
                                    entry.cidr in desired_cidrs or _standing_restore(instance, entry, desired))
    if not endpoint.is_open and not endpoint.switching:
        live = endpoint.networks
        for cidr, wanted in sorted(desired_cidrs.items()):
            if cidr not in live and not wanted.fresh:
                findings.append(_finding(
                    instance, "whitelist.drift-missing", Severity.MEDIUM, f"Declared entry {cidr} is missing",
                    f"{cidr} ({wanted.label}, {wanted.source}) should be in the whitelist of {instance.name} "
                    "but is not; someone may have deleted it.",
                    "policy enforce adds it back; with policy report, add it or remove it from the config.",
                    entry=cidr, evidence={"label": wanted.label, "source": wanted.source}))
    findings += desired.findings
    return sorted(findings, key=lambda f: (f.severity.rank, f.rule, f.labels.get("entry", "")))


def _standing_restore(instance: InstanceConfig, entry: AclEntry, desired: DesiredState) -> bool:
    """acrguard's ``127.0.0.1/32`` restore while nothing is declared: it is what keeps the whitelist closed."""
    marker = owned_by(entry.comment, instance.name)
    return marker is not None and marker.label == RESTORE_LABEL and not desired.entries


def _endpoint_findings(instance: InstanceConfig, whitelist: WhitelistConfig,
                       endpoint: EndpointState) -> list[Finding]:
    out: list[Finding] = []
    evidence = {"enable": endpoint.enabled, "acl_enable": endpoint.acl_enabled, "status": endpoint.status,
                "entries": len(endpoint.entries)}
    if endpoint.switching:
        out.append(switching_finding(instance, endpoint.status, evidence=evidence))
    if endpoint.is_open:
        out.append(open_finding(instance, evidence=evidence))
    elif endpoint.enabled and not endpoint.acl_enabled:
        out.append(_finding(
            instance, "whitelist.acl-disabled", Severity.CRITICAL,
            f"Registry {instance.name}: internet endpoint enabled with its access control switched off",
            "The internet endpoint is enabled and AclEnable is false: the whitelist is not applied.",
            "Switch the endpoint's access control back on in the console, or disable the internet endpoint.",
            evidence=evidence))
    if endpoint.enabled and whitelist.public_endpoint == "disabled":
        out.append(_finding(
            instance, "whitelist.endpoint-undeclared", Severity.HIGH,
            f"Registry {instance.name}: internet endpoint is enabled but declared disabled",
            "The config declares the internet endpoint disabled (public_endpoint: disabled).",
            "Disable it (acrguard does so when manage_endpoint_status is true and the policy is enforce), or "
            "declare public_endpoint: enabled.", evidence=evidence))
    if not endpoint.enabled and whitelist.public_endpoint == "enabled":
        out.append(_finding(
            instance, "whitelist.endpoint-disabled", Severity.MEDIUM,
            f"Registry {instance.name}: internet endpoint is disabled but declared enabled",
            "Clients that pull over the internet cannot reach the registry.",
            "Enable it (acrguard does so when manage_endpoint_status is true and the policy is enforce), or "
            "declare public_endpoint: disabled.", evidence=evidence))
    return out


def open_finding(instance: InstanceConfig, *, evidence: dict) -> Finding:
    """The internet endpoint is enabled and its whitelist is empty: open to every address."""
    return _finding(
        instance, "whitelist.open-to-internet", Severity.CRITICAL,
        f"Registry {instance.name} is open to the whole internet",
        f"The internet endpoint of {instance.instance_id} is enabled and its whitelist is empty, so every "
        "address on the internet can reach it.",
        "policy enforce restores the declared entries (or 127.0.0.1/32) at once; otherwise add an entry or "
        "disable the internet endpoint now.", evidence=evidence)


def switching_finding(instance: InstanceConfig, status: str, *, waited_s: float | None = None,
                      evidence: dict | None = None) -> Finding:
    """The internet endpoint is enabled but not RUNNING yet; ``waited_s``: acrguard switched it on and waited."""
    state = status or "not RUNNING"
    if waited_s is not None:
        details = (f"acrguard switched the internet endpoint of {instance.instance_id} on; after {waited_s:g} s it is "
                   f"still {state}. ACR drops whitelist writes sent before the endpoint is RUNNING, so none was sent "
                   "this run.")
    else:
        details = (f"The internet endpoint of {instance.instance_id} is enabled and {state}, not RUNNING yet. ACR "
                   "drops whitelist writes sent before it is RUNNING, so acrguard writes none this run; when it "
                   "starts, the cloud adds 127.0.0.1/32.")
    return _finding(instance, "whitelist.endpoint-switching", Severity.MEDIUM,
                    f"Registry {instance.name}: internet endpoint is {state}", details,
                    "Nothing to do: the next run checks the whitelist once the endpoint is RUNNING. If it stays "
                    f"{state} for long, look at the instance in the ACR console.",
                    evidence={**(evidence or {}), "status": status, "waited_s": waited_s})


def _entry_findings(instance: InstanceConfig, whitelist: WhitelistConfig, entry: AclEntry,
                    desired: bool) -> list[Finding]:
    network = entry.network
    marked = owned_by(entry.comment, instance.name) is not None
    evidence = {"entry": entry.entry, "comment": entry.comment, "managed": marked}
    if network is None:
        return [_finding(instance, "whitelist.unparseable-entry", Severity.MEDIUM,
                         f"Whitelist entry {entry.entry!r} is not an address or CIDR",
                         "acrguard cannot tell what this entry admits and leaves it alone.",
                         "Remove or correct it by hand.", entry=entry.entry, evidence=evidence)]
    if network.prefixlen == 0:
        return [_finding(instance, "whitelist.any-address", Severity.CRITICAL,
                         f"Whitelist of {instance.name} admits every address ({entry.cidr})",
                         f"{entry.cidr} makes the whitelist meaningless: the registry is open to the internet.",
                         "Delete the entry (policy enforce does so when remove_unmanaged_unsafe is true).",
                         entry=entry.cidr, evidence=evidence)]
    floor = floor_of(network, whitelist)
    if network.prefixlen < floor:
        return [_finding(instance, "whitelist.too-broad", Severity.HIGH,
                         f"Whitelist entry {entry.cidr} is broader than /{floor}",
                         f"{entry.cidr} admits {network.num_addresses:,} addresses; the configured floor is /{floor}.",
                         "Replace it with narrower entries (policy enforce removes it when remove_unmanaged_unsafe is "
                         "true).", entry=entry.cidr, evidence=evidence)]
    if marked:
        if desired:
            return []
        return [_finding(instance, "whitelist.drift-stale", Severity.LOW,
                         f"Entry {entry.cidr} created by acrguard is no longer declared",
                         f"{entry.cidr} carries acrguard's marker ({entry.comment!r}) but is not desired any more.",
                         "policy enforce removes it (within the blast-radius limit).",
                         entry=entry.cidr, evidence=evidence)]
    if desired or is_allowed_unmanaged(network, whitelist):
        return []
    return [_finding(instance, "whitelist.unmanaged", Severity.MEDIUM,
                     f"Whitelist entry {entry.cidr} is not managed by acrguard",
                     f"{entry.cidr} ({entry.comment or 'no comment'}) was added outside acrguard and is not in "
                     "allowed_unmanaged. acrguard never removes it.",
                     "Declare it in the config, list it in allowed_unmanaged, or delete it by hand.",
                     entry=entry.cidr, evidence=evidence)]


def _finding(instance: InstanceConfig, rule: str, severity: Severity, title: str, details: str, fix: str, *,
             entry: str | None = None, evidence: dict | None = None) -> Finding:
    return Finding(rule=rule, severity=severity, resource=instance.instance_id, scope=instance.instance_id,
                   title=title, details=details, fix=fix, labels={"entry": entry} if entry else {},
                   evidence=evidence or {}, job=JOB)
