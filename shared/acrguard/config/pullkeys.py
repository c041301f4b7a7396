"""``pull_keys:``: where the auditor finds pull keys and what key hygiene it expects."""

from __future__ import annotations

from pydantic import Field, model_validator

from acrguard.config.base import Strict


class ConfigMapSource(Strict):
    """An ``acr-configuration`` ConfigMap, as a local file or an OSS object."""

    path: str | None = None
    oss: str | None = Field(default=None, description="oss://bucket/key")
    cluster: str | None = Field(default=None, description="label for findings")

    @model_validator(mode="after")
    def _exactly_one(self) -> ConfigMapSource:
        if (self.path is None) == (self.oss is None):
            raise ValueError("give exactly one of 'path' or 'oss'")
        if self.oss is not None and not self.oss.startswith("oss://"):
            raise ValueError("'oss' must look like oss://bucket/key")
        return self


class PullKeysConfig(Strict):
    """Pull-key audit settings."""

    users: tuple[str, ...] = ()
    configmaps: tuple[ConfigMapSource, ...] = ()
    discover: bool = True
    max_key_age_days: int = Field(default=90, ge=1)
    unused_days: int = Field(default=90, ge=1)
    allow_console_login: bool = False
