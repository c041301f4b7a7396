"""Reading ACK clusters: listing with paging and filters, one short-lived kubeconfig each, the ConfigMap as kubectl
prints it, and every way a cluster can stay unknown."""

from __future__ import annotations

import os
from typing import Any

import pytest
import yaml

from acrguard.config.pullkeys import ClusterSources
from acrguard.pullkeys import clusters as ack
from acrguard.pullkeys import kubeapi
from acrguard.pullkeys.configmap import lint_text
from pullkeys.clusterworld import IDS, NOBODY, OTHER_REGION, cluster_world
from pullkeys.pullworld import KEYS
from support import ACCOUNT, REGION, base_world, make_factory, ram_section

ALL = ClusterSources(timeout_s=2)


@pytest.fixture
def world() -> dict[str, Any]:
    """The clusters of ``clusterworld``."""
    return cluster_world()


def ref(name: str, region: str = REGION, cluster_type: str = "ManagedKubernetes") -> ack.ClusterRef:
    """The listed form of a world cluster."""
    return ack.ClusterRef(IDS[name], name, region, cluster_type, "running")


# -- listing -------------------------------------------------------------------------------------------

def test_every_cluster_of_every_region_is_listed_in_one_unfiltered_listing(cloud, factory):
    """Without regions one DescribeClustersV1 (no region_id) lists the five clusters of both regions."""
    since = cloud.requests.last_seq()
    found = ack.list_clusters(factory, ALL)
    assert sorted(c.name for c in found) == ["bare", "dark", "edge", "prod", "staging"]
    assert {c.region for c in found if c.name in ("edge", "dark")} == {OTHER_REGION}
    (request,) = cloud.requests.filter(product="cs", action="DescribeClustersV1", since=since)
    assert "region_id" not in request.params and request.params["page_size"] == "50"


def test_names_ids_and_regions_narrow_the_clusters(cloud, factory):
    """Name patterns, ids and regions each narrow the listing; regions are asked for one by one (region_id)."""
    assert sorted(c.name for c in ack.list_clusters(factory, ClusterSources(names=("pro*", "ed?e")))) == \
        ["edge", "prod"]
    assert [c.name for c in ack.list_clusters(factory, ClusterSources(cluster_ids=(IDS["staging"],)))] == \
        ["staging"]
    since = cloud.requests.last_seq()
    assert [c.name for c in ack.list_clusters(factory, ClusterSources(regions=(OTHER_REGION,)))] == ["edge", "dark"]
    (request,) = cloud.requests.filter(product="cs", action="DescribeClustersV1", since=since)
    assert request.params["region_id"] == OTHER_REGION


def test_the_listing_follows_the_pages_to_the_total_count(cloud, factory):
    """120 clusters are three pages of 50, 50 and 20: three calls, every cluster once."""
    world = base_world()
    world["accounts"][ACCOUNT]["regions"][REGION]["cs"] = {"clusters": [
        {"id": f"c{i:032x}", "name": f"n{i:03d}"} for i in range(120)]}
    cloud.load_world(world)
    since = cloud.requests.last_seq()
    found = ack.list_clusters(factory, ALL)
    assert len(found) == len({c.cluster_id for c in found}) == 120
    pages = cloud.requests.filter(product="cs", action="DescribeClustersV1", since=since)
    assert [r.params["page_number"] for r in pages] == ["1", "2", "3"]


def test_a_configured_cluster_id_that_is_not_listed_is_reported_missing(cloud, factory):
    """A configured id no listing has is ``missing_ids``; the others are read."""
    sweep = ack.read_clusters(factory, ClusterSources(cluster_ids=(IDS["bare"], "c" + "9" * 32)))
    assert sweep.missing_ids == ("c" + "9" * 32,)
    assert [r.cluster.name for r in sweep.reads] == ["bare"]


def test_a_refused_listing_is_the_sweeps_error_not_an_empty_account(cloud):
    """RAM refusing DescribeClustersV1 leaves every cluster unknown (listing_error), none absent."""
    world = cluster_world()
    ram_section(world)["users"].append({"name": "nobody", "access_keys": [{"id": "LTAI5tNoPermission0001",
                                                                          "secret": "s"}]})
    cloud.load_world(world)
    sweep = ack.read_clusters(make_factory(cloud, "LTAI5tNoPermission0001", "s"), ALL)
    assert sweep.reads == [] and "Forbidden.RAM" in (sweep.listing_error or "") and not sweep.complete


# -- one cluster -----------------------------------------------------------------------------------------

def test_a_configmap_is_read_with_a_15_minute_kubeconfig_and_linted(cloud, factory):
    """prod's ConfigMap yields both keys; the kubeconfig asked lives 15 minutes, public address by default."""
    since = cloud.requests.last_seq()
    read = ack.read_cluster(factory, ref("prod"), ALL)
    assert read.complete and not read.absent and read.report is not None and read.report.parsed
    assert [e.access_key_id for e in read.report.entries] == [KEYS["ack-puller"], NOBODY]
    keys = ack.cluster_keys(read)
    assert [(k.cluster, k.cluster_id, k.index, k.origin) for k in keys] == [
        ("prod", IDS["prod"], 0, "configmap:prod#0"), ("prod", IDS["prod"], 1, "configmap:prod#1")]
    assert keys[0].source == f"ack:{REGION}/{IDS['prod']}/kube-system/acr-configuration"
    (request,) = cloud.requests.filter(product="cs", action="DescribeClusterUserKubeconfig", since=since)
    assert request.params["TemporaryDurationMinutes"] == "15" and request.params["PrivateIpAddress"].lower() == "false"


def test_private_ip_address_is_asked_as_configured(cloud, factory):
    """private_ip_address: true asks for the internal address."""
    since = cloud.requests.last_seq()
    ack.read_cluster(factory, ref("prod"), ClusterSources(private_ip_address=True, kubeconfig_minutes=60))
    (request,) = cloud.requests.filter(product="cs", action="DescribeClusterUserKubeconfig", since=since)
    assert request.params["PrivateIpAddress"].lower() == "true" and request.params["TemporaryDurationMinutes"] == "60"


def test_lint_positions_are_those_of_the_configmap_as_kubectl_prints_it(cloud, factory):
    """staging's problem is reported at the line of the rendered ConfigMap that holds the bad key."""
    read = ack.read_cluster(factory, ref("staging"), ALL)
    assert read.report is not None and read.report.errors
    text = ack.render_configmap("kube-system", "acr-configuration",
                                {"acr-registry-info": "- instanceId: cri-test0000000000001\n   regionId: cn-hangzhou\n",
                                 "service-account": "default", "watch-namespace": "all"})
    lines = text.splitlines()
    assert lines[:3] == ["apiVersion: v1", "data:", "  acr-registry-info: |"]
    bad = read.report.errors[0]
    assert "regionId" in lines[bad.line - 1]


def test_a_missing_configmap_is_absent(cloud, factory):
    """bare has no acr-configuration: absent (a 404), complete, no keys."""
    read = ack.read_cluster(factory, ref("bare"), ALL)
    assert read.absent and read.complete and read.report is None and ack.cluster_keys(read) == []


def test_a_cluster_nobody_can_reach_is_unknown(cloud, factory):
    """dark drops every request: unknown (unreachable), not absent."""
    read = ack.read_cluster(factory, ref("dark", OTHER_REGION), ALL)
    assert (read.error_kind, read.absent, read.complete) == (kubeapi.UNREACHABLE, False, False)
    assert "no answer" in (read.error or "")


def test_rbac_refusing_the_configmap_is_forbidden_and_names_the_kubernetes_user(cloud, factory):
    """A RAM user without RBAC in the cluster: 403, kept as unknown, with the user the fix must bind."""
    world = cluster_world()
    ram = ram_section(world)
    ram["policies"].append({"name": "kubeconfigs", "document": {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["cs:GetClusters", "cs:DescribeClusterUserKubeconfig"], "Resource": "*"}]}})
    ram["users"].append({"name": "outsider", "policies": [{"name": "kubeconfigs", "type": "Custom"}],
                         "access_keys": [{"id": "LTAI5tOutsider00000001", "secret": "s"}]})
    cloud.load_world(world)
    read = ack.read_cluster(make_factory(cloud, "LTAI5tOutsider00000001", "s"), ref("prod"), ALL)
    assert read.error_kind == kubeapi.FORBIDDEN and read.kube_user and read.kube_user in (read.error or "")


def test_ram_refusing_the_kubeconfig_is_unknown(cloud):
    """Without cs:DescribeClusterUserKubeconfig the cluster is unknown (kind cloud), never read."""
    world = cluster_world()
    ram_section(world)["users"].append({"name": "nobody", "access_keys": [{"id": "LTAI5tNoPermission0001",
                                                                          "secret": "s"}]})
    cloud.load_world(world)
    read = ack.read_cluster(make_factory(cloud, "LTAI5tNoPermission0001", "s"), ref("prod"), ALL)
    assert read.error_kind == ack.CLOUD and "Forbidden.RAM" in (read.error or "")


def test_the_addon_secret_is_read_in_registered_clusters_only_by_default(cloud, factory):
    """auto reads alibaba-addon-secret in edge (ExternalKubernetes) and keeps only its key id."""
    edge = ack.read_cluster(factory, ref("edge", OTHER_REGION, "ExternalKubernetes"), ALL)
    assert edge.addon_read and edge.addon_key_id == KEYS["wide-puller"] and edge.absent
    (key,) = ack.cluster_keys(edge)
    assert (key.kind, key.origin, key.source) == (
        "secret", "secret:edge", f"ack:{OTHER_REGION}/{IDS['edge']}/kube-system/alibaba-addon-secret")
    assert "top-secret-addon" not in repr(edge) + repr(key) + str(edge.to_dict())
    prod = ack.read_cluster(factory, ref("prod"), ALL)
    assert not prod.addon_read
    never = ack.read_cluster(factory, ref("edge", OTHER_REGION, "ExternalKubernetes"),
                             ClusterSources(addon_secret="never"))
    assert not never.addon_read and never.addon_key_id is None


def test_clusters_without_an_api_server_are_not_read(cloud, factory):
    """A cluster being deleted is skipped: no kubeconfig asked, nothing unknown."""
    since = cloud.requests.last_seq()
    read = ack.read_cluster(factory, ack.ClusterRef(IDS["prod"], "prod", REGION, "ManagedKubernetes", "deleting"), ALL)
    assert read.skipped and read.complete and read.report is None
    assert cloud.requests.count("cs", "DescribeClusterUserKubeconfig", since=since) == 0


def test_the_kubeconfig_files_are_gone_once_the_session_closes(cloud, factory):
    """The CA, certificate and key written for the client are removed when the session ends."""
    session = kubeapi.KubeSession(ack.fetch_kubeconfig(factory, ref("prod"), ALL))
    with session:
        folder = session._folder.name
        assert sorted(os.listdir(folder)) == ["ca.crt", "client.crt", "client.key"]
        assert oct(os.stat(os.path.join(folder, "client.key")).st_mode & 0o777) == "0o600"
        assert session.config_map("kube-system", "acr-configuration")
    assert not os.path.exists(folder)


# -- kubeconfigs acrguard will not use ------------------------------------------------------------------

def kubeconfig_with(user: dict[str, Any], server: str = "https://127.0.0.1:6443", **cluster: Any) -> str:
    """A one-context kubeconfig."""
    return yaml.safe_dump({"clusters": [{"name": "k", "cluster": {"server": server, **cluster}}],
                           "users": [{"name": "u", "user": user}],
                           "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                           "current-context": "c"})


@pytest.mark.parametrize(("document", "words"), [
    (kubeconfig_with({"exec": {"command": "sh", "args": ["-c", "echo"]}}), "running a command"),
    (kubeconfig_with({"auth-provider": {"name": "oidc"}}), "running a command"),
    (kubeconfig_with({"token": "t"}, **{"insecure-skip-tls-verify": True}), "skip TLS verification"),
    (kubeconfig_with({"token": "t"}, server="http://127.0.0.1:8080"), "not an https:// URL"),
    (kubeconfig_with({"client-certificate-data": "Zm9v"}), "without its key"),
    (kubeconfig_with({}), "neither a client certificate nor a token"),
    ("a: [unclosed", "not readable YAML"),
])
def test_a_kubeconfig_that_would_run_a_command_or_skip_tls_is_refused(document, words):
    """exec, auth-provider, skipped verification, plain HTTP and half credentials are kind kubeconfig."""
    with pytest.raises(kubeapi.KubeReadError) as caught:
        kubeapi.parse_kubeconfig(document)
    assert caught.value.kind == kubeapi.KUBECONFIG and words in caught.value.message


# -- the ConfigMap as text --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "- instanceId: cri-x\n  regionId: cn-hangzhou\n",
    "- instanceId: cri-x\n\tregionId: cn-hangzhou",  # a tab, no final newline
    "  - instanceId: cri-x\n  customAccessKey: LTAI5tXXXX\n\n\n",  # leading spaces, trailing blank lines
    "- domains: a.example.com   \n  # 注释 comment\n",  # trailing spaces, unicode
    "line one\r\nline two\n",  # a carriage return: not a literal block
    "single: line",
    "",
])
def test_the_rendered_configmap_loads_back_to_the_same_data(value):
    """Whatever a value holds, the rendered text loads back to exactly the ConfigMap's data."""
    data = {"acr-registry-info": value, "watch-namespace": "all", "true": "yes"}
    text = ack.render_configmap("kube-system", "acr-configuration", data)
    loaded = yaml.safe_load(text)
    assert loaded["data"] == data and loaded["metadata"] == {"name": "acr-configuration", "namespace": "kube-system"}
    assert lint_text(text, "x").source == "x"


def test_a_configmap_without_data_renders_without_a_data_section():
    """No data: the lint says the data section is missing, as for a file."""
    report = lint_text(ack.render_configmap("kube-system", "acr-configuration", None), "x")
    assert [p.code for p in report.errors] == ["configmap.no-data"]
