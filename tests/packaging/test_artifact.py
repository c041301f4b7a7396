"""The deployable artifact: built once, unpacked into an empty directory, imported and invoked alone."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest
import yaml

from acrguard.functions import function
from acrguard.packaging import build, dependency_closure
from support import ACCOUNT, INSTANCE_ID, REGION, base_world, fc_credentials, with_function_roles

SPEC = function("whitelist_guard")


@pytest.fixture
def world():
    """The base world with each function's role (exactly its deployed policies)."""
    return with_function_roles(base_world(), assumer=False)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    """The whitelist guard's code package, zipped and unpacked into a fresh directory."""
    built = build(SPEC, tmp_path_factory.mktemp("build") / SPEC.name, make_zip=True)
    unpacked = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(built.zip_path) as archive:
        archive.extractall(unpacked)
    return built, unpacked


def test_artifact_has_handler_library_bytecode_and_no_test_code(artifact):
    """Handler, acrguard and compiled bytecode are in; localcloud, tests, the CLI and the demo are out."""
    _, unpacked = artifact
    assert (unpacked / "index.py").is_file()
    assert (unpacked / "acrguard" / "runtime" / "handler.py").is_file()
    assert list((unpacked / "acrguard" / "__pycache__").glob("*.pyc"))
    assert list((unpacked / "alibabacloud_cr20181201" / "__pycache__").glob("*.pyc"))
    for excluded in ("localcloud", "tests", "acrguard/cli", "acrguard/demo", "pytest", "click", "dnslib"):
        assert not (unpacked / excluded).exists(), excluded
    assert not (unpacked / "alibabacloud_vpc20160428").exists()  # the guard does not use the VPC SDK


def test_closure_pins_match_requirements():
    """Every distribution shipped is the version requirements.txt pins."""
    from acrguard.packaging import read_pins

    pins = read_pins()
    for dist in dependency_closure(SPEC.distributions):
        name = dist.metadata["Name"].lower().replace("_", "-").replace(".", "-")
        assert pins.get(name) == dist.version, name


def test_unpacked_artifact_runs_alone_in_a_fresh_interpreter(artifact, cloud, tmp_path):
    """With only the artifact on sys.path (no site-packages), the handler imports and handles a timer, signing with
    its role's STS credentials from the environment variables FC sets."""
    _, unpacked = artifact
    endpoints = cloud.endpoints()
    config = tmp_path / "acrguard.yaml"
    config.write_text(yaml.safe_dump({
        "cloud": {"region": REGION, "endpoint": endpoints["openapi"], "protocol": "http"},
        "instances": [{"name": "test", "instance_id": INSTANCE_ID,
                       "whitelist": {"policy": "report", "allowed_unmanaged": ["203.0.113.0/24"]}}],
        "state": {"path": str(tmp_path / "state.db")},
    }))
    timer = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
                        "payload": '{"job": "whitelist_guard"}'})
    # An ActionTrail event naming its caller: the guard asks STS who it is itself (its own changes are not drift).
    from alibabacloud_cr20181201 import models as cr_models

    from acrguard.clients import call
    from support import make_factory

    people = make_factory(cloud)
    call("cr", "CreateInstanceEndpointAclPolicy", people.cr().create_instance_endpoint_acl_policy,
         cr_models.CreateInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                           entry="198.51.100.0/24", comment="by hand"))
    (trail_event,) = cloud.trail.take("CreateInstanceEndpointAclPolicy")
    event = json.dumps(trail_event)
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(unpacked)!r})\n"
        "assert not any('site-packages' in p for p in sys.path), sys.path\n"
        "import index\n"
        "from acrguard.runtime.context import FcFunction, LocalContext\n"
        f"ctx = LocalContext(FcFunction('acrguard-whitelist-guard'), {REGION!r}, {ACCOUNT!r})\n"
        f"index.handler({timer!r}.encode(), ctx)\n"
        f"result = index.handler({event!r}.encode(), ctx)\n"
        "print('RESULT ' + json.dumps(result))\n"
        "sdks = sorted({m.split('.')[0] for m in sys.modules if m.startswith('alibabacloud_')})\n"
        "print('MODULES ' + json.dumps(sdks))\n"
    )
    role = fc_credentials(cloud, SPEC.name)
    env = {"ACRGUARD_CONFIG": str(config), "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin",
           "ALIBABA_CLOUD_ACCESS_KEY_ID": role.access_key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": role.access_key_secret,
           "ALIBABA_CLOUD_SECURITY_TOKEN": role.security_token}
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT ", 1)[1].splitlines()[0])
    assert result["status"] == "ok" and result["events"][0]["status"] == "done"
    assert cloud.requests.count(product="cr", action="GetInstanceEndpoint") >= 2
    assert cloud.requests.count(product="sts", action="GetCallerIdentity") == 1
    assert {r.access_key_id for r in cloud.requests.filter(product="cr", action="GetInstanceEndpoint")} == \
        {role.access_key_id} and not [r for r in cloud.requests.filter(since=0) if r.status == 403]
    imported = set(json.loads(proc.stdout.split("MODULES ", 1)[1].splitlines()[0]))
    sdk_clients = {m.split(".")[0] for m in SPEC.sdk_modules}
    assert sdk_clients <= imported
    assert not {m for m in imported if m[-8:].isdigit()} - sdk_clients, "an SDK the function does not declare"
