"""ActionTrail in the local cloud, through the real ``alibabacloud_actiontrail20200706`` SDK."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.clients import call
from localcloud import LocalCloud
from support import ACCOUNT, base_world, make_factory


def storage_region(factory) -> str:
    """GetGlobalEventsStorageRegion's StorageRegion, as the SDK model reads it."""
    client = factory.client("actiontrail")
    body = call("actiontrail", "GetGlobalEventsStorageRegion", client.get_global_events_storage_region)
    assert body.request_id
    return body.storage_region


def test_global_events_are_stored_in_singapore_by_default(factory):
    """With nothing in the world the answer is the documented default, ap-southeast-1.

    Source:
    https://www.alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-getglobaleventsstorageregion
    (Singapore by default).
    """
    assert storage_region(factory) == "ap-southeast-1"


def hangzhou_world() -> dict[str, Any]:
    """The base world with global events stored in cn-hangzhou."""
    data = base_world()
    data["accounts"][ACCOUNT].setdefault("global", {})["actiontrail"] = {"global_events_storage_region": "cn-hangzhou"}
    return data


def test_the_world_sets_the_storage_region_for_every_regional_endpoint():
    """The region is the account's: asked through any region's endpoint, the answer is the world's.

    Source: emulator's choice (the setting is the account's, whatever endpoint answers).
    """
    with LocalCloud(hangzhou_world(), seed=1) as cloud:
        for region in ("cn-hangzhou", "ap-southeast-1", "cn-shanghai"):
            assert storage_region(make_factory(cloud, region=region)) == "cn-hangzhou"


def test_a_storage_region_actiontrail_does_not_offer_is_a_world_error():
    """Only cn-hangzhou and ap-southeast-1 exist; anything else is refused when the world loads.

    Source: the GetGlobalEventsStorageRegion page's enum; UpdateGlobalEventsStorageRegion ("Only cn-hangzhou and
    ap-southeast-1").
    """
    data = base_world()
    data["accounts"][ACCOUNT].setdefault("global", {})["actiontrail"] = {"global_events_storage_region": "us-west-1"}
    with pytest.raises(ValueError, match=r"global\.actiontrail: global_events_storage_region: 'us-west-1'"):
        LocalCloud(data)
