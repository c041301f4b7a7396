"""Which job handles an event, and which resources it touches: one declarative table.

Each ``Rule`` says: events of this kind (ActionTrail records, or ACR artifact events), from these
products, with these names, go to this job; the resources are read from the event by small
declared paths (``requestParameters.InstanceId``…). The job then re-reads live state for just
those resources; it never trusts the event alone (docs/events-and-functions.md). When no id is
found the result asks for a full sweep instead (``sweep``), with a warning that names the event.

Paths have a root and one key (matched case-insensitively; request parameter names may contain
dots, such as ``LookupAttribute.1.Key``): ``requestParameters.<Name>``, ``response.<fact>`` (one
of ``actiontrail.RESPONSE_FACTS``), ``caller.ramUser`` (the calling RAM user, for APIs that act
on the caller when no ``UserName`` is given) and ``artifact.<field>`` (``AcrArtifactEvent``).

An event acrguard would act on must come from the bus and a source its triggers subscribe to
(``subscriptions``: the ``default`` bus; ``acs.actiontrail`` or ``acs.<product>`` for ActionTrail
records, ``acs.cr`` for ACR artifact events); otherwise it is ignored with the reason.

ActionTrail events are routed only for the ``ApiCall`` and ``ConsoleOperation`` categories (the
type suffixes the triggers filter on), and a record whose ``errorCode`` is non-empty (or whose ACR
response says ``IsSuccess: false``) is skipped: the call failed, nothing changed. Names compare
case-insensitively. A product matches when the record's ``serviceName``, the ``type`` prefix, the
``source`` (``acs.<product>``) or the ``eventSource`` host names it: RAM events appear as ``Ram``
and as ``Ims`` (https://www.alibabacloud.com/help/en/actiontrail/product-overview/audit-events-of-ims), and
the source of RAM events on
EventBridge is unconfirmed, so any one of these is enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from acrguard.events._fields import lookup
from acrguard.events.acr import AcrArtifactEvent, LegacyAcrWebhook
from acrguard.events.actiontrail import ActionTrailRecord, BareActionTrailRecord
from acrguard.events.envelope import KIND_ACR_ARTIFACT, KIND_ACTIONTRAIL, CloudEvent
from acrguard.events.shard import ShardEvent
from acrguard.events.subscriptions import refusal
from acrguard.events.timer import TimerEvent
from acrguard.redact import mask_access_key_id

ENDPOINT_KEEPER = "endpoint_keeper"
WHITELIST_GUARD = "whitelist_guard"
PULLKEY_AUDITOR = "pullkey_auditor"
IMAGE_ADVISOR = "image_advisor"
#: every job, in the order results list them
JOBS: tuple[str, ...] = (ENDPOINT_KEEPER, WHITELIST_GUARD, PULLKEY_AUDITOR, IMAGE_ADVISOR)
#: the ActionTrail categories acrguard routes (``<product>:ActionTrail:<category>``)
ACTIONTRAIL_CATEGORIES: tuple[str, ...] = ("ApiCall", "ConsoleOperation")
#: words in a timer trigger's name that pick its job (when its payload names none)
_TIMER_NAME_HINTS: dict[str, tuple[str, ...]] = {
    ENDPOINT_KEEPER: ("endpoint_keeper", "keeper", "routes"),
    WHITELIST_GUARD: ("whitelist",),
    PULLKEY_AUDITOR: ("pullkey", "pull_key", "auditor", "audit"),
    IMAGE_ADVISOR: ("image_advisor", "advisor", "image"),
}


@dataclass(frozen=True)
class Part:
    """One component of a resource id: the first non-empty of ``paths`` (else ``default``)."""

    paths: tuple[str, ...]
    default: str | None = None
    transform: str | None = None  # "user_name": ``alice@123.onaliyun.com`` -> ``alice``; "mask": AccessKey id


@dataclass(frozen=True)
class ResourceSpec:
    """How to build one resource id from the event: ``template`` filled with the parts, all required."""

    type: str
    parts: tuple[Part, ...]
    template: str = "{0}"


@dataclass(frozen=True)
class Rule:
    """Events of ``kind`` from ``products`` named ``names`` go to ``job``, touching ``resources``."""

    job: str
    kind: str  # KIND_ACTIONTRAIL or KIND_ACR_ARTIFACT
    products: tuple[str, ...]
    names: tuple[str, ...]
    resources: tuple[ResourceSpec, ...]
    why: str
    details: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _param(*names: str, default: str | None = None, transform: str | None = None) -> Part:
    return Part(tuple(f"requestParameters.{n}" for n in names), default, transform)


def _artifact(*names: str) -> Part:
    return Part(tuple(f"artifact.{n}" for n in names))


_INSTANCE = ResourceSpec("cr-instance", (_param("InstanceId"),))
_USER = ResourceSpec("ram-user", (_param("UserName", "UserPrincipalName", transform="user_name"),))
_USER_OR_CALLER = ResourceSpec("ram-user", (Part(("requestParameters.UserName", "requestParameters.UserPrincipalName",
                                                  "caller.ramUser"), transform="user_name"),))
_GROUP = ResourceSpec("ram-group", (_param("GroupName"),))
_POLICY = ResourceSpec("ram-policy", (_param("PolicyType"), _param("PolicyName")), "{0}:{1}")
_CUSTOM_POLICY = ResourceSpec("ram-policy", (_param("PolicyType", default="Custom"), _param("PolicyName")), "{0}:{1}")
_ACCESS_KEY = ResourceSpec("access-key", (Part(("requestParameters.UserAccessKeyId", "response.AccessKey.AccessKeyId"),
                                               transform="mask"),))
_ART_INSTANCE, _ART_NS, _ART_REPO, _ART_TAG = (_artifact("instance_id"), _artifact("namespace"),
                                               _artifact("repository"), _artifact("tag"))

#: the routing table: every event acrguard acts on
RULES: tuple[Rule, ...] = (
    Rule(WHITELIST_GUARD, KIND_ACTIONTRAIL, ("cr",),
         ("CreateInstanceEndpointAclPolicy", "DeleteInstanceEndpointAclPolicy", "UpdateInstanceEndpointStatus"),
         (_INSTANCE,), "changes the public endpoint or its ACL: the whitelist guard re-checks that instance",
         (("endpoint_type", ("requestParameters.EndpointType",)), ("entry", ("requestParameters.Entry",)),
          ("enable", ("requestParameters.Enable",)), ("module", ("requestParameters.ModuleName",)),
          ("comment", ("requestParameters.Comment",)))),
    Rule(ENDPOINT_KEEPER, KIND_ACTIONTRAIL, ("cr",),
         ("CreateInstanceVpcEndpointLinkedVpc", "DeleteInstanceVpcEndpointLinkedVpc"),
         (_INSTANCE, ResourceSpec("vpc", (_param("VpcId"),)), ResourceSpec("vswitch", (_param("VswitchId"),))),
         "changes which VPCs the instance's VPC endpoint is in: the endpoint keeper re-discovers its addresses",
         (("module", ("requestParameters.ModuleName",)),)),
    Rule(ENDPOINT_KEEPER, KIND_ACTIONTRAIL, ("vpc",), ("CreateRouteEntry", "DeleteRouteEntry", "ModifyRouteEntry"),
         (ResourceSpec("route-table", (_param("RouteTableId"),)),
          ResourceSpec("route-entry", (_param("RouteEntryId"),))),
         "changes a route entry: the endpoint keeper re-checks that table if it manages it",
         (("destination", ("requestParameters.DestinationCidrBlock",)), ("next_hop", ("requestParameters.NextHopId",)),
          ("route_entry_name", ("requestParameters.RouteEntryName",)))),
    Rule(PULLKEY_AUDITOR, KIND_ACTIONTRAIL, ("ram", "ims"), ("AttachPolicyToUser", "DetachPolicyFromUser"),
         (_USER, _POLICY), "changes a user's policies: the pull-key auditor re-audits that user"),
    Rule(PULLKEY_AUDITOR, KIND_ACTIONTRAIL, ("ram", "ims"), ("AttachPolicyToGroup", "DetachPolicyFromGroup"),
         (_GROUP, _POLICY), "changes a group's policies: the pull-key auditor re-audits the group's members"),
    Rule(PULLKEY_AUDITOR, KIND_ACTIONTRAIL, ("ram", "ims"), ("AddUserToGroup", "RemoveUserFromGroup"),
         (_USER, _GROUP), "changes a user's groups: the pull-key auditor re-audits that user"),
    Rule(PULLKEY_AUDITOR, KIND_ACTIONTRAIL, ("ram", "ims"),
         ("CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion"),
         (_CUSTOM_POLICY,), "changes a policy's document: the pull-key auditor re-audits the identities it is "
                            "attached to",
         (("version", ("requestParameters.VersionId", "response.PolicyVersion.VersionId")),
          ("set_as_default", ("requestParameters.SetAsDefault", "response.PolicyVersion.IsDefaultVersion")))),
    Rule(PULLKEY_AUDITOR, KIND_ACTIONTRAIL, ("ram", "ims"), ("CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"),
         (_USER_OR_CALLER, _ACCESS_KEY), "changes a user's AccessKeys: the pull-key auditor re-checks that user's "
                                         "keys",
         (("status", ("requestParameters.Status", "response.AccessKey.Status")),)),
    Rule(PULLKEY_AUDITOR, KIND_ACTIONTRAIL, ("ram", "ims"), ("CreateLoginProfile", "DeleteLoginProfile"),
         (_USER_OR_CALLER,), "changes a user's console access: the pull-key auditor re-checks that user"),
    Rule(IMAGE_ADVISOR, KIND_ACR_ARTIFACT, ("cr",), ("PushCompleted",),
         (ResourceSpec("cr-instance", (_ART_INSTANCE,)),
          ResourceSpec("cr-repository", (_ART_INSTANCE, _ART_NS, _ART_REPO), "{0}/{1}/{2}"),
          ResourceSpec("cr-tag", (_ART_INSTANCE, _ART_NS, _ART_REPO, _ART_TAG), "{0}/{1}/{2}:{3}")),
         "an image was pushed: the image advisor checks its size and the repository's acceleration",
         (("tag", ("artifact.tag",)), ("digest", ("artifact.digest",)), ("status", ("artifact.status",)),
          ("image_size", ("artifact.image_size",)))),
)


@dataclass(frozen=True)
class Resource:
    """A resource an event touches: ``type`` (``cr-instance``, ``ram-user``…) and ``id``."""

    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.type}/{self.id}"

    def to_json(self) -> dict[str, str]:
        """``{"type": ..., "id": ...}``."""
        return {"type": self.type, "id": self.id}


@dataclass(frozen=True)
class RouteResult:
    """What acrguard would do with one event, and why.

    ``handled`` is False for events deliberately ignored (``reason`` says why); ``functions`` and
    ``resources`` are empty then. ``sweep`` means "re-check everything" (timers, or no id found).
    """

    kind: str
    handled: bool
    reason: str
    functions: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    correlation_id: str | None = None
    id: str | None = None
    source: str | None = None
    type: str | None = None
    actor: str | None = None
    event_name: str | None = None
    summary: str = ""
    details: Mapping[str, str] = field(default_factory=dict)
    sweep: bool = False
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The result as JSON: ``kind``, ``handled``, ``functions``, ``resources``, ``reason`` and the rest."""
        out: dict[str, Any] = {
            "kind": self.kind, "handled": self.handled, "functions": list(self.functions),
            "resources": [r.to_json() for r in self.resources], "reason": self.reason,
            "correlation_id": self.correlation_id, "sweep": self.sweep, "summary": self.summary,
        }
        for name in ("id", "source", "type", "actor", "event_name"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.details:
            out["details"] = dict(self.details)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


# -- resolving declared paths ------------------------------------------------------------------


def _resolve(path: str, record: ActionTrailRecord | None, artifact: AcrArtifactEvent | None) -> str | None:
    root, _, key = path.partition(".")
    value: Any = None
    if record is not None and root == "requestParameters":
        value = record.param(key)
    elif record is not None and root == "response":
        value = lookup(record.response_facts, key)[1]
    elif record is not None and root == "caller" and key == "ramUser":
        value = record.user_identity.ram_user_name
    elif artifact is not None and root == "artifact":
        value = getattr(artifact, key, None)
    if value is None or value == "":
        return None
    return str(value)


def _part(part: Part, record: ActionTrailRecord | None, artifact: AcrArtifactEvent | None) -> str | None:
    value = next((v for p in part.paths if (v := _resolve(p, record, artifact)) is not None), part.default)
    if value is None:
        return None
    if part.transform == "user_name":
        return value.split("@", 1)[0] or None
    if part.transform == "mask":
        return mask_access_key_id(value)
    return value


def _resources(rules: Iterable[Rule], record: ActionTrailRecord | None,
               artifact: AcrArtifactEvent | None) -> tuple[Resource, ...]:
    found: list[Resource] = []
    for rule in rules:
        for spec in rule.resources:
            parts = [_part(p, record, artifact) for p in spec.parts]
            if all(p is not None for p in parts):
                resource = Resource(spec.type, spec.template.format(*parts))
                if resource not in found:
                    found.append(resource)
    return tuple(found)


def _details(rules: Iterable[Rule], record: ActionTrailRecord | None,
             artifact: AcrArtifactEvent | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for rule in rules:
        for label, paths in rule.details:
            value = next((v for p in paths if (v := _resolve(p, record, artifact)) is not None), None)
            if value is not None:
                out[label] = value[:200]
    return out


def _jobs(rules: Iterable[Rule]) -> tuple[str, ...]:
    wanted = {r.job for r in rules}
    return tuple(j for j in JOBS if j in wanted)


# -- matching ------------------------------------------------------------------------------------


def _products(event: CloudEvent | None, record: ActionTrailRecord) -> set[str]:
    names = {(record.service_name or "").lower()}
    if record.event_source:
        host = record.event_source.lower()
        names.add(host.split(".", 1)[0].split("-", 1)[0])
    if event is not None:
        names.add(event.type_product)
        if event.source.lower().startswith("acs."):
            names.add(event.source[4:].lower())
    names.discard("")
    return names


def actiontrail_rules(record: ActionTrailRecord, event: CloudEvent | None = None) -> tuple[Rule, ...]:
    """The rules an ActionTrail record matches (by product and case-insensitive event name)."""
    products = _products(event, record)
    return tuple(r for r in RULES if r.kind == KIND_ACTIONTRAIL and record.name_is(*r.names)
                 and products.intersection(r.products))


def artifact_rules(artifact: AcrArtifactEvent) -> tuple[Rule, ...]:
    """The rules a ``cr:Artifact:<event>`` payload matches (by case-insensitive event name)."""
    return tuple(r for r in RULES if r.kind == KIND_ACR_ARTIFACT
                 and any(artifact.event.lower() == n.lower() for n in r.names))


# -- routing each kind ---------------------------------------------------------------------------


def _envelope_fields(event: CloudEvent) -> dict[str, Any]:
    return {"kind": event.kind, "correlation_id": event.correlation_id, "id": event.id, "source": event.source,
            "type": event.type}


def _route_actiontrail(event: CloudEvent, record: ActionTrailRecord) -> RouteResult:
    actor = record.user_identity.display
    service = record.service_name or event.type_product
    summary = f"{service} {record.event_name} by {actor}" + (f" from {record.source_ip}" if record.source_ip else "")
    base = {**_envelope_fields(event), "actor": actor, "event_name": record.event_name, "summary": summary}
    rules = actiontrail_rules(record, event)
    if not rules:
        if record.is_read:
            return RouteResult(handled=False, reason="read-only event (eventRW=Read): acrguard acts only on changes",
                               **base)
        return RouteResult(handled=False, reason=f"not an event acrguard handles ({service} {record.event_name})",
                           **base)
    jobs = ", ".join(_jobs(rules))
    category = event.actiontrail_category or "?"
    if category.lower() not in {c.lower() for c in ACTIONTRAIL_CATEGORIES}:
        return RouteResult(handled=False, reason=f"{category} events (operations Alibaba Cloud performs itself) "
                                                 f"are not routed; the next {jobs} sweep sees their effect", **base)
    failure = record.failure
    if failure:
        return RouteResult(handled=False, reason=f"{failure}: the call failed, so nothing changed "
                                                 f"({jobs} ignores it)", **base)
    return _handled(rules, record, None, base)


def _handled(rules: tuple[Rule, ...], record: ActionTrailRecord | None, artifact: AcrArtifactEvent | None,
             base: dict[str, Any]) -> RouteResult:
    resources = _resources(rules, record, artifact)
    warnings: tuple[str, ...] = ()
    if not resources:
        warnings = (f"no resource ids found in {base.get('event_name') or base.get('type')}: "
                    "the job re-checks everything it watches",)
    return RouteResult(handled=True, functions=_jobs(rules), resources=resources,
                       reason="; ".join(dict.fromkeys(r.why for r in rules)),
                       details=_details(rules, record, artifact), sweep=not resources, warnings=warnings, **base)


def _route_artifact(event: CloudEvent, artifact: AcrArtifactEvent) -> RouteResult:
    what = artifact.image or "an image (repository not named in the event)"
    base = {**_envelope_fields(event), "event_name": artifact.event,
            "summary": f"cr:Artifact:{artifact.event} for {what}"
                       + (f" on {artifact.instance_id}" if artifact.instance_id else "")}
    rules = artifact_rules(artifact)
    if not rules:
        handled_types = ", ".join(f"cr:Artifact:{n}" for r in RULES if r.kind == KIND_ACR_ARTIFACT for n in r.names)
        return RouteResult(handled=False, reason=f"cr:Artifact:{artifact.event} is tolerated and ignored: "
                                                 f"acrguard acts on {handled_types} only", **base)
    return _handled(rules, None, artifact, base)


def _timer_jobs(timer: TimerEvent) -> tuple[tuple[str, ...], list[str], str]:
    warnings = [timer.payload_note] if timer.payload_note else []
    payload = timer.payload_json
    if isinstance(payload, Mapping):
        named = lookup(payload, "jobs")[1] or lookup(payload, "job")[1]
        names: list[str] = []
        if isinstance(named, str):
            names = [named]
        elif isinstance(named, list):
            names = [n for n in named if isinstance(n, str)]
        if names:
            known = tuple(j for j in JOBS if j in {n.strip().lower().replace("-", "_") for n in names})
            unknown = sorted({n for n in names if n.strip().lower().replace("-", "_") not in JOBS})
            if unknown:
                warnings.append(f"timer payload names unknown job(s) {', '.join(unknown)}; known: {', '.join(JOBS)}")
            if known:
                return known, warnings, "the timer's payload names the job"
    name = timer.trigger_name.lower().replace("-", "_")
    hinted = tuple(j for j in JOBS if any(h in name for h in _TIMER_NAME_HINTS[j]))
    if hinted:
        return hinted, warnings, "the trigger's name names the job"
    return JOBS, warnings, "the timer names no job: the function it is attached to runs its full sweep"


def _route_timer(timer: TimerEvent) -> RouteResult:
    jobs, warnings, how = _timer_jobs(timer)
    return RouteResult(kind=timer.kind, handled=True, functions=jobs, sweep=True, warnings=tuple(warnings),
                       reason=f"a timer: full sweep by {', '.join(jobs)} ({how})",
                       correlation_id=timer.correlation_id, event_name=timer.trigger_name,
                       summary=f"timer {timer.trigger_name} at {timer.trigger_time.isoformat()}")


def _subscribed(event: CloudEvent, result: RouteResult) -> RouteResult:
    """``result``, or "ignored" when the event is not from a bus and source acrguard subscribes to."""
    if not result.handled:
        return result
    products = tuple(dict.fromkeys(p for r in RULES if r.kind == event.kind and r.job in result.functions
                                   for p in r.products))
    why = refusal(event, products)
    if why is None:
        return result
    return replace(result, handled=False, reason=why, functions=(), resources=(), details={}, sweep=False,
                   warnings=())


def route(event: Any) -> RouteResult:
    """What acrguard would do with one typed event (``decode_events`` gives them).

    A CloudEvents envelope that acrguard would act on is accepted only from the bus and sources
    its triggers subscribe to (``subscriptions``); from anywhere else it is ignored, with the reason.
    """
    if isinstance(event, CloudEvent):
        if event.record is not None:
            return _subscribed(event, _route_actiontrail(event, event.record))
        if event.artifact is not None:
            return _subscribed(event, _route_artifact(event, event.artifact))
        return RouteResult(handled=False, reason=f"not an event acrguard handles (source {event.source}, "
                                                 f"type {event.type})",
                           summary=f"{event.type} from {event.source}", **_envelope_fields(event))
    if isinstance(event, TimerEvent):
        return _route_timer(event)
    if isinstance(event, ShardEvent):
        known = event.job in JOBS
        return RouteResult(kind=event.kind, handled=known, functions=(event.job,) if known else (), sweep=known,
                           correlation_id=event.correlation_id, event_name="shard",
                           reason=(f"one shard of an organisation's sweep: {event.job} sweeps {event.key}" if known
                                   else f"a shard payload names the unknown job {event.job!r}"),
                           summary=f"shard {event.key} of sweep {event.sweep}")
    if isinstance(event, LegacyAcrWebhook):
        return RouteResult(kind="legacy_acr_webhook", handled=False, correlation_id=event.correlation_id,
                           summary=f"legacy ACR webhook: push of {event.repo_full_name or '?'}:{event.tag or '?'}"
                                   + (f" in {event.region}" if event.region else ""),
                           reason="the legacy per-repository ACR webhook is recognised but not handled: pushes reach "
                                  "acrguard through EventBridge (source acs.cr, type cr:Artifact:PushCompleted), "
                                  "which carries the instance id and an event id")
    if isinstance(event, BareActionTrailRecord):
        record = event.record
        rules = actiontrail_rules(record)
        who = record.user_identity.display
        would = f"; with it, {', '.join(_jobs(rules))} would handle it" if rules else ""
        return RouteResult(kind=event.kind, handled=False, correlation_id=event.correlation_id, actor=who,
                           event_name=record.event_name,
                           summary=f"{record.service_name or '?'} {record.event_name} by {who}",
                           reason="an ActionTrail record without its CloudEvents envelope (is the trigger's "
                                  "eventSchema RawData?): set it to CloudEvents, acrguard needs source + id to skip "
                                  "duplicates" + would)
    raise TypeError(f"route() takes a decoded event, not {type(event).__name__}")


# -- the table, for trigger checks ------------------------------------------------------------


@dataclass(frozen=True)
class HandledEvents:
    """What one job's EventBridge trigger must let through: types (or type suffixes) and event names."""

    job: str
    kind: str
    products: tuple[str, ...]
    types: tuple[str, ...] = ()          # exact ``type`` values (ACR artifact events)
    type_suffixes: tuple[str, ...] = ()  # ``type`` suffixes (ActionTrail events; the source of RAM is unconfirmed)
    sources: tuple[str, ...] = ()
    event_names: tuple[str, ...] = ()    # ``data.eventName`` values (ActionTrail)


def handled_events() -> tuple[HandledEvents, ...]:
    """Per job and kind, the events the table routes (what its trigger pattern must match, and no more)."""
    out: list[HandledEvents] = []
    for job in JOBS:
        for kind in (KIND_ACTIONTRAIL, KIND_ACR_ARTIFACT):
            rules = [r for r in RULES if r.job == job and r.kind == kind]
            if not rules:
                continue
            products = tuple(dict.fromkeys(p for r in rules for p in r.products))
            names = tuple(dict.fromkeys(n for r in rules for n in r.names))
            if kind == KIND_ACTIONTRAIL:
                out.append(HandledEvents(job, kind, products,
                                         type_suffixes=tuple(f":ActionTrail:{c}" for c in ACTIONTRAIL_CATEGORIES),
                                         event_names=names))
            else:
                out.append(HandledEvents(job, kind, products, types=tuple(f"cr:Artifact:{n}" for n in names),
                                         sources=("acs.cr",)))
    return tuple(out)
