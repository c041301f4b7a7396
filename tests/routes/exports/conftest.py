"""Export tests: one fixed input (so golden files are stable) and the golden-file comparison.

``ACRGUARD_UPDATE_GOLDEN=1 pytest tests/routes/exports`` rewrites the golden files from the
current renderings; review the diff before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from acrguard.routes.exports import DnsRecord, ExportInput

GOLDEN = Path(__file__).parent / "golden"
GENERATED_AT = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
VPC_DOMAIN = "testreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com"
AUTH_HOST = "dockerauth-ee-vpc.cn-hangzhou.aliyuncs.com"
OSS_DOMAIN = "cri-test0000000000001-registry.oss-cn-hangzhou-internal.aliyuncs.com"
NEXT_HOP = "10.10.0.1"

PREFIXES = {
    "vpc_endpoint": ["192.168.10.21/32"],
    "auth": ["100.104.12.7/32", "100.104.12.66/32"],
    "oss": ["100.118.28.0/24", "100.114.102.0/24", "100.98.170.0/24", "100.118.31.0/24"],
}
RECORDS = [
    DnsRecord(VPC_DOMAIN, ("192.168.10.21",)),
    DnsRecord(AUTH_HOST, ("100.104.12.66", "100.104.12.7")),
    DnsRecord(OSS_DOMAIN, ()),  # did not resolve this run
    DnsRecord("ipv6-only.cn-hangzhou.aliyuncs.com", ("2001:db8::1",)),
]


def sample(generated_at: datetime = GENERATED_AT, **changes: object) -> ExportInput:
    """The fixed export input (``changes`` replace its fields)."""
    fields: dict[str, object] = {"instance_name": "testreg", "prefixes_by_family": PREFIXES, "records": RECORDS,
                                 "generated_at": generated_at, "instance_id": "cri-test0000000000001"}
    fields.update(changes)
    return ExportInput(**fields)  # type: ignore[arg-type]


@pytest.fixture
def data() -> ExportInput:
    """The fixed export input."""
    return sample()


@pytest.fixture
def make_input() -> Callable[..., ExportInput]:
    """Build a variant of the fixed input."""
    return sample


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare a rendering with ``golden/<name>`` (or rewrite it when ACRGUARD_UPDATE_GOLDEN=1)."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("ACRGUARD_UPDATE_GOLDEN") == "1":
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"missing golden file {path}; run with ACRGUARD_UPDATE_GOLDEN=1 and review it"
        assert text == path.read_text(encoding="utf-8"), f"rendering differs from {path}"

    return check
