"""``pull_keys:``: where the auditor finds pull keys and what key hygiene it expects."""

from __future__ import annotations

from acrguard.config.base import Strict
from acrguard.config.schema import Field, model_validator


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


#: RAM's flow-control page gives its reads 100 calls a second for each operation and account
#: (https://help.aliyun.com/zh/ram/developer-reference/api-ram-2015-05-01-quota); the audit assumes that figure.
ASSUMED_RAM_RATE_PER_S = 100.0


class PullKeysConfig(Strict):
    """Pull-key audit settings.

    ``workers``: RAM reads in flight at once. At the assumed rate and a round trip of about 30-100 ms,
    a few calls of each of the audit's operations must be in flight to use its rate, so the default
    is 16. ``rate_limit_per_s``: the most calls a second the audit starts of any one RAM operation
    (``null``: no limit), so that a wide audit is paced rather than throttled.
    """

    users: tuple[str, ...] = ()
    configmaps: tuple[ConfigMapSource, ...] = ()
    discover: bool = True
    max_key_age_days: int = Field(default=90, ge=1)
    unused_days: int = Field(default=90, ge=1)
    allow_console_login: bool = False
    workers: int = Field(default=16, ge=1, le=64)
    rate_limit_per_s: float | None = Field(default=ASSUMED_RAM_RATE_PER_S, gt=0)
