"""Typed events and their routing: what FC hands a function, and which job acts on it.

``decode_events(raw)`` turns FC's ``event`` (bytes, text or decoded JSON; one object or a batch)
into typed events: ``CloudEvent`` (whose ``detail`` is an ``ActionTrailRecord`` or an
``AcrArtifactEvent``), ``TimerEvent``, and, recognised but not handled, ``LegacyAcrWebhook`` and
``BareActionTrailRecord``. Anything else raises ``MalformedEventError`` (a ``BadInputError``)
naming the event id and the JSON path of the problem. ``route(event)`` says which job(s) handle it
and which resources it touches, from the table in ``routing``; an event from a bus or source the
triggers do not subscribe to is ignored with the reason (``subscriptions``). ``dedup`` keeps each
event to one processing per job.

Only the standard library is imported here: functions import this on cold start.
"""

from acrguard.events.acr import AcrArtifactEvent, LegacyAcrWebhook
from acrguard.events.actiontrail import ActionTrailRecord, BareActionTrailRecord, UserIdentity
from acrguard.events.decode import Event, decode_event, decode_events
from acrguard.events.envelope import CloudEvent
from acrguard.events.errors import MalformedEventError
from acrguard.events.routing import (
    ENDPOINT_KEEPER,
    IMAGE_ADVISOR,
    JOBS,
    PULLKEY_AUDITOR,
    WHITELIST_GUARD,
    Resource,
    RouteResult,
    handled_events,
    route,
)
from acrguard.events.timer import TimerEvent

__all__ = [
    "ENDPOINT_KEEPER",
    "IMAGE_ADVISOR",
    "JOBS",
    "PULLKEY_AUDITOR",
    "WHITELIST_GUARD",
    "AcrArtifactEvent",
    "ActionTrailRecord",
    "BareActionTrailRecord",
    "CloudEvent",
    "Event",
    "LegacyAcrWebhook",
    "MalformedEventError",
    "Resource",
    "RouteResult",
    "TimerEvent",
    "UserIdentity",
    "decode_event",
    "decode_events",
    "handled_events",
    "route",
]
