"""Check 6, ``global-events-region``: ActionTrail keeps global events where the pull-key auditor listens.

RAM and IMS events are global: ActionTrail stores them in one region of the account,
``GetGlobalEventsStorageRegion``'s ``StorageRegion`` (Singapore by default; ``ap-southeast-1`` or
``cn-hangzhou``, changed with ``UpdateGlobalEventsStorageRegion``:
https://www.alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-getglobaleventsstorageregion;
SDK ``alibabacloud_actiontrail20200706``). The pull-key auditor's EventBridge trigger lives in
``vars.globalEventsRegion`` of ``s.yaml`` (``acrguard.deploy.syaml.GLOBAL_EVENTS_REGION_VAR``) and
its rule sees only that region's default bus. FAIL when the two differ. Whether EventBridge delivers
the audit events of global services in the storage region is what a real account confirms
(EventBridge's event tracing, ``docs/deploying.md``).
"""

from __future__ import annotations

from acrguard.clients import ClientFactory, call
from acrguard.deploy.syaml import GLOBAL_EVENTS_REGION_VAR
from acrguard.doctor.answers import describe, unknown_fix
from acrguard.doctor.context import DoctorContext
from acrguard.doctor.model import CheckResult, Status, single
from acrguard.errors import CloudCallError

NAME = "global-events-region"


def storage_region(factory: ClientFactory) -> str:
    """Where ActionTrail stores the account's global events."""
    body = call("actiontrail", "GetGlobalEventsStorageRegion",
                factory.client("actiontrail").get_global_events_storage_region)
    return str(body.storage_region or "")


def check_global_events(ctx: DoctorContext) -> CheckResult:
    """ActionTrail's storage region against ``vars.globalEventsRegion``."""
    if ctx.deployment is None:
        return single(NAME, Status.UNKNOWN, f"no s.yaml: {ctx.deployment_problem}",
                      "name the deployment file with --s-yaml PATH")
    wanted = ctx.deployment.global_events_region
    if wanted is None:
        return single(NAME, Status.UNKNOWN, f"s.yaml sets no vars.{GLOBAL_EVENTS_REGION_VAR}",
                      f"set vars.{GLOBAL_EVENTS_REGION_VAR} (cn-hangzhou or ap-southeast-1, where ActionTrail keeps "
                      "global events) and deploy the pull-key auditor there")
    try:
        stored = storage_region(ctx.factory)
    except CloudCallError as exc:
        return single(NAME, Status.UNKNOWN, f"the storage region cannot be read: {describe(exc)}",
                      unknown_fix(exc, "actiontrail"))
    data = {"storage_region": stored, GLOBAL_EVENTS_REGION_VAR: wanted}
    if stored == wanted:
        return single(NAME, Status.PASS, f"ActionTrail stores global events in {stored}, where the pull-key auditor "
                      f"listens (vars.{GLOBAL_EVENTS_REGION_VAR})", data=data)
    return single(NAME, Status.FAIL,
                  f"ActionTrail stores global events in {stored or 'no region'}, the pull-key auditor listens in "
                  f"{wanted} (vars.{GLOBAL_EVENTS_REGION_VAR}): RAM/IMS changes never reach it",
                  f"either set vars.{GLOBAL_EVENTS_REGION_VAR}: {stored} in s.yaml and run `s deploy` (the auditor "
                  f"moves there), or move the global events to {wanted} (ActionTrail console, or "
                  f"`aliyun actiontrail UpdateGlobalEventsStorageRegion --StorageRegion {wanted}`)", data=data)
