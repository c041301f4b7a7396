"""``state:``: where acrguard keeps its small state (SQLite file, or an OSS object in the cloud).

The OSS store's write lock is a lease (``acrguard.state.oss``): a holder that has held it for half
of ``lock_ttl_seconds`` stops, so one OSS request, with the SDK's retries, must fit in half the
TTL or a slow writer's lock could be broken while its write is still in flight. One request takes
at most ``max_attempts`` x (``connect_timeout_ms`` + ``read_timeout_ms``) plus up to
``max_delay_ms`` between attempts (the OSS client gets these from ``cloud:``, see
``ClientFactory._build_oss``); ``lock_ttl_problem`` checks this at load.

Each function keeps its OSS state under a folder of its own, named after the function, beside
``key``: with the default ``key`` ``state/acrguard.json`` the endpoint keeper's records are the
objects ``state/acrguard-endpoint-keeper/records/<record key>`` (``job_prefix``; ``acrguard.state.oss``),
so a RAM policy can let each function write only its own folder
(``deploy/policies/<function>-state.json``). Two older layouts are read once, to carry them over:
the function's one document ``state/acrguard-endpoint-keeper/acrguard.json`` (``job_key``), and
``key`` itself, the one document every function shared before that (``acrguard.state.perjob``).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Literal

from acrguard.config.base import RegionId, Strict
from acrguard.config.cloud import check_endpoint
from acrguard.config.schema import Field, field_validator, model_validator

if TYPE_CHECKING:
    from acrguard.config.cloud import CloudConfig


class StateConfig(Strict):
    """The state backend: ``sqlite`` (embedded default) or ``oss``."""

    backend: Literal["sqlite", "oss"] = "sqlite"
    path: str = Field(default=".acrguard/state.db", description="SQLite file (backend sqlite)")
    bucket: str | None = Field(default=None, description="OSS bucket (backend oss)")
    key: str = Field(default="state/acrguard.json", description="OSS object key (backend oss): each function keeps its "
                     "records in a folder named after it beside this key; this object is only read, once, to carry "
                     "over the state all functions shared before")
    region: RegionId | None = None
    endpoint: str | None = Field(default=None, description="OSS endpoint override host[:port] (local cloud, or an "
                                                           "OSS endpoint under aliyuncs.com)")
    lock_ttl_seconds: int = Field(default=300, ge=10, le=3600,
                                  description="OSS write lock: age after which a crashed writer's lock is broken")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_endpoint(value, port_required=False)

    @model_validator(mode="after")
    def _oss_needs_bucket(self) -> StateConfig:
        if self.backend == "oss" and not self.bucket:
            raise ValueError("backend 'oss' needs 'bucket'")
        return self

    def job_prefix(self, job: str) -> str:
        """The folder of ``job``'s OSS state (``state/acrguard-endpoint-keeper/``): only that function writes it."""
        from acrguard.functions import function

        folder = posixpath.dirname(self.key)
        name = function(job).fc_name
        return f"{folder}/{name}/" if folder else f"{name}/"

    def job_key(self, job: str) -> str:
        """The OSS key of ``job``'s former one-document state (``state/acrguard-endpoint-keeper/acrguard.json``), read
        once to carry it over to records."""
        return self.job_prefix(job) + posixpath.basename(self.key)


def request_seconds(cloud: CloudConfig) -> float:
    """The longest one OSS request may take with the configured timeouts and retries."""
    attempts = cloud.retry.max_attempts
    per_attempt_ms = cloud.connect_timeout_ms + cloud.read_timeout_ms
    return (attempts * per_attempt_ms + (attempts - 1) * cloud.retry.max_delay_ms) / 1000


def lock_ttl_problem(state: StateConfig, cloud: CloudConfig) -> str | None:
    """Why ``state.lock_ttl_seconds`` is too short for one request (None when it is long enough or unused)."""
    if state.backend != "oss":
        return None
    longest = request_seconds(cloud)
    if state.lock_ttl_seconds > 2 * longest:
        return None
    return (f"state.lock_ttl_seconds: {state.lock_ttl_seconds} s is too short: one OSS request may take "
            f"{longest:g} s (cloud.retry.max_attempts {cloud.retry.max_attempts} x (cloud.connect_timeout_ms "
            f"{cloud.connect_timeout_ms} + cloud.read_timeout_ms {cloud.read_timeout_ms}) + "
            f"{cloud.retry.max_attempts - 1} x cloud.retry.max_delay_ms {cloud.retry.max_delay_ms}), and a writer "
            f"gives its lock up after half the TTL; set lock_ttl_seconds above {2 * longest:g} or lower the "
            "timeouts or attempts")
