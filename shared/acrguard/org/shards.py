"""The shards of a sweep, the config each runs with, and the state namespace each keeps apart.

A shard is one account x region for a job whose resources live in a region (the whitelist guard,
the endpoint keeper, the image advisor), or one account for the pull-key auditor, whose RAM and IMS
APIs are global. A regional job has a shard only where the config names an instance with the
section the job looks after (``whitelist``, ``routes``, ``image_advisor``) in that account and
region: a shard with nothing to do would only cost an invocation and an ``AssumeRole``.

Instances name their account (``instances[].account``); one that names none belongs to the central
account. Markers stay ``acrguard:<instance>:<family>``: an instance belongs to one account and its
name is unique in the config, so the instance already says which account a marker is in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from acrguard.events.shard import ShardEvent

if TYPE_CHECKING:
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.org.accounts import Roster

#: jobs whose APIs are global: one shard per account, whatever the regions
GLOBAL_JOBS = frozenset({"pullkey_auditor"})
#: the instance section each regional job looks after
JOB_SECTIONS = {"whitelist_guard": "whitelist", "endpoint_keeper": "routes", "image_advisor": "image_advisor"}


def sweep_id(correlation_id: str, moment: datetime | None = None) -> str:
    """A sweep's id: the time it started and a short hash of the invocation that started it."""
    when = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{when}-{hashlib.sha256(correlation_id.encode('utf-8')).hexdigest()[:6]}"


def instance_account(instance: InstanceConfig, central_id: str) -> str:
    """The account that owns ``instance`` (the central account when it names none)."""
    return instance.account or central_id


def wants(job: str, instance: InstanceConfig) -> bool:
    """Whether ``job`` looks after ``instance`` (it has the job's section)."""
    section = JOB_SECTIONS.get(job)
    return section is None or getattr(instance, section, None) is not None


def plan(job: str, config: AcrguardConfig, roster: Roster, sweep: str, central_id: str) -> list[ShardEvent]:
    """Every shard of ``job``'s sweep over ``roster``, in a stable order."""
    if job in GLOBAL_JOBS:
        return [ShardEvent(sweep, job, member.id) for member in roster.members]
    shards: list[ShardEvent] = []
    for member in roster.members:
        for region in member.regions:
            if any(wants(job, i) and instance_account(i, central_id) == member.id and config.region_of(i) == region
                   for i in config.instances):
                shards.append(ShardEvent(sweep, job, member.id, region))
    return shards


def namespace(account: str, region: str) -> str:
    """The state namespace of a shard: ``accounts/<account>/<region>/`` (``accounts/<account>/global/``)."""
    return f"accounts/{account}/{region or 'global'}/"


def shard_config(config: AcrguardConfig, account: str, region: str, central_id: str) -> AcrguardConfig:
    """``config`` as one shard sees it: its account's instances in its region, and its region as the default.

    A global job's shard (``region`` empty) keeps every instance of its account and the config's region.
    The ConfigMap files and objects named in ``pull_keys.configmaps`` are the central account's: only
    its shard reads them (a member's role has no access to the central bucket, and a file read by every
    shard would be told once per shard); the keys they hold that a member owns are looked up in that
    member (``acrguard.pullkeys.owners``). A member's shard reads its own clusters.
    """
    instances: Iterable[InstanceConfig] = (
        i for i in config.instances
        if instance_account(i, central_id) == account and (not region or config.region_of(i) == region))
    update: dict[str, object] = {"instances": tuple(instances)}
    if account != central_id and config.pull_keys is not None and config.pull_keys.configmaps:
        update["pull_keys"] = config.pull_keys.model_copy(update={"configmaps": ()})
    if region:
        update["cloud"] = config.cloud.model_copy(update={"region": region})
        update["instances"] = tuple(i if i.region else i.model_copy(update={"region": config.cloud.region})
                                    for i in update["instances"])  # type: ignore[union-attr]
    return config.model_copy(update=update)
