"""The pull-key audit over ACK clusters: keys found in the clusters, findings naming the cluster, unknown never
absent, and keys of other accounts judged in their own account."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from acrguard.config.model import AcrguardConfig
from acrguard.config.pullkeys import ClusterSources, PullKeysConfig
from acrguard.jobs.base import ALL_SCOPES, JobContext
from acrguard.jobs.pullkey_auditor import JOB as AUDITOR_JOB
from acrguard.pullkeys.audit import RULE_KEY_NOT_FOUND, EventFacts, PullKeyAuditor
from acrguard.pullkeys.clusterfindings import (
    RULE_CLUSTER_UNREADABLE,
    RULE_CONFIGMAP_INVALID,
    cluster_scope,
    read_scope,
)
from acrguard.pullkeys.owners import OtherAccounts
from localcloud.products.cs import kube_api
from pullkeys.clusterworld import IDS, NOBODY, OTHER_REGION, cluster_world
from pullkeys.pullworld import KEYS
from support import ACCOUNT, INSTANCE_ID, REGION, fc_credentials, make_factory, with_function_roles

REPO = Path(__file__).resolve().parents[2]
FOREIGN = "3333333333333333"
FOREIGN_ROOT, FOREIGN_SECRET = "LTAI5tForeignRoot00001", "foreign-root-secret"


@pytest.fixture
def world() -> dict[str, Any]:
    """The clusters of ``clusterworld``, the function roles, and a second account whose user owns NOBODY's key."""
    data = with_function_roles(cluster_world(), assumer=False)
    data["accounts"][FOREIGN] = {"access_keys": [{"id": FOREIGN_ROOT, "secret": FOREIGN_SECRET}], "global": {"ram": {
        "policies": [{"name": "pull", "document": {"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": ["cr:GetAuthorizationToken", "cr:PullRepository"], "Resource": "*"}]}}],
        "users": [{"name": "partner-puller", "policies": [{"name": "pull", "type": "Custom"}],
                   "access_keys": [{"id": NOBODY, "secret": "partner-secret"}]}]}}}
    return data


def auditor(cloud, factory, sources: ClusterSources | None = None, owners: Any = None) -> PullKeyAuditor:
    """An auditor of the clusters (not discovering), on the local cloud's clock."""
    config = PullKeysConfig(clusters=sources or ClusterSources(timeout_s=2), discover=False)
    return PullKeyAuditor(factory, config, instance_ids=[INSTANCE_ID], account_id=ACCOUNT, now=cloud.clock.utcnow,
                          owners=owners)


def by_rule(result, rule: str) -> list:
    """The run-level findings of one rule."""
    return [f for f in result.findings if f.rule == rule]


def test_a_key_in_a_clusters_configmap_is_audited_as_its_owner(cloud, factory):
    """ack-puller's key in prod's ConfigMap makes it a pull user (PASS); the evidence names the cluster; no secret
    and no full key id appear anywhere."""
    result = auditor(cloud, factory).full_audit()
    users = {i.user_name: i for i in result.identities}
    assert users["ack-puller"].verdict.value == "PASS" and users["ack-puller"].origins == ("configmap:prod#0",)
    assert users["wide-puller"].origins == ("secret:edge",) and users["wide-puller"].verdict.value == "FAIL"
    evidence = users["wide-puller"].findings[0].evidence["configmaps"][0]
    assert evidence["cluster"] == "edge" and evidence["cluster_id"] == IDS["edge"]
    assert evidence["source"] == f"ack:{OTHER_REGION}/{IDS['edge']}/kube-system/alibaba-addon-secret"
    text = json.dumps(result.to_dict())
    assert "top-secret" not in text and KEYS["ack-puller"] not in text and NOBODY not in text
    assert {c["name"]: c["configmap"] for c in result.to_dict()["clusters"]} == {
        "prod": "read", "staging": "read", "bare": "absent", "edge": "absent", "dark": "unreadable"}


def test_a_configmap_that_does_not_parse_is_a_finding_naming_the_cluster(cloud, factory):
    """staging's ConfigMap: configmap-invalid with the cluster's name, id and region and the ConfigMap, in its scope."""
    (finding,) = by_rule(auditor(cloud, factory).full_audit(), RULE_CONFIGMAP_INVALID)
    assert finding.title == (f"ConfigMap kube-system/acr-configuration of cluster staging ({IDS['staging']}, "
                             f"{REGION}) does not parse")
    assert finding.scope == cluster_scope(IDS["staging"]) and finding.labels["region"] == REGION
    assert "kubectl -n kube-system edit configmap acr-configuration" in finding.fix
    assert finding.evidence["problems"][0]["line"] > 2


def test_a_key_no_user_of_the_account_owns_says_owner_not_in_this_account(cloud, factory):
    """NOBODY's key in prod: owner not in this account, in prod's scope, with what to configure."""
    (finding,) = by_rule(auditor(cloud, factory).full_audit(), RULE_KEY_NOT_FOUND)
    assert finding.title == "Pull key LTAI****is01: owner not in this account"
    assert finding.scope == cluster_scope(IDS["prod"]) and f"cluster prod ({IDS['prod']})" in finding.details
    assert "organization section of the config" in finding.fix
    assert finding.evidence["accounts_searched"] == [ACCOUNT]


def test_a_cluster_that_cannot_be_reached_is_unknown_and_resolves_nothing(cloud, factory):
    """dark: a cluster-unreadable finding in its own scope; the audit observes every scope but dark's ConfigMap."""
    result = auditor(cloud, factory).full_audit()
    (finding,) = by_rule(result, RULE_CLUSTER_UNREADABLE)
    assert finding.title == (f"ConfigMap kube-system/acr-configuration of cluster dark ({IDS['dark']}, "
                             f"{OTHER_REGION}) could not be read")
    assert finding.scope == read_scope(IDS["dark"]) and "cluster's VPC" in finding.fix
    observed = result.scopes_observed()
    assert ALL_SCOPES not in observed and cluster_scope(IDS["dark"]) not in observed
    assert {cluster_scope(IDS[name]) for name in ("prod", "staging", "bare", "edge")} <= observed
    assert {"ram-user/ack-puller", "ram-user/wide-puller", read_scope(IDS["dark"])} <= observed


def test_the_job_claims_every_scope_only_when_every_cluster_was_read(cloud, factory):
    """The job's sweep: without dark, all scopes ("*"); with dark, dark's ConfigMap scope is left out."""
    def sweep(sources: ClusterSources):
        config = AcrguardConfig(cloud={"region": REGION}, instances=[{"name": "t", "instance_id": INSTANCE_ID}],
                                pull_keys={"clusters": sources.model_dump(), "discover": False})
        return AUDITOR_JOB.sweep(JobContext(config, factory, store=None, log=None))  # type: ignore[arg-type]

    assert sweep(ClusterSources(names=("prod", "edge"), timeout_s=2)).scopes >= {ALL_SCOPES}
    scopes = sweep(ClusterSources(timeout_s=2)).scopes
    assert ALL_SCOPES not in scopes and cluster_scope(IDS["dark"]) not in scopes


def test_the_function_role_reads_the_clusters_with_its_deployed_policy(cloud):
    """Signed as the auditor's role (deploy/policies), listing, kubeconfigs and the ConfigMaps are all allowed."""
    role = fc_credentials(cloud, "pullkey_auditor")
    factory = make_factory(cloud, role.access_key_id, role.access_key_secret, role.security_token)
    result = auditor(cloud, factory, ClusterSources(names=("prod", "edge"), timeout_s=2)).full_audit()
    assert not by_rule(result, RULE_CLUSTER_UNREADABLE) and result.observed_scopes is None
    assert {i.user_name for i in result.identities} == {"ack-puller", "wide-puller"}
    assert {r.auth for r in kube_api(cloud).requests} == {"x509"}
    assert not [r for r in cloud.requests.filter(since=0) if r.status == 403]


def test_rbac_refusal_names_the_user_to_bind(cloud, factory):
    """Without RBAC in the cluster, the finding's fix is the Role and RoleBinding for the auditor's Kubernetes user."""
    world = cloud.world
    for entry in world["accounts"][ACCOUNT]["regions"][REGION]["cs"]["clusters"]:
        entry["rbac"] = []
    cloud.load_world(world)
    role = fc_credentials(cloud, "pullkey_auditor")
    factory = make_factory(cloud, role.access_key_id, role.access_key_secret, role.security_token)
    result = auditor(cloud, factory, ClusterSources(names=("prod",), timeout_s=2)).full_audit()
    (finding,) = by_rule(result, RULE_CLUSTER_UNREADABLE)
    user = kube_api(cloud).requests[-1].user
    assert "HTTP 403" in finding.details and f"--user={user}" in finding.fix
    assert "--resource=configmaps --resource-name=acr-configuration" in finding.fix


def test_a_key_of_another_account_is_judged_in_that_account(cloud, factory):
    """With the other account to search, NOBODY's key is partner-puller's there, judged with that account's reads."""
    other = OtherAccounts({FOREIGN: lambda: make_factory(cloud, FOREIGN_ROOT, FOREIGN_SECRET)})
    result = auditor(cloud, factory, ClusterSources(names=("prod",), timeout_s=2), owners=other).full_audit()
    assert not by_rule(result, RULE_KEY_NOT_FOUND)
    partner = next(i for i in result.identities if i.user_name == "partner-puller")
    assert partner.account_id == FOREIGN and partner.origins == ("configmap:prod#1",)
    assert partner.verdict.value == "WARN" and partner.policy_verdict.verdict.value == "PASS"  # key hygiene: WARN
    assert {f.scope for f in partner.findings} <= {f"account/{FOREIGN}/ram-user/partner-puller"}
    assert cloud.requests.count("ims", "GetUser") >= 2  # asked here (nobody), then there (partner-puller)
    foreign_reads = [r for r in cloud.requests.filter(product="ram") if r.account_id == FOREIGN]
    assert foreign_reads and {r.access_key_id for r in foreign_reads} == {FOREIGN_ROOT}


def test_an_account_that_cannot_be_searched_leaves_the_key_unknown(cloud, factory):
    """A resolver that cannot ask the other account: the key stays reported, and the audit does not claim all scopes."""
    other = OtherAccounts({FOREIGN: lambda: make_factory(cloud, "LTAI5tNotAKey000000001", "x")})
    result = auditor(cloud, factory, ClusterSources(names=("prod",), timeout_s=2), owners=other).full_audit()
    (finding,) = by_rule(result, RULE_KEY_NOT_FOUND)
    assert f"Account {FOREIGN} could not be searched" in finding.details
    assert result.observed_scopes is not None


def test_an_event_reaudit_reads_the_clusters_but_leaves_their_findings_to_the_full_audit(cloud, factory):
    """A user event re-audits ack-puller with its cluster origin; cluster findings are not part of the answer."""
    result = auditor(cloud, factory).reaudit(EventFacts("AttachPolicyToUser", user_name="ack-puller"))
    assert [(i.user_name, i.origins) for i in result.identities] == [("ack-puller", ("configmap:prod#0",))]
    assert not [f for f in result.findings if f.scope.startswith(("ack-cluster", "ack-clusters"))]


def test_without_clusters_the_auditor_imports_neither_kubernetes_nor_the_ack_sdk(cloud):
    """A full audit with no clusters configured leaves the kubernetes client and the cs SDK unimported."""
    code = (
        "import sys\n"
        "from acrguard.clients import ClientFactory, EndpointOverride\n"
        "from acrguard.config.pullkeys import PullKeysConfig\n"
        "from acrguard.credentials import StaticCredentials\n"
        "from acrguard.jobs import pullkey_auditor\n"
        "from acrguard.pullkeys.audit import PullKeyAuditor\n"
        f"f = ClientFactory({REGION!r}, credentials=StaticCredentials({'LTAI5tTestRootKey00001'!r}, "
        f"{'test-root-secret-0001'!r}), override=EndpointOverride({cloud.endpoints()['openapi']!r}))\n"
        "PullKeyAuditor(f, PullKeysConfig(users=('ack-puller',), discover=False)).full_audit()\n"
        "print(sorted(m for m in ('kubernetes', 'alibabacloud_cs20151215') if m in sys.modules))\n"
    )
    env = {"PYTHONPATH": f"{REPO / 'shared'}", "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def test_a_rendered_policy_grants_the_cluster_apis_only_when_clusters_are_configured():
    """deploy render: no pull_keys.clusters, no cs grant; with cluster ids, kubeconfigs of those clusters only."""
    from acrguard.config.loader import load_config_data
    from acrguard.deploy.render import render
    from acrguard.policy.evaluate import AttachedPolicy, Decision, evaluate

    def auditor_policy(pull_keys: dict[str, Any]):
        config = load_config_data({"instances": [{"name": "prod", "instance_id": INSTANCE_ID}],
                                   "pull_keys": pull_keys})
        (policy,) = [p for p in render(config, account=ACCOUNT) if p.name == "acrguard-pullkey-auditor"]
        return policy, evaluate([AttachedPolicy.of(policy.name, json.dumps(policy.document))])

    policy, _ = auditor_policy({"discover": True})
    assert not {a for g in policy.grants for a in g.actions} & {"cs:GetClusters", "cs:DescribeClusterUserKubeconfig"}
    assert any(line.startswith("cs:GetClusters") and "no pull_keys.clusters" in line for line in policy.left_out)
    _, evaluation = auditor_policy({"clusters": {"cluster_ids": [IDS["prod"]]}})
    cluster = f"acs:cs:{REGION}:{ACCOUNT}:cluster/"
    assert evaluation.decide("cs:GetClusters", f"acs:cs:*:{ACCOUNT}:cluster/*") is Decision.ALLOWED
    assert evaluation.decide("cs:DescribeClusterUserKubeconfig", cluster + IDS["prod"]) is Decision.ALLOWED
    assert evaluation.decide("cs:DescribeClusterUserKubeconfig", cluster + IDS["dark"]) is not Decision.ALLOWED
