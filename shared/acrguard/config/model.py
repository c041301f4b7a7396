"""The root of the config file and the per-instance section."""

from __future__ import annotations

from typing import Any, Literal

from acrguard.config.advisor import ImageAdvisorConfig
from acrguard.config.alerts import AlertsConfig
from acrguard.config.base import RegionId, ResourceId, Strict
from acrguard.config.cloud import CloudConfig
from acrguard.config.organization import AccountId, OrganizationConfig
from acrguard.config.pullkeys import PullKeysConfig
from acrguard.config.routes import RoutesConfig
from acrguard.config.safety import SafetyConfig
from acrguard.config.schema import Field, PrivateAttr, field_validator, model_validator
from acrguard.config.state import StateConfig, lock_ttl_problem
from acrguard.config.whitelist import WhitelistConfig


class InstanceConfig(Strict):
    """One ACR Enterprise Edition instance acrguard looks after."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$", description="short label used in markers and alerts")
    instance_id: ResourceId
    region: RegionId | None = Field(default=None, description="defaults to cloud.region")
    oss_bucket: str | None = Field(default=None, description="custom OSS bucket chosen at instance creation")
    account: AccountId | None = Field(default=None, description="the member account that owns the instance "
                                                                "(organization); defaults to the central account")
    routes: RoutesConfig | None = None
    whitelist: WhitelistConfig | None = None
    image_advisor: ImageAdvisorConfig | None = None

    @field_validator("instance_id")
    @classmethod
    def _cri(cls, value: str) -> str:
        if not value.startswith("cri-"):
            raise ValueError(f"expected an ACR EE instance id starting with cri-, got {value!r}")
        return value


class AcrguardConfig(Strict):
    """The whole configuration file."""

    version: Literal[1] = 1
    cloud: CloudConfig = CloudConfig()
    dry_run: bool = Field(default=False, description="plan and report, never call a mutating API")
    instances: tuple[InstanceConfig, ...] = ()
    pull_keys: PullKeysConfig | None = None
    alerts: AlertsConfig = AlertsConfig()
    state: StateConfig = StateConfig()
    safety: SafetyConfig = SafetyConfig()
    organization: OrganizationConfig | None = Field(default=None, description="many accounts and regions "
                                                                              "(acrguard.org); absent: this account")
    #: the ``${NAME}`` references the loader expanded (``acrguard.config.loader.Expansion``); secrets all
    _expansions: tuple[Any, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _unique_instances(self) -> AcrguardConfig:
        for attr in ("name", "instance_id"):
            values = [getattr(i, attr) for i in self.instances]
            duplicates = sorted({v for v in values if values.count(v) > 1})
            if duplicates:
                raise ValueError(f"instances: {attr} must be unique, repeated: {duplicates}")
        return self

    @model_validator(mode="after")
    def _lock_outlives_a_request(self) -> AcrguardConfig:
        problem = lock_ttl_problem(self.state, self.cloud)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def expansions(self) -> tuple[Any, ...]:
        """The ``${NAME}`` references expanded at load (path, variable name, value)."""
        return self._expansions

    @property
    def expanded_values(self) -> tuple[str, ...]:
        """Every value read from the environment: treated as secrets in logs and errors."""
        return tuple(e.value for e in self._expansions if e.value)

    @model_validator(mode="after")
    def _instance_accounts_need_an_organization(self) -> AcrguardConfig:
        named = [i.name for i in self.instances if i.account is not None]
        if named and self.organization is None:
            raise ValueError(f"instances {named} name an account, which needs an 'organization:' section (the "
                             "accounts acrguard may enter and the role it assumes there)")
        return self

    def region_of(self, instance: InstanceConfig) -> str:
        """The instance's region (its own, or the cloud default)."""
        return instance.region or self.cloud.region

    def instance(self, key: str) -> InstanceConfig:
        """The instance with this name or id (``KeyError`` when none)."""
        for candidate in self.instances:
            if key in (candidate.name, candidate.instance_id):
                return candidate
        raise KeyError(key)
