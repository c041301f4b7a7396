"""Remembered refusals in the state store, and the advice for a VBR table refusing the cloud-service range."""

from __future__ import annotations

import pytest

from acrguard.config.routes import CenServiceTarget, RouteTableTarget
from acrguard.findings import Severity
from acrguard.routes.alternatives import service_range_advice
from acrguard.routes.refusals import FORGET_AFTER_S, RECHECK_S, RememberedRefusal, load_refusals, record_outcome
from acrguard.routes.targets.base import Refusal
from acrguard.state.document import edit_document
from acrguard.state.sqlite import SqliteStateStore

KEY = "vbr_route_table:vtb-1"
DAY = 86400.0


@pytest.fixture
def store(tmp_path):
    opened = SqliteStateStore(str(tmp_path / "state.db"))
    yield opened
    opened.close()


def refusal(prefix: str, code: str = "service_range") -> Refusal:
    return Refusal(prefix, "oss", code, "refused", "InvalidCidrBlock")


def test_refusals_are_remembered_per_target_with_their_time_and_code(store):
    """A recorded refusal loads back with its family, codes and time; re-check follows the code."""
    record_outcome(store, KEY, refused=[refusal("100.118.28.0/24")], accepted=[], now=100.0)
    [(prefix, remembered)] = load_refusals(store)[KEY].items()
    assert (prefix, remembered.family, remembered.code, remembered.cloud_code, remembered.at) == \
        ("100.118.28.0/24", "oss", "service_range", "InvalidCidrBlock", 100.0)
    assert remembered.recheck_at == 100.0 + RECHECK_S["service_range"] == 100.0 + 7 * DAY
    assert not remembered.due(100.0 + 7 * DAY - 1) and remembered.due(100.0 + 7 * DAY)


def test_an_accepted_prefix_is_forgotten_and_the_last_one_leaves_no_trace(store):
    """Once the target takes a prefix its refusal is dropped; an empty memory leaves the state as it was."""
    record_outcome(store, KEY, refused=[refusal("100.118.28.0/24"), refusal("100.118.31.0/24")], accepted=[], now=0)
    record_outcome(store, KEY, refused=[], accepted=["100.118.28.0/24"], now=1)
    assert set(load_refusals(store)[KEY]) == {"100.118.31.0/24"}
    record_outcome(store, KEY, refused=[], accepted=["100.118.31.0/24"], now=2)
    assert load_refusals(store) == {} and store.list("routes/") == []


def test_refusals_long_past_their_recheck_are_dropped(store):
    """A refusal nobody tried again for FORGET_AFTER_S after it was due is dropped at the next write."""
    record_outcome(store, KEY, refused=[refusal("100.118.28.0/24", "quota")], accepted=[], now=0)
    record_outcome(store, KEY, refused=[refusal("100.118.31.0/24")], accepted=[],
                   now=RECHECK_S["quota"] + FORGET_AFTER_S)
    assert set(load_refusals(store)[KEY]) == {"100.118.31.0/24"}


def test_unreadable_entries_are_ignored_not_fatal(store):
    """A malformed entry is left out of the memory (it costs one more write), the rest loads."""
    edit_document(store, lambda doc: doc.setdefault("routes", {}).update({"refused": {
        KEY: {"100.118.28.0/24": {"family": "oss", "code": "service_range", "reason": "r", "at": 5},
              "100.118.31.0/24": {"family": "nope"}, "100.98.170.0/24": "garbage"},
        "other": []}}))
    assert list(load_refusals(store)) == [KEY] and list(load_refusals(store)[KEY]) == ["100.118.28.0/24"]


def test_a_remembered_refusal_says_until_when_it_holds():
    """The plan's refusal names when the cloud refused and when the write is tried again."""
    text = RememberedRefusal("100.118.28.0/24", "oss", "service_range", "refused", "", 0.0).to_refusal().reason
    assert text == "refused (refused on 1970-01-01T00:00:00Z; not written again before 1970-01-08T00:00:00Z)"


VBR = RouteTableTarget(type="vbr_route_table", name="idc-vbr", route_table_id="vtb-1", next_hop_id="ri-1")


def cen(region: str = "cn-hangzhou", families=("auth", "oss")) -> CenServiceTarget:
    return CenServiceTarget(type="cen_service", name="cen-access", cen_id="cen-1", host_region_id=region,
                            host_vpc_id="vpc-1", access_region_ids=(region,), families=families)


def test_without_another_route_the_advice_is_cen_cloud_service_access():
    """Only the refusing VBR target: high, with the cen_service target to add and the VPC to use."""
    advice = service_range_advice([VBR], KEY, ["oss", "auth"], "cn-hangzhou", ["vpc-abc"])
    assert advice.severity == Severity.HIGH
    assert "host_vpc_id: vpc-abc" in advice.fix and "families: [auth, oss]" in advice.fix
    assert "cen_transit_router" in advice.fix


@pytest.mark.parametrize(("other", "severity"), [
    (cen(), Severity.LOW),
    (cen(region="cn-shanghai"), Severity.HIGH),
    (cen(families=("auth",)), Severity.HIGH),
])
def test_cen_access_of_the_instance_region_covering_the_families_makes_it_harmless(other, severity):
    """CEN access counts only when it serves the instance's region and every refused family."""
    assert service_range_advice([VBR, other], KEY, ["auth", "oss"], "cn-hangzhou").severity == severity
