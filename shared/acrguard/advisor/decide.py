"""What to do about one repository: a pure function of what was observed and the policy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from acrguard.advisor.edition import Edition
from acrguard.advisor.model import Acceleration, ImageTag, RepoRef
from acrguard.config.advisor import ImageAdvisorConfig


class Action(str, Enum):
    """The outcome for one repository."""

    NOTHING = "nothing"  # small enough, or already loading on demand
    ADVISE = "advise"  # report the large image with the fix
    ENABLE = "enable"  # enforce: create the ACCELERATED_IMAGE build rule (and report it)


@dataclass(frozen=True)
class Observation:
    """One repository as observed: its largest relevant tag, its acceleration and the instance's edition.

    ``edition`` may be None when it was not needed (nothing large, or already accelerated).
    """

    instance_name: str
    repo: RepoRef
    tag: ImageTag | None
    acceleration: Acceleration
    edition: Edition | None = None


@dataclass(frozen=True)
class Decision:
    """The action and why (``note`` is worded for the finding's details)."""

    action: Action
    reason: str
    note: str = ""


def is_large(tag: ImageTag | None, policy: ImageAdvisorConfig) -> bool:
    """Whether ``tag`` is over the configured threshold."""
    return tag is not None and tag.size > policy.size_threshold


def decide(observation: Observation, policy: ImageAdvisorConfig, *, dry_run: bool) -> Decision:
    """Nothing, advise, or (``enforce``, an edition and region that allow it, not dry-run) enable."""
    if not is_large(observation.tag, policy):
        return Decision(Action.NOTHING, "no tag over the threshold")
    if observation.acceleration.enabled:
        return Decision(Action.NOTHING, "on-demand loading is already enabled")
    if policy.policy != "enforce":
        return Decision(Action.ADVISE, "policy is report")
    obstacle = observation.edition.obstacle if observation.edition is not None else "unknown-edition"
    if obstacle == "basic":
        return Decision(Action.ADVISE, "Basic edition",
                        "acrguard did not create the rule: Basic instances cannot have accelerated-image rules.")
    if obstacle == "region":
        return Decision(Action.ADVISE, "region without accelerated images",
                        "acrguard did not create the rule: accelerated images are not offered in this region.")
    if obstacle is not None:
        spec = observation.edition.specification if observation.edition is not None else "unknown"
        return Decision(Action.ADVISE, "unknown edition",
                        f"acrguard did not create the rule: edition {spec!r} is not one it knows allows it.")
    if dry_run:
        return Decision(Action.ADVISE, "dry run",
                        "policy enforce would create the ACCELERATED_IMAGE rule; dry_run is on, nothing was changed.")
    return Decision(Action.ENABLE, "policy is enforce")
