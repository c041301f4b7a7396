"""Each function's RAM policies, scoped to the resources one config names (``acrguard deploy policies``).

The generic documents in ``deploy/policies/`` grant on ``*`` or ``instance/*`` so that they fit any
deployment: the keeper may then modify any VPN connection or route table of the account. This
module renders the same two documents per function (``<function>.json``, ``<function>-state.json``,
the names of ``acrguard.deploy.permissions.POLICY_FILES``) from the function's permission table,
each action granted only on the resources this config makes the function act on:

* ACR: the configured instances of the function's section (``routes``, ``whitelist``,
  ``image_advisor``), ``instance/<id>``, and ``repository/<id>/*`` for repository reads;
* VPC: the configured route tables (``routetable/<id>``) and IPsec connections (``vpnconnection/<id>``);
* CEN: the configured CENs (``ceninstance/<id>``) and transit router route tables
  (``centransitrouterroutetable/<id>``); the keeper lists and deletes transit router routes, and
  deletes them by entry id, made at run time, so those two are also granted on
  ``centransitrouterroutentry/*`` (the form the ListTransitRouterRouteEntries and
  DeleteTransitRouterRouteEntry pages list beside the table: every such entry of the account);
* OSS: the function's own state folder and the old shared state object, the config object, the
  configured ``oss://`` export destinations and ConfigMaps, each exactly.

What stays ``*``, and why, is said per action (``Grant.why``): the pull-key auditor's RAM reads,
whose users, groups and policies are found at run time (discovery, group members, attachments;
System policies are not the account's), and the APIs the table marks as having no resource-level
authorization. A row whose resources the config does not use (no VPN target, no OSS export) is
left out and named. ARN forms are the table's (``ResourceKind``), which cite the API pages; where
a page gives two forms (``Permission.also``) both are granted. Resource ids in ARNs are
case-sensitive; the account is ``*`` unless given.

RAM refuses a policy document over 6,144 characters
(https://www.alibabacloud.com/help/en/ram/product-overview/limits); ``RenderedPolicy.too_large``
says so before anyone tries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import CenServiceTarget, RouteTableTarget, TransitRouterTarget, VpnConnectionTarget
from acrguard.deploy import permissions as perms
from acrguard.functions import FUNCTIONS

if TYPE_CHECKING:
    from acrguard.config.model import AcrguardConfig, InstanceConfig

#: RAM's limit on one policy document (characters; RAM limits page, above)
MAX_DOCUMENT_CHARS = 6144
#: the config object of the documented layout (docs/deploying.md, step 2), when no other is named
CONFIG_OBJECT = "acrguard.yaml"
#: the section of ``instances[]`` each function works on
SECTIONS = {"endpoint_keeper": "routes", "whitelist_guard": "whitelist", "image_advisor": "image_advisor"}

_RAM_WHY = ("the users, groups and policies the auditor reads are found at run time (discovery, group members, "
            "attached policies, and System policies, which are not the account's): no configured name can list them")
_ANY_WHY = "the API has no resource-level authorization (its page lists no resource type)"


@dataclass(frozen=True)
class Grant:
    """Actions allowed on resources (``("*",)``: on everything), and why each is scoped so."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    whys: tuple[tuple[str, str], ...]  # (action, why), one per action

    @property
    def why(self) -> str:
        """The reasons of the grant, each once."""
        return "; ".join(dict.fromkeys(why for _, why in self.whys))

    @property
    def scoped(self) -> bool:
        """Whether the grant names resources rather than ``*``."""
        return self.resources != ("*",)

    def statement(self) -> dict[str, Any]:
        """The policy statement of this grant."""
        resource: str | list[str] = self.resources[0] if len(self.resources) == 1 else list(self.resources)
        return {"Effect": "Allow", "Action": list(self.actions), "Resource": resource}


@dataclass(frozen=True)
class RenderedPolicy:
    """One rendered policy document of one function, with what it grants and what it leaves out."""

    name: str  # the policy name and file stem, as in deploy/policies/ (acrguard-endpoint-keeper[-state])
    job: str
    grants: tuple[Grant, ...]
    left_out: tuple[str, ...] = field(default=())  # "<action> (<API>): <why not needed>"

    @property
    def file(self) -> str:
        """Its file name (``acrguard-endpoint-keeper.json``)."""
        return f"{self.name}.json"

    @property
    def document(self) -> dict[str, Any] | None:
        """The RAM policy document (None: this config needs nothing of it)."""
        if not self.grants:
            return None
        return {"Version": "1", "Statement": [grant.statement() for grant in self.grants]}

    def text(self) -> str:
        """The document as the file holds it (indented JSON)."""
        return json.dumps(self.document, indent=2) + "\n"

    @property
    def size(self) -> int:
        """Characters of the document as RAM stores it (compact JSON)."""
        return len(json.dumps(self.document, separators=(",", ":"))) if self.document else 0

    @property
    def too_large(self) -> bool:
        """Whether RAM would refuse the document for its size."""
        return self.size > MAX_DOCUMENT_CHARS


@dataclass(frozen=True)
class _Resolved:
    """The ARNs of one resource kind under a config (None: the config uses none), and why."""

    arns: tuple[str, ...] | None
    why: str



#: route-target resource kinds: the target config type, the ARN of one target (``region``, ``account``, the target
#: ``t``), why those ARNs, and what to say when no such target is configured
_TARGET_ARNS: dict[perms.ResourceKind, tuple[type, str, str, str]] = {
    perms.VPC_ROUTE_TABLE: (RouteTableTarget, "acs:vpc:{region}:{account}:routetable/{t.route_table_id}",
                            "the configured route tables (the VPC route APIs' pages: routetable/<id>)",
                            "no vbr_route_table or vpc_route_table target"),
    perms.VPC_VPN_CONNECTION: (VpnConnectionTarget, "acs:vpc:{region}:{account}:vpnconnection/{t.vpn_connection_id}",
                               "the configured IPsec connections (VPC's RAM authorization table: "
                               "vpnconnection/<id>)", "no vpn_connection target"),
    perms.CEN_INSTANCE: (CenServiceTarget, "acs:cen:*:{account}:ceninstance/{t.cen_id}",
                         "the configured CENs (DeleteRouteServiceInCen's page: ceninstance/<id>)",
                         "no cen_service target"),
    perms.CEN_TRANSIT_ROUTER_ROUTE_TABLE: (TransitRouterTarget,
                                           "acs:cen:*:{account}:centransitrouterroutetable/{t.route_table_id}",
                                           "the configured transit router route tables "
                                           "(CreateTransitRouterRouteEntry's page)", "no cen_transit_router target"),
}


class _Resolver:
    """The ARNs each resource kind has under one config, for one function."""

    def __init__(self, config: AcrguardConfig, job: str, account: str, config_object: str | None) -> None:
        self.config = config
        self.job = job
        self.account = account
        self.config_object = config_object

    # -- what the config names -------------------------------------------------------------------
    def instances(self) -> list[InstanceConfig]:
        """The instances whose section this function works on."""
        section = SECTIONS.get(self.job)
        return [i for i in self.config.instances if section and getattr(i, section, None) is not None]

    def targets(self, kind: type) -> list[tuple[Any, str]]:
        """Every configured route target of ``kind`` with its region."""
        return [(target, getattr(target, "region", None) or self.config.region_of(instance))
                for instance in self.config.instances if instance.routes is not None
                for target in instance.routes.targets if isinstance(target, kind)]

    def oss_objects(self, urls: Iterable[str]) -> tuple[str, ...]:
        """``oss://bucket/key`` URLs as object ARNs."""
        arns = []
        for url in urls:
            bucket, _, key = url[len("oss://"):].partition("/")
            arns.append(f"acs:oss:*:{self.account}:{bucket}/{key}")
        return tuple(dict.fromkeys(arns))

    # -- one kind ----------------------------------------------------------------------------------
    def resolve(self, kind: perms.ResourceKind) -> _Resolved:
        """The ARNs of ``kind`` (see the module docstring)."""
        account = self.account
        if kind in (perms.ANY, perms.NO_RESOURCE):
            return _Resolved(("*",), _ANY_WHY)
        if kind in (perms.RAM_USER, perms.RAM_GROUP, perms.RAM_POLICY):
            return _Resolved(("*",), _RAM_WHY)
        if kind in (perms.CR_INSTANCE, perms.CR_REPOSITORY, perms.CR_REPOSITORIES):
            section = SECTIONS.get(self.job, "")
            instances = self.instances()
            if not instances:
                return _Resolved(None, f"no instance is configured with {section}")
            form = "instance/{id}" if kind is perms.CR_INSTANCE else "repository/{id}/*"
            arns = tuple(f"acs:cr:{self.config.region_of(i)}:{account}:" + form.format(id=i.instance_id)
                         for i in instances)
            what = "the instances" if kind is perms.CR_INSTANCE else "every repository of the instances"
            return _Resolved(arns, f"{what} configured with {section} (ACR's ARN table)")
        if kind in _TARGET_ARNS:
            target_kind, template, why, none = _TARGET_ARNS[kind]
            found = self.targets(target_kind)
            arns = tuple(dict.fromkeys(template.format(region=region, account=account, t=t) for t, region in found))
            return _Resolved(arns or None, why if found else none)
        if kind is perms.CEN_TRANSIT_ROUTER_ROUTE_ENTRY:
            found = self.targets(TransitRouterTarget)
            return _Resolved((f"acs:cen:*:{account}:centransitrouterroutentry/*",) if found else None,
                             "route entries are deleted by id, made at run time: every transit router route "
                             "entry of the account (DeleteTransitRouterRouteEntry's page)"
                             if found else "no cen_transit_router target")
        if kind in (perms.CS_CLUSTERS, perms.CS_CLUSTER):
            clusters = self.config.pull_keys.clusters if self.config.pull_keys is not None else None
            if clusters is None:
                return _Resolved(None, "no pull_keys.clusters")
            if kind is perms.CS_CLUSTER and clusters.cluster_ids:
                return _Resolved(tuple(f"acs:cs:*:{account}:cluster/{i}" for i in clusters.cluster_ids),
                                 "the clusters pull_keys.clusters.cluster_ids names (any region)")
            return _Resolved((f"acs:cs:*:{account}:cluster/*",), "every cluster of the account (pull_keys.clusters "
                             "selects by name or region only after listing them; DescribeClustersV1's page)")
        return self._oss(kind)

    def _oss(self, kind: perms.ResourceKind) -> _Resolved:
        state = self.config.state
        bucket = state.bucket if state.backend == "oss" else None
        if kind is perms.OSS_STATE:
            if bucket is None:
                return _Resolved(None, "the state is not in OSS (state.backend sqlite)")
            return _Resolved((f"acs:oss:*:{self.account}:{bucket}/{state.job_prefix(self.job)}*",),
                             "the function's own state folder, and no other function's")
        if kind is perms.OSS_STATE_BUCKET:
            if bucket is None:
                return _Resolved(None, "the state is not in OSS (state.backend sqlite)")
            return _Resolved((f"acs:oss:*:{self.account}:{bucket}",),
                             "the state bucket: listing the records of the function's own folder")
        if kind is perms.OSS_SHARED_STATE:
            if bucket is None:
                return _Resolved(None, "the state is not in OSS (state.backend sqlite)")
            return _Resolved((f"acs:oss:*:{self.account}:{bucket}/{state.key}",),
                             "the state all functions shared before, read once to carry this function's part over")
        if kind is perms.OSS_CONFIG:
            if self.config_object:
                return _Resolved(self.oss_objects([self.config_object]), "the config object (--config-object)")
            if bucket is None:
                return _Resolved(None, "no config object: name it with --config-object (s.yaml vars.configObject)")
            return _Resolved((f"acs:oss:*:{self.account}:{bucket}/{CONFIG_OBJECT}",),
                             f"the config object {CONFIG_OBJECT} beside the state (docs/deploying.md, step 2)")
        if kind is perms.OSS_EXPORTS:
            urls = [export.destination for instance in self.instances() if instance.routes is not None
                    for export in instance.routes.exports if export.destination.startswith("oss://")]
            return _Resolved(self.oss_objects(urls) or None,
                             "the configured oss:// export destinations" if urls else "no oss:// export destination")
        if kind is perms.OSS_CONFIGMAPS:
            sources = self.config.pull_keys.configmaps if self.config.pull_keys is not None else ()
            urls = [source.oss for source in sources if source.oss]
            return _Resolved(self.oss_objects(urls) or None,
                             "the configured oss:// ConfigMaps" if urls else "no oss:// ConfigMap")
        return _Resolved(("*",), f"no scoped form known for {kind.name}")


def _policy(name: str, job: str, rows: Iterable[perms.Permission], resolver: _Resolver) -> RenderedPolicy:
    """One document from ``rows``: actions on the same resources share a statement, and so do resources of the
    same actions (RAM counts the document's characters)."""
    by_resources: dict[tuple[str, ...], dict[str, str]] = {}
    left_out: list[str] = []
    for row in rows:
        if not row.actions:
            continue
        resolved = [resolver.resolve(kind) for kind in (row.resource, *row.also)]
        arns = tuple(dict.fromkeys(arn for r in resolved if r.arns for arn in r.arns))
        if not arns:
            left_out.extend(f"{action} ({row.api}): {resolved[0].why}" for action in row.actions)
            continue
        if "*" in arns:
            arns = ("*",)
        why = "; ".join(dict.fromkeys(r.why for r in resolved if r.arns))
        actions = by_resources.setdefault(arns, {})
        for action in row.actions:
            actions.setdefault(action, why)
    by_actions: dict[tuple[str, ...], tuple[list[str], dict[str, str]]] = {}
    for arns, actions in by_resources.items():
        key = tuple(actions) if arns != ("*",) else ("*", *actions)
        resources, whys = by_actions.setdefault(key, ([], {}))
        resources.extend(a for a in arns if a not in resources)
        for action, why in actions.items():
            whys[action] = f"{whys[action]}; {why}" if action in whys and why not in whys[action] else why
    grants = tuple(Grant(tuple(whys), tuple(resources), tuple(whys.items()))
                   for resources, whys in by_actions.values())
    return RenderedPolicy(name, job, grants, tuple(dict.fromkeys(left_out)))


def render(config: AcrguardConfig, *, account: str = "*", config_object: str | None = None) -> list[RenderedPolicy]:
    """Every function's two policies scoped to ``config`` (see the module docstring), in ``POLICY_FILES`` order."""
    if config_object is not None and not (config_object.startswith("oss://") and "/" in config_object[6:]):
        raise ValueError(f"--config-object: expected oss://<bucket>/<key>, got {config_object!r}")
    rendered = []
    for job in FUNCTIONS:
        resolver = _Resolver(config, job, account or "*", config_object)
        own_file, state_file = perms.POLICY_FILES[job]
        rows = perms.PERMISSIONS[job]
        rendered.append(_policy(own_file.removesuffix(".json"), job, [r for r in rows if r not in perms.STATE],
                                resolver))
        rendered.append(_policy(state_file.removesuffix(".json"), job, [r for r in rows if r in perms.STATE],
                                resolver))
    return rendered


def summary(policies: Iterable[RenderedPolicy]) -> str:
    """What each rendered policy scopes, what stays ``*`` and why, what it leaves out, as plain text."""
    lines: list[str] = []
    for policy in policies:
        lines.append(f"{policy.file} ({FUNCTIONS[policy.job].fc_name}):")
        if policy.document is None:
            lines.append("  nothing to grant under this config: deploy the function only with the generic policy "
                         "in deploy/policies/, or not at all")
        for grant in policy.grants:
            if grant.scoped:
                lines.append(f"  {', '.join(grant.actions)}")
                lines.append(f"    scoped to {', '.join(grant.resources)}")
                lines.append(f"    ({grant.why})")
            else:
                by_why: dict[str, list[str]] = {}
                for action, why in grant.whys:
                    by_why.setdefault(why, []).append(action)
                for why, actions in by_why.items():
                    lines.append(f"  {', '.join(actions)}")
                    lines.append(f"    {'stays' if len(actions) == 1 else 'stay'} *: {why}")
        for left in policy.left_out:
            lines.append(f"  not granted: {left}")
        if policy.too_large:
            lines.append(f"  TOO LARGE: {policy.size} characters, RAM takes at most {MAX_DOCUMENT_CHARS}; use the "
                         "generic policy in deploy/policies/ or split the config")
    return "\n".join(lines) + "\n"
