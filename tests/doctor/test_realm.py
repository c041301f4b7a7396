"""Check 7, registry-realm: the keeper's /v2/ probe of the VPC domain, judged by the accepted realm forms."""

from __future__ import annotations

from acrguard.doctor.model import Status
from acrguard.doctor.realm import check_realm
from support import INSTANCE_ID, INSTANCE_NAME, REGION
from tests.doctor.doctorworld import context, down_address, run

VPC_DOMAIN = f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"


def test_an_ee_vpc_realm_passes(cloud, tmp_path):
    """dockerauth-ee-vpc.<region>.aliyuncs.com/auth is an accepted realm."""
    result = run(context(cloud, tmp_path), check_realm)
    assert result.status is Status.PASS
    assert f"realm https://dockerauth-ee-vpc.{REGION}.aliyuncs.com/auth" in result.evidence


def test_a_foreign_realm_fails_with_the_keepers_finding(cloud, tmp_path):
    """A realm on another host is refused, as the keeper refuses it (never routed)."""
    cloud.registry.set(VPC_DOMAIN, "https://auth.example.net/auth", f"registry.aliyuncs.com:{REGION}:china:x:2a")
    result = run(context(cloud, tmp_path), check_realm)
    assert result.status is Status.FAIL
    assert result.evidence.startswith(f"{INSTANCE_NAME} ({INSTANCE_ID}): Auth realm refused: realm host "
                                      "'auth.example.net' is not a documented auth host")
    assert "probe settings" in result.fix


def test_a_realm_on_the_registrys_own_domain_passes_with_its_note(cloud, tmp_path):
    """No route of its own is needed for a realm on the VPC domain: PASS, saying why."""
    cloud.registry.set(VPC_DOMAIN, f"https://{VPC_DOMAIN}/auth", f"registry.aliyuncs.com:{REGION}:china:x:2a")
    result = run(context(cloud, tmp_path), check_realm)
    assert result.status is Status.PASS and "registry's own VPC domain" in result.evidence


def test_a_registry_that_cannot_be_reached_cannot_tell(cloud, tmp_path):
    """The VPC domain answers only inside the VPC: a refused connection cannot tell, and says where to run."""
    result = run(context(cloud, tmp_path, registry_probe_address=down_address(), registry_probe_timeout_s=0.5),
                 check_realm)
    assert result.status is Status.UNKNOWN
    assert "Registry probe failed" in result.evidence and "inside the VPC" in result.fix


def test_without_routes_it_is_skipped(cloud, tmp_path):
    """An instance the keeper does not route is not probed."""
    data = context(cloud, tmp_path).config.model_dump(mode="json", exclude_none=True)
    del data["instances"][0]["routes"]
    result = run(context(cloud, tmp_path, data=data), check_realm)
    assert result.status is Status.SKIPPED
