"""``LocalCloud``: the state core (``localcloud.core``) with its servers (``localcloud.servers``).

Shaped like moto's server mode: state lives in ``backends[(product, account, region)]`` and is
created lazily; the HTTP and DNS front ends are thin and live in their own modules. One
``LocalCloud`` holds everything a test or the demo needs and starts every front end on 127.0.0.1
with ephemeral ports::

    with LocalCloud.from_world_file("world.yaml") as cloud:
        cloud.endpoints()   # {"openapi": "127.0.0.1:PORT", "dns": ..., "registry": ..., ...}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localcloud.core.identity import AccessKey, Credentials, Principal
from localcloud.core.state import DEFAULT_WORLD, CloudState, read_world_file
from localcloud.products.sts import service_credentials
from localcloud.servers.frontends import start_servers

__all__ = ["DEFAULT_WORLD", "AccessKey", "Credentials", "LocalCloud", "Principal"]


class LocalCloud(CloudState):
    """The local stand-in for Alibaba Cloud: its state plus the servers that answer for it."""

    def __init__(self, world: dict[str, Any] | None = None, *, seed: int = 0) -> None:
        super().__init__(world, seed=seed)
        self._servers: list[Any] = []
        self._endpoints: dict[str, Any] = {}

    @classmethod
    def from_world_file(cls, path: str | Path | None = None, *, seed: int = 0) -> LocalCloud:
        """A cloud seeded from a YAML world file (the demo world when ``path`` is None)."""
        return cls(read_world_file(path), seed=seed)

    def service_credentials(self, role_arn: str, service: str = "fc.aliyuncs.com", session_name: str = "localcloud",
                            duration: int = 3600) -> Credentials:
        """STS credentials a cloud service (Function Compute by default) obtains for a role that trusts it.

        What FC does before it invokes a function with its role (``context.credentials``); refused
        with ``CloudError`` when the role does not exist or its trust policy does not name ``service``.
        """
        return service_credentials(self, role_arn, service, session_name, duration)

    # -- servers ------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalCloud:
        """Start every front end; ``port`` fixes the OpenAPI port (0 = ephemeral)."""
        if self._servers:
            return self
        self._servers, self._endpoints = start_servers(self, host, port)
        return self

    def stop(self) -> None:
        """Stop every front end."""
        for server in reversed(self._servers):
            server.stop()
        self._servers = []

    def endpoints(self) -> dict[str, Any]:
        """What ``python -m localcloud`` prints: every endpoint and the demo credentials."""
        if not self._servers:
            raise RuntimeError("the local cloud is not started")
        return dict(self._endpoints)

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
