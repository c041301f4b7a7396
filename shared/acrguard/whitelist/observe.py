"""Read an instance's internet endpoint and its whitelist through the cr20181201 SDK.

``GetInstanceEndpoint`` (``EndpointType=internet``) is the one call that answers ``Enable``,
``AclEnable``, ``Status`` and the entries *with* their ``Comment`` (``ListInstanceEndpoint``
returns entries without comments, so ownership markers could not be read from it); see
``../shared/reference/acr-network.md`` §2. ``acrguard.clients.call`` raises on
``IsSuccess=false`` as well as on SDK errors, so a failed read never looks like an empty ACL.
"""

from __future__ import annotations

from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError
from acrguard.whitelist.model import AclEntry, EndpointState


def observe_endpoint(factory: ClientFactory, instance_id: str, region: str | None = None) -> EndpointState:
    """The internet endpoint of ``instance_id`` as it is now (raises ``CloudCallError`` when unreadable)."""
    from alibabacloud_cr20181201 import models as cr_models

    request = cr_models.GetInstanceEndpointRequest(instance_id=instance_id, endpoint_type="internet",
                                                   module_name="Registry")
    body = call("cr", "GetInstanceEndpoint", factory.cr(region).get_instance_endpoint, request)
    return endpoint_from_body(instance_id, body)


def endpoint_from_body(instance_id: str, body: Any) -> EndpointState:
    """An ``EndpointState`` from a ``GetInstanceEndpoint`` response body.

    A body without ``Enable`` is not a reading of the endpoint; it is refused rather than taken
    as "disabled" (unknown is never absent).
    """
    if getattr(body, "enable", None) is None:
        raise CloudCallError("GetInstanceEndpoint", "IncompleteResponse",
                             "the response has no Enable field; the endpoint state is unknown",
                             getattr(body, "request_id", None))
    entries = tuple(AclEntry(str(e.entry or "").strip(), str(e.comment or ""))
                    for e in (body.acl_entries or []) if e is not None and e.entry)
    return EndpointState(instance_id=instance_id, enabled=bool(body.enable),
                         acl_enabled=body.acl_enable is not False, status=str(body.status or ""),
                         entries=entries)
