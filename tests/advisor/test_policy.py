"""The advisor's own RAM policy, judged by acrguard's policy engine: ACR reads and one write."""

from __future__ import annotations

from pathlib import Path

from acrguard.policy.evaluate import AttachedPolicy
from acrguard.policy.risk import ExcessCategory
from acrguard.policy.verdict import IssueKind, audit_policies

POLICY = Path(__file__).resolve().parents[2] / "deploy" / "policies" / "acrguard-image-advisor.json"


def test_the_only_write_is_creating_acceleration_rules():
    """Everything beyond pull is an ACR read, except cr:CreateArtifactBuildRule (enforce mode)."""
    verdict = audit_policies([AttachedPolicy.of("acrguard-image-advisor", POLICY.read_text(encoding="utf-8"))])
    items = [item for issue in verdict.issues if issue.kind is IssueKind.EXCESS for item in issue.items]
    writes = {item.action for item in items if item.category is not ExcessCategory.ACR_READ}
    assert writes == {"cr:CreateArtifactBuildRule"}
    assert not any(item.action.lower().startswith(("ram:", "ims:", "sts:")) for item in items)
