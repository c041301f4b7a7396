"""ActionTrail records: the ``data`` of ``<product>:ActionTrail:*`` events, typed and trimmed.

Field names and shapes follow ActionTrail's management event structure and its published
samples (https://alibabacloud.com/help/en/eventbridge/user-guide/actiontrail-events;
https://www.alibabacloud.com/help/doc-detail/28819.html):

- older records: ``eventVersion "1"``, no ``eventRW``/``errorCode``, ``sessionAttributes``;
  newer: ``eventVersion 1``, ``eventRW``, ``eventAttributes``, ``isGlobal``,
  ``referencedResources``, ``requestParameterJson``, empty ``errorCode`` on success;
- ``eventName`` casing varies (and a forwarder reads ``EventName`` too), so keys are found
  case-insensitively and names are compared case-insensitively;
- ``recipientAccountId``: the account that received the call (whose resource it acted on), where
  ``userIdentity.accountId`` is the caller's (Simple Log Service's ActionTrail log fields:
  https://www.alibabacloud.com/help/en/sls/log-fields-25); an organisation routes on it;
- RAM user and AccessKey APIs are logged as service ``Ims`` (``ims-share.aliyuncs.com``, with
  ``UserPrincipalName`` parameters) as well as ``Ram``.

What is kept: ``requestParameters`` with secret-looking values replaced by ``****`` (a
``CreateLoginProfile`` carries a ``Password``), and from ``responseElements`` only the few
facts routing needs (``RESPONSE_FACTS``): responses can hold secrets (a new AccessKey's secret,
STS credentials), so the rest is dropped at parse time and can never reach a log or an alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from acrguard.events._fields import Ctx, as_object, describe_type, get_bool, get_object, get_str, lookup
from acrguard.events.times import get_time
from acrguard.findings import Actor

#: request parameter names whose values are never kept
_SECRET_KEY = re.compile(r"(?i)(password|secret|securitytoken|privatekey|signature|credential|^token$|"
                         r"authorization)")
#: what is taken from ``responseElements`` (dotted paths, matched case-insensitively); nothing else is kept
RESPONSE_FACTS: tuple[str, ...] = (
    "IsSuccess", "Code",                                   # ACR answers HTTP 200 with IsSuccess=false on errors
    "AccessKey.AccessKeyId", "AccessKey.Status",           # CreateAccessKey: which key was made (never its secret)
    "PolicyVersion.VersionId", "PolicyVersion.IsDefaultVersion",  # CreatePolicyVersion
)
MASK = "****"


def _redact(value: Any, depth: int = 0) -> Any:
    """``value`` with every secret-looking key's value replaced by ``****`` (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): (MASK if _SECRET_KEY.search(str(k)) and v not in (None, "") else _redact(v, depth + 1))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, depth + 1) for v in value]
    return value


def _facts(response: Any) -> dict[str, str]:
    """The ``RESPONSE_FACTS`` present in ``response``, as strings."""
    if not isinstance(response, Mapping):
        return {}
    found: dict[str, str] = {}
    for dotted in RESPONSE_FACTS:
        node: Any = response
        for part in dotted.split("."):
            if not isinstance(node, Mapping):
                node = None
                break
            node = lookup(node, part)[1]
        if isinstance(node, bool):
            found[dotted] = "true" if node else "false"
        elif isinstance(node, (str, int, float)) and node != "":
            found[dotted] = str(node)
    return found


@dataclass(frozen=True)
class UserIdentity:
    """Who made the call: ``type`` is ``root-account``, ``ram-user``, ``assumed-role`` or ``system``."""

    type: str | None = None
    account_id: str | None = None
    principal_id: str | None = None
    user_name: str | None = None
    access_key_id: str | None = None
    mfa_authenticated: bool | None = None
    session_created: str | None = None

    @property
    def display(self) -> str:
        """``ram-user:alice``, ``assumed-role:ops/session``, ``root-account``, ``system:ecs.aliyuncs.com``."""
        kind = (self.type or "unknown").lower()
        if kind == "root-account":
            return "root-account"
        name = self.user_name or self.principal_id or "?"
        if kind == "assumed-role":
            name = name.replace(":", "/", 1)
        return f"{kind}:{name}"

    @property
    def ram_user_name(self) -> str | None:
        """The RAM user's name when the caller is a RAM user (the owner of keys it creates for itself)."""
        if (self.type or "").lower() == "ram-user" and self.user_name:
            return self.user_name
        return None


def parse_user_identity(value: Any, ctx: Ctx) -> UserIdentity:
    """``userIdentity`` (with ``sessionContext.attributes`` or the older ``sessionAttributes``)."""
    obj = as_object(value, ctx)
    attrs: dict[str, Any] | None = None
    where = ctx
    session_key, session = lookup(obj, "sessionContext")
    if session not in (None, ""):
        session_ctx = ctx.key(session_key or "sessionContext")
        session_obj = as_object(session, session_ctx)
        attrs_key, attrs_value = lookup(session_obj, "attributes", "sessionAttributes")
        if attrs_value not in (None, ""):
            where = session_ctx.key(attrs_key or "attributes")
            attrs = as_object(attrs_value, where)
    if attrs is None:  # oldest shape: sessionAttributes directly under userIdentity
        attrs_key, attrs_value = lookup(obj, "sessionAttributes")
        if attrs_value not in (None, ""):
            where = ctx.key(attrs_key or "sessionAttributes")
            attrs = as_object(attrs_value, where)
    mfa = get_bool(attrs, "mfaAuthenticated", where) if attrs else None
    created = get_str(attrs, "creationDate", where, max_chars=64) if attrs else None
    return UserIdentity(
        type=get_str(obj, "type", ctx), account_id=get_str(obj, "accountId", ctx),
        principal_id=get_str(obj, "principalId", ctx), user_name=get_str(obj, "userName", ctx),
        access_key_id=get_str(obj, "accessKeyId", ctx), mfa_authenticated=mfa, session_created=created)


@dataclass(frozen=True)
class ActionTrailRecord:
    """One ActionTrail management event, without its ``responseElements`` (see ``response_facts``)."""

    event_name: str
    event_id: str | None = None
    event_version: str | None = None
    event_source: str | None = None
    service_name: str | None = None
    event_type: str | None = None
    event_rw: str | None = None
    event_time: datetime | None = None
    event_time_raw: str | None = None
    acs_region: str | None = None
    recipient_account_id: str | None = None
    api_version: str | None = None
    request_id: str | None = None
    user_identity: UserIdentity = field(default_factory=UserIdentity)
    source_ip: str | None = None
    user_agent: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_parameters: Mapping[str, Any] = field(default_factory=dict)
    response_facts: Mapping[str, str] = field(default_factory=dict)
    referenced_resources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    is_global: bool | None = None
    sensitive_action: bool | None = None

    def name_is(self, *names: str) -> bool:
        """Whether ``eventName`` is one of ``names``, ignoring case."""
        mine = self.event_name.lower()
        return any(mine == n.lower() for n in names)

    @property
    def failure(self) -> str | None:
        """Why the call did not take effect, or None when it succeeded.

        A non-empty ``errorCode`` means it failed; ACR also reports errors in the body
        (``IsSuccess: false`` with a ``Code``), which counts as a failure too.
        """
        if self.error_code:
            return f"errorCode={self.error_code}"
        if self.response_facts.get("IsSuccess", "").lower() == "false":
            return f"IsSuccess=false (Code={self.response_facts.get('Code', '?')})"
        return None

    @property
    def is_read(self) -> bool:
        """Whether ActionTrail marks the call read-only (``eventRW: Read``)."""
        return (self.event_rw or "").lower() == "read"

    def param(self, name: str) -> str | None:
        """A request parameter as a string (case-insensitive name; ``None`` when absent, empty or not scalar)."""
        value = lookup(self.request_parameters, name)[1]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)) and value != "":
            return str(value)
        return None

    def actor(self, event_id: str | None = None) -> Actor:
        """The ``Actor`` for findings and alerts: who, from where, with what, when."""
        return Actor(identity=self.user_identity.display, source_ip=self.source_ip, user_agent=self.user_agent,
                     access_key_id=self.user_identity.access_key_id,
                     event_time=self.event_time.isoformat() if self.event_time else self.event_time_raw,
                     event_name=self.event_name, event_id=event_id or self.event_id)


def _parameters(obj: Mapping[str, Any], ctx: Ctx) -> dict[str, Any]:
    key, value = lookup(obj, "requestParameters")
    if value is None or value == "":
        key, value = lookup(obj, "requestParameterJson")
    if value is None or value == "":
        return {}
    return _redact(as_object(value, ctx.key(key or "requestParameters")))


def _referenced(obj: Mapping[str, Any], ctx: Ctx) -> dict[str, tuple[str, ...]]:
    value = get_object(obj, "referencedResources", ctx)
    if not value:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for rtype, ids in value.items():
        items = [ids] if isinstance(ids, str) else ids if isinstance(ids, list) else []
        out[str(rtype)] = tuple(str(i) for i in items if isinstance(i, (str, int)) and not isinstance(i, bool))
    return out


def _version(obj: Mapping[str, Any], ctx: Ctx) -> str | None:
    key, value = lookup(obj, "eventVersion")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        ctx.key(key or "eventVersion").fail(f"expected a number or a string, found {describe_type(value)}")
    return str(value)


def parse_actiontrail_record(value: Any, ctx: Ctx) -> ActionTrailRecord:
    """Type an ActionTrail record (an object, or a JSON string holding one) found at ``ctx``."""
    obj = as_object(value, ctx, what="an ActionTrail record (an object)")
    identity_key, identity = lookup(obj, "userIdentity")
    attributes = get_object(obj, "eventAttributes", ctx)
    sensitive = get_bool(attributes, "SensitiveAction", ctx.key("eventAttributes")) if attributes else None
    event_time, event_time_raw = get_time(obj, "eventTime", ctx)
    return ActionTrailRecord(
        event_name=get_str(obj, "eventName", ctx, required=True, numbers=False, max_chars=256) or "",
        event_id=get_str(obj, "eventId", ctx),
        event_version=_version(obj, ctx),
        event_source=get_str(obj, "eventSource", ctx),
        service_name=get_str(obj, "serviceName", ctx, numbers=False, max_chars=128),
        event_type=get_str(obj, "eventType", ctx, numbers=False, max_chars=128),
        event_rw=get_str(obj, "eventRW", ctx, numbers=False, max_chars=32),
        event_time=event_time, event_time_raw=event_time_raw,
        acs_region=get_str(obj, "acsRegion", ctx),
        recipient_account_id=get_str(obj, "recipientAccountId", ctx, max_chars=64),
        api_version=get_str(obj, "apiVersion", ctx),
        request_id=get_str(obj, "requestId", ctx),
        user_identity=(parse_user_identity(identity, ctx.key(identity_key or "userIdentity"))
                       if identity not in (None, "") else UserIdentity()),
        source_ip=get_str(obj, "sourceIpAddress", ctx),
        user_agent=get_str(obj, "userAgent", ctx, max_chars=2048),
        error_code=get_str(obj, "errorCode", ctx),
        error_message=get_str(obj, "errorMessage", ctx, max_chars=4096),
        request_parameters=_parameters(obj, ctx),
        response_facts=_facts(lookup(obj, "responseElements")[1]),
        referenced_resources=_referenced(obj, ctx),
        is_global=get_bool(obj, "isGlobal", ctx),
        sensitive_action=sensitive,
    )


def looks_like_actiontrail_record(obj: Mapping[str, Any]) -> bool:
    """Whether a bare object is an ActionTrail record (delivered without its envelope: ``RawData``)."""
    if lookup(obj, "eventName")[0] is None:
        return False
    return any(lookup(obj, k)[0] is not None for k in ("eventId", "userIdentity", "eventSource", "serviceName"))


@dataclass(frozen=True)
class BareActionTrailRecord:
    """An ActionTrail record delivered without its CloudEvents envelope.

    That happens when a trigger's sink ``eventSchema`` is ``RawData`` instead of ``CloudEvents``
    (the trigger's ``eventSinkConfig.deliveryOption.eventSchema``, ``alibabacloud_fc20230330/models/
    _event_bridge_trigger_config.py``): recognised and explained, not handled, because
    without ``source`` + ``id`` a duplicate delivery cannot be told apart.
    """

    record: ActionTrailRecord

    kind = "actiontrail_raw"

    @property
    def correlation_id(self) -> str:
        """``actiontrail#<eventId>`` (the record's own id; there is no envelope id)."""
        return f"actiontrail#{self.record.event_id or '?'}"
