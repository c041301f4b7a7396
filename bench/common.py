"""What every benchmark shares: figures, the local cloud, job contexts and request-log counting.

A ``Figure`` is one measured value with the limit it is compared to; ``ok`` is None for figures
that are reported for information only (no goal). Benchmarks are not tests: they print figures.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_SCRUBBED = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NO_PROXY",
             "no_proxy", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
             "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ROLE_ARN",
             "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_PROFILE",
             "ALIBABA_CLOUD_CREDENTIALS_FILE", "ACRGUARD_CONFIG")


def prepare_environment() -> dict[str, str]:
    """Loopback only, no ECS metadata probe, no ambient credentials; must run before any SDK import."""
    for name in _SCRUBBED:
        os.environ.pop(name, None)
    os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    return dict(os.environ)


@dataclass
class Figure:
    """One measured value and the limit it is held to (``op``: ``<=`` or ``>=``; no limit: informational)."""

    bench: str
    name: str
    value: float | int | str
    limit: float | int | None = None
    unit: str = ""
    op: str = "<="
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool | None:
        """Whether the value meets the limit (None when there is no limit or the value is not a number)."""
        if self.limit is None or not isinstance(self.value, (int, float)):
            return None
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    @property
    def mark(self) -> str:
        """PASS, FAIL or ``info``."""
        return {True: "PASS", False: "FAIL", None: "info"}[self.ok]

    def value_text(self) -> str:
        """The value with its unit, rounded for the table."""
        return _number(self.value) + (f" {self.unit}" if self.unit else "")

    def limit_text(self) -> str:
        """``<= 1.05`` style text, or ``-``."""
        if self.limit is None:
            return "-"
        return f"{self.op} {_number(self.limit)}" + (f" {self.unit}" if self.unit else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the verdict."""
        return {**asdict(self), "ok": self.ok, "mark": self.mark}


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


@contextmanager
def running_cloud(world: dict[str, Any], *, seed: int = 0) -> Iterator[Any]:
    """A started local cloud seeded with ``world`` (its rate-limit section validated up front)."""
    from localcloud import LocalCloud
    from localcloud.ratelimit import rate_limits

    with LocalCloud(world, seed=seed) as cloud:
        rate_limits(cloud)
        yield cloud


@contextmanager
def scratch_dir(prefix: str = "acrguard-bench-") -> Iterator[Path]:
    """A temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as path:
        yield Path(path)


def load_config(data: dict[str, Any]) -> Any:
    """``data`` validated into an ``AcrguardConfig``."""
    from acrguard.config import load_config_data

    return load_config_data(data)


def job_context(config: Any) -> Any:
    """A ``JobContext`` as the handler builds it (client factory, state store, decision log)."""
    from acrguard.clients import ClientFactory
    from acrguard.jobs import JobContext
    from acrguard.runtime.logs import DecisionLog
    from acrguard.state import open_store

    factory = ClientFactory.from_config(config)
    store = open_store(config.state, factory)
    return JobContext(config=config, factory=factory, store=store, log=DecisionLog(base={"job": "bench"}),
                      dry_run=config.dry_run)


def run_sweep(job_name: str, config: Any) -> Any:
    """Run ``job_name``'s full sweep once (what a timer invocation does, without the alert pipeline)."""
    from acrguard.jobs import load

    return load(job_name).sweep(job_context(config))


def calls_by_action(cloud: Any, since: int = 0, products: Iterable[str] | None = None) -> Counter[str]:
    """Every OpenAPI request the cloud answered after ``since``, counted by action (throttled ones included)."""
    wanted = set(products) if products is not None else None
    return Counter(r.action for r in cloud.requests.all()
                   if r.seq > since and (wanted is None or r.product in wanted))


def format_counts(counts: Counter[str] | dict[str, int]) -> str:
    """``Action=N, ...`` sorted by count."""
    return ", ".join(f"{action}={count:,}" for action, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
