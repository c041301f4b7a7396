"""The local Kubernetes API front end, through the official ``kubernetes`` client and the kubeconfigs ACK hands out."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml
from alibabacloud_cs20151215 import models as cs
from kubernetes import client as kube
from kubernetes import config as kubeconfig_loader

from acrguard.clients import call
from localcloud.products.cs import kube_api
from support import ACCOUNT, REGION, base_world, make_factory, ram_section

PROD = "c" + "a" * 32
OTHER = "c" + "b" * 32
DARK = "c" + "d" * 32
USER_KEY, USER_SECRET = "LTAI5tKubeReader000001", "kube-reader-secret-0001"
REGISTRY_INFO = "- instanceId: cri-test0000000000001\n  customAccessKey: LTAI5tSomeKey000000001\n"


@pytest.fixture
def world() -> dict[str, Any]:
    """A cluster with the helper's ConfigMap, a Secret and RBAC for one RAM user; a cluster nobody can reach."""
    data = base_world()
    data["accounts"][ACCOUNT]["regions"][REGION]["cs"] = {"clusters": [
        {"id": PROD, "name": "prod",
         "configmaps": [{"name": "acr-configuration", "data": {"acr-registry-info": REGISTRY_INFO}},
                        {"name": "other", "data": {"a": "b"}},
                        {"name": "elsewhere", "namespace": "default", "data": {}}],
         "secrets": [{"name": "alibaba-addon-secret", "data": {"access-key-id": "LTAI5tAddon0000000001",
                                                               "access-key-secret": "addon-secret"}}],
         "rbac": [{"principal": "user/kube-reader", "verbs": ["get"], "resources": ["configmaps"],
                   "namespaces": ["kube-system"], "names": ["acr-configuration"]}],
         "tokens": {"static-token-1": "user/kube-reader"}},
        {"id": OTHER, "name": "other"},
        {"id": DARK, "name": "dark", "reachable": False}]}
    ram = ram_section(data)
    ram.setdefault("policies", []).append({"name": "kubeconfigs", "document": {"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["cs:GetClusters", "cs:DescribeClusterUserKubeconfig"], "Resource": "*"}]}})
    ram["users"].append({"name": "kube-reader", "policies": [{"name": "kubeconfigs", "type": "Custom"}],
                         "access_keys": [{"id": USER_KEY, "secret": USER_SECRET}]})
    return data


def kubeconfig(factory, cluster_id: str = PROD) -> dict[str, Any]:
    """A 15-minute kubeconfig of the factory's identity, as a mapping."""
    body = call("cs", "DescribeClusterUserKubeconfig", factory.client("cs").describe_cluster_user_kubeconfig,
                cluster_id, cs.DescribeClusterUserKubeconfigRequest(temporary_duration_minutes=15))
    return yaml.safe_load(body.config)


def core(document: dict[str, Any]) -> kube.CoreV1Api:
    """The official client's CoreV1Api from a kubeconfig, loaded the standard way (no retries)."""
    configuration = kube.Configuration()
    kubeconfig_loader.load_kube_config_from_dict(document, client_configuration=configuration)
    configuration.retries = 0
    return kube.CoreV1Api(kube.ApiClient(configuration))


def api_error(call_it) -> kube.ApiException:
    """The ApiException a read raises."""
    with pytest.raises(kube.ApiException) as caught:
        call_it()
    return caught.value


def test_the_client_reads_a_configmap_with_the_kubeconfigs_client_certificate(cloud, factory):
    """GET of the helper's ConfigMap answers its data; the front end saw the client certificate (x509)."""
    found = core(kubeconfig(factory)).read_namespaced_config_map("acr-configuration", "kube-system")
    assert found.data == {"acr-registry-info": REGISTRY_INFO}
    assert found.metadata.name == "acr-configuration" and found.metadata.namespace == "kube-system"
    (request,) = kube_api(cloud).requests
    assert (request.auth, request.user, request.status) == ("x509", ACCOUNT, 200)


def test_lists_are_per_namespace_and_narrowed_by_field_selector(cloud, factory):
    """A list holds the namespace's objects; fieldSelector metadata.name narrows it; Secret data is Base64."""
    api = core(kubeconfig(factory))
    assert [c.metadata.name for c in api.list_namespaced_config_map("kube-system").items] == \
        ["acr-configuration", "other"]
    narrowed = api.list_namespaced_config_map("kube-system", field_selector="metadata.name=other")
    assert [c.metadata.name for c in narrowed.items] == ["other"]
    (secret,) = api.list_namespaced_secret("kube-system").items
    assert base64.b64decode(secret.data["access-key-id"]) == b"LTAI5tAddon0000000001" and secret.type == "Opaque"


def test_a_missing_configmap_is_a_not_found_status(cloud, factory):
    """404 with the apiserver's Status: reason NotFound, details naming the object."""
    error = api_error(lambda: core(kubeconfig(factory)).read_namespaced_config_map("absent", "kube-system"))
    status = yaml.safe_load(error.body)
    assert error.status == 404
    assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": 'configmaps "absent" not found', "reason": "NotFound",
                      "details": {"name": "absent", "kind": "configmaps"}, "code": 404}


def test_rbac_grants_one_configmap_to_a_ram_user_and_forbids_the_rest(cloud):
    """The RAM user may get acr-configuration only: another ConfigMap, a list and a Secret are 403 Forbidden."""
    reader = make_factory(cloud, USER_KEY, USER_SECRET)
    api = core(kubeconfig(reader))
    assert api.read_namespaced_config_map("acr-configuration", "kube-system").data["acr-registry-info"]
    user = kube_api(cloud).requests[-1].user
    error = api_error(lambda: api.read_namespaced_config_map("other", "kube-system"))
    status = yaml.safe_load(error.body)
    assert (error.status, status["reason"]) == (403, "Forbidden")
    assert status["message"] == (f'configmaps "other" is forbidden: User "{user}" cannot get resource "configmaps" '
                                 'in API group "" in the namespace "kube-system"')
    assert api_error(lambda: api.list_namespaced_config_map("kube-system")).status == 403
    assert api_error(lambda: api.read_namespaced_secret("alibaba-addon-secret", "kube-system")).status == 403


def test_an_expired_kubeconfig_is_unauthorized(cloud, factory):
    """Once the cloud's clock passes the kubeconfig's 15 minutes, the same client gets 401 Unauthorized."""
    api = core(kubeconfig(factory))
    api.read_namespaced_config_map("acr-configuration", "kube-system")
    cloud.advance(15 * 60 + 1)
    error = api_error(lambda: api.read_namespaced_config_map("acr-configuration", "kube-system"))
    assert (error.status, yaml.safe_load(error.body)["reason"]) == (401, "Unauthorized")


def test_a_kubeconfig_of_one_cluster_does_not_open_another(cloud, factory):
    """The certificate issued for prod, sent to another cluster's URL, is 401 there."""
    document = kubeconfig(factory)
    server = document["clusters"][0]["cluster"]["server"]
    document["clusters"][0]["cluster"]["server"] = server.replace(PROD, OTHER)
    assert api_error(lambda: core(document).read_namespaced_config_map("x", "kube-system")).status == 401


def test_a_bearer_token_of_the_world_authenticates(cloud, factory):
    """A kubeconfig user with a token the cluster knows is that principal (auth token)."""
    document = kubeconfig(factory)
    document["users"][0]["user"] = {"token": "static-token-1"}
    assert core(document).read_namespaced_config_map("acr-configuration", "kube-system").data
    assert kube_api(cloud).requests[-1].auth == "token"
    document["users"][0]["user"] = {"token": "wrong"}
    assert api_error(lambda: core(document).read_namespaced_config_map("acr-configuration", "kube-system")
                     ).status == 401


def test_a_client_certificate_from_another_ca_fails_the_handshake(cloud, factory, tmp_path):
    """A certificate the cluster CA did not sign is refused in TLS: no HTTP answer at all."""
    from localcloud.products.cs import KubePki

    stranger = KubePki()
    cert, key, _ = stranger.issue_client("mallory", cloud.clock.now() + 900)
    document = kubeconfig(factory)
    document["users"][0]["user"] = {"client-certificate-data": base64.b64encode(cert).decode(),
                                    "client-key-data": base64.b64encode(key).decode()}
    import urllib3

    with pytest.raises(urllib3.exceptions.HTTPError):
        core(document).read_namespaced_config_map("acr-configuration", "kube-system")
    assert kube_api(cloud).requests == []


def test_a_cluster_nobody_can_reach_gives_no_answer(cloud, factory):
    """reachable: false closes the connection without answering: the client sees a protocol error, not a status."""
    import urllib3

    with pytest.raises(urllib3.exceptions.HTTPError):
        core(kubeconfig(factory, DARK)).read_namespaced_config_map("acr-configuration", "kube-system")


def test_only_reads_are_served(cloud, factory):
    """A write is 405 MethodNotAllowed."""
    api = core(kubeconfig(factory))
    body = kube.V1ConfigMap(metadata=kube.V1ObjectMeta(name="new"), data={"a": "b"})
    assert api_error(lambda: api.create_namespaced_config_map("kube-system", body)).status == 405
