"""The demo story, step by step, printed as a timeline."""

from __future__ import annotations

import threading
from collections.abc import Callable

from acrguard.clients import ClientFactory, EndpointOverride
from acrguard.credentials import StaticCredentials
from acrguard.demo.inventory import list_instances, render


def run_story(world: str | None = None, keep_running: bool = False, echo: Callable[[str], None] = print) -> int:
    """Start the local cloud, play the story, stop (or keep running); returns the exit code."""
    from localcloud import LocalCloud

    cloud = LocalCloud.from_world_file(world)
    cloud.start()
    try:
        endpoints = cloud.endpoints()
        creds = endpoints["credentials"]
        echo(f"local cloud: OpenAPI {endpoints['openapi']}, DNS {endpoints['dns']}, registry {endpoints['registry']}")
        factory = ClientFactory(creds["region"], credentials=StaticCredentials(creds["access_key_id"],
                                                                               creds["access_key_secret"]),
                                override=EndpointOverride(endpoints["openapi"]))
        echo("\n== Instances and endpoints (ListInstance, GetInstanceEndpoint, GetInstanceVpcEndpoint)")
        echo(render(list_instances(factory, creds["region"])))
        echo(f"\n{len(cloud.requests.all())} API calls, all signed and verified by the local cloud.")
        if keep_running:
            echo("\nThe local cloud keeps running (Ctrl-C to stop). Endpoints and credentials:")
            echo(str(endpoints))
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
        return 0
    finally:
        cloud.stop()
