"""ActionTrail (actiontrail 2020-07-06, RPC): where the account's global events are stored.

``GetGlobalEventsStorageRegion`` answers ``{"StorageRegion": ...}`` (``RequestId`` is added by the
gateway), the shape of ``GetGlobalEventsStorageRegionResponseBody`` in
``alibabacloud_actiontrail20200706/models/_get_global_events_storage_region_response_body.py``.
The API page (https://www.alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-getglobaleventsstorageregion)
says global events are stored in Singapore by default, takes no request parameters and lists the
values ``ap-southeast-1`` and ``cn-hangzhou`` (also the only ones ``UpdateGlobalEventsStorageRegion``
accepts). The page also says the API is granted by ticket; the local cloud answers every caller
its authorization row allows (emulator's choice).

The storage region belongs to the account, not to a region: one backend per account, whatever
regional endpoint is called (emulator's choice; the API is served on regional endpoints).

World format (``accounts.<id>.global.actiontrail``)::

    actiontrail:
      global_events_storage_region: cn-hangzhou   # default ap-southeast-1
"""

from __future__ import annotations

from typing import Any

from localcloud.service import Call, Service

DEFAULT_STORAGE_REGION = "ap-southeast-1"
STORAGE_REGIONS = ("ap-southeast-1", "cn-hangzhou")


class ActionTrailBackend:
    """ActionTrail settings of one account."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.global_events_storage_region = DEFAULT_STORAGE_REGION

    def seed(self, data: dict[str, Any]) -> None:
        """Load ``global_events_storage_region`` from a world file (one of ``STORAGE_REGIONS``)."""
        unknown = sorted(set(data) - {"global_events_storage_region"})
        if unknown:
            raise ValueError(f"unknown key(s) {unknown}; expected global_events_storage_region")
        region = data.get("global_events_storage_region", DEFAULT_STORAGE_REGION)
        if region not in STORAGE_REGIONS:
            raise ValueError(f"global_events_storage_region: {region!r} is not one of {list(STORAGE_REGIONS)}")
        self.global_events_storage_region = region


SERVICE = Service("actiontrail", "2020-07-06", ActionTrailBackend, regional=False)


@SERVICE.action("GetGlobalEventsStorageRegion")
def get_global_events_storage_region(call: Call, backend: ActionTrailBackend) -> dict[str, Any]:
    """The region where the account's global events (RAM, IMS, …) are stored."""
    return {"StorageRegion": backend.global_events_storage_region}
