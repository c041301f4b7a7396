"""The admin API under ``/_localcloud/`` (no signature): for the demo, tests and people exploring.

* ``GET  /_localcloud/requests[?product=&action=&since=]`` the request log
* ``POST /_localcloud/faults`` add a fault rule (JSON body, see ``FaultRule``); ``DELETE`` clears them
* ``GET  /_localcloud/faults`` the rules with their counters
* ``POST /_localcloud/advance`` ``{"seconds": N}`` moves the clock forward
* ``POST /_localcloud/reset`` reload the world the cloud started with, clear the log
* ``GET  /_localcloud/credentials-uri`` an STS triple in the ``ALIBABA_CLOUD_CREDENTIALS_URI`` format,
  a session of the role ``acrguard-local`` of the first account: it has that role's policies when
  the world defines it, none otherwise (then only ``GetCallerIdentity`` succeeds)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from localcloud.core.faults import FaultRule

if TYPE_CHECKING:
    from localcloud.core.state import CloudState


def handle_admin(cloud: CloudState, method: str, path: str, query: str, body: bytes) -> tuple[int, Any]:
    """Answer one admin request with ``(status, JSON-ready payload)``."""
    name = path[len("/_localcloud/"):].strip("/")
    args = dict(parse_qsl(query))
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return 400, {"error": "the body is not JSON"}
    if name == "requests" and method == "GET":
        items = cloud.requests.filter(product=args.get("product"), action=args.get("action"),
                                      since=int(args.get("since", 0)))
        return 200, {"requests": [item.to_dict() for item in items]}
    if name == "faults":
        if method == "GET":
            return 200, {"faults": [rule.to_dict() for rule in cloud.faults.rules()]}
        if method == "DELETE":
            cloud.faults.clear()
            return 200, {"faults": []}
        if method == "POST":
            try:
                rule = cloud.faults.add(FaultRule.from_dict(data))
            except (TypeError, ValueError) as exc:
                return 400, {"error": str(exc)}
            return 200, {"fault": rule.to_dict()}
    if name == "advance" and method == "POST":
        try:
            cloud.advance(float(data.get("seconds", 0)))
        except (TypeError, ValueError) as exc:
            return 400, {"error": str(exc)}
        return 200, {"now": cloud.clock.iso()}
    if name == "reset" and method == "POST":
        cloud.load_world(cloud.world)
        cloud.requests.clear()
        return 200, {"reset": True}
    if name == "credentials-uri" and method == "GET":
        account_id = next(iter(cloud.accounts), "")
        token = cloud.issue_sts_token(account_id, f"acs:ram::{account_id}:role/acrguard-local",
                                      "credentials-uri", 3600)
        return 200, {"Code": "Success", "AccessKeyId": token.access_key_id, "AccessKeySecret": token.secret,
                     "SecurityToken": token.token, "Expiration": cloud.clock.iso(3600)}
    return 404, {"error": f"unknown admin call {method} {path}"}
