"""The EventBridge envelope: CloudEvents 1.0 plus Alibaba's extension attributes.

Fields (https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-overview): ``specversion``, ``id``,
``source``, ``type``,
``subject``, ``time``, ``datacontenttype``, ``data`` and the extensions ``aliyunaccountid``,
``aliyunregionid``, ``aliyuneventbusname``, ``aliyunpublishtime`` (its format varies, so it is
parsed leniently) and ``aliyunpublishaddr``; an event another account's rule routed to this
account's bus also carries ``aliyunoriginalaccountid``, the account it came from (EventBridge,
"Route events to EventBridge", cross-account routing:
https://help.aliyun.com/zh/eventbridge/user-guide/route-events-to-eventbridge). ``id`` + ``source``
identify an event: EventBridge delivers at least once and a re-send reuses the id.

``data`` is typed by ``type``: ``<product>:ActionTrail:*`` holds an ActionTrail record,
``cr:Artifact:*`` an ACR artifact payload. Any other event is kept as an envelope with only the
names of its ``data`` keys (acrguard does not handle it, so it keeps none of its content).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from acrguard.events._fields import Ctx, get_str, lookup
from acrguard.events.acr import AcrArtifactEvent, parse_acr_artifact
from acrguard.events.actiontrail import ActionTrailRecord, parse_actiontrail_record
from acrguard.events.times import get_time

KIND_ACTIONTRAIL = "actiontrail"
KIND_ACR_ARTIFACT = "acr_artifact"
KIND_OTHER = "cloudevent"
_ACTIONTRAIL_TYPE = re.compile(r"^(?P<product>[^:]+):ActionTrail:(?P<category>.+)$", re.IGNORECASE)
_ARTIFACT_TYPE = re.compile(r"^cr:Artifact:(?P<event>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class CloudEvent:
    """An EventBridge event; ``detail`` is its typed ``data`` when acrguard knows the type."""

    id: str
    source: str
    type: str
    specversion: str | None = None
    subject: str | None = None
    time: datetime | None = None
    time_raw: str | None = None
    datacontenttype: str | None = None
    account_id: str | None = None
    original_account_id: str | None = None
    region_id: str | None = None
    event_bus: str | None = None
    publish_time: datetime | None = None
    publish_time_raw: str | None = None
    publish_addr: str | None = None
    detail: ActionTrailRecord | AcrArtifactEvent | None = None
    data_keys: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``actiontrail``, ``acr_artifact`` or ``cloudevent`` (any other type)."""
        if isinstance(self.detail, ActionTrailRecord):
            return KIND_ACTIONTRAIL
        if isinstance(self.detail, AcrArtifactEvent):
            return KIND_ACR_ARTIFACT
        return KIND_OTHER

    @property
    def correlation_id(self) -> str:
        """``<source>#<id>``: the pair that identifies a delivery (and its duplicates)."""
        return f"{self.source}#{self.id}"

    @property
    def type_product(self) -> str:
        """The product prefix of ``type`` (``cr`` in ``cr:ActionTrail:ApiCall``), lower-cased."""
        return self.type.split(":", 1)[0].lower()

    @property
    def actiontrail_category(self) -> str | None:
        """``ApiCall``, ``ConsoleOperation``, ``AliyunServiceEvent``… for ActionTrail types, else None."""
        match = _ACTIONTRAIL_TYPE.match(self.type)
        return match.group("category") if match else None

    @property
    def record(self) -> ActionTrailRecord | None:
        """The ActionTrail record, when this is an ActionTrail event."""
        return self.detail if isinstance(self.detail, ActionTrailRecord) else None

    @property
    def artifact(self) -> AcrArtifactEvent | None:
        """The ACR artifact payload, when this is a ``cr:Artifact:*`` event."""
        return self.detail if isinstance(self.detail, AcrArtifactEvent) else None


def looks_like_cloudevent(obj: Mapping[str, Any]) -> bool:
    """``specversion`` present, or all of ``id``, ``source`` and ``type``."""
    if lookup(obj, "specversion")[0] is not None:
        return True
    return all(lookup(obj, k)[0] is not None for k in ("id", "source", "type"))


def _data(obj: Mapping[str, Any], ctx: Ctx) -> tuple[Any, Ctx]:
    """``data``, or ``data_base64`` decoded as JSON when ``data`` is absent (CloudEvents JSON format)."""
    key, value = lookup(obj, "data")
    if key is not None:
        return value, ctx.key(key)
    key, encoded = lookup(obj, "data_base64")
    if key is None or encoded in (None, ""):
        return None, ctx.key("data")
    where = ctx.key(key)
    if not isinstance(encoded, str):
        where.fail("expected a base64 string")
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8")
        return json.loads(text), where
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        where.fail(f"is not base64 of UTF-8 JSON ({type(exc).__name__})")


def parse_cloudevent(obj: Mapping[str, Any], ctx: Ctx) -> CloudEvent:
    """Type a CloudEvents envelope; ``id``, ``source`` and ``type`` are required non-empty strings."""
    raw_id = lookup(obj, "id")[1]
    if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and 0 < len(str(raw_id)) <= 1024:
        ctx = ctx.with_id(str(raw_id))
    event_id = get_str(obj, "id", ctx, required=True) or ""
    source = get_str(obj, "source", ctx, required=True, numbers=False) or ""
    etype = get_str(obj, "type", ctx, required=True, numbers=False) or ""
    subject = get_str(obj, "subject", ctx, max_chars=2048)
    data, data_ctx = _data(obj, ctx)
    detail: ActionTrailRecord | AcrArtifactEvent | None = None
    data_keys: tuple[str, ...] = ()
    if _ACTIONTRAIL_TYPE.match(etype):
        if data is None or data == "":
            data_ctx.fail(f"is missing: a {etype} event carries its ActionTrail record in data")
        detail = parse_actiontrail_record(data, data_ctx)
    elif artifact := _ARTIFACT_TYPE.match(etype):
        detail = parse_acr_artifact(artifact.group("event"), data, data_ctx, subject=subject)
    elif isinstance(data, Mapping):
        data_keys = tuple(sorted(str(k) for k in data)[:20])
    time, time_raw = get_time(obj, "time", ctx)
    publish_time, publish_raw = get_time(obj, "aliyunpublishtime", ctx)
    return CloudEvent(
        id=event_id, source=source, type=etype,
        specversion=get_str(obj, "specversion", ctx, max_chars=16),
        subject=subject, time=time, time_raw=time_raw,
        datacontenttype=get_str(obj, "datacontenttype", ctx, numbers=False, max_chars=256),
        account_id=get_str(obj, "aliyunaccountid", ctx, max_chars=64),
        original_account_id=get_str(obj, "aliyunoriginalaccountid", ctx, max_chars=64),
        region_id=get_str(obj, "aliyunregionid", ctx, numbers=False, max_chars=64),
        event_bus=get_str(obj, "aliyuneventbusname", ctx, numbers=False, max_chars=256),
        publish_time=publish_time, publish_time_raw=publish_raw,
        publish_addr=get_str(obj, "aliyunpublishaddr", ctx, numbers=False, max_chars=256),
        detail=detail, data_keys=data_keys)
