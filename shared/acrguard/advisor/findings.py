"""The advisor's findings, one per repository: the large image, the rule acrguard created, a failure.

Resource and scope are the repository (``<instance>/<namespace>/<name>``), so the fingerprint is
per repository: a second push of the same tag, or another large tag in the same repository, is
the same finding (its evidence moves on, no new alert). Sources of the advice:
on-demand loading https://help.aliyun.com/en/acr/user-guide/load-resources-of-a-container-image-on-demand ;
the API https://help.aliyun.com/document_detail/601109.html (CreateArtifactBuildRule; the English
page's edition limit differs, see ``edition``) ;
P2P https://www.alibabacloud.com/help/en/acr/user-guide/use-p2p-acceleration-feature.
"""

from __future__ import annotations

from typing import Any

from acrguard.advisor.decide import Observation
from acrguard.advisor.sizes import human_size
from acrguard.config.advisor import ImageAdvisorConfig
from acrguard.findings import Finding, Severity

JOB = "image_advisor"
LARGE = "image.large-without-acceleration"
ENABLED = "image.acceleration-enabled"
FAILED = "image.acceleration-failed"
CHECK_FAILED = "image.check-failed"
INSTANCE_NOT_FOUND = "image.instance-not-found"

DOC_ON_DEMAND = "https://help.aliyun.com/en/acr/user-guide/load-resources-of-a-container-image-on-demand"
DOC_P2P = "https://www.alibabacloud.com/help/en/acr/user-guide/use-p2p-acceleration-feature"
DOC_API_ZH = "https://help.aliyun.com/document_detail/601109.html"
DOC_API_EN = "https://alibabacloud.com/help/en/acr/developer-reference/api-cr-2018-12-01-createartifactbuildrule"


def _evidence(obs: Observation, policy: ImageAdvisorConfig) -> dict[str, Any]:
    tag = obs.tag
    out: dict[str, Any] = {"instance_id": obs.repo.instance_id, "instance": obs.instance_name,
                           "repository": obs.repo.full_name, "repo_id": obs.repo.repo_id,
                           "threshold_bytes": policy.size_threshold, "threshold": human_size(policy.size_threshold)}
    if tag is not None:
        out.update(tag=tag.tag, digest=tag.digest, size_bytes=tag.size, size=human_size(tag.size))
    if obs.edition is not None:
        out.update(edition=obs.edition.specification, region=obs.edition.region)
    return out


def _image(obs: Observation) -> str:
    return f"{obs.repo.full_name}:{obs.tag.tag}" if obs.tag is not None else obs.repo.full_name


def _api_call(obs: Observation) -> str:
    return (f"CreateArtifactBuildRule InstanceId={obs.repo.instance_id} ScopeType=REPOSITORY "
            f"ScopeId={obs.repo.repo_id or '<RepoId>'} ArtifactType=ACCELERATED_IMAGE")


def _acr_name(obs: Observation) -> str:
    """The instance's name in ACR (``GetInstance``), else its label in the config."""
    return (obs.edition.instance_name if obs.edition is not None else "") or obs.instance_name


def _console(obs: Observation) -> str:
    return (f"Container Registry console > Instances > {_acr_name(obs)} > Repositories > "
            f"{obs.repo.full_name} > enable image acceleration (on-demand loading)")


def _p2p(obs: Observation) -> str:
    region = obs.edition.region if obs.edition is not None else "<region>"
    return (f"enable P2P acceleration in the cluster ({DOC_P2P}; nodes then also pull from "
            f"{_acr_name(obs)}-registry-vpc.distributed.{region}.cr.aliyuncs.com:65001, which an IDC must route)")


def fix_for(obs: Observation) -> str:
    """The fix, worded for the instance's edition and region."""
    slim = "Slimming the image (multi-stage builds, a smaller base) helps in every case."
    obstacle = obs.edition.obstacle if obs.edition is not None else None
    if obstacle == "region":
        return (f"Accelerated images are not offered in {obs.edition.region if obs.edition else 'this region'} "
                f"(finance/gov cloud): {_p2p(obs)}. {slim}")
    if obstacle == "basic":
        return (f"{_acr_name(obs)} is a Basic edition instance, which cannot have accelerated-image rules: "
                "upgrade it to Standard or Advanced in the Container Registry console (a billing change), then "
                f"enable on-demand loading for the repository ({_console(obs)}; or the API: {_api_call(obs)}). "
                f"Until then, {_p2p(obs)}. The user guide also lists an index-only mode for Basic instances "
                f"({DOC_ON_DEMAND}). {slim}")
    return (f"Enable on-demand loading (accelerated images) for the repository: {_console(obs)}; or the API: "
            f"{_api_call(obs)}; or set image_advisor.policy: enforce and acrguard creates the rule. Supported "
            f"clusters then pull the accelerated variant of each tag ({DOC_ON_DEMAND}). Or {_p2p(obs)}. {slim}")


def large_image(obs: Observation, policy: ImageAdvisorConfig, note: str = "") -> Finding:
    """An image over the threshold in a repository without on-demand loading."""
    tag = obs.tag
    assert tag is not None, "a large-image finding needs the tag"
    details = (f"{_image(obs)} ({tag.digest or 'digest unknown'}) on {obs.instance_name} ({obs.repo.instance_id}) "
               f"is {human_size(tag.size)} ({tag.size:,} bytes), over the {human_size(policy.size_threshold)} "
               "threshold, and the repository has no ACCELERATED_IMAGE build rule: every node pulls and unpacks "
               "the whole image before the container starts, although it needs a fraction of it to start.")
    return Finding(rule=LARGE, severity=Severity.MEDIUM, resource=obs.repo.key, scope=obs.repo.key, job=JOB,
                   title=f"{_image(obs)} is {human_size(tag.size)} and {obs.repo.full_name} does not load on demand",
                   details=f"{details} {note}".strip(), fix=fix_for(obs), evidence=_evidence(obs, policy))


def acceleration_enabled(obs: Observation, policy: ImageAdvisorConfig, build_rule_id: str) -> Finding:
    """acrguard created the repository's ACCELERATED_IMAGE rule.

    A notice (told once, never "resolved"), one per rule; LOW, not INFO, so that a change acrguard
    made reaches channels with the default ``min_severity``.
    """
    tag = obs.tag
    size = f" ({_image(obs)} is {human_size(tag.size)})" if tag is not None else ""
    return Finding(rule=ENABLED, severity=Severity.LOW, resource=obs.repo.key, scope=obs.repo.key, job=JOB,
                   notice=True, labels={"build_rule": build_rule_id},
                   title=f"acrguard enabled on-demand loading for {obs.repo.full_name} on {obs.instance_name}{size}",
                   details=f"Build rule {build_rule_id} (ACCELERATED_IMAGE, scope REPOSITORY {obs.repo.repo_id}) "
                           "converts new pushes for on-demand loading; clusters must pull the accelerated variant "
                           f"to benefit ({DOC_ON_DEMAND}).",
                   evidence={**_evidence(obs, policy), "build_rule_id": build_rule_id})


def acceleration_failed(obs: Observation, policy: ImageAdvisorConfig, code: str | None, message: str, *,
                        edition_limit: bool = False) -> Finding:
    """``CreateArtifactBuildRule`` failed (the large-image finding is reported beside it).

    ``edition_limit``: ACR refused it on a Standard instance, which the English API page excludes
    and the Chinese one allows; the finding says so.
    """
    evidence = {**_evidence(obs, policy), "code": code}
    if edition_limit:
        return Finding(rule=FAILED, severity=Severity.MEDIUM, resource=obs.repo.key, scope=obs.repo.key, job=JOB,
                       title=f"ACR refused on-demand loading for {obs.repo.full_name}: {obs.instance_name} is a "
                             "Standard instance",
                       details=f"{_api_call(obs)} failed: {code or 'error'}: {message}. The Chinese API reference "
                               f"allows accelerated-image rules on Standard and Advanced instances ({DOC_API_ZH}); "
                               f"the English page says Advanced only ({DOC_API_EN}). ACR refused it on this Standard "
                               "instance, as the English page says. acrguard does not try again for this instance "
                               "in this run.",
                       fix=f"Upgrade {_acr_name(obs)} to Advanced (a billing change), or {_p2p(obs)}. If the refusal "
                           "is about something else (see the code), check acrguard's role has "
                           "cr:CreateArtifactBuildRule on the instance. The next push or sweep tries once more.",
                       evidence={**evidence, "edition_limit": True})
    return Finding(rule=FAILED, severity=Severity.MEDIUM, resource=obs.repo.key, scope=obs.repo.key, job=JOB,
                   title=f"acrguard could not enable on-demand loading for {obs.repo.full_name} on "
                         f"{obs.instance_name}",
                   details=f"{_api_call(obs)} failed: {code or 'error'}: {message}",
                   fix="Check acrguard's role has cr:CreateArtifactBuildRule on the instance and the instance's "
                       "edition allows accelerated images; the next push or sweep tries again.",
                   evidence=evidence)


def instance_not_found(instance_id: str, instance_name: str, region: str, code: str | None) -> Finding:
    """The configured instance does not exist (``INSTANCE_NOT_EXIST``) or allows no operation now."""
    missing = code == "INSTANCE_NOT_EXIST"
    return Finding(rule=INSTANCE_NOT_FOUND, severity=Severity.HIGH, resource=instance_id, scope=instance_id, job=JOB,
                   title=(f"image advisor: ACR instance {instance_id} ({instance_name}) not found in {region}"
                          if missing else f"image advisor: ACR instance {instance_id} ({instance_name}) is not "
                                           "available now"),
                   details=(f"ACR answers {code}: the account acrguard uses has no instance {instance_id} in {region}."
                            if missing else f"ACR answers {code}: the instance is in a state (being released, "
                                            "stopped or retired) in which this operation is not supported."),
                   fix="Check instances[].instance_id and its region, and that acrguard's credentials belong to the "
                       "instance's account; remove the instance from the config if it was released.",
                   evidence={"code": code, "region": region})


def check_failed(instance_id: str, instance_name: str, repository: str, code: str | None, message: str) -> Finding:
    """A sweep could not read one repository (scope: the instance; the repository's own findings stay)."""
    return Finding(rule=CHECK_FAILED, severity=Severity.MEDIUM, resource=f"{instance_id}/{repository}",
                   scope=instance_id, job=JOB, title=f"image advisor could not check {repository} on {instance_name}",
                   details=f"{code or 'error'}: {message}",
                   fix="Check acrguard's role can read the repository (cr:GetRepository, cr:ListRepositoryTag, "
                       "cr:GetArtifactBuildRule); the next sweep tries again.",
                   evidence={"code": code, "repository": repository})
