"""Identity resolution through the RAM API: own and group policies, default versions, the per-run cache."""

from __future__ import annotations

import json
import threading

from acrguard.errors import CloudCallError
from acrguard.pullkeys.identity import IdentityResolver, OnceCache, RunCache
from acrguard.pullkeys.ramapi import PolicyAttachment, RamReader
from pullkeys.pullworld import CR_ALL, PULL_ONLY, ram_actions, ram_call

DOCUMENT_READS = ("GetPolicy", "GetPolicyVersion")


def test_user_and_group_policies_are_both_in_force(cloud, factory):
    """A user's policies are its own plus each group's, each named with its attachment path."""
    ram_call(factory, "AddUserToGroup", user_name="wide-puller", group_name="pullers")
    identity = IdentityResolver(RamReader(factory)).resolve("wide-puller")
    assert identity.groups == ("pullers",)
    assert [(p.name, p.type, p.version, p.via) for p in identity.policies] == [
        ("AliyunContainerRegistryFullAccess", "System", "v1", "user"),
        ("acr-pull-only", "Custom", "v1", "group:pullers"),
    ]
    assert json.loads(identity.policies[1].document) == PULL_ONLY


def test_the_default_version_is_read_not_the_first(cloud, factory):
    """acr-pull's default is v2 (v1 is cr:*): the document in force is v2's."""
    ram_call(factory, "AttachPolicyToUser", policy_name="acr-pull", policy_type="Custom", user_name="user-00")
    (policy,) = IdentityResolver(RamReader(factory)).resolve("user-00").policies
    assert policy.version == "v2"
    assert json.loads(policy.document)["Statement"][0]["Action"] == ["cr:GetAuthorizationToken", "cr:PullRepository"]


def test_a_new_default_version_is_seen_by_the_next_run(cloud, factory):
    """After CreatePolicyVersion with SetAsDefault, a new run reads the new version's document."""
    before = IdentityResolver(RamReader(factory)).resolve("ack-puller")
    ram_call(factory, "CreatePolicyVersion", policy_name="acr-pull-only", policy_document=json.dumps(CR_ALL),
             set_as_default=True)
    after = IdentityResolver(RamReader(factory)).resolve("ack-puller")
    assert before.policies[0].version == "v1" and after.policies[0].version == "v2"
    assert json.loads(after.policies[0].document) == CR_ALL


def test_each_distinct_policy_version_is_fetched_once_per_run(cloud, factory):
    """Resolving many users that share policies reads each (name, type, version) document once."""
    for user in ("user-00", "user-01", "user-02"):
        ram_call(factory, "AddUserToGroup", user_name=user, group_name="pullers")
        ram_call(factory, "AttachPolicyToUser", policy_name="AliyunContainerRegistryFullAccess", policy_type="System",
                 user_name=user)
    since = cloud.requests.last_seq()
    resolver = IdentityResolver(RamReader(factory), workers=4)
    users = ["user-00", "user-01", "user-02", "ack-puller", "wide-puller", "group-admin", "stale", "nokey"]
    resolved = dict(resolver.resolve_many(users))
    distinct = {p.key for identity in resolved.values() for p in identity.policies}
    reads = [params for action, params in ram_actions(cloud, since) if action in DOCUMENT_READS]
    assert len(reads) == len(distinct) == 2
    assert sorted((p["PolicyName"], p["VersionId"]) for p in reads) == \
        [("AliyunContainerRegistryFullAccess", "v1"), ("acr-pull-only", "v1")]
    group_reads = [params["GroupName"] for action, params in ram_actions(cloud, since)
                   if action == "ListPoliciesForGroup"]
    assert sorted(group_reads) == ["ops", "pullers"]


def test_a_shared_cache_spans_resolvers_of_one_run(cloud, factory):
    """Two resolvers sharing one RunCache fetch a document once between them."""
    cache = RunCache()
    since = cloud.requests.last_seq()
    IdentityResolver(RamReader(factory), cache).resolve("stale")
    IdentityResolver(RamReader(factory), cache).resolve("nokey")
    assert sum(1 for action, _ in ram_actions(cloud, since) if action in DOCUMENT_READS) == 1


def test_a_vanished_listed_version_falls_back_to_the_default(cloud, factory):
    """If the listed DefaultVersion was deleted in between, GetPolicy's DefaultPolicyVersion is used."""

    class StaleListing(RamReader):
        """Answers ListPoliciesForUser with a version id that no longer exists (a race with DeletePolicyVersion)."""

        def policies_for_user(self, user: str) -> list[PolicyAttachment]:
            return [PolicyAttachment("acr-pull", "Custom", "v9")]

    (policy,) = IdentityResolver(StaleListing(factory)).resolve("user-03").policies
    assert policy.version == "v2"
    assert cloud.requests.count("ram", "GetPolicy") == 1


def test_unknown_user_is_an_error_not_an_empty_identity(cloud, factory):
    """A user RAM does not know raises EntityNotExist.User instead of resolving to no policies."""
    resolver = IdentityResolver(RamReader(factory))
    ((user, outcome),) = list(resolver.resolve_many(["ghost"]))
    assert user == "ghost" and isinstance(outcome, CloudCallError) and outcome.code == "EntityNotExist.User"


def test_once_cache_computes_once_under_concurrency():
    """Many threads asking for one key at once share a single computation."""
    cache = OnceCache()
    calls = []
    gate = threading.Event()

    def compute() -> str:
        calls.append(1)
        gate.wait(1)
        return "value"

    threads = [threading.Thread(target=lambda: cache.get("k", compute)) for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and cache.get("k", compute) == "value"

