"""Check 1, identity: who the credentials are, and a clear failure when the cloud refuses them."""

from __future__ import annotations

import pytest

from acrguard.doctor.identity import check_identity
from acrguard.doctor.model import Status
from acrguard.doctor.runner import CHECKS, run_check
from support import ACCOUNT
from tests.doctor.doctorworld import DOCTOR_KEY, DOCTOR_SECRET, context, doctor_world, down_address, with_doctor_user


@pytest.fixture
def world():
    return with_doctor_user(doctor_world())


def test_a_ram_user_is_named_with_its_account(cloud, tmp_path):
    """The doctor user's account, type and ARN are the evidence, and the later checks learn the account."""
    ctx = context(cloud, tmp_path, key=DOCTOR_KEY, secret=DOCTOR_SECRET)
    result = check_identity(ctx)
    assert result.status is Status.PASS
    assert result.evidence == f"account {ACCOUNT}, RAMUser acs:ram::{ACCOUNT}:user/doctor"
    assert ctx.account_id() == ACCOUNT


def test_root_credentials_pass_with_the_advice_to_use_a_ram_user(cloud, tmp_path):
    """The account's own key works, and the details say a RAM user with the doctor policy is enough."""
    result = check_identity(context(cloud, tmp_path))
    assert result.status is Status.PASS and "Account" in result.evidence
    assert any("RAM user" in line for line in result.details)


def test_an_unknown_access_key_fails_with_the_fix_and_stops_the_cloud_checks(cloud, tmp_path):
    """An unknown key is FAIL naming the code and where credentials come from; the cloud checks do not run."""
    ctx = context(cloud, tmp_path, key="LTAI5tNoSuchKey0000001", secret="whatever-secret")
    result = check_identity(ctx)
    assert result.status is Status.FAIL
    assert "InvalidAccessKeyId.NotFound" in result.evidence
    assert "cloud.credentials" in result.fix and "Active" in result.fix
    others = {check.name: run_check(check, ctx) for check in CHECKS if check.cloud and check.name != "identity"}
    assert {r.status for r in others.values()} == {Status.UNKNOWN}
    assert all("see identity" in r.evidence for r in others.values())


def test_an_endpoint_that_does_not_answer_cannot_tell(cloud, tmp_path):
    """A connection refused is a passing trouble, not refused credentials: cannot tell, run again."""
    data = context(cloud, tmp_path).config.model_dump(mode="json", exclude_none=True)
    data["cloud"].update(endpoint=down_address(), connect_timeout_ms=200, read_timeout_ms=500)
    result = check_identity(context(cloud, tmp_path, data=data))
    assert result.status is Status.UNKNOWN
    assert "run doctor again" in result.fix
