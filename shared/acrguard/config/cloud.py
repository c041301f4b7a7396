"""``cloud:``: region, optional endpoint override (the local cloud), credentials and retries."""

from __future__ import annotations

from pydantic import Field, field_validator

from acrguard.config.base import RegionId, Strict


class CredentialsConfig(Strict):
    """Explicit credentials (local runs). Prefer ``${ENV_VAR}`` references to literal secrets."""

    access_key_id: str = Field(min_length=1)
    access_key_secret: str = Field(min_length=1, repr=False)
    security_token: str | None = Field(default=None, repr=False)


class RetryConfig(Strict):
    """Bounded SDK retries on throttling and transient errors."""

    max_attempts: int = Field(default=4, ge=1, le=10)
    base_delay_ms: int = Field(default=200, ge=1, le=60_000)
    max_delay_ms: int = Field(default=5000, ge=1, le=120_000)
    extra_codes: tuple[str, ...] = ()


class CloudConfig(Strict):
    """Where and as whom acrguard calls the cloud."""

    region: RegionId = "cn-hangzhou"
    endpoint: str | None = Field(default=None, description="host:port of an API stand-in (the local cloud)")
    oss_endpoint: str | None = Field(default=None, description="host:port of an OSS stand-in (the local cloud)")
    protocol: str = "https"
    credentials: CredentialsConfig | None = None
    retry: RetryConfig = RetryConfig()
    connect_timeout_ms: int = Field(default=5000, ge=100, le=60_000)
    read_timeout_ms: int = Field(default=10_000, ge=100, le=120_000)

    @field_validator("endpoint", "oss_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and ("://" in value or "/" in value or ":" not in value):
            raise ValueError(f"expected host:port without a scheme, such as 127.0.0.1:8080, got {value!r}")
        return value

    @field_validator("protocol")
    @classmethod
    def _protocol(cls, value: str) -> str:
        if value not in ("http", "https"):
            raise ValueError(f"expected http or https, got {value!r}")
        return value
