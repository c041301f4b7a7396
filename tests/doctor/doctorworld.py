"""The doctor tests' world, config, s.yaml and a way to run one check (``tests.doctor.doctorworld``).

The world is the keeper's (auth and OSS names, a VBR table taking more specific prefixes of
100.64.0.0/10) with one RAM role per function carrying exactly its ``deploy/policies`` documents,
ActionTrail keeping global events in cn-hangzhou, and a DingTalk robot. ``s.yaml`` is the
repository's with ``vars.accountId`` filled in; ``deploy`` seeds its functions as ``s deploy`` would.
"""

from __future__ import annotations

import copy
import socket
from pathlib import Path
from typing import Any

from acrguard.clients import ClientFactory
from acrguard.config import load_config_data
from acrguard.deploy.syaml import read
from acrguard.doctor import DoctorContext
from acrguard.doctor.identity import check_identity
from acrguard.doctor.model import CheckResult
from acrguard.doctor.needs import policy_document
from localcloud.products.fc import seed_from_syaml
from support import ACCOUNT, REGION, ROOT_KEY, ROOT_SECRET, ram_section, with_function_roles
from tests.routes.keeperworld import VBR_TABLE, config_data, keeper_world

REPO = Path(__file__).resolve().parents[2]
S_YAML = REPO / "s.yaml"
ROBOT, ROBOT_SECRET = "doctor-robot-token", "SECdoctor0001"
VBR_TARGET = {"type": "vbr_route_table", "name": "idc-vbr", "route_table_id": VBR_TABLE, "next_hop_id": "ri-vbr1"}
#: a RAM user that runs doctor with the doctor policy of docs/doctor.md (and may assume the function roles)
DOCTOR, DOCTOR_KEY, DOCTOR_SECRET = "doctor", "LTAI5tDoctorUser000001", "doctor-user-secret-0001"


def doctor_world(vbr_service_range: str = "more_specific") -> dict[str, Any]:
    """The well-formed world (see the module docstring)."""
    world = with_function_roles(keeper_world(delay=0, vbr_service_range=vbr_service_range))
    world["accounts"][ACCOUNT]["global"]["actiontrail"] = {"global_events_storage_region": "cn-hangzhou"}
    world["chat"] = {"dingtalk": {ROBOT: {"secret": ROBOT_SECRET, "keywords": ["acrguard"]}}}
    return world


def with_doctor_user(world: dict[str, Any], *, without: tuple[str, ...] = (), assume: bool = True) -> dict[str, Any]:
    """Add the ``doctor`` RAM user with docs/doctor.md's policy minus the actions ``without``; returns ``world``."""
    document = copy.deepcopy(policy_document())
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a not in without]
    document["Statement"] = [s for s in document["Statement"] if s["Action"]]
    ram = ram_section(world)
    ram.setdefault("policies", []).append({"name": "acrguard-doctor", "document": document})
    policies = [{"name": "acrguard-doctor", "type": "Custom"}]
    if assume:
        policies.append({"name": "AliyunSTSAssumeRoleAccess", "type": "System"})
    ram.setdefault("users", []).append({"name": DOCTOR, "policies": policies,
                                        "access_keys": [{"id": DOCTOR_KEY, "secret": DOCTOR_SECRET}]})
    return world


def write_s_yaml(tmp_path: Path, account: str = ACCOUNT, **replace: str) -> Path:
    """The repository's s.yaml with ``vars.accountId`` (and any ``old=new`` text) replaced, in ``tmp_path``."""
    text = S_YAML.read_text(encoding="utf-8").replace("REPLACE_WITH_ACCOUNT_ID", account)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def deploy(cloud: Any, s_yaml: Path) -> Any:
    """Create s.yaml's functions in the local FC as ``s deploy`` would; returns the region's FC backend."""
    seed_from_syaml(cloud, ACCOUNT, REGION, read(s_yaml).resources)
    return cloud.backend("fc", ACCOUNT, REGION)


def doctor_config(cloud: Any, tmp_path: Path, *, targets: list[dict[str, Any]] | None = None,
                  key: str = ROOT_KEY, secret: str = ROOT_SECRET, channels: list[dict[str, Any]] | None = None,
                  **routes: Any) -> dict[str, Any]:
    """A config for the test instance on the local cloud: the VBR target and the DingTalk channel by default."""
    data = config_data(cloud, str(tmp_path / "state.db"), targets=[VBR_TARGET] if targets is None else targets,
                       **routes)
    data["cloud"]["credentials"] = {"access_key_id": key, "access_key_secret": secret}
    data["cloud"]["retry"] = {"max_attempts": 1, "base_delay_ms": 5, "max_delay_ms": 20}
    data["alerts"] = {"channels": [dingtalk_channel(cloud)] if channels is None else channels}
    return data


def dingtalk_channel(cloud: Any, *, secret: str = ROBOT_SECRET, name: str = "ops") -> dict[str, Any]:
    """The world's DingTalk robot as a channel of the config."""
    url = f"http://{cloud.endpoints()['chat']}/dingtalk/robot/send?access_token={ROBOT}"
    return {"name": name, "type": "dingtalk", "url": url, "secret": secret, "keywords": ["acrguard"]}


def context(cloud: Any, tmp_path: Path, *, s_yaml: Path | None = None, send: bool = False,
            assume_roles: bool = False, data: dict[str, Any] | None = None, **options: Any) -> DoctorContext:
    """A doctor context on the local cloud (``data``: a config to use instead of ``doctor_config``)."""
    config = load_config_data(data if data is not None else doctor_config(cloud, tmp_path, **options))
    deployment = read(s_yaml) if s_yaml is not None else None
    return DoctorContext(config, ClientFactory.from_config(config), deployment=deployment,
                         deployment_problem="" if s_yaml is not None else "none given", send=send,
                         assume_roles=assume_roles, config_hint="acrguard.yaml")


def run(ctx: DoctorContext, check: Any) -> CheckResult:
    """The identity check (which tells the others the caller's account), then ``check``."""
    check_identity(ctx)
    return check(ctx)


def down_address() -> str:
    """host:port where nothing listens (a port just released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"
