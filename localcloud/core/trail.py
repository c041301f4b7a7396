"""A local ActionTrail + EventBridge: every successful write call becomes a CloudEvents envelope.

Real ActionTrail delivers only write events to EventBridge, as ``<product>:ActionTrail:ApiCall``
with the record in ``data`` (https://alibabacloud.com/help/en/eventbridge/user-guide/actiontrail-events;
record fields: https://www.alibabacloud.com/help/doc-detail/28819.html). The local cloud builds the
same shape from the request it just answered, with the caller's identity, so tests and the demo can
hand real-format events to the handlers. RAM calls appear as service ``Ims`` on
``ims-share.aliyuncs.com``, as ActionTrail's RAM event samples show.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState

READ_PREFIXES = ("Get", "List", "Describe", "Query", "Check")
_SERVICE = {"ram": ("Ims", "ims-share.aliyuncs.com"), "sts": ("Sts", "sts.aliyuncs.com")}


class ActionTrail:
    """The events produced so far (newest last)."""

    def __init__(self, cloud: CloudState) -> None:
        self.cloud = cloud
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, product: str, action: str, version: str, principal: Principal, region: str,
               params: dict[str, Any], headers: dict[str, str], request_id: str) -> dict[str, Any] | None:
        """Build and keep the event for a successful call (None for reads)."""
        if action.startswith(READ_PREFIXES):
            return None
        service, host = _SERVICE.get(product, (product, f"{product}.{region}.aliyuncs.com"))
        identity: dict[str, Any] = {"accountId": principal.account_id, "accessKeyId": principal.access_key_id}
        if principal.kind == "assumed-role" and principal.token is not None:
            identity.update(type="assumed-role", principalId=f"{principal.token.role_id}:"
                                                             f"{principal.token.session_name}",
                            userName=f"{principal.token.role_name}/{principal.token.session_name}")
        elif principal.kind == "ram-user":
            identity.update(type="ram-user", userName=principal.user_name, principalId=principal.user_name)
        else:
            identity.update(type="root-account", principalId=principal.account_id)
        now = self.cloud.clock.iso()
        event_id = str(uuid.uuid4())
        record = {
            "eventId": str(uuid.uuid4()), "eventVersion": "1", "eventType": "ApiCall", "eventRW": "Write",
            "eventName": action, "eventSource": host, "serviceName": service, "apiVersion": version,
            "acsRegion": region, "eventTime": now, "requestId": request_id, "userIdentity": identity,
            "sourceIpAddress": headers.get("x-forwarded-for", "127.0.0.1"),
            "userAgent": headers.get("user-agent", ""), "requestParameters": dict(params),
            "errorCode": "", "errorMessage": "",
        }
        event = {
            "specversion": "1.0", "id": event_id, "source": f"acs.{product}",
            "type": f"{product}:ActionTrail:ApiCall", "subject": f"acs.{product}:{region}:{principal.account_id}",
            "time": now, "datacontenttype": "application/json;charset=utf-8",
            "aliyunaccountid": principal.account_id, "aliyunregionid": region, "aliyuneventbusname": "default",
            "aliyunpublishtime": now, "data": record,
        }
        with self._lock:
            self.events.append(event)
        return event

    def take(self, name: str | None = None) -> list[dict[str, Any]]:
        """Remove and return the events (only those named ``name`` when given)."""
        with self._lock:
            taken = [e for e in self.events if name is None or e["data"]["eventName"] == name]
            self.events = [e for e in self.events if e not in taken]
        return taken
