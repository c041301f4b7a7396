"""Worlds, the command line, DNS and the registry front end."""

from __future__ import annotations

import json
import subprocess
import sys

import dns.resolver
import pytest
import requests

from localcloud import LocalCloud
from localcloud.core.state import read_world_file
from support import INSTANCE_NAME, REGION, deploy_policy, function_names, function_policies

VPC_DOMAIN = f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"


def _resolver(cloud) -> dns.resolver.Resolver:
    host, port = cloud.endpoints()["dns"].split(":")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = 0.5
    return resolver


def test_bad_world_names_the_path():
    """A world with a bad instance names where the problem is."""
    world = {"accounts": {"1": {"regions": {"cn-hangzhou": {"cr": {"instances": [{"id": "cri-x"}]}}}}}}
    expected = r"accounts\.1\.regions\.cn-hangzhou\.cr: instances\[0\]: needs 'id' and 'name'"
    with pytest.raises(ValueError, match=expected):
        LocalCloud(world)


def test_unknown_product_in_world_is_an_error():
    """A product the local cloud does not have is refused at load."""
    with pytest.raises(ValueError, match="unknown product 'ecs'"):
        LocalCloud({"accounts": {"1": {"regions": {"cn-hangzhou": {"ecs": {}}}}}})


def test_demo_world_loads():
    """The shipped demo world seeds without errors and has credentials to sign with."""
    cloud = LocalCloud.from_world_file()
    assert cloud.demo_credentials()["access_key_id"].startswith("LTAI")


def test_module_prints_one_json_line_with_endpoints(tmp_path):
    """`python -m localcloud` prints the endpoints and credentials as its first line, then serves."""
    proc = subprocess.Popen([sys.executable, "-m", "localcloud"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        assert {"openapi", "dns", "registry", "credentials"} <= set(info)
        host, port = info["openapi"].split(":")
        assert host == "127.0.0.1" and int(port) > 0
        response = requests.get(f"http://{info['openapi']}/_localcloud/requests", timeout=5)
        assert response.json() == {"requests": []}
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_module_rejects_a_missing_world(tmp_path):
    """A missing world file is a clear error with exit code 2."""
    result = subprocess.run([sys.executable, "-m", "localcloud", "--world", str(tmp_path / "nope.yaml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr


def test_dns_answers_records_from_the_world(cloud):
    """The DNS front end answers A records seeded in the world.

    Source: emulator's choice (the world's records stand for the VPC resolvers).
    """
    answer = _resolver(cloud).resolve(VPC_DOMAIN, "A")
    assert [r.address for r in answer] == ["192.168.10.21"]


def test_dns_rotates_and_follows_cnames(cloud):
    """A rotating name answers one address per query in turn; CNAME chains are followed.

    Source: emulator's choice (rotation); CNAME chains as RFC 1034.
    """
    cloud.dns.set("auth.example.com", ["100.103.9.188", "100.103.7.181"], rotate=True)
    cloud.dns.set("alias.example.com", [], cname="auth.example.com")
    resolver = _resolver(cloud)
    seen = {resolver.resolve("auth.example.com", "A")[0].address for _ in range(4)}
    assert seen == {"100.103.9.188", "100.103.7.181"}
    answer = resolver.resolve("alias.example.com", "A")
    assert answer.canonical_name.to_text() == "auth.example.com."


@pytest.mark.parametrize(("mode", "error"), [
    ("servfail", dns.resolver.NoNameservers),
    ("nxdomain", dns.resolver.NXDOMAIN),
    ("empty", dns.resolver.NoAnswer),
    ("timeout", dns.resolver.LifetimeTimeout),
])
def test_dns_failure_modes(cloud, mode, error):
    """Each injected failure mode looks to dnspython like the real failure.

    Source: emulator's choice (what a resolver can do).
    """
    cloud.dns.fail(VPC_DOMAIN, mode)
    with pytest.raises(error):
        _resolver(cloud).resolve(VPC_DOMAIN, "A")
    cloud.dns.fail(VPC_DOMAIN, None)
    assert _resolver(cloud).resolve(VPC_DOMAIN, "A")[0].address == "192.168.10.21"


def test_registry_answers_a_bearer_challenge_by_host(cloud):
    """GET /v2/ answers 401 with the instance's Bearer challenge for its VPC domain.

    Source: https://distribution.github.io/distribution/spec/auth/token/.
    """
    response = requests.get(f"http://{cloud.endpoints()['registry']}/v2/", headers={"Host": VPC_DOMAIN}, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="https://dockerauth-ee-vpc.{REGION}.aliyuncs.com/auth",'
        f'service="registry.aliyuncs.com:{REGION}:26842:cri-test0000000000001"')
    unknown = requests.get(f"http://{cloud.endpoints()['registry']}/v2/", headers={"Host": "other.example.com"},
                           timeout=5)
    assert unknown.status_code == 404


def test_demo_roles_carry_exactly_the_deployed_policies():
    """Each function role of the demo world has its deploy/policies documents (its own, its state's), nothing else."""
    world = read_world_file(None)
    ram = world["accounts"]["1880770869023456"]["global"]["ram"]
    documents = {p["name"]: p.get("document") for p in ram["policies"]}
    roles = {r["name"]: r for r in ram["roles"]}
    assert sorted(roles) == function_names()
    for name, role in roles.items():
        assert [p["name"] for p in role["policies"]] == function_policies(name)
        for policy in function_policies(name):
            assert documents[policy] == deploy_policy(policy), f"demo world {policy} differs from deploy/policies"


def test_demo_function_roles_trust_function_compute():
    """FC obtains each demo role's credentials; the account's root cannot call AssumeRole for them.

    Source: https://help.aliyun.com/en/ram/support/faq-about-ram-roles-and-sts-tokens (service roles).
    """
    cloud = LocalCloud.from_world_file()
    for name in function_names():
        creds = cloud.service_credentials(f"acs:ram::1880770869023456:role/{name}")
        assert creds.access_key_id.startswith("STS.") and creds.security_token
