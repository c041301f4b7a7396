"""Check 2, ``role-permissions``: each function's role allows every action its code needs.

For every function of ``s.yaml`` (its role from ``props.role``, ``acs:ram::<account>:role/<name>``):

1. read the role's policies as RAM holds them: ``ListPoliciesForRole`` (each attachment with its
   ``DefaultVersion``), then ``GetPolicyVersion`` of that version (``GetPolicy``'s
   ``DefaultPolicyVersion`` when none is listed), through the auditor's RAM reader;
2. evaluate them with acrguard's policy engine (``acrguard.policy.evaluate``) for every action of the
   function's table (``acrguard.deploy.permissions.PERMISSIONS``), on the resources this config
   names (its instances, its route targets, the config bucket of ``ACRGUARD_CONFIG_OSS``); a row
   whose resource kind the config does not use (no VPN target, say) is not needed and not asked;
3. with ``--assume-roles``, for a function that writes routes, assume its role (STS ``AssumeRole``)
   and send the route writes as that role with ``DryRun=true`` on each configured table: the
   cloud's own answer to "may this role do it?" (``acrguard.doctor.dryrun``).

A missing action is named with the policy file that grants it (``deploy/policies/<function>.json``
or ``<function>-state.json``, per ``POLICY_FILES``). A role that cannot be read (the doctor's identity
lacks RAM reads) is "cannot tell", with the actions to grant the doctor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.config.routes import CenServiceTarget, RouteTableTarget, TransitRouterTarget, VpnConnectionTarget
from acrguard.credentials import StaticCredentials
from acrguard.deploy import permissions as perms
from acrguard.deploy.syaml import FunctionResource
from acrguard.doctor import dryrun
from acrguard.doctor.answers import describe, dry_run_passed, is_refusal, unknown_fix
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Item, Status, combine, single
from acrguard.errors import CloudCallError
from acrguard.functions import FUNCTIONS
from acrguard.policy.evaluate import AttachedPolicy, Decision, evaluate
from acrguard.pullkeys.ramapi import RamReader
from acrguard.routes.targets.base import marker_prefix
from acrguard.routes.targets.route_table import RouteTableRoutes
from acrguard.routes.targets.transit_router import TransitRouterRoutes

NAME = "role-permissions"
ROLE_ARN = re.compile(r"^acs:ram::([^:]*):role/([\w.@-]{1,64})$", re.IGNORECASE)
POLICIES_DIR = "deploy/policies"
#: an object key for the OSS rows' example resources (the rows' ARNs fix the folder: state/, exports/)
EXAMPLE_KEY = "acrguard.json"
SESSION = "acrguard-doctor"
_RAM_READS = ("ram:ListPoliciesForRole, ram:GetPolicy and ram:GetPolicyVersion (e.g. the system policy "
              "AliyunRAMReadOnlyAccess)")


@dataclass(frozen=True)
class Need:
    """One action the function needs on one resource, and the policy file that grants it."""

    action: str
    resource: str
    api: str
    policy_file: str


def _targets(ctx: DoctorContext) -> list[tuple[Any, str, str]]:
    """Every configured route target with its instance's name and region."""
    return [(target, instance.name, getattr(target, "region", None) or ctx.region_of(instance))
            for instance in ctx.routed_instances() for target in instance.routes.targets]  # type: ignore[union-attr]


def _bucket(ctx: DoctorContext, resource: FunctionResource) -> str | None:
    """The config bucket: the function's ``ACRGUARD_CONFIG_OSS`` (``oss://bucket/key``), else ``state.bucket``."""
    value = str((resource.props.get("environmentVariables") or {}).get("ACRGUARD_CONFIG_OSS") or "")
    if value.startswith("oss://") and value[len("oss://"):].split("/", 1)[0]:
        return value[len("oss://"):].split("/", 1)[0]
    return ctx.config.state.bucket


def _resources(ctx: DoctorContext, resource: FunctionResource, account: str, job: str) -> dict[str, list[str]]:
    """Resource kind -> the concrete ARNs this config makes the function act on (absent: kind not used)."""
    base = {"account": account, "region": resource.region, "function": perms.state_folder(job)}
    instances = [{**base, "region": ctx.region_of(i), "instance_id": i.instance_id, "namespace": "*",
                  "repository": "*"} for i in ctx.config.instances] or [{**base, "instance_id": "*", "namespace": "*",
                                                                         "repository": "*"}]
    targets = _targets(ctx)

    def of(kind: type, field: str, arn: perms.ResourceKind) -> list[str]:
        return sorted({arn.render(**{**base, "region": region, field: getattr(t, field)})
                       for t, _, region in targets if isinstance(t, kind)})

    found: dict[str, list[str]] = {
        perms.ANY.name: ["*"],
        perms.CR_INSTANCE.name: sorted({perms.CR_INSTANCE.render(**v) for v in instances}),
        perms.CR_REPOSITORY.name: sorted({perms.CR_REPOSITORY.render(**v) for v in instances}),
        perms.VPC_ROUTE_TABLE.name: of(RouteTableTarget, "route_table_id", perms.VPC_ROUTE_TABLE),
        perms.VPC_VPN_CONNECTION.name: of(VpnConnectionTarget, "vpn_connection_id", perms.VPC_VPN_CONNECTION),
        perms.CEN_INSTANCE.name: of(CenServiceTarget, "cen_id", perms.CEN_INSTANCE),
        perms.CEN_TRANSIT_ROUTER_ROUTE_TABLE.name: of(TransitRouterTarget, "route_table_id",
                                                      perms.CEN_TRANSIT_ROUTER_ROUTE_TABLE),
    }
    for kind in (perms.RAM_USER, perms.RAM_GROUP, perms.RAM_POLICY):
        found[kind.name] = [kind.render(**base, user="*", group="*", policy="*")]
    bucket = _bucket(ctx, resource)
    if bucket:
        for kind in (perms.OSS_STATE, perms.OSS_SHARED_STATE, perms.OSS_CONFIG, perms.OSS_EXPORTS,
                     perms.OSS_CONFIGMAPS):
            found[kind.name] = [kind.render(**base, bucket=bucket, key=EXAMPLE_KEY)]
    return {kind: arns for kind, arns in found.items() if arns}


def needs(ctx: DoctorContext, resource: FunctionResource, job: str, account: str) -> tuple[list[Need], list[str]]:
    """What the function needs under this config, and the rows left out (their resource kind is not used)."""
    resources = _resources(ctx, resource, account, job)
    own, state = perms.POLICY_FILES[job]
    found: list[Need] = []
    skipped: list[str] = []
    for row in perms.PERMISSIONS[job]:
        if not row.actions:
            continue
        arns = resources.get(row.resource.name)
        if arns is None:
            skipped.append(f"{row.product}:{row.api} ({row.resource.name}: none in the config)")
            continue
        policy = state if row in perms.STATE else own
        found.extend(Need(action, arn, row.api, f"{POLICIES_DIR}/{policy}") for action in row.actions for arn in arns)
    return found, skipped


def role_policies(factory: ClientFactory, role: str) -> list[AttachedPolicy]:
    """The role's policies at their default versions (``ListPoliciesForRole`` + ``GetPolicyVersion``)."""
    from alibabacloud_ram20150501 import models

    body = call("ram", "ListPoliciesForRole", factory.ram().list_policies_for_role,
                models.ListPoliciesForRoleRequest(role_name=role))
    reader = RamReader(factory)
    attached = []
    for item in (body.policies.policy if body.policies is not None and body.policies.policy else []):
        version = item.default_version
        if version:
            document = reader.policy_version(item.policy_name, item.policy_type, version)
        else:
            version, document = reader.default_policy_version(item.policy_name, item.policy_type)
        attached.append(AttachedPolicy.of(item.policy_name, document, type=item.policy_type, default_version=version,
                                          origin=f"role {role}"))
    return attached


def judge(needed: list[Need], policies: list[AttachedPolicy]) -> tuple[list[tuple[Need, Decision]], list[str]]:
    """The needs the policies do not surely allow, with the decision, and the names of unreadable policies."""
    evaluation = evaluate(policies)
    short = [(need, decision) for need in needed
             if (decision := evaluation.decide(need.action, need.resource)) is not Decision.ALLOWED]
    return short, [u.policy.name for u in evaluation.unreadable]


def _attach_fix(role: str, missing: list[Need]) -> str:
    by_file: dict[str, list[str]] = {}
    for need in missing:
        actions = by_file.setdefault(need.policy_file, [])
        if need.action not in actions:
            actions.append(need.action)
    steps = []
    for path, actions in by_file.items():
        policy = path.rsplit("/", 1)[-1].removesuffix(".json")
        steps.append(f"{path} grants {', '.join(actions)}: create it as policy {policy} and attach it "
                     f"(aliyun ram AttachPolicyToRole --PolicyType Custom --PolicyName {policy} --RoleName {role}); "
                     "if it is attached, bring its default version up to date with the file")
    return "; ".join(steps)


def _listed(needs_: list[tuple[Need, Decision]]) -> str:
    seen: dict[str, str] = {}
    for need, decision in needs_:
        seen.setdefault(need.action, f"{need.action} ({decision.value}, on {need.resource})")
    return ", ".join(seen.values())


def _function_item(ctx: DoctorContext, resource: FunctionResource, job: str) -> list[Item]:
    name = resource.function_name
    arn = str(resource.props.get("role") or "")
    match = ROLE_ARN.match(arn)
    if not match:
        return [Item(name, Status.FAIL, f"s.yaml gives no role ARN of the form acs:ram::<account>:role/<name> "
                     f"({arn or 'none'})", f"set props.role of {resource.resource} in s.yaml "
                     f"(docs/deploying.md, step 1 creates the role)")]
    account, role = match.groups()
    caller = ctx.account_id()
    if caller is not None and account != caller:
        return [Item(name, Status.FAIL, f"role {arn} is in account {account!r}, the credentials in {caller}",
                     f"set vars.accountId in s.yaml to {caller} (or run doctor with the deployment account's "
                     "credentials)")]
    try:
        policies = role_policies(ctx.factory, role)
    except CloudCallError as exc:
        if exc.code == "EntityNotExist.Role":
            return [Item(name, Status.FAIL, f"role {role} does not exist",
                         f"create the role {role} trusted by fc.aliyuncs.com and attach "
                         f"{POLICIES_DIR}/{perms.POLICY_FILES[job][0]} and {POLICIES_DIR}/{perms.POLICY_FILES[job][1]} "
                         "(docs/deploying.md, step 1)")]
        fix = f"grant the doctor's identity {_RAM_READS}" if is_refusal(exc) else unknown_fix(exc, "ram")
        return [Item(name, Status.UNKNOWN, f"role {role} cannot be read: {describe(exc)}", fix)]
    needed, skipped = needs(ctx, resource, job, account or caller or "*")
    short, unreadable = judge(needed, policies)
    missing = [(n, d) for n, d in short if d in (Decision.NOT_ALLOWED, Decision.DENIED)]
    unsure = [(n, d) for n, d in short if d not in (Decision.NOT_ALLOWED, Decision.DENIED)]
    data = {"role": role, "policies": [p.ref.name for p in policies], "needed": sorted({n.action for n in needed}),
            "not_needed_by_this_config": skipped}
    attached = ", ".join(p.ref.name for p in policies) or "no policy"
    if missing:
        item = Item(name, Status.FAIL, f"role {role} ({attached}) misses {_listed(missing)}",
                    _attach_fix(role, [n for n, _ in missing]), data)
    elif unsure or unreadable:
        what = _listed(unsure) if unsure else f"unreadable policies {', '.join(unreadable)}"
        item = Item(name, Status.UNKNOWN, f"role {role} ({attached}): cannot be sure of {what}",
                    "read the conditions or placeholders of those statements; grant the actions unconditionally "
                    f"as {POLICIES_DIR}/{perms.POLICY_FILES[job][0]} does", data)
    else:
        item = Item(name, Status.PASS, f"role {role} ({attached}) allows all {len({n.action for n in needed})} "
                    "actions it needs", data=data)
    items = [item]
    if ctx.assume_roles and _writes_routes(job):
        items.extend(_dry_runs(ctx, name, arn, job))
    return items


def _writes_routes(job: str) -> bool:
    return any(row.api in ("CreateRouteEntry", "CreateTransitRouterRouteEntry") for row in perms.PERMISSIONS[job])


def _assume(ctx: DoctorContext, arn: str) -> ClientFactory:
    """A client factory signed with the role's STS credentials (``AssumeRole`` by the doctor's identity)."""
    from alibabacloud_sts20150401 import models

    body = call("sts", "AssumeRole", ctx.factory.sts().assume_role,
                models.AssumeRoleRequest(role_arn=arn, role_session_name=SESSION, duration_seconds=900))
    found = body.credentials
    base = ctx.factory
    return ClientFactory(base.region, credentials=StaticCredentials(found.access_key_id, found.access_key_secret,
                                                                    found.security_token, source="AssumeRole"),
                         override=base.override, retry=base.retry, connect_timeout_ms=base.connect_timeout_ms,
                         read_timeout_ms=base.read_timeout_ms)


def _dry_run_item(subject: str, what: str, exc: CloudCallError | None, fix: str) -> Item:
    if exc is None:
        return Item(subject, Status.FAIL, f"{what}: the cloud answered success to a DryRun request; it may have "
                    "written", "look at the table and delete an entry to 192.0.2.1/32 if one was made")
    if dry_run_passed(exc):
        return Item(subject, Status.PASS, f"{what}: DryRunOperation (the role may do it)")
    if is_refusal(exc):
        return Item(subject, Status.FAIL, f"{what}: refused as the role ({exc.code})", fix)
    return Item(subject, Status.UNKNOWN, f"{what}: {describe(exc)}", unknown_fix(exc))


def _dry_runs(ctx: DoctorContext, function: str, arn: str, job: str) -> list[Item]:
    """The route writes sent with DryRun as the function's role, on every configured table."""
    subject = f"{function} (DryRun as its role)"
    tables = [(t, inst, region) for t, inst, region in _targets(ctx)
              if isinstance(t, (RouteTableTarget, TransitRouterTarget))]
    if not tables:
        return []
    try:
        role_factory = _assume(ctx, arn)
    except CloudCallError as exc:
        fix = (f"let the doctor's identity assume {arn}: grant it sts:AssumeRole on the role and name it (or its "
               "account) in the role's trust policy; or run doctor without --assume-roles") if is_refusal(exc) \
            else unknown_fix(exc, "sts")
        if ctx.caller is not None and ctx.caller.identity_type == "Account":
            fix = ("STS never lets an account's root credentials assume a role: run doctor as a RAM user (the "
                   "policy of docs/doctor.md plus sts:AssumeRole), or without --assume-roles")
        return [Item(subject, Status.UNKNOWN, f"AssumeRole {arn}: {describe(exc)}", fix)]
    fix = (f"attach {POLICIES_DIR}/{perms.POLICY_FILES[job][0]} to the role unchanged: a Deny, a condition or a "
           "narrower Resource keeps it from this table")
    items: list[Item] = []
    for target, instance, region in tables:
        key = f"{target.type}:{target.route_table_id}"
        if isinstance(target, RouteTableTarget):
            answers = [(f"CreateRouteEntry on {key}",
                        dryrun.create_route_entry(role_factory, target, region, dryrun.PROBE_DESTINATION))]
            managed = _first_managed(RouteTableRoutes(target, ctx.factory), instance)
            if managed:
                answers.append((f"DeleteRouteEntry {managed} on {key}",
                                dryrun.delete_route_entry(role_factory, target, region, managed)))
        else:
            answers = [(f"CreateTransitRouterRouteEntry on {key}",
                        dryrun.create_transit_router_route_entry(role_factory, target, dryrun.PROBE_DESTINATION))]
            managed = _first_managed(TransitRouterRoutes(target, ctx.factory), instance)
            if managed:
                answers.append((f"DeleteTransitRouterRouteEntry {managed} on {key}",
                                dryrun.delete_transit_router_route_entry(role_factory, managed)))
        items.extend(_dry_run_item(subject, what, answer, fix) for what, answer in answers)
    return items


def _first_managed(target: RouteTableRoutes | TransitRouterRoutes, instance: str) -> str | None:
    """The id of one entry acrguard made in the table (to DryRun its deletion), or None (none, or unreadable)."""
    try:
        current = target.read_managed(marker_prefix(instance))
    except CloudCallError:
        return None
    return next((m.entry_id for m in current.managed if m.entry_id), None)


def check_roles(ctx: DoctorContext) -> CheckResult:
    """Every function's role against its table (and, with ``--assume-roles``, DryRuns as the role)."""
    if ctx.deployment is None:
        return single(NAME, Status.UNKNOWN, f"no s.yaml: {ctx.deployment_problem}",
                      "name the deployment file with --s-yaml PATH")
    jobs = {spec.fc_name: spec.name for spec in FUNCTIONS.values()}
    items: list[Item] = []
    notes: list[str] = []
    for resource in ctx.deployment.resources:
        job = jobs.get(resource.function_name)
        if job is None:
            notes.append(f"{resource.function_name}: not an acrguard function, not checked")
            continue
        items.extend(_function_item(ctx, resource, job))
    return combine(NAME, items, none="s.yaml deploys no acrguard function", notes=notes)
