"""The resilience tests' own tools: the lost-answer fault, the whitelist replay, the seeds from the environment."""

from __future__ import annotations

import pytest
from alibabacloud_cr20181201 import models as cr_models

from acrguard.clients import call
from acrguard.errors import CloudCallError, TransientCloudError
from support import INSTANCE_ID, make_factory
from tests.resilience.conftest import DEFAULT_SEEDS, configured_seeds
from tests.resilience.harness import AclWatch, carried_out


def add_entry(factory, entry: str) -> None:
    """Add one whitelist entry through the SDK."""
    call("cr", "CreateInstanceEndpointAclPolicy", factory.cr().create_instance_endpoint_acl_policy,
         cr_models.CreateInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                          entry=entry, comment="test"))


def test_a_lost_answer_means_the_write_happened_but_the_client_saw_a_network_error(cloud):
    """``lose_answer`` carries the call out and closes the connection: the client fails, the change is there."""
    factory = make_factory(cloud)
    cloud.inject(action="CreateInstanceEndpointAclPolicy", lose_answer=True)
    watch = AclWatch(cloud)
    with pytest.raises(TransientCloudError) as caught:
        add_entry(factory, "198.51.100.0/24")
    assert caught.value.code == "NetworkError"
    assert "198.51.100.0/24" in watch.live()
    attempts = cloud.requests.filter(action="CreateInstanceEndpointAclPolicy")
    assert len(attempts) == 3 and all(carried_out(r) for r in attempts)  # the SDK's retries reached the cloud too


def test_the_whitelist_replay_follows_every_carried_out_write_and_skips_refused_ones(cloud):
    """The replay matches the cloud after adds, a refused duplicate and a dropped call; each write is one state."""
    factory = make_factory(cloud)
    watch = AclWatch(cloud)
    add_entry(factory, "198.51.100.0/24")
    with pytest.raises(CloudCallError, match="ACL_ENTRY_ALREADY_EXIST"):  # refused: IsSuccess false
        add_entry(factory, "198.51.100.0/24")
    cloud.inject(action="CreateInstanceEndpointAclPolicy", drop=True)
    with pytest.raises(TransientCloudError):
        add_entry(factory, "198.51.101.0/24")
    watch.check()
    assert [s.entry for s in watch.states] == ["198.51.100.0/24", "198.51.100.0/24"]
    assert "198.51.101.0/24" not in watch.live() and watch.emptied() == []


def test_seeds_come_from_the_environment_or_the_default_list():
    """``ACRGUARD_TEST_SEED`` takes one seed, a list, or ``random``; unset, the default list is used."""
    assert configured_seeds({}) == list(DEFAULT_SEEDS)
    assert configured_seeds({"ACRGUARD_TEST_SEED": "7"}) == [7]
    assert configured_seeds({"ACRGUARD_TEST_SEED": "7, 8 9"}) == [7, 8, 9]
    (random_seed,) = configured_seeds({"ACRGUARD_TEST_SEED": "random"})
    assert random_seed > 0
    with pytest.raises(pytest.UsageError):
        configured_seeds({"ACRGUARD_TEST_SEED": "seven"})
