"""A world with repositories on an Advanced and a Basic instance, and a config builder for the advisor."""

from __future__ import annotations

import json
from typing import Any

from localcloud import LocalCloud
from support import ACCOUNT, INSTANCE_ID, INSTANCE_NAME, REGION, ROOT_KEY, ROOT_SECRET, base_world

GIB = 1024 ** 3
BASIC_ID, BASIC_NAME = "cri-basic000000000001", "basicreg"
LARGE, SMALL = 3 * GIB // 2, 200 * 1024 ** 2


def advisor_world() -> dict[str, Any]:
    """The base world, with ``apps/web`` (1.5 GiB tag), ``apps/tiny`` (small), ``apps/fast`` (accelerated) on the
    Advanced test instance, and ``apps/web`` (1.5 GiB) on a Basic instance."""
    data = base_world()
    instances = data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"]
    instances[0]["repositories"] = [
        {"namespace": "apps", "name": "web", "id": "crr-web0000000000001",
         "tags": [{"tag": "v1", "image_size": SMALL}, {"tag": "v2", "image_size": LARGE,
                                                        "digest": "sha256:" + "ab" * 32}]},
        {"namespace": "apps", "name": "tiny", "id": "crr-tiny000000000001",
         "tags": [{"tag": "v1", "image_size": SMALL}]},
        {"namespace": "apps", "name": "fast", "id": "crr-fast000000000001", "accelerated": True,
         "tags": [{"tag": "v1", "image_size": LARGE}]},
        {"namespace": "tools", "name": "big", "id": "crr-tools00000000001",
         "tags": [{"tag": "v1", "image_size": LARGE}]},
    ]
    instances.append({"id": BASIC_ID, "name": BASIC_NAME, "specification": "Enterprise_Basic",
                      "repositories": [{"namespace": "apps", "name": "web", "id": "crr-basicweb0000001",
                                        "tags": [{"tag": "v2", "image_size": LARGE}]}]})
    return data


def config_data(cloud: LocalCloud, state_path: str, advisor: dict[str, Any] | None = None,
                basic: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """A config for both instances pointed at the local cloud (``advisor``/``basic``: their image_advisor)."""
    endpoints = cloud.endpoints()
    instances = [{"name": "test", "instance_id": INSTANCE_ID, "image_advisor": advisor or {}},
                 {"name": "basic", "instance_id": BASIC_ID, "image_advisor": basic or {}}]
    return {
        "cloud": {"region": REGION, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints["oss"],
                  "protocol": "http", "credentials": {"access_key_id": ROOT_KEY, "access_key_secret": ROOT_SECRET},
                  "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 20}},
        "instances": instances,
        "state": {"backend": "sqlite", "path": state_path},
        **options,
    }


def push(cloud: LocalCloud, repository: str, tag: str, size: int, instance_id: str = INSTANCE_ID) -> dict[str, Any]:
    """Push ``namespace/name:tag`` of ``size`` bytes in the local cloud; the PushCompleted event it produces."""
    namespace, name = repository.split("/", 1)
    backend = cloud.backend("cr", ACCOUNT, REGION)
    return backend.push_image(instance_id, namespace, name, tag, size)


def event_bytes(event: dict[str, Any]) -> bytes:
    """The event as FC hands it to a handler."""
    return json.dumps(event).encode()


__all__ = ["BASIC_ID", "BASIC_NAME", "GIB", "INSTANCE_ID", "INSTANCE_NAME", "LARGE", "SMALL", "advisor_world",
           "config_data", "event_bytes", "push"]
