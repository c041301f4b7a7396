"""Demo step: list every instance and its endpoints through the real SDK, as an operator would see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from acrguard.clients import ClientFactory, call


@dataclass
class InstanceView:
    """What the demo prints for one instance."""

    instance_id: str
    name: str
    specification: str
    status: str
    internet: dict[str, Any] = field(default_factory=dict)
    vpc: dict[str, Any] = field(default_factory=dict)


def list_instances(factory: ClientFactory, region: str) -> list[InstanceView]:
    """Every ACR EE instance in ``region`` with its internet and VPC endpoints (paged reads)."""
    from alibabacloud_cr20181201 import models

    views: list[InstanceView] = []
    page = 1
    while True:
        body = call("cr", "ListInstance", factory.cr(region).list_instance,
                    models.ListInstanceRequest(page_no=page, page_size=100))
        for item in body.instances or []:
            views.append(InstanceView(item.instance_id, item.instance_name, item.instance_specification,
                                      item.instance_status))
        if page * 100 >= (body.total_count or 0):
            break
        page += 1
    for view in views:
        internet = call("cr", "GetInstanceEndpoint", factory.cr(region).get_instance_endpoint,
                        models.GetInstanceEndpointRequest(instance_id=view.instance_id, endpoint_type="internet"))
        view.internet = {"enabled": internet.enable, "status": internet.status,
                         "domains": [d.domain for d in internet.domains or []],
                         "whitelist": [f"{e.entry} ({e.comment})" if e.comment else e.entry
                                       for e in internet.acl_entries or []]}
        vpc = call("cr", "GetInstanceVpcEndpoint", factory.cr(region).get_instance_vpc_endpoint,
                   models.GetInstanceVpcEndpointRequest(instance_id=view.instance_id))
        view.vpc = {"domains": list(vpc.domains or []),
                    "linked": [f"{v.vpc_id}/{v.vswitch_id} -> {v.ip} ({v.status}"
                               + (", default" if v.default_access else "") + ")" for v in vpc.linked_vpcs or []]}
    return views


def render(views: list[InstanceView]) -> str:
    """A readable block per instance."""
    lines = []
    for view in views:
        lines.append(f"{view.name} ({view.instance_id}) {view.specification} {view.status}")
        lines.append(f"  internet: {'enabled' if view.internet.get('enabled') else 'disabled'} "
                     f"{', '.join(view.internet.get('domains', []))}")
        lines.append(f"    whitelist: {', '.join(view.internet.get('whitelist', [])) or '(empty)'}")
        lines.append(f"  vpc: {', '.join(view.vpc.get('domains', []))}")
        for linked in view.vpc.get("linked", []):
            lines.append(f"    {linked}")
    return "\n".join(lines)
