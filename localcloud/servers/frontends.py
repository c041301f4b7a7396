"""Starts every server of a local cloud and names their endpoints.

Each front end is a function ``(cloud, host) -> (server, endpoint_info)`` in ``FRONTENDS``; a
server has ``stop()``. The endpoint map is what ``python -m localcloud`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from localcloud import chat, registry
from localcloud.httpserver import RunningServer
from localcloud.servers import openapi, oss
from localcloud.servers.dns import RunningDns
from localcloud.servers.kube import RunningKube

if TYPE_CHECKING:
    from localcloud.core.state import CloudState


def _registry(cloud: CloudState, host: str) -> tuple[Any, Any]:
    server = RunningServer(registry.make_handler(lambda: cloud.registry), host)
    return server, server.address


def _oss(cloud: CloudState, host: str) -> tuple[Any, Any]:
    server = RunningServer(oss.make_handler(cloud), host)
    return server, server.address


def _dns(cloud: CloudState, host: str) -> tuple[Any, Any]:
    server = RunningDns(lambda: cloud.dns, host)
    return server, server.address


def _chat(cloud: CloudState, host: str) -> tuple[Any, Any]:
    server = RunningServer(chat.make_handler(lambda: cloud.chat), host)
    return server, server.address


def _kube(cloud: CloudState, host: str) -> tuple[Any, Any]:
    server = RunningKube(cloud, host)
    return server, server.address


FRONTENDS: dict[str, Callable[[CloudState, str], tuple[Any, Any]]] = {
    "registry": _registry,
    "dns": _dns,
    "oss": _oss,
    "chat": _chat,
    "kube": _kube,
}


def start_servers(cloud: CloudState, host: str, port: int) -> tuple[list[Any], dict[str, Any]]:
    """Start the OpenAPI server (on ``port``) and every other front end (ephemeral ports)."""
    servers: list[Any] = []
    endpoints: dict[str, Any] = {}
    try:
        api = RunningServer(openapi.make_handler(cloud), host, port)
        servers.append(api)
        endpoints["openapi"] = api.address
        for name, start in FRONTENDS.items():
            server, info = start(cloud, host)
            servers.append(server)
            endpoints[name] = info
    except Exception:
        for server in reversed(servers):
            server.stop()
        raise
    endpoints["credentials"] = cloud.demo_credentials()
    return servers, endpoints
