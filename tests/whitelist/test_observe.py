"""``whitelist.observe``: the internet endpoint read through the real SDK, never mistaken for empty."""

from __future__ import annotations

import pytest
from alibabacloud_cr20181201 import models as cr_models

from acrguard.errors import CloudCallError
from acrguard.whitelist.model import AclEntry, EndpointState
from acrguard.whitelist.observe import endpoint_from_body, observe_endpoint, wait_until_running
from support import INSTANCE_ID
from tests.whitelist.helpers import clock_waiter, seed_acl


def test_reads_switches_status_and_entries_with_comments(cloud, factory, instance):
    """Enable, AclEnable, Status and every entry with its Comment come from one GetInstanceEndpoint call."""
    seed_acl(instance, [("203.0.113.0/24", "office"), ("198.51.100.7", "acrguard:testreg:idc")])
    state = observe_endpoint(factory, INSTANCE_ID)
    assert state == EndpointState(INSTANCE_ID, True, True, "RUNNING", (
        AclEntry("203.0.113.0/24", "office"), AclEntry("198.51.100.7", "acrguard:testreg:idc")))
    assert state.networks == {"203.0.113.0/24", "198.51.100.7/32"}
    assert cloud.requests.count(action="GetInstanceEndpoint") == 1


def test_an_enabled_endpoint_without_entries_is_open(cloud, factory, instance):
    """An empty whitelist on an enabled endpoint reads as open."""
    seed_acl(instance, [])
    assert observe_endpoint(factory, INSTANCE_ID).is_open


def test_an_unknown_instance_raises_instead_of_reading_empty(cloud, factory):
    """A failed read raises CloudCallError; it is never an empty whitelist."""
    with pytest.raises(CloudCallError) as caught:
        observe_endpoint(factory, "cri-doesnotexist0001")
    assert caught.value.code == "INSTANCE_NOT_EXIST"


def test_wait_until_running_polls_on_the_clock_until_the_switch_ends(cloud, factory, instance):
    """A switched-on endpoint is read every interval until RUNNING; the last state comes back."""
    seed_acl(instance, [], enable=False)
    instance.internet_enable, instance.internet_status, instance.internet_since = True, "CREATING", cloud.clock.now()
    settled = wait_until_running(factory, INSTANCE_ID, None, clock_waiter(cloud))
    assert settled.running and settled.state is not None and settled.state.status == "RUNNING"
    assert settled.state.networks == {"127.0.0.1/32"}
    assert cloud.requests.count(action="GetInstanceEndpoint") == 6  # after 5, 10 ... 30 s


def test_wait_until_running_gives_up_after_its_timeout(cloud, factory, instance):
    """A switch that outlasts the wait returns the last (CREATING) state, not running."""
    instance.internet_enable, instance.internet_status, instance.internet_since = True, "CREATING", cloud.clock.now()
    settled = wait_until_running(factory, INSTANCE_ID, None, clock_waiter(cloud, timeout_s=10))
    assert not settled.running and settled.state is not None and settled.state.switching


def test_a_body_without_enable_is_refused():
    """A response that does not say whether the endpoint is enabled is not a reading."""
    with pytest.raises(CloudCallError) as caught:
        endpoint_from_body(INSTANCE_ID, cr_models.GetInstanceEndpointResponseBody(is_success=True, acl_entries=[]))
    assert caught.value.code == "IncompleteResponse"
