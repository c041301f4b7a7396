"""The runner: checks in order, an escaped cloud error is "cannot tell" with its fix, a bug is raised."""

from __future__ import annotations

import pytest

from acrguard.doctor.model import Status
from acrguard.doctor.runner import CHECKS, Check, run_check
from acrguard.errors import CloudCallError, TransientCloudError
from tests.doctor.doctorworld import context


def raising(exc: Exception):
    def check(_ctx):
        raise exc
    return check


def test_the_checks_are_the_ten_of_the_brief_in_order():
    """identity first (the others use its account), then the nine others; only two run without the cloud."""
    assert [c.name for c in CHECKS] == ["identity", "role-permissions", "triggers", "vbr-service-range",
                                        "table-quotas", "global-events-region", "registry-realm", "vpc-dns",
                                        "oss-ranges", "chat-channels"]
    assert [c.name for c in CHECKS if not c.cloud] == ["oss-ranges", "chat-channels"]


def test_a_refused_call_becomes_cannot_tell_naming_the_action(cloud, tmp_path):
    """A RAM refusal escaping a check: cannot tell, grant the action doctor's table names."""
    check = Check("x", "", raising(CloudCallError("DescribeRouteEntryList", "Forbidden.RAM", "no")))
    result = run_check(check, context(cloud, tmp_path))
    assert result.status is Status.UNKNOWN
    assert result.evidence == "DescribeRouteEntryList answered Forbidden.RAM"
    assert "vpc:DescribeRouteEntryList" in result.fix


def test_a_transient_error_becomes_cannot_tell_run_again(cloud, tmp_path):
    """Throttling escaping a check: cannot tell, run again."""
    check = Check("x", "", raising(TransientCloudError("GetInstance", "Throttling.User", "slow")))
    assert "run doctor again" in run_check(check, context(cloud, tmp_path)).fix


def test_a_bug_is_raised(cloud, tmp_path):
    """Anything but a cloud error is a bug: the runner does not hide it."""
    with pytest.raises(ZeroDivisionError):
        run_check(Check("x", "", raising(ZeroDivisionError())), context(cloud, tmp_path))
