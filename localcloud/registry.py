"""The registry front end: ``GET /v2/`` answers 401 with a Docker ``WWW-Authenticate`` challenge.

The challenge depends on the ``Host`` header (the instance's VPC domain), as a registry does under
Docker's token authentication (https://distribution.github.io/distribution/spec/auth/token/): a
Bearer ``realm`` (the token service) and a ``service``. What ACR EE answers on its VPC domain is
not published; public client code shows ``realm="https://dockerauth-ee-vpc.<region>.aliyuncs.com/auth"``
with ``service="registry.aliyuncs.com:<region>:china:<instance id>:2a"`` for an EE VPC domain (a Go
ACR client's test, repository not named by the code index), and Personal Edition answers such as
``Bearer realm="https://dockerauth.cn-hangzhou.aliyuncs.com/auth",service="registry.aliyuncs.com:cn-hangzhou:26842"``.
The emulator answers whatever the world sets, so tests can play any of them (and hostile ones).
World format::

    registry:
      hosts:
        myreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com:
          realm: https://dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com/auth
          service: registry.aliyuncs.com:cn-hangzhou:china:cri-xxxx:2a
      default:
        realm: https://dockerauth-vpc.cn-hangzhou.aliyuncs.com/auth
        service: registry.aliyuncs.com:cn-hangzhou:26842

A host with neither an entry nor a default answers 404 (emulator's choice).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from localcloud.httpserver import QuietHandler


class RegistryChallenges:
    """Per-host challenges; tests may change them at run time."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or {}
        self._lock = threading.Lock()
        self.hosts: dict[str, dict[str, str]] = {k.lower(): dict(v) for k, v in (data.get("hosts") or {}).items()}
        self.default: dict[str, str] | None = dict(data["default"]) if data.get("default") else None
        self.raw_headers: dict[str, str] = {}  # host -> literal header value (for hostile-input tests)
        self.probes: list[str] = []

    def set(self, host: str, realm: str, service: str) -> None:
        """Change the challenge for a host."""
        with self._lock:
            self.hosts[host.lower()] = {"realm": realm, "service": service}

    def set_raw(self, host: str, header: str | None) -> None:
        """Answer a literal ``WWW-Authenticate`` value for a host (None removes it)."""
        with self._lock:
            if header is None:
                self.raw_headers.pop(host.lower(), None)
            else:
                self.raw_headers[host.lower()] = header

    def header_for(self, host: str) -> str | None:
        """The ``WWW-Authenticate`` value for a Host header, or None (answer 404)."""
        host = host.split(":")[0].lower()
        with self._lock:
            self.probes.append(host)
            if host in self.raw_headers:
                return self.raw_headers[host]
            spec = self.hosts.get(host) or self.default
        if not spec:
            return None
        return f'Bearer realm="{spec["realm"]}",service="{spec["service"]}"'


def make_handler(challenges: Callable[[], RegistryChallenges]) -> type[QuietHandler]:
    """The handler class serving ``/v2/`` with the challenges ``challenges()`` returns."""

    class RegistryHandler(QuietHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0].rstrip("/") != "/v2":
                self.send_bytes(404, b'{"errors":[{"code":"NOT_FOUND"}]}')
                return
            header = challenges().header_for(self.headers.get("Host", ""))
            if header is None:
                self.send_bytes(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"unknown host"}]}')
                return
            body = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required",
                                           "detail": None}]}).encode()
            self.send_bytes(401, body, headers={"WWW-Authenticate": header,
                                                "Docker-Distribution-Api-Version": "registry/2.0"})

        do_HEAD = do_GET

    return RegistryHandler
