"""``cloud:``: region, optional endpoint override (the local cloud), credentials and retries.

An endpoint override receives every signed request, and with it the AccessKey id and the STS
security token of the function's role (both travel in the request: ``x-acs-security-token``,
``x-oss-security-token``). An override may therefore name only a loopback address (the local
cloud) or an Alibaba Cloud host under ``aliyuncs.com`` (e.g. an OSS internal endpoint), and plain
``http`` only with a loopback address: a config file cannot send the role's credentials elsewhere.
"""

from __future__ import annotations

import ipaddress

from acrguard.config.base import RegionId, Strict
from acrguard.config.schema import Field, field_validator, model_validator

#: Hosts outside loopback an endpoint override may name (Alibaba Cloud's API and OSS domains).
CLOUD_DOMAIN = ".aliyuncs.com"


def _host_of(endpoint: str) -> str:
    """The host of ``host:port`` (``[::1]:8080`` -> ``::1``)."""
    host = endpoint.rsplit(":", 1)[0] if endpoint.count(":") == 1 or endpoint.startswith("[") else endpoint
    return host.strip("[]").rstrip(".").lower()


def is_loopback(endpoint: str) -> bool:
    """Whether ``host[:port]`` names this machine (127.0.0.0/8, ::1, localhost)."""
    host = _host_of(endpoint)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(value: str | None, *, port_required: bool = True) -> str | None:
    """``value`` if it is a ``host[:port]`` on loopback or under ``aliyuncs.com``; ``ValueError`` otherwise."""
    if value is None:
        return None
    if "://" in value or "/" in value or (port_required and ":" not in value):
        raise ValueError(f"expected host:port without a scheme, such as 127.0.0.1:8080, got {value!r}")
    host = _host_of(value)
    if not (is_loopback(value) or host.endswith(CLOUD_DOMAIN)):
        raise ValueError(f"an endpoint override may only name a loopback address (the local cloud) or a host under "
                         f"aliyuncs.com: every request to it carries the function's credentials; got {value!r}")
    return value


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
        return check_endpoint(value)

    @field_validator("protocol")
    @classmethod
    def _protocol(cls, value: str) -> str:
        if value not in ("http", "https"):
            raise ValueError(f"expected http or https, got {value!r}")
        return value

    @model_validator(mode="after")
    def _plain_http_stays_local(self) -> CloudConfig:
        remote = [e for e in (self.endpoint, self.oss_endpoint) if e and not is_loopback(e)]
        if self.protocol == "http" and remote:
            raise ValueError(f"protocol http sends the credentials unencrypted; it is allowed only with a loopback "
                             f"endpoint, not {remote[0]!r}")
        return self
