"""``state:``: where acrguard keeps its small state (SQLite file, or an OSS object in the cloud)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from acrguard.config.base import RegionId, Strict


class StateConfig(Strict):
    """The state backend: ``sqlite`` (embedded default) or ``oss``."""

    backend: Literal["sqlite", "oss"] = "sqlite"
    path: str = Field(default=".acrguard/state.db", description="SQLite file (backend sqlite)")
    bucket: str | None = Field(default=None, description="OSS bucket (backend oss)")
    key: str = Field(default="state/acrguard.json", description="OSS object key (backend oss)")
    region: RegionId | None = None
    endpoint: str | None = Field(default=None, description="OSS endpoint override host:port (local cloud)")
    lock_ttl_seconds: int = Field(default=120, ge=10, le=3600,
                                  description="OSS write lock: age after which a crashed writer's lock is broken")

    @model_validator(mode="after")
    def _oss_needs_bucket(self) -> StateConfig:
        if self.backend == "oss" and not self.bucket:
            raise ValueError("backend 'oss' needs 'bucket'")
        return self
