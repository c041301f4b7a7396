"""Render one configured export: dispatch on ``ExportConfig.format`` to the module of that format."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from acrguard.config.routes import ROUTE_FORMATS, ExportConfig
from acrguard.routes.exports import (
    dns_bind,
    dns_coredns,
    dns_dnsmasq,
    dns_hosts,
    routes_cisco,
    routes_huawei,
    routes_junos,
    routes_linux,
)
from acrguard.routes.exports.model import ExportError, ExportInput
from acrguard.routes.exports.routes_common import RouteOptions

#: format -> the module that renders it (route modules also have ``statement`` and ``undo``).
ROUTE_MODULES: dict[str, ModuleType] = {
    "linux": routes_linux, "cisco_ios": routes_cisco, "huawei_vrp": routes_huawei, "junos": routes_junos,
}
DNS_RENDERERS: dict[str, Callable[[ExportInput, ExportConfig], str]] = {
    "hosts": lambda data, _config: dns_hosts.render(data),
    "dnsmasq": lambda data, _config: dns_dnsmasq.render(data),
    "bind": lambda data, config: dns_bind.render(data, zone=config.zone, ttl=config.ttl),
    "coredns": lambda data, config: dns_coredns.render(data, ttl=config.ttl),
}


def where(index: int | None, config: ExportConfig) -> str:
    """``routes.exports[2] (cisco_ios)``: how messages name an export."""
    position = f"routes.exports[{index}]" if index is not None else "routes.exports"
    return f"{position} ({config.format})"


def render_export(config: ExportConfig, data: ExportInput, *, index: int | None = None) -> str:
    """The text of one export; ``ExportError`` naming the export (``index``) when it cannot be rendered."""
    label = where(index, config)
    if config.format in ROUTE_FORMATS:
        options = RouteOptions.checked(config.next_hop, config.interface, config.route_name, where=label)
        return ROUTE_MODULES[config.format].render(data, options)
    renderer = DNS_RENDERERS.get(config.format)
    if renderer is None:
        raise ExportError(f"{label}: unknown export format {config.format!r}")
    try:
        return renderer(data, config)
    except ExportError as exc:
        raise ExportError(f"{label}: {exc}") from None
