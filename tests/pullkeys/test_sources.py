"""Finding pull keys: configured users, ConfigMaps (files and OSS objects) mapped to owners, discovery."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.policy.evaluate import AttachedPolicy, evaluate
from acrguard.pullkeys.audit import grants_pull
from acrguard.pullkeys.identity import IdentityResolver
from acrguard.pullkeys.imsapi import ImsReader
from acrguard.pullkeys.ramapi import RamReader
from acrguard.pullkeys.sources import KeyDirectory, PullKeyFinder
from localcloud.core.faults import FaultRule
from pullkeys.pullworld import KEYS, PULL_USERS, pull_world, ram_actions
from support import ACCOUNT, INSTANCE_ID, REGION

UNKNOWN_KEY = "LTAI5tNobodyOwnsThis01"


def configmap(*keys: str) -> str:
    """An acr-configuration ConfigMap with one instance entry per key."""
    entries = "".join(f'    - instanceId: "{INSTANCE_ID}"\n      regionId: "{REGION}"\n'
                      f'      customAccessKey: "{k}"\n      customAccessKeySecret: "secret-{i}"\n'
                      for i, k in enumerate(keys))
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: acr-configuration\n  namespace: kube-system\n"
            f"data:\n  watch-namespace: \"all\"\n  acr-registry-info: |\n{entries}")


@pytest.fixture
def world() -> dict[str, Any]:
    """The pull world with a ConfigMap stored in an OSS bucket."""
    data = pull_world()
    data["oss"] = {"buckets": [{"name": "cluster-configs", "account": ACCOUNT, "region": REGION,
                                "objects": {"prod/acr-configuration.yaml": configmap(KEYS["reader"])}}]}
    return data


def finder(factory, workers: int = 4) -> PullKeyFinder:
    """A finder with fresh per-run caches."""
    reader = RamReader(factory)
    return PullKeyFinder(KeyDirectory(reader, workers=workers), IdentityResolver(reader, workers=workers))


def grants(identity) -> bool:
    """The policy engine's answer to "can this identity pull?"."""
    return grants_pull(evaluate(AttachedPolicy.of(p.name, p.document, type=p.type, default_version=p.version,
                                                  attachment=p.via) for p in identity.policies))


def test_discovery_finds_users_with_active_keys_that_can_pull(cloud, factory):
    """Discovery keeps users whose policies grant a pull action and who hold an active key."""
    search = finder(factory).find(discover=True, grants_pull=grants)
    assert set(search.users) == PULL_USERS
    assert all(u.origins == ["discovery"] for u in search.users.values())


def test_discovery_skips_users_without_active_keys(cloud, factory):
    """Per user: users with no key are not resolved at all; alice (OSS only) is resolved but not kept."""
    since = cloud.requests.last_seq()
    search = finder(factory).find(discover=True, grants_pull=grants, plan="per-user")
    resolved = {p["UserName"] for action, p in ram_actions(cloud, since) if action == "ListPoliciesForUser"}
    assert "nokey" not in resolved and "user-00" not in resolved
    assert "alice" in resolved and "alice" not in search.users
    assert search.plan is not None and search.plan.plan == "per-user"


def test_per_policy_discovery_reads_only_the_holders_of_pull_granting_policies(cloud, factory):
    """Per policy: entities are listed only for policies that can grant pulling; alice's keys are never read."""
    since = cloud.requests.last_seq()
    search = finder(factory).find(discover=True, grants_pull=grants, plan="per-policy")
    assert set(search.users) == PULL_USERS
    calls = ram_actions(cloud, since)
    listed = {p["PolicyName"] for action, p in calls if action == "ListEntitiesForPolicy"}
    assert listed == {"acr-pull-only", "AliyunContainerRegistryFullAccess", "AliyunContainerRegistryReadOnlyAccess"}
    keys_read = {p["UserName"] for action, p in calls if action == "ListAccessKeys"}
    assert "alice" not in keys_read and "user-00" not in keys_read and "nokey" in keys_read
    members = {p["GroupName"] for action, p in calls if action == "ListUsersForGroup"}
    assert members == {"pullers", "ops"}


def test_an_unattached_policy_costs_no_document_read(cloud, factory):
    """Per policy: only policies with AttachmentCount > 0 have their default version read."""
    since = cloud.requests.last_seq()
    finder(factory).find(discover=True, grants_pull=grants, plan="per-policy")
    read = {p["PolicyName"] for action, p in ram_actions(cloud, since) if action == "GetPolicyVersion"}
    assert "AdministratorAccess" not in read and "oss-read" in read


def test_per_policy_falls_back_to_per_user_without_list_policies(cloud, factory):
    """When ListPolicies is refused, discovery reads every user and still finds the pull users."""
    cloud.faults.add(FaultRule(product="ram", action="ListPolicies", code="NoPermission", status=403))
    search = finder(factory).find(discover=True, grants_pull=grants)
    assert set(search.users) == PULL_USERS
    assert search.plan is not None and search.plan.plan == "per-user" and "ListPolicies" in search.plan.reason


def test_configured_users_are_taken_as_declared(cloud, factory):
    """Configured users are pull users without any RAM call."""
    since = cloud.requests.last_seq()
    search = finder(factory).find(users=["ack-puller", "ghost"])
    assert list(search.users) == ["ack-puller", "ghost"]
    assert ram_actions(cloud, since) == []


def test_configmap_file_keys_are_mapped_to_their_owner(cloud, factory, tmp_path):
    """customAccessKey entries are mapped to the owning user by listing keys; unknown keys are kept aside."""
    path = tmp_path / "acr-configuration.yaml"
    path.write_text(configmap(KEYS["wide-puller"], UNKNOWN_KEY), encoding="utf-8")
    search = finder(factory).find(configmaps=[(str(path), "prod")])
    assert list(search.users) == ["wide-puller"]
    (found,) = search.users["wide-puller"].configmap_keys
    assert (found.index, found.instance_id, found.cluster) == (0, INSTANCE_ID, "prod")
    assert search.users["wide-puller"].origins == ["configmap:prod#0"]
    assert [k.access_key_id for k in search.unowned_keys] == [UNKNOWN_KEY]


def test_owner_search_stops_once_every_key_is_found(cloud, factory, tmp_path):
    """With one worker, key listing stops at the batch that found the last wanted key."""
    path = tmp_path / "cm.yaml"
    path.write_text(configmap(KEYS["ack-puller"]), encoding="utf-8")
    since = cloud.requests.last_seq()
    finder(factory, workers=1).find(configmaps=[(str(path), None)])
    listed = [p["UserName"] for action, p in ram_actions(cloud, since) if action == "ListAccessKeys"]
    assert listed[0] == "ack-puller" and len(listed) <= 8


def test_a_mis_indented_configmap_still_yields_its_key(cloud, factory, tmp_path):
    """A ConfigMap that does not parse is still searched for customAccessKey (and reported unparsed)."""
    broken = configmap(KEYS["reader"]).replace('      regionId', '       regionId')
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    search = finder(factory).find(configmaps=[(str(path), None)])
    report = search.configmaps[0][2]
    assert report is not None and report.parsed is False and report.errors
    assert list(search.users) == ["reader"]


def test_configmap_from_oss_is_read_with_get_object(cloud, factory):
    """An oss://bucket/key ConfigMap is fetched through the OSS SDK and its key mapped to its owner."""
    search = finder(factory).find(configmaps=[("oss://cluster-configs/prod/acr-configuration.yaml", "prod")],
                                  factory=factory, region=REGION)
    assert list(search.users) == ["reader"]
    assert cloud.requests.count("oss", "GetObject") == 1


def test_missing_configmap_is_reported_not_ignored(cloud, factory, tmp_path):
    """An unreadable ConfigMap source is recorded with its error."""
    search = finder(factory).find(configmaps=[(str(tmp_path / "nope.yaml"), None),
                                              ("oss://cluster-configs/missing.yaml", None)],
                                  factory=factory, region=REGION)
    assert [(s, r, bool(e)) for s, _, r, e in search.configmaps] == \
        [(str(tmp_path / "nope.yaml"), None, True), ("oss://cluster-configs/missing.yaml", None, True)]
    assert search.users == {}


def ims_finder(factory, workers: int = 4) -> PullKeyFinder:
    """A finder whose directory maps keys to owners with IMS GetUser."""
    reader = RamReader(factory)
    return PullKeyFinder(KeyDirectory(reader, workers=workers, ims=ImsReader(factory)),
                         IdentityResolver(reader, workers=workers))


def test_configmap_keys_are_mapped_with_one_get_user_each(cloud, factory, tmp_path):
    """IMS GetUser by UserAccessKeyId names each owner: no user is listed, no key list is read."""
    path = tmp_path / "acr-configuration.yaml"
    path.write_text(configmap(KEYS["wide-puller"], UNKNOWN_KEY), encoding="utf-8")
    since = cloud.requests.last_seq()
    search = ims_finder(factory).find(configmaps=[(str(path), "prod")])
    assert list(search.users) == ["wide-puller"]
    assert [k.access_key_id for k in search.unowned_keys] == [UNKNOWN_KEY]
    assert ram_actions(cloud, since) == []
    assert cloud.requests.count("ims", "GetUser", since=since) == 2


def test_a_key_ims_cannot_look_up_is_searched_for_by_listing(cloud, factory, tmp_path):
    """GetUser refused (no permission): the key is found the old way, listing users and their keys."""
    cloud.faults.add(FaultRule(product="ims", action="GetUser", code="NoPermission", status=403))
    path = tmp_path / "acr-configuration.yaml"
    path.write_text(configmap(KEYS["reader"]), encoding="utf-8")
    search = ims_finder(factory).find(configmaps=[(str(path), None)])
    assert list(search.users) == ["reader"]
    assert cloud.requests.count("ram", "ListUsers") == 1


def test_policies_list_their_default_version_and_attachment_count(cloud, factory):
    """ListPolicies pages carry DefaultVersion and AttachmentCount (users, groups and roles)."""
    listing = {(p.type, p.name): p for p in RamReader(factory).policies()}
    assert listing[("Custom", "acr-pull-only")].attachment_count == 3  # group pullers, stale, nokey
    assert listing[("Custom", "acr-pull")].default_version == "v2" and not listing[("Custom", "acr-pull")].attached
    assert listing[("System", "AliyunContainerRegistryFullAccess")].attachment_count == 2
