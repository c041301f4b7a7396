"""``enforce``: create the repository's ``ACCELERATED_IMAGE`` build rule, idempotently.

The rule is looked up first (a retried invocation may have created it already); an answer that
says it exists (a race with someone else) is settled by reading it again. Nothing else is ever
changed, and no rule is ever deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from acrguard.advisor.model import RepoRef
from acrguard.advisor.observe import acceleration
from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError, TransientCloudError

_EXISTS = re.compile(r"ALREADY_?EXIST", re.IGNORECASE)


@dataclass(frozen=True)
class Enabled:
    """The repository's rule id, and whether this call created it."""

    build_rule_id: str
    created: bool


def enable_acceleration(factory: ClientFactory, region: str, repo: RepoRef) -> Enabled:
    """Make sure ``repo`` has an ``ACCELERATED_IMAGE`` rule (``CloudCallError`` when the API refuses)."""
    from alibabacloud_cr20181201 import models

    existing = acceleration(factory, region, repo)
    if existing.build_rule_id is not None:
        return Enabled(existing.build_rule_id, created=False)
    request = models.CreateArtifactBuildRuleRequest(instance_id=repo.instance_id, scope_type="REPOSITORY",
                                                    scope_id=repo.repo_id, artifact_type="ACCELERATED_IMAGE")
    try:
        body = call("cr", "CreateArtifactBuildRule", factory.cr(region).create_artifact_build_rule, request)
    except CloudCallError as exc:
        if isinstance(exc, TransientCloudError) or not _EXISTS.search(exc.code or ""):
            raise
        again = acceleration(factory, region, repo)
        if again.build_rule_id is None:
            raise
        return Enabled(again.build_rule_id, created=False)
    if not body.build_rule_id:
        again = acceleration(factory, region, repo)
        if again.build_rule_id is None:
            raise CloudCallError("CreateArtifactBuildRule", "NoBuildRuleId",
                                 "the API answered success but no rule can be found")
        return Enabled(again.build_rule_id, created=True)
    return Enabled(body.build_rule_id, created=True)
