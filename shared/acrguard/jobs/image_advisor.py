"""The image weight advisor as a job: checks each pushed image; sweeps the configured repositories daily."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from acrguard.events.routing import IMAGE_ADVISOR
from acrguard.jobs.base import JobContext, JobResult

if TYPE_CHECKING:
    from acrguard.advisor.run import AdvisorResult
    from acrguard.events.routing import RouteResult
    from acrguard.findings import Actor


#: repositories listed one by one in the "done" log line (the counts cover all of them)
SUMMARY_LINES = 20


def _size(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


class ImageAdvisorJob:
    """Adapter from ``acrguard.advisor.run`` to the ``Job`` interface."""

    name = IMAGE_ADVISOR

    def sweep(self, ctx: JobContext) -> JobResult:
        """Check the newest tags of the repositories each instance's ``image_advisor.repositories`` names."""
        from acrguard.advisor.run import Advisor

        return self._result(Advisor(ctx.config, ctx.factory, ctx.log, dry_run=ctx.dry_run).sweep())

    def handle(self, ctx: JobContext, routed: RouteResult, actor: Actor | None) -> JobResult:
        """Check the pushed tag of each repository the event names (re-read live; the event's size is a hint)."""
        from acrguard.advisor.run import Advisor, AdvisorResult

        advisor = Advisor(ctx.config, ctx.factory, ctx.log, dry_run=ctx.dry_run)
        merged = AdvisorResult()
        tags = [r.id for r in routed.resources if r.type == "cr-tag"]
        for resource in routed.resources:
            if resource.type != "cr-repository":
                continue
            instance_id, namespace, name = resource.id.split("/", 2)
            tag = routed.details.get("tag") or next((t.split(":", 1)[1] for t in tags
                                                     if t.startswith(resource.id + ":")), None)
            merged.merge(advisor.check_push(instance_id, namespace, name, tag,
                                            event_size=_size(routed.details.get("image_size")),
                                            event_digest=routed.details.get("digest")))
        return self._result(merged)

    @staticmethod
    def _result(result: AdvisorResult) -> JobResult:
        outcomes = Counter(str(line.get("outcome")) for line in result.checked)
        return JobResult(findings=list(result.findings), scopes=set(result.observed_scopes),
                         changes=list(result.changes),
                         summary={"repositories": len(result.checked), "outcomes": dict(outcomes),
                                  "checked": result.checked[:SUMMARY_LINES]})


JOB = ImageAdvisorJob()
