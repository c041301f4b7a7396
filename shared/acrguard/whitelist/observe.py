"""Read an instance's internet endpoint and its whitelist through the cr20181201 SDK.

``GetInstanceEndpoint`` (``EndpointType=internet``) is the one call that answers ``Enable``,
``AclEnable``, ``Status`` and the entries *with* their ``Comment`` (``ListInstanceEndpoint``
returns entries without comments, so ownership markers could not be read from it; see the SDK
models ``GetInstanceEndpointResponseBody`` and ``ListInstanceEndpointResponseBodyEndpoints``).
``acrguard.clients.call`` raises on ``IsSuccess=false`` as well as on SDK errors, so a failed read
never looks like an empty ACL.

Switching the endpoint on is asynchronous (``CREATING`` -> ``RUNNING``); ``wait_until_running``
polls for the end of it, bounded, as terraform-provider-alicloud does before its ACL writes
(``alicloud/service_alicloud_cr.go``, ``WaitCrEndpointRunning``: a 3 s wait growing by 3 s; the
resource gives the switch 5 minutes). acrguard waits less (``SWITCH_WAIT``) because the whitelist
function has 60 s in all; a switch that outlasts it is finished by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError
from acrguard.routes.targets.waiting import Waiter
from acrguard.whitelist.model import AclEntry, EndpointState

#: how long a run waits for the internet endpoint to turn RUNNING (fits the function's 60 s timeout)
SWITCH_WAIT = Waiter(timeout_s=40.0, interval_s=5.0)
#: codes of an instance that cannot be read: gone, or in a state without endpoint operations
#: (terraform-provider-alicloud treats both as NotFound: ``alicloud/service_alicloud_cr.go``)
INSTANCE_NOT_FOUND = "INSTANCE_NOT_EXIST"
INSTANCE_STATUS_NOT_SUPPORTED = "INSTANCE_STATUS_NOT_SUPPORT"


@dataclass(frozen=True)
class Settled:
    """The outcome of a wait: the last state read (None when no read succeeded) and whether it is RUNNING."""

    state: EndpointState | None
    running: bool


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


def wait_until_running(factory: ClientFactory, instance_id: str, region: str | None, waiter: Waiter, *,
                       known_false: bool = True) -> Settled:
    """Poll ``GetInstanceEndpoint`` until the endpoint is enabled and RUNNING, at most ``waiter.timeout_s``.

    ``known_false``: the caller has just seen it switching, so the first read comes after one
    interval. A failed read counts as "not yet" (the wait goes on; the caller writes nothing on doubt).
    """
    last: list[EndpointState] = []

    def running() -> bool:
        try:
            state = observe_endpoint(factory, instance_id, region)
        except CloudCallError:
            return False
        last.append(state)
        return state.enabled and not state.switching

    done = waiter.until(running, known_false=known_false)
    return Settled(last[-1] if last else None, done)
