"""``acrguard deploy policies``: each function's policies scoped to a config, sufficient and no broader.

The rendered documents are attached to the functions' roles in the local cloud, which authorizes
every call with its own RAM evaluator; each function then runs in full as its role (writes, deletes,
exports, state, events), and the same writes on a resource the config does not name (a second
route table, a second instance, another function's state folder) are refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import alibabacloud_oss_v2 as oss
import pytest
from alibabacloud_cr20181201 import models as cr_models
from alibabacloud_vpc20160428 import models as vpc_models

from acrguard.clients import call, call_oss
from acrguard.config import load_config, load_config_data
from acrguard.deploy import permissions as perms
from acrguard.deploy.render import MAX_DOCUMENT_CHARS, render
from acrguard.errors import CloudCallError
from acrguard.functions import FUNCTIONS
from acrguard.policy.evaluate import AttachedPolicy, Decision, evaluate
from localcloud import LocalCloud
from support import ACCOUNT, INSTANCE_ID, REGION, base_world, deploy_policy, fc_credentials, make_factory
from tests.advisor.helpers import BASIC_ID, LARGE, advisor_world
from tests.advisor.helpers import config_data as advisor_config
from tests.cli.helpers import run as cli
from tests.pullkeys.pullworld import pull_world
from tests.routes.keeperworld import AUTH_HOST, AUTH_IPS, CEN, TR_TABLE, VBR_TABLE, VPN, keeper_world, ours, vbr_routes
from tests.routes.keeperworld import config_data as keeper_config
from tests.runtime.helpers import BUCKET, cloud_section, function_world, oss_state, run_function, write_config

OTHER_TABLE = "vtb-vbr-other"
OTHER_INSTANCE = "cri-other00000000001"
EXPORT = f"oss://{BUCKET}/exports/idc.hosts"
CONFIGMAP = "configmaps/prod/acr-configuration.yaml"


def timer(job: str, minute: int = 0) -> bytes:
    """A timer event of ``job`` (each minute its own firing)."""
    return json.dumps({"triggerTime": f"2026-11-25T10:{minute:02d}:00Z", "triggerName": "sweep",
                       "payload": json.dumps({"job": job})}).encode()


def rendered_documents(config: Any) -> dict[str, dict[str, Any]]:
    """Policy name -> rendered document (for the account of the tests)."""
    return {p.name: p.document for p in render(config, account=ACCOUNT) if p.document is not None}


def refused(cloud: LocalCloud) -> list[str]:
    """Every request the local cloud refused."""
    return [f"{r.product}:{r.action}" for r in cloud.requests.filter(since=0) if r.status == 403]


def role(cloud: LocalCloud, job: str) -> Any:
    """A client factory signed with ``job``'s role credentials."""
    creds = fc_credentials(cloud, job)
    return make_factory(cloud, creds.access_key_id, creds.access_key_secret, creds.security_token)


# -- the config every test renders from: each function's section, state and objects in the bucket ---------------

def keeper_data(cloud: LocalCloud, tmp_path: Path) -> dict[str, Any]:
    """The keeper on every target type, an OSS export, the state in the bucket, a short hold."""
    data = keeper_config(cloud, str(tmp_path / "state.db"), safety={"hold_runs": 1, "hold_hours": 0},
                         exports=[{"format": "hosts", "destination": EXPORT}])
    data["state"] = oss_state()
    return data


def world_with_extras() -> dict[str, Any]:
    """The keeper's world plus a route table and an instance no config names, and the state bucket."""
    data = keeper_world(delay=0)
    data["accounts"][ACCOUNT]["regions"][REGION]["vpc"]["route_tables"].append(
        {"id": OTHER_TABLE, "type": "VBR", "vbr_id": "vbr-2", "entries": []})
    data["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"].append(
        {"id": OTHER_INSTANCE, "name": "otherreg", "specification": "Enterprise_Advanced",
         "internet": {"enable": True, "entries": [{"entry": "203.0.113.0/24", "comment": "office"}]}})
    return data


def render_into(world: dict[str, Any], data_of: Any, tmp_path: Path) -> dict[str, Any]:
    """Render the policies for the config ``data_of(cloud, tmp_path)`` and attach them to the roles of ``world``.

    The config names the cloud's endpoints, so a throwaway cloud gives the rendering its config; the
    resources rendered from depend on the config alone.
    """
    with LocalCloud(function_world(world), seed=3) as scratch:
        documents = rendered_documents(load_config_data(data_of(scratch, tmp_path)))
    return function_world(world, documents=documents)


# -- rendering ------------------------------------------------------------------------------------------------

def test_writes_are_scoped_to_the_configured_resources(tmp_path):
    """The keeper's writes name the configured table, connection, CEN and transit router table, nothing wider."""
    with LocalCloud(base_world(), seed=1) as cloud:
        config = load_config_data(keeper_data(cloud, tmp_path))
    keeper = rendered_documents(config)["acrguard-endpoint-keeper"]
    grants = {action: (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
              for st in keeper["Statement"] for action in st["Action"]}
    assert grants["vpc:CreateRouteEntry"] == [f"acs:vpc:{REGION}:{ACCOUNT}:routetable/{VBR_TABLE}"]
    assert grants["vpc:ModifyVpnConnectionAttribute"] == [f"acs:vpc:{REGION}:{ACCOUNT}:vpnconnection/{VPN}"]
    assert grants["cen:ResolveAndRouteServiceInCen"] == [f"acs:cen:*:{ACCOUNT}:ceninstance/{CEN}"]
    assert grants["cen:CreateTransitRouterRouteEntry"] == [f"acs:cen:*:{ACCOUNT}:centransitrouterroutetable/{TR_TABLE}"]
    assert grants["oss:PutObject"] == [f"acs:oss:*:{ACCOUNT}:{BUCKET}/exports/idc.hosts"]
    assert grants["cr:GetInstanceVpcEndpoint"] == [f"acs:cr:{REGION}:{ACCOUNT}:instance/{INSTANCE_ID}"]
    assert not any(r == "*" for resources in grants.values() for r in resources)


def test_only_reads_with_no_nameable_resource_stay_star_and_each_says_why():
    """Only the auditor's RAM reads and APIs without resource-level authorization stay on *, each with a reason."""
    config = load_config_data({"instances": [{"name": "prod", "instance_id": INSTANCE_ID, "whitelist": {}}],
                               "pull_keys": {"discover": True},
                               "state": {"backend": "oss", "bucket": BUCKET}})
    for policy in render(config):
        for grant in policy.grants:
            if not grant.scoped:
                assert all(a.startswith("ram:") for a in grant.actions), (policy.name, grant.actions)
                assert all(why for _, why in grant.whys)


def test_rows_the_config_does_not_use_are_left_out_and_named():
    """Without VPN, CEN or OSS exports the keeper is granted none of their actions, and the summary says why."""
    config = load_config_data({"instances": [{"name": "prod", "instance_id": INSTANCE_ID, "routes": {"targets": [
        {"type": "vbr_route_table", "name": "idc", "route_table_id": VBR_TABLE, "next_hop_id": "ri-1"}]}}]})
    keeper, state = [p for p in render(config) if p.job == "endpoint_keeper"]
    granted = {a for g in keeper.grants for a in g.actions}
    assert "vpc:ModifyVpnConnectionAttribute" not in granted and "cen:ResolveAndRouteServiceInCen" not in granted
    assert any(line.startswith("vpc:ModifyVpnConnectionAttribute") and "no vpn_connection target" in line
               for line in keeper.left_out)
    assert any(line.startswith("oss:PutObject") for line in keeper.left_out)
    assert state.document is None  # SQLite state, no config object named: nothing in OSS to grant


@pytest.mark.parametrize("job", sorted(FUNCTIONS))
def test_the_rendered_policies_allow_every_needed_action_on_the_configured_resources(job, tmp_path):
    """acrguard's own policy engine: every row of the table is allowed on the config's resources, or left out."""
    with LocalCloud(base_world(), seed=1) as cloud:
        data = keeper_data(cloud, tmp_path)
    data["instances"][0].update(whitelist={}, image_advisor={})
    data["pull_keys"] = {"discover": True, "configmaps": [{"oss": f"oss://{BUCKET}/{CONFIGMAP}"}]}
    config = load_config_data(data)
    policies = [p for p in render(config, account=ACCOUNT) if p.job == job]
    evaluation = evaluate([AttachedPolicy.of(p.name, json.dumps(p.document)) for p in policies if p.document])
    values = {"account": ACCOUNT, "region": REGION, "instance_id": INSTANCE_ID, "namespace": "apps",
              "repository": "web", "route_table_id": TR_TABLE, "entry_id": "rte-1", "vpn_connection_id": VPN,
              "cen_id": CEN, "user": "u", "group": "g", "policy": "p", "bucket": BUCKET, "key": "x.json",
              "function": perms.state_folder(job)}
    left = {line.split(" ", 1)[0] for p in policies for line in p.left_out}
    for row in perms.PERMISSIONS[job]:
        for action in row.actions:
            if action in left:
                continue
            kind = row.resource
            arn = {perms.VPC_ROUTE_TABLE.name: f"acs:vpc:{REGION}:{ACCOUNT}:routetable/{VBR_TABLE}",
                   perms.OSS_EXPORTS.name: f"acs:oss:*:{ACCOUNT}:{BUCKET}/exports/idc.hosts",
                   perms.OSS_CONFIGMAPS.name: f"acs:oss:*:{ACCOUNT}:{BUCKET}/{CONFIGMAP}",
                   perms.OSS_CONFIG.name: f"acs:oss:*:{ACCOUNT}:{BUCKET}/acrguard.yaml"}.get(
                kind.name) or kind.render(**values)
            assert evaluation.decide(action, arn) is Decision.ALLOWED, (row.api, action, arn)


# -- the command ------------------------------------------------------------------------------------------------

def test_the_command_writes_one_file_per_policy_and_a_summary(tmp_path):
    """--output gets the deploy/policies file names, each valid JSON, and SUMMARY.txt naming what stays *."""
    config = tmp_path / "acrguard.yaml"
    config.write_text(json.dumps({"instances": [{"name": "prod", "instance_id": INSTANCE_ID, "whitelist": {},
                                                 "routes": {"targets": [{"type": "vbr_route_table", "name": "idc",
                                                                         "route_table_id": VBR_TABLE,
                                                                         "next_hop_id": "ri-1"}]}}],
                                  "pull_keys": {"discover": True}, "state": {"backend": "oss", "bucket": BUCKET}}),
                      encoding="utf-8")
    out = tmp_path / "policies"
    result = cli("deploy", "policies", "--config", config, "--output", out, "--account", ACCOUNT)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert "SUMMARY.txt" in written
    assert set(written) - {"SUMMARY.txt"} <= {name for files in perms.POLICY_FILES.values() for name in files}
    assert "acrguard-image-advisor.json" not in written  # no instance is configured with image_advisor
    keeper = json.loads((out / "acrguard-endpoint-keeper.json").read_text(encoding="utf-8"))
    assert keeper["Version"] == "1" and keeper["Statement"]
    summary = (out / "SUMMARY.txt").read_text(encoding="utf-8")
    assert "stay *:" in summary and "found at run time" in summary and "scoped to" in summary


def test_the_command_prints_json_and_refuses_a_bad_config_object(tmp_path):
    """--json lists every policy with its grants; a --config-object that is not oss://bucket/key is a usage error."""
    config = tmp_path / "acrguard.yaml"
    config.write_text("instances: [{name: prod, instance_id: cri-test0000000000001, whitelist: {}}]\n",
                      encoding="utf-8")
    result = cli("deploy", "policies", "--config", config, "--json", "--config-object", f"oss://{BUCKET}/c.yaml")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    state = next(p for p in data["policies"] if p["file"] == "acrguard-whitelist-guard-state.json")
    assert state["document"]["Statement"][0]["Resource"] == f"acs:oss:*:*:{BUCKET}/c.yaml"
    assert cli("deploy", "policies", "--config", config, "--config-object", "bucket/key").exit_code == 64
    assert cli("deploy", "policies", "--config", tmp_path / "missing.yaml").exit_code == 66


def test_a_policy_over_rams_size_limit_is_flagged(tmp_path):
    """A config naming so many tables that a document passes 6,144 characters exits 1 and says so."""
    targets = [{"type": "vbr_route_table", "name": f"t{i}", "route_table_id": f"vtb-{i:020d}", "next_hop_id": "ri-1"}
               for i in range(120)]
    config = tmp_path / "acrguard.yaml"
    config.write_text(json.dumps({"instances": [{"name": "prod", "instance_id": INSTANCE_ID,
                                                 "routes": {"targets": targets}}]}), encoding="utf-8")
    result = cli("deploy", "policies", "--config", config)
    assert result.exit_code == 1, result.output
    assert f"RAM takes at most {MAX_DOCUMENT_CHARS}" in result.output


# -- against the local cloud's RAM enforcement -----------------------------------------------------------------

def test_the_keeper_runs_in_full_as_its_rendered_role_and_is_refused_another_table(tmp_path):
    """Every target converges, a retired address is removed everywhere, the export is published: nothing refused.
    The same route write on a table the config does not name is refused (the generic policy would allow it)."""
    world = render_into(world_with_extras(), keeper_data, tmp_path)
    with LocalCloud(world, seed=3) as cloud:
        path = write_config(tmp_path, keeper_data(cloud, tmp_path))
        assert run_function(cloud, "endpoint_keeper", timer("endpoint_keeper"), path)["events"][0]["status"] == "done"
        cloud.dns.set(AUTH_HOST, [AUTH_IPS[1]])
        for minute in (10, 20):
            run_function(cloud, "endpoint_keeper", timer("endpoint_keeper", minute), path, f"req-{minute}")
        root = make_factory(cloud)
        assert f"{AUTH_IPS[0]}/32" not in ours(vbr_routes(root)) and f"{AUTH_IPS[1]}/32" in ours(vbr_routes(root))
        assert cloud.requests.count(action="DeleteTransitRouterRouteEntry") >= 1
        assert cloud.requests.count(action="DeleteRouteServiceInCen") >= 1
        assert b"registry-vpc" in root.oss().get_object(
            oss.GetObjectRequest(bucket=BUCKET, key="exports/idc.hosts")).body.read()
        assert refused(cloud) == []

        keeper = role(cloud, "endpoint_keeper")
        with pytest.raises(CloudCallError) as other:
            call("vpc", "CreateRouteEntry", keeper.vpc().create_route_entry, vpc_models.CreateRouteEntryRequest(
                region_id=REGION, route_table_id=OTHER_TABLE, destination_cidr_block="192.0.2.1/32",
                next_hop_type="RouterInterface", next_hop_id="ri-vbr1"))
        assert other.value.code == "Forbidden.RAM"
        assert not vbr_routes(root, OTHER_TABLE)
    generic = evaluate([AttachedPolicy.of("generic", json.dumps(deploy_policy("acrguard-endpoint-keeper")))])
    other_arn = f"acs:vpc:{REGION}:{ACCOUNT}:routetable/{OTHER_TABLE}"
    assert generic.decide("vpc:CreateRouteEntry", other_arn) is Decision.ALLOWED  # what scoping takes away


def test_the_guard_runs_as_its_rendered_role_and_is_refused_another_instance(tmp_path):
    """The guard converges its whitelist (an add and a removal); the same add on another instance is refused."""
    def guard_data(cloud: LocalCloud, directory: Path) -> dict[str, Any]:
        return {"cloud": cloud_section(cloud), "state": oss_state(), "safety": {"hold_runs": 1, "hold_hours": 0},
                "instances": [{"name": "test", "instance_id": INSTANCE_ID, "whitelist": {
                    "policy": "enforce", "public_endpoint": "enabled", "manage_endpoint_status": True,
                    "entries": [{"cidr": "198.51.100.0/24"}], "allowed_unmanaged": ["203.0.113.0/24"]}}]}

    world = world_with_extras()
    instance = world["accounts"][ACCOUNT]["regions"][REGION]["cr"]["instances"][0]
    instance["internet"]["entries"].append({"entry": "198.18.0.0/24", "comment": "acrguard:test:old-office"})
    world = render_into(world, guard_data, tmp_path)
    with LocalCloud(world, seed=3) as cloud:
        path = write_config(tmp_path, guard_data(cloud, tmp_path))
        for minute in (0, 10):
            result = run_function(cloud, "whitelist_guard", timer("whitelist_guard", minute), path, f"req-{minute}")
            assert result["events"][0]["status"] == "done"
        live = {e.entry for e in cloud.backend("cr", ACCOUNT, REGION).instances[INSTANCE_ID].acl}
        assert "198.51.100.0/24" in live and "198.18.0.0/24" not in live  # added, and the stale entry removed
        assert cloud.requests.count(action="DeleteInstanceEndpointAclPolicy") == 1
        assert refused(cloud) == []

        guard = role(cloud, "whitelist_guard")
        with pytest.raises(CloudCallError) as other:
            call("cr", "CreateInstanceEndpointAclPolicy", guard.cr().create_instance_endpoint_acl_policy,
                 cr_models.CreateInstanceEndpointAclPolicyRequest(instance_id=OTHER_INSTANCE, endpoint_type="internet",
                                                                  entry="0.0.0.0/0"))
        assert other.value.code == "Forbidden.RAM"


def test_the_auditor_runs_as_its_rendered_role_and_cannot_touch_the_keepers_state(tmp_path):
    """Discovery, groups and a ConfigMap in the bucket as the rendered role; the keeper's state folder is refused."""
    def audit_data(cloud: LocalCloud, directory: Path) -> dict[str, Any]:
        return {"cloud": cloud_section(cloud), "state": oss_state(),
                "instances": [{"name": "test", "instance_id": INSTANCE_ID}],
                "pull_keys": {"discover": True, "configmaps": [{"oss": f"oss://{BUCKET}/{CONFIGMAP}"}]}}

    world = render_into(pull_world(), audit_data, tmp_path)
    with LocalCloud(world, seed=3) as cloud:
        root = make_factory(cloud)
        root.oss().put_object(oss.PutObjectRequest(bucket=BUCKET, key=CONFIGMAP, body=b"apiVersion: v1\nkind: "
                                                   b"ConfigMap\nmetadata: {name: acr-configuration}\ndata: {}\n"))
        path = write_config(tmp_path, audit_data(cloud, tmp_path))
        result = run_function(cloud, "pullkey_auditor", timer("pullkey_auditor"), path)
        assert result["events"][0]["status"] == "done"
        assert refused(cloud) == []

        auditor = role(cloud, "pullkey_auditor")
        with pytest.raises(CloudCallError) as other:
            call_oss("PutObject", auditor.oss().put_object, oss.PutObjectRequest(
                bucket=BUCKET, key="state/acrguard-endpoint-keeper/acrguard.json", body=b"{}"))
        assert other.value.code == "AccessDenied"


def test_the_advisor_runs_as_its_rendered_role_and_is_refused_another_instance(tmp_path):
    """Enforce mode creates the acceleration rule on its instance; the same write on an unconfigured one is refused."""
    def advisor_data(cloud: LocalCloud, directory: Path) -> dict[str, Any]:
        data = advisor_config(cloud, str(directory / "state.db"), {"policy": "enforce", "repositories": ["apps/*"]})
        data["instances"] = data["instances"][:1]  # the Basic instance is not configured
        data["state"] = oss_state()
        return data

    world = render_into(advisor_world(), advisor_data, tmp_path)
    with LocalCloud(world, seed=3) as cloud:
        path = write_config(tmp_path, advisor_data(cloud, tmp_path))
        cloud.backend("cr", ACCOUNT, REGION).push_image(INSTANCE_ID, "apps", "web", "v9", LARGE)
        result = run_function(cloud, "image_advisor", timer("image_advisor"), path)
        assert result["events"][0]["status"] == "done"
        assert cloud.requests.count(action="CreateArtifactBuildRule") >= 1
        assert refused(cloud) == []

        advisor = role(cloud, "image_advisor")
        with pytest.raises(CloudCallError) as other:
            call("cr", "ListRepository", advisor.cr().list_repository,
                 cr_models.ListRepositoryRequest(instance_id=BASIC_ID, page_no=1, page_size=30))
        assert other.value.code == "Forbidden.RAM"
    assert load_config(path).instances[0].instance_id == INSTANCE_ID
