"""``cloud.flow_control``: the share of each published quota acrguard uses, and per-operation overrides."""

from __future__ import annotations

import pytest

from acrguard.config import load_config_data
from acrguard.errors import ConfigError


def problems_of(flow_control: dict) -> list[str]:
    """The problems ``load_config_data`` reports for a ``cloud.flow_control`` section."""
    with pytest.raises(ConfigError) as caught:
        load_config_data({"cloud": {"flow_control": flow_control}}, environ={})
    return caught.value.problems


def test_the_defaults_pace_every_operation_at_nine_tenths_of_its_quota():
    """Without a section, flow control is on, at 0.9 of each quota, with no override."""
    section = load_config_data({}, environ={}).cloud.flow_control
    assert (section.enabled, section.share, section.operations) == (True, 0.9, {})


def test_an_override_names_its_operation_and_keeps_what_it_sets():
    """``product:Action`` and ``product:*`` keys; a figure, a share or ``pace: false`` each."""
    section = load_config_data({"cloud": {"flow_control": {"share": 0.8, "operations": {
        "vpc:CreateRouteEntry": {"limit": 600, "period_s": 60}, "cbn:*": {"share": 0.5},
        "cr:GetInstanceEndpoint": {"pace": False}}}}}, environ={}).cloud.flow_control
    ops = section.operations
    assert section.share == 0.8 and (ops["vpc:CreateRouteEntry"].limit, ops["vpc:CreateRouteEntry"].period_s) == \
        (600, 60.0)
    assert ops["cbn:*"].share == 0.5 and ops["cr:GetInstanceEndpoint"].pace is False


def test_an_operation_named_without_its_product_is_refused_with_the_form_expected():
    """``CreateRouteEntry`` alone is ambiguous across products: the error says ``product:Action``."""
    (problem,) = problems_of({"operations": {"CreateRouteEntry": {"share": 0.5}}})
    assert problem.startswith("cloud.flow_control.operations:") and "product:Action" in problem


def test_a_figure_needs_both_its_count_and_its_period():
    """A limit without its period (or the reverse) is not a quota: both or neither."""
    (problem,) = problems_of({"operations": {"vpc:CreateRouteEntry": {"limit": 600}}})
    assert "vpc:CreateRouteEntry" in problem and "'limit' and 'period_s' together" in problem


@pytest.mark.parametrize("share", [0, 1.5, -0.2])
def test_a_share_must_be_above_zero_and_at_most_one(share):
    """The share is of the quota: above 0, at most 1."""
    (problem,) = problems_of({"share": share})
    assert problem.startswith("cloud.flow_control.share:")
