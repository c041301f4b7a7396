"""The local ACK API (cs 2015-12-15) through the real SDK: cluster listing, kubeconfigs, and how RAM authorizes them."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from alibabacloud_cs20151215 import models as cs

from acrguard.clients import call
from acrguard.errors import CloudCallError
from support import ACCOUNT, REGION, base_world, make_factory, ram_section

OTHER_REGION = "cn-beijing"
USER_KEY, USER_SECRET = "LTAI5tClusterReader001", "cluster-reader-secret-01"


def cluster(index: int, **extra: Any) -> dict[str, Any]:
    """A world cluster ``c<index>...`` named ``team-<index>``."""
    return {"id": f"c{index:032x}", "name": f"team-{index}", **extra}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    """A RAM policy document."""
    return {"Version": "1", "Statement": list(statements)}


@pytest.fixture
def world() -> dict[str, Any]:
    """Seven clusters in the test region, two in another, and a RAM user whose policy a test sets."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["cs"] = {"clusters": [cluster(i) for i in range(1, 8)]}
    data["accounts"][ACCOUNT]["regions"][OTHER_REGION] = {"cs": {"clusters": [
        cluster(8, name="prod-beijing", type="ExternalKubernetes"), cluster(9, name="staging-beijing")]}}
    data["accounts"]["2222222222222222"] = {"access_keys": [{"id": "LTAI5tOtherRoot000001", "secret": "s"}],
                                            "regions": {REGION: {"cs": {"clusters": [cluster(10)]}}}}
    ram = ram_section(data)
    ram.setdefault("policies", []).append({"name": "cluster-reader", "document": policy(
        {"Effect": "Allow", "Action": "cs:GetClusters", "Resource": f"acs:cs:*:{ACCOUNT}:cluster/*"},
        {"Effect": "Allow", "Action": "cs:DescribeClusterUserKubeconfig",
         "Resource": f"acs:cs:{OTHER_REGION}:{ACCOUNT}:cluster/{cluster(8)['id']}"})})
    ram["users"].append({"name": "cluster-reader", "policies": [{"name": "cluster-reader", "type": "Custom"}],
                         "access_keys": [{"id": USER_KEY, "secret": USER_SECRET}]})
    return data


def list_page(factory, **params: Any):
    """One DescribeClustersV1 answer."""
    client = factory.client("cs")
    return call("cs", "DescribeClustersV1", client.describe_clusters_v1, cs.DescribeClustersV1Request(**params))


def kubeconfig(factory, cluster_id: str, **params: Any):
    """One DescribeClusterUserKubeconfig answer."""
    client = factory.client("cs")
    return call("cs", "DescribeClusterUserKubeconfig", client.describe_cluster_user_kubeconfig, cluster_id,
                cs.DescribeClusterUserKubeconfigRequest(**params))


def test_clusters_are_paged_by_number_with_the_total_count(cloud, factory):
    """Pages of three hold 3, 3 and 1 of the region's seven clusters; page_info counts all of them."""
    pages = [list_page(factory, region_id=REGION, page_size=3, page_number=n) for n in (1, 2, 3, 4)]
    assert [len(p.clusters) for p in pages] == [3, 3, 1, 0]
    assert {p.page_info.total_count for p in pages} == {7}
    assert [p.page_info.page_number for p in pages] == [1, 2, 3, 4]
    names = [c.name for p in pages for c in p.clusters]
    assert names == [f"team-{i}" for i in range(1, 8)]


def test_without_region_id_every_region_of_the_account_is_listed(cloud, factory):
    """No region_id: both regions' clusters, each with its own region_id; another account's clusters never."""
    body = list_page(factory, page_size=100)
    assert body.page_info.total_count == 9
    assert {c.region_id for c in body.clusters} == {REGION, OTHER_REGION}
    assert cluster(10)["id"] not in {c.cluster_id for c in body.clusters}
    beijing = list_page(factory, region_id=OTHER_REGION)
    assert [(c.name, c.cluster_type) for c in beijing.clusters] == [("prod-beijing", "ExternalKubernetes"),
                                                                    ("staging-beijing", "ManagedKubernetes")]


def test_name_matches_part_of_the_name_and_cluster_id_one_cluster(cloud, factory):
    """``name`` is a fuzzy (substring) match; ``cluster_id`` names one cluster."""
    assert [c.name for c in list_page(factory, name="BEIJING").clusters] == ["prod-beijing", "staging-beijing"]
    (only,) = list_page(factory, cluster_id=cluster(3)["id"]).clusters
    assert only.name == "team-3" and only.state == "running" and only.cluster_type == "ManagedKubernetes"


def test_a_page_size_over_100_is_refused(cloud, factory):
    """page_size 101 is InvalidParameter (400)."""
    with pytest.raises(CloudCallError) as caught:
        list_page(factory, page_size=101)
    assert caught.value.code == "InvalidParameter" and caught.value.status == 400


def test_a_kubeconfig_carries_the_ca_and_a_client_certificate_valid_as_long_as_asked(cloud, factory):
    """The kubeconfig names the front end, its CA and a client certificate the CA signed; 15 minutes, as asked."""
    from cryptography import x509

    body = kubeconfig(factory, cluster(1)["id"], temporary_duration_minutes=15, private_ip_address=True)
    document = yaml.safe_load(body.config)
    (entry,) = document["clusters"]
    (user,) = document["users"]
    assert entry["cluster"]["server"] == f"https://{cloud.endpoints()['kube']}/clusters/{cluster(1)['id']}"
    ca = x509.load_pem_x509_certificate(base64.b64decode(entry["cluster"]["certificate-authority-data"]))
    cert = x509.load_pem_x509_certificate(base64.b64decode(user["user"]["client-certificate-data"]))
    assert cert.issuer == ca.subject
    assert cert.subject.rfc4514_string() == f"CN={ACCOUNT}"  # the account itself
    assert base64.b64decode(user["user"]["client-key-data"]).startswith(b"-----BEGIN PRIVATE KEY-----")
    expires = datetime.strptime(body.expiration, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(minutes=14) < expires - cloud.clock.utcnow() <= timedelta(minutes=15)
    assert abs(cert.not_valid_after_utc - expires) < timedelta(seconds=1)
    (request,) = cloud.requests.filter(product="cs", action="DescribeClusterUserKubeconfig")
    # the Python SDK sends the boolean as "True" (str() of it); the local API reads either case
    assert request.params["PrivateIpAddress"].lower() == "true" and request.params["TemporaryDurationMinutes"] == "15"


def test_a_kubeconfig_asked_without_a_duration_lasts_three_years(cloud, factory):
    """Without TemporaryDurationMinutes the API picks a longer validity: three years."""
    body = kubeconfig(factory, cluster(2)["id"])
    expires = datetime.strptime(body.expiration, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert expires - cloud.clock.utcnow() > timedelta(days=3 * 365 - 1)


@pytest.mark.parametrize("minutes", [14, 4321])
def test_a_duration_outside_15_to_4320_minutes_is_refused(cloud, factory, minutes):
    """TemporaryDurationMinutes must lie in [15, 4320]."""
    with pytest.raises(CloudCallError) as caught:
        kubeconfig(factory, cluster(1)["id"], temporary_duration_minutes=minutes)
    assert caught.value.code == "InvalidParameter"


def test_a_cluster_the_account_does_not_have_is_error_cluster_not_found(cloud, factory):
    """An unknown id, and another account's cluster, are ErrorClusterNotFound (404)."""
    for cluster_id in ("c0000000000000000000000000000dead", cluster(10)["id"]):
        with pytest.raises(CloudCallError) as caught:
            kubeconfig(factory, cluster_id, temporary_duration_minutes=15)
        assert (caught.value.code, caught.value.status) == ("ErrorClusterNotFound", 404)


def test_listing_is_authorized_as_cs_get_clusters_and_a_kubeconfig_on_the_clusters_own_arn(cloud):
    """A RAM user with cs:GetClusters lists; its kubeconfig grant names one cluster's ARN in that cluster's region."""
    reader = make_factory(cloud, USER_KEY, USER_SECRET)
    assert list_page(reader, page_size=100).page_info.total_count == 9
    body = kubeconfig(reader, cluster(8)["id"], temporary_duration_minutes=15)  # asked through the cn-hangzhou client
    cert = yaml.safe_load(body.config)["users"][0]["user"]["client-certificate-data"]
    assert b"BEGIN CERTIFICATE" in base64.b64decode(cert)
    with pytest.raises(CloudCallError) as caught:
        kubeconfig(reader, cluster(9)["id"], temporary_duration_minutes=15)
    assert (caught.value.code, caught.value.status) == ("Forbidden.RAM", 403)
    refused = cloud.requests.filter(product="cs", action="DescribeClusterUserKubeconfig")[-1]
    assert refused.error_code == "Forbidden.RAM"


def test_the_kubeconfig_of_a_ram_user_names_its_user_id(cloud):
    """A RAM user's client certificate names the user's id (its Kubernetes user name)."""
    from cryptography import x509

    reader = make_factory(cloud, USER_KEY, USER_SECRET)
    body = kubeconfig(reader, cluster(8)["id"], temporary_duration_minutes=15)
    cert = x509.load_pem_x509_certificate(base64.b64decode(
        yaml.safe_load(body.config)["users"][0]["user"]["client-certificate-data"]))
    user_id = call("ram", "GetUser", make_factory(cloud).ram().get_user,
                   __import__("alibabacloud_ram20150501.models", fromlist=["x"]).GetUserRequest(
                       user_name="cluster-reader")).user.user_id
    assert cert.subject.rfc4514_string() == f"CN={user_id}"


def test_a_world_cluster_without_a_name_is_refused():
    """A cluster entry needs id and name; the error names the entry."""
    from localcloud import LocalCloud

    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["cs"] = {"clusters": [{"id": "c1234567"}]}
    with pytest.raises(ValueError, match=r"cs: clusters\[0\]: needs 'id' and 'name'"):
        LocalCloud(data)
