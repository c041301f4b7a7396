"""The cloud calls doctor makes with the operator's credentials, and the RAM action each needs.

Doctor reads, and sends two writes with ``DryRun=true`` only (the VBR check's ``CreateRouteEntry``;
with ``--assume-roles``, the DryRuns are sent as each function's role, not as the operator). A
check whose call is refused answers "cannot tell" and names the action to grant from this table;
``policy_document`` is the least-privilege policy for the doctor's identity (``docs/doctor.md`` shows it,
and a test holds the two and the code's call sites together).

Actions are ``<service>:<API>`` (the API pages' authorization tables); CEN's APIs are authorized as
``cen:``; ``GetCallerIdentity`` needs no permission (its page publishes no authorization:
https://help.aliyun.com/document_detail/371868.htm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NeededCall:
    """One API doctor calls as the operator, the RAM action it needs, and which check calls it."""

    product: str
    api: str
    action: str | None
    check: str
    dry_run: bool = False


DOCTOR_CALLS: tuple[NeededCall, ...] = (
    NeededCall("sts", "GetCallerIdentity", None, "identity"),
    NeededCall("ram", "ListPoliciesForRole", "ram:ListPoliciesForRole", "role-permissions"),
    NeededCall("ram", "GetPolicy", "ram:GetPolicy", "role-permissions"),
    NeededCall("ram", "GetPolicyVersion", "ram:GetPolicyVersion", "role-permissions"),
    NeededCall("sts", "AssumeRole", "sts:AssumeRole", "role-permissions (--assume-roles only)"),
    NeededCall("fc", "GetFunction", "fc:GetFunction", "triggers"),
    NeededCall("fc", "ListTriggers", "fc:ListTriggers", "triggers"),
    NeededCall("fc", "GetAsyncInvokeConfig", "fc:GetAsyncInvokeConfig", "triggers"),
    NeededCall("fc", "GetConcurrencyConfig", "fc:GetConcurrencyConfig", "triggers"),
    NeededCall("vpc", "CreateRouteEntry", "vpc:CreateRouteEntry", "vbr-service-range", dry_run=True),
    NeededCall("vpc", "DescribeRouteEntryList", "vpc:DescribeRouteEntryList", "vbr-service-range, table-quotas"),
    NeededCall("cbn", "ListTransitRouterRouteEntries", "cen:ListTransitRouterRouteEntries", "table-quotas"),
    NeededCall("cr", "GetInstance", "cr:GetInstance", "table-quotas, registry-realm, vpc-dns"),
    NeededCall("cr", "GetInstanceVpcEndpoint", "cr:GetInstanceVpcEndpoint", "table-quotas, registry-realm, vpc-dns"),
    NeededCall("actiontrail", "GetGlobalEventsStorageRegion", "actiontrail:GetGlobalEventsStorageRegion",
               "global-events-region"),
)

_BY_API = {(c.product, c.api): c for c in DOCTOR_CALLS}


def action_for(api: str, product: str | None = None) -> str | None:
    """The RAM action doctor needs for ``api`` (None when it needs none or the API is not doctor's)."""
    for (known_product, known_api), needed in _BY_API.items():
        if known_api == api and product in (None, known_product):
            return needed.action
    return None


def grant_hint(api: str, product: str | None = None) -> str:
    """``grant the doctor's identity vpc:CreateRouteEntry`` (or a generic sentence for an unknown API)."""
    action = action_for(api, product)
    if action is None:
        return f"grant the doctor's identity the permission {api} needs"
    needed = _BY_API.get((product, api)) if product else next((c for c in DOCTOR_CALLS if c.api == api), None)
    dry = " (doctor sends it with DryRun=true only)" if needed is not None and needed.dry_run else ""
    return f"grant the doctor's identity {action}{dry}; docs/doctor.md has the whole policy"


def policy_document() -> dict[str, Any]:
    """The least-privilege RAM policy for the identity that runs doctor (reads, plus the DryRun write)."""
    reads = sorted({c.action for c in DOCTOR_CALLS if c.action and not c.dry_run and c.api != "AssumeRole"})
    dry_runs = sorted({c.action for c in DOCTOR_CALLS if c.action and c.dry_run})
    return {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": reads, "Resource": "*"},
        {"Effect": "Allow", "Action": dry_runs, "Resource": "*"},
    ]}
