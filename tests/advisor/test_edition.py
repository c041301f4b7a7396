"""Which instances may have accelerated-image rules."""

from __future__ import annotations

import pytest

from acrguard.advisor.edition import Edition


@pytest.mark.parametrize(("spec", "region", "obstacle"), [
    ("Enterprise_Advanced", "cn-hangzhou", None),
    ("Enterprise_Standard", "cn-shanghai", None),
    ("Enterprise_Basic", "cn-hangzhou", "basic"),
    ("Enterprise_Advanced", "cn-shanghai-finance-1", "region"),
    ("Enterprise_Advanced", "cn-north-2-gov-1", "region"),
    ("Enterprise_Premium", "cn-hangzhou", "unknown-edition"),
    ("", "cn-hangzhou", "unknown-edition"),
])
def test_standard_and_advanced_outside_finance_and_gov_regions_only(spec, region, obstacle):
    """Standard and Advanced may; Basic, unknown editions, finance and gov regions may not."""
    assert Edition(spec, region).obstacle == obstacle


def test_labels_are_short_edition_names():
    """``Enterprise_Basic`` reads as Basic in messages."""
    assert Edition("Enterprise_Basic", "cn-hangzhou").label == "Basic"
