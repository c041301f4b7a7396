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

So an ActionTrail event is accepted from ``acs.actiontrail`` or from ``acs.<product>`` of a
product its routing rules name (``cr``, ``vpc``, ``ram``, ``ims``), an ACR artifact event from
``acs.cr``, and both only from the ``default`` bus. An envelope that names no bus did not come
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
    if bus != SUBSCRIBED_BUS:
        return (f"the event comes from the bus {bus!r}; acrguard's triggers subscribe to the {SUBSCRIBED_BUS!r} bus "
                "only (eventSourceType Default), so it is not acted on")
    sources = accepted_sources(event.kind, products)
    if event.source.strip().lower() not in sources:
        return (f"the event's source {event.source!r} is not one acrguard subscribes to for {event.type} "
                f"(accepted: {', '.join(sorted(sources))}), so it is not acted on")
    return None
