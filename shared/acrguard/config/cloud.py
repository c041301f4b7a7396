"""``cloud:``: region, optional endpoint override (the local cloud), credentials, retries and flow control.

An endpoint override receives every signed request, and with it the AccessKey id and the STS
security token of the function's role (both travel in the request: ``x-acs-security-token``,
``x-oss-security-token``). An override may therefore name only a loopback address (the local
cloud) or an Alibaba Cloud host under ``aliyuncs.com`` (e.g. an OSS internal endpoint), and plain
``http`` only with a loopback address: a config file cannot send the role's credentials elsewhere.
"""

from __future__ import annotations

import ipaddress
import re

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


#: ``product:Action`` or ``product:*``, as ``cloud.flow_control.operations`` keys name an operation
_OPERATION = re.compile(r"^[a-z][a-z0-9]*:(\*|[A-Z][A-Za-z0-9]*)$")


class OperationFlowControl(Strict):
    """One operation's pacing: its own quota (``limit`` per ``period_s``), its own ``share``, or ``pace: false``."""

    limit: int | None = Field(default=None, ge=1, le=100_000)
    period_s: float | None = Field(default=None, gt=0, le=86_400)
    share: float | None = Field(default=None, gt=0, le=1)
    pace: bool = True

    @model_validator(mode="after")
    def _figure_whole(self) -> OperationFlowControl:
        if (self.limit is None) != (self.period_s is None):
            raise ValueError("give 'limit' and 'period_s' together (the quota N/T(s) as Quota Center shows it)")
        return self


class FlowControlConfig(Strict):
    """Client-side pacing of every API call to its operation's flow-control quota.

    Each operation's published quota ships with acrguard (``acrguard/data/flow_control.json``, with its
    source); acrguard uses ``share`` of it (0.9: the rest is left to the account's other clients, which
    share the per-account quota). ``operations`` sets one operation (``vpc:CreateRouteEntry``) or all of
    a product (``cbn:*``; an exact name wins): a quota raised in Quota Center (``limit`` + ``period_s``),
    another share, or ``pace: false``. ``enabled: false`` paces nothing; throttled calls are retried
    either way (``cloud.retry``).
    """

    enabled: bool = True
    share: float = Field(default=0.9, gt=0, le=1)
    operations: dict[str, OperationFlowControl] = Field(default_factory=dict)

    @field_validator("operations")
    @classmethod
    def _names(cls, value: dict[str, OperationFlowControl]) -> dict[str, OperationFlowControl]:
        bad = [name for name in value if not _OPERATION.match(name)]
        if bad:
            raise ValueError(f"name operations as product:Action or product:*, such as vpc:CreateRouteEntry or "
                             f"cbn:*; got {', '.join(repr(b) for b in bad)}")
        return value


class CloudConfig(Strict):
    """Where and as whom acrguard calls the cloud."""

    region: RegionId = "cn-hangzhou"
    endpoint: str | None = Field(default=None, description="host:port of an API stand-in (the local cloud)")
    oss_endpoint: str | None = Field(default=None, description="host:port of an OSS stand-in (the local cloud)")
    protocol: str = "https"
    credentials: CredentialsConfig | None = None
    retry: RetryConfig = RetryConfig()
    flow_control: FlowControlConfig = FlowControlConfig()
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
