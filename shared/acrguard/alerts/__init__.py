"""Alerts: findings become chat messages, grouped, deduplicated, silenced, signed and rate limited.

Modules, in the order a run goes through them: ``state`` (the notification log in the state
store), ``silences``, ``decide`` (Alertmanager's needsUpdate), ``delivery`` (rate limits, digests,
outcomes), ``render`` (text per platform), ``channels`` (one module per platform) and
``transport`` (HTTP). ``pipeline.AlertPipeline`` ties them together; see its docstring for how
jobs call it.
"""

from __future__ import annotations

from acrguard.alerts.clock import Clock, SystemClock
from acrguard.alerts.delivery import Delivery, DeliveryRecord
from acrguard.alerts.pipeline import AlertPipeline, AlertRunReport
from acrguard.alerts.transport import HttpClientTransport, HttpRequest, HttpResponse, Transport, TransportError

__all__ = [
    "AlertPipeline",
    "AlertRunReport",
    "Clock",
    "Delivery",
    "DeliveryRecord",
    "HttpClientTransport",
    "HttpRequest",
    "HttpResponse",
    "SystemClock",
    "Transport",
    "TransportError",
]
