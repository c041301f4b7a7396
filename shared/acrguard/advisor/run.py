"""The advisor's two entry points: a push (one repository and tag) and the daily sweep.

Completeness (``acrguard.alerts.pipeline``): a repository's scope is reported as observed only
when acrguard knows its whole state. A push of a small tag says nothing about the repository's
other tags, so it leaves the scope unobserved (an earlier large-image finding stays); a push of a
large tag, a repository that loads on demand, and a sweep of the newest tags are complete.
The event's own size and digest are never trusted: the tag is read again (``GetRepoTag``); digests
are compared normalized (``GetRepoTag`` answers bare hex, events ``sha256:<hex>``).

A configured instance that ACR does not know (``INSTANCE_NOT_EXIST``) is one finding on the
instance, not a failed invocation. In ``enforce``, a ``CreateArtifactBuildRule`` that ACR refuses on
a Standard instance (the English API page allows Advanced only; ``edition``) is reported as that
edition limit, and not tried again for that instance in the same run: no retry storm over its
repositories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acrguard.advisor import findings as wording
from acrguard.advisor import observe
from acrguard.advisor.apply import enable_acceleration
from acrguard.advisor.decide import Action, Decision, Observation, decide, is_large
from acrguard.advisor.edition import STANDARD, Edition
from acrguard.advisor.model import ImageTag, RepoRef, is_accelerated_variant, normalize_digest
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.findings import Finding

#: error codes that say the caller may not do it, not that the instance cannot
_PERMISSION = ("NOPERMISSION", "NOPRIVILEGE", "FORBIDDEN", "UNAUTHORIZED", "ACCESSDENIED")

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.runtime.logs import DecisionLog


@dataclass
class AdvisorResult:
    """Findings of the observed scopes, the changes made, and one line per repository looked at."""

    findings: list[Finding] = field(default_factory=list)
    observed_scopes: set[str] = field(default_factory=set)
    changes: list[str] = field(default_factory=list)
    checked: list[dict[str, Any]] = field(default_factory=list)

    def merge(self, other: AdvisorResult) -> None:
        """Add ``other``'s findings, scopes, changes and lines to this result."""
        self.findings += other.findings
        self.observed_scopes |= other.observed_scopes
        self.changes += other.changes
        self.checked += other.checked


class Advisor:
    """Checks repositories of the configured instances (``instances[].image_advisor``)."""

    def __init__(self, config: AcrguardConfig, factory: ClientFactory, log: DecisionLog | None = None, *,
                 dry_run: bool | None = None) -> None:
        self.config = config
        self.factory = factory
        self.log = log
        self.dry_run = config.dry_run if dry_run is None else dry_run
        self._editions: dict[str, Edition] = {}
        self._refused: dict[str, str] = {}  # instance id -> code of a refusal on a Standard instance this run

    # -- entry points ------------------------------------------------------------------------------
    def check_push(self, instance_id: str, namespace: str, name: str, tag: str | None, *,
                   event_size: int | None = None, event_digest: str | None = None) -> AdvisorResult:
        """Re-read the pushed tag and the repository, and advise (or enforce) about it."""
        result = AdvisorResult()
        where = f"{instance_id}/{namespace}/{name}" + (f":{tag}" if tag else "")
        instance = self._instance(instance_id)
        if instance is None or instance.image_advisor is None:
            return self._skip(result, where, "not-configured",
                              "the instance has no image_advisor section in the config")
        policy = instance.image_advisor
        if not policy.watches(namespace, name):
            return self._skip(result, where, "ignored", "the repository matches image_advisor.ignore")
        if tag and is_accelerated_variant(tag):
            return self._skip(result, where, "accelerated-variant", "ACR's own accelerated variant of a tag")
        region = self.config.region_of(instance)
        try:
            repo = observe.find_repository(self.factory, region, instance_id, namespace, name)
        except CloudCallError as exc:
            if not observe.instance_gone(exc):
                raise
            return self._instance_gone(result, instance, region, exc)
        if repo is None:
            return self._skip(result, where, "repository-gone", "GetRepository: the repository no longer exists")
        if not tag:
            return self._check_repository(instance, repo)
        live = observe.get_tag(self.factory, region, repo, tag)
        if live is None:
            return self._skip(result, where, "tag-gone", "GetRepoTag: the tag no longer exists")
        if (event_size is not None and event_size != live.size) or (
                event_digest and normalize_digest(event_digest) != live.digest):
            self._note("event-differs-from-live", repository=repo.key, tag=tag, event_size=event_size,
                       live_size=live.size, event_digest=event_digest, live_digest=live.digest)
        if not is_large(live, policy):
            result.checked.append({"repository": repo.key, "tag": tag, "outcome": "small", "size": live.size})
            self._note("small-image", repository=repo.key, tag=tag, size=live.size,
                       threshold=policy.size_threshold, scope="not observed: other tags unknown")
            return result
        return self._assess(instance, repo, live)

    def sweep(self) -> AdvisorResult:
        """Check the newest tags of every repository matching each instance's ``image_advisor.repositories``."""
        result = AdvisorResult()
        for instance in self.config.instances:
            policy = instance.image_advisor
            if policy is None or not policy.repositories:
                continue
            region = self.config.region_of(instance)
            try:
                listed = observe.list_repositories(self.factory, region, instance.instance_id)
            except CloudCallError as exc:
                if not observe.instance_gone(exc):
                    raise
                result.merge(self._instance_gone(AdvisorResult(), instance, region, exc))
                continue
            repos = [r for r in listed if policy.sweeps(r.namespace, r.name)]
            result.observed_scopes.add(instance.instance_id)
            self._note("sweep-instance", instance=instance.instance_id, repositories=len(repos))
            for repo in repos:
                try:
                    result.merge(self._check_repository(instance, repo))
                except TransientCloudError:
                    raise
                except CloudCallError as exc:
                    self._note("check-failed", repository=repo.key, code=exc.code)
                    result.findings.append(wording.check_failed(instance.instance_id, instance.name, repo.full_name,
                                                                exc.code, str(exc)))
                    result.checked.append({"repository": repo.key, "outcome": "failed", "code": exc.code})
        return result

    # -- steps -------------------------------------------------------------------------------------
    def _check_repository(self, instance: InstanceConfig, repo: RepoRef) -> AdvisorResult:
        policy = instance.image_advisor
        assert policy is not None
        tags = observe.newest_tags(self.factory, self.config.region_of(instance), repo, policy.tags_per_repository)
        large = [t for t in tags if is_large(t, policy)]
        if not large:
            result = AdvisorResult(observed_scopes={repo.key})
            result.checked.append({"repository": repo.key, "outcome": "small", "tags": len(tags)})
            return result
        return self._assess(instance, repo, max(large, key=lambda t: (t.size, t.updated_ms or 0)))

    def _assess(self, instance: InstanceConfig, repo: RepoRef, tag: ImageTag) -> AdvisorResult:
        policy = instance.image_advisor
        assert policy is not None
        region = self.config.region_of(instance)
        result = AdvisorResult(observed_scopes={repo.key})
        accel = observe.acceleration(self.factory, region, repo)
        edition = None if accel.enabled else self._edition(instance)
        obs = Observation(instance.name, repo, tag, accel, edition)
        decision = decide(obs, policy, dry_run=self.dry_run)
        refused = self._refused.get(instance.instance_id)
        if decision.action is Action.ENABLE and refused is not None:
            decision = Decision(Action.ADVISE, "edition refused earlier in this run",
                                f"acrguard did not try: ACR refused CreateArtifactBuildRule ({refused}) on this "
                                "Standard instance earlier in this run.")
        line = {"repository": repo.key, "tag": tag.tag, "size": tag.size, "outcome": decision.action.value,
                "reason": decision.reason}
        result.checked.append(line)
        self._note(f"image-{decision.action.value}", **line)
        if decision.action is Action.ADVISE:
            result.findings.append(wording.large_image(obs, policy, decision.note))
        elif decision.action is Action.ENABLE:
            try:
                enabled = enable_acceleration(self.factory, region, repo)
            except TransientCloudError:
                raise
            except CloudCallError as exc:
                limit = _edition_refusal(edition, exc)
                if limit:
                    self._refused[instance.instance_id] = exc.code or "error"
                self._note("enable-failed", repository=repo.key, code=exc.code, edition_limit=limit)
                result.findings += [wording.large_image(obs, policy, "acrguard tried to create the rule and failed."),
                                    wording.acceleration_failed(obs, policy, exc.code, str(exc), edition_limit=limit)]
                return result
            if not enabled.created:  # someone else enabled it meanwhile: nothing to advise or report
                self._note("already-enabled", repository=repo.key, build_rule_id=enabled.build_rule_id)
                return result
            result.findings.append(wording.acceleration_enabled(obs, policy, enabled.build_rule_id))
            result.changes.append(f"{repo.key}: CreateArtifactBuildRule ACCELERATED_IMAGE {enabled.build_rule_id}")
        return result

    def _edition(self, instance: InstanceConfig) -> Edition:
        if instance.instance_id not in self._editions:
            region = self.config.region_of(instance)
            self._editions[instance.instance_id] = observe.instance_edition(self.factory, region, instance.instance_id)
        return self._editions[instance.instance_id]

    def _instance_gone(self, result: AdvisorResult, instance: InstanceConfig, region: str,
                       exc: CloudCallError) -> AdvisorResult:
        """The instance is not there (or not usable): one finding on the instance, whose scope is observed."""
        self._note("instance-gone", instance=instance.instance_id, code=exc.code)
        result.findings.append(wording.instance_not_found(instance.instance_id, instance.name, region, exc.code))
        result.observed_scopes.add(instance.instance_id)
        result.checked.append({"repository": instance.instance_id, "outcome": "instance-gone", "code": exc.code})
        return result

    def _instance(self, instance_id: str) -> InstanceConfig | None:
        return next((i for i in self.config.instances if i.instance_id == instance_id), None)

    def _skip(self, result: AdvisorResult, where: str, outcome: str, why: str) -> AdvisorResult:
        result.checked.append({"repository": where, "outcome": outcome})
        self._note(f"skip-{outcome}", target=where, why=why)
        return result

    def _note(self, action: str, **fields: Any) -> None:
        if self.log is not None:
            self.log.decision(action, **fields)


def _edition_refusal(edition: Edition | None, exc: CloudCallError) -> bool:
    """Whether a refused ``CreateArtifactBuildRule`` reads as the English page's edition limit.

    Only on a Standard instance (the one edition the two API pages disagree on), and only when
    the code does not say the caller lacks permission.
    """
    code = (exc.code or "").upper().replace(".", "").replace("_", "")
    return edition is not None and edition.specification == STANDARD and not code.startswith(_PERMISSION)
