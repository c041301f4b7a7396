"""The functions' own RAM policies, judged by acrguard's own policy engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.policy.evaluate import AttachedPolicy
from acrguard.policy.risk import ExcessCategory
from acrguard.policy.verdict import IssueKind, audit_policies

POLICIES = Path(__file__).resolve().parents[2] / "deploy" / "policies"
READS = {ExcessCategory.OTHER_READ, ExcessCategory.ACR_READ}


def judged(name: str):
    text = (POLICIES / f"{name}.json").read_text(encoding="utf-8")
    return audit_policies([AttachedPolicy.of(name, text)])


def test_the_auditors_policy_is_read_only():
    """The pull-key auditor may read RAM (and its ConfigMaps) but write nothing anywhere."""
    verdict = judged("acrguard-pullkey-auditor")
    excess = [i for i in verdict.issues if i.kind is IssueKind.EXCESS]
    assert excess, "the auditor reads RAM, which is beyond pull"
    categories = {item.category for issue in excess for item in issue.items}
    assert categories <= READS, categories


@pytest.mark.parametrize("name", ["acrguard-endpoint-keeper", "acrguard-whitelist-guard",
                                  *(f"acrguard-{f}-state" for f in ("endpoint-keeper", "whitelist-guard",
                                                                    "pullkey-auditor", "image-advisor"))])
def test_writer_policies_grant_no_identity_or_admin_rights(name):
    """Writers may write their own resources, never RAM/STS or everything."""
    verdict = judged(name)
    actions = {item.action.lower() for issue in verdict.issues for item in issue.items}
    assert not any(a.startswith(("ram:", "ims:", "sts:")) or a == "*" for a in actions), actions
    document = json.loads((POLICIES / f"{name}.json").read_text(encoding="utf-8"))
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "*" not in statement["Action"]
