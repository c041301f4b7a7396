"""Which event buses and sources acrguard subscribes to: an event from anywhere else is ignored, never acted on.

``s.yaml`` subscribes every function with an EventBridge trigger whose ``eventSourceType`` is
``Default``: "Alibaba Cloud service event sources in EventBridge" (FC API, struct
EventSourceConfig:
https://alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-struct-eventsourceconfig),
whose events carry ``aliyuneventbusname: default`` (EventBridge event overview, the envelope's
extension attributes: https://www.alibabacloud.com/help/en/doc-detail/181428.htm). On that bus:

* ActionTrail records have the type ``<product>:ActionTrail:<category>`` and the source
  ``acs.<product>`` (Container Registry events:
  https://www.alibabacloud.com/help/en/eventbridge/user-guide/container-registry-events; RAM:
  https://help.aliyun.com/zh/eventbridge/user-guide/ram-events), or ``acs.actiontrail`` with the
  type prefix ``actiontrail`` (ActionTrail events:
  https://www.alibabacloud.com/help/en/eventbridge/user-guide/actiontrail-events). The source of
  IMS (RAM user and AccessKey) records is not published; ``acs.ims`` is accepted as well.
* ACR artifact events have the source ``acs.cr`` (Container Registry events, above).

An organisation (``acrguard.org``) receives its member accounts' events on a custom bus of the
central account, ``acrguard-org`` (``ORGANIZATION_BUS``): each member account's rule routes its
``default`` bus's events there, and events routed from another account carry that account in
``aliyunoriginalaccountid`` (EventBridge cross-account routing, "Route events to EventBridge":
https://help.aliyun.com/zh/eventbridge/user-guide/route-events-to-eventbridge; events of a cloud
service's bus can be routed only to a custom bus, which is why the central bus is not ``default``).
On that bus only routed events are accepted: one without ``aliyunoriginalaccountid`` was not
routed there by a member account's rule.

So an ActionTrail event is accepted from ``acs.actiontrail`` or from ``acs.<product>`` of a
product its routing rules name (``cr``, ``vpc``, ``ram``, ``ims``), an ACR artifact event from
``acs.cr``, and both only from the ``default`` bus, or routed from a member account to the
organisation's bus. An envelope that names no bus did not come
through EventBridge's delivery (EventBridge sets it on every event it delivers) and is ignored
too: who sent it cannot be told. These checks keep a mis-wired trigger (a custom bus, another
source) from driving acrguard; they are not proof of origin (anyone allowed to invoke the function
can write any envelope), which is why no job trusts an event for the state it re-reads, and a
finding resolves only when an observation of the live state no longer shows it.
"""

from __future__ import annotations

from acrguard.events.envelope import KIND_ACR_ARTIFACT, KIND_ACTIONTRAIL, CloudEvent

#: the bus of the triggers' ``eventSourceType: Default`` (s.yaml)
SUBSCRIBED_BUS = "default"
#: the central account's custom bus that member accounts route their events to (an organisation's deploy step)
ORGANIZATION_BUS = "acrguard-org"
#: the source of ActionTrail records of every product (EventBridge's ActionTrail events page)
ACTIONTRAIL_SOURCE = "acs.actiontrail"
#: the source of ACR artifact events
ACR_SOURCE = "acs.cr"


def accepted_sources(kind: str, products: tuple[str, ...]) -> frozenset[str]:
    """The ``source`` values accepted for an event of ``kind`` routed by rules naming ``products``."""
    if kind == KIND_ACTIONTRAIL:
        return frozenset({ACTIONTRAIL_SOURCE, *(f"acs.{p}" for p in products)})
    if kind == KIND_ACR_ARTIFACT:
        return frozenset({ACR_SOURCE})
    return frozenset()


def refusal(event: CloudEvent, products: tuple[str, ...]) -> str | None:
    """Why ``event`` is not from a bus and source acrguard subscribes to (None when it is)."""
    bus = (event.event_bus or "").strip()
    if not bus:
        return (f"the event names no bus (aliyuneventbusname); acrguard acts only on events EventBridge delivers "
                f"from the {SUBSCRIBED_BUS!r} bus its triggers subscribe to")
    if bus == ORGANIZATION_BUS:
        if not (event.original_account_id or "").strip():
            return (f"the event is on the organisation's bus {ORGANIZATION_BUS!r} but names no "
                    "aliyunoriginalaccountid: only events a member account's rule routed there are acted on")
    elif bus != SUBSCRIBED_BUS:
        return (f"the event comes from the bus {bus!r}; acrguard's triggers subscribe to the {SUBSCRIBED_BUS!r} bus "
                f"only (eventSourceType Default; an organisation's member accounts route to {ORGANIZATION_BUS!r}), "
                "so it is not acted on")
    sources = accepted_sources(event.kind, products)
    if event.source.strip().lower() not in sources:
        return (f"the event's source {event.source!r} is not one acrguard subscribes to for {event.type} "
                f"(accepted: {', '.join(sorted(sources))}), so it is not acted on")
    return None
