"""Object Storage Service state: buckets and their objects, per owning account (served by ``localcloud.servers.oss``).

World format (a top-level ``oss:`` section, because OSS bucket names are global rather than
per region; each bucket belongs to one account and lives in one region)::

    oss:
      buckets:
        - name: acrguard-state          # 3-63 of a-z, 0-9 and "-", starting and ending alphanumeric
          account: "1234567890123456"   # the owning account (must be declared under accounts:)
          region: cn-hangzhou           # optional: the account's default region
          objects:                      # optional: key -> text content (UTF-8)
            acrguard/state.json: '{"schema": 1}'

Objects live in a per-account backend (``cloud.backend("oss", account, None)``), so
``load_world``/the admin reset restores the seeded buckets. The section is checked at every
``load_world``; a bad entry is a ``ValueError`` naming its path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from localcloud.service import Service

if TYPE_CHECKING:
    from localcloud.core.state import CloudState

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
BUCKET_KEYS = {"name", "account", "region", "objects"}


@dataclass
class OssObject:
    """One stored object."""

    data: bytes
    content_type: str
    last_modified: float
    metadata: dict[str, str] = field(default_factory=dict)

    @cached_property
    def md5(self) -> bytes:
        """The raw MD5 digest of the content."""
        return hashlib.md5(self.data).digest()

    @property
    def etag(self) -> str:
        """The ETag OSS gives a simple upload: quoted upper-case MD5 hex."""
        return '"' + self.md5.hex().upper() + '"'

    @cached_property
    def crc64(self) -> str:
        """``x-oss-hash-crc64ecma``: CRC-64/XZ (ECMA-182, reflected) as a decimal string."""
        return str(crc64_ecma(self.data))


@dataclass
class Bucket:
    """A bucket and its objects."""

    name: str
    account_id: str
    region: str
    objects: dict[str, OssObject] = field(default_factory=dict)


@dataclass(frozen=True)
class BucketSpec:
    """A bucket as declared in the world's ``oss:`` section."""

    name: str
    account_id: str
    region: str
    objects: dict[str, str]


def bucket_specs(cloud: CloudState) -> dict[str, BucketSpec]:
    """Every bucket of the world, by name; ``ValueError`` naming the path of a bad entry."""
    section = cloud.world.get("oss") or {}
    if not isinstance(section, dict) or set(section) - {"buckets"}:
        raise ValueError("world: oss: expected a mapping with only 'buckets'")
    buckets = section.get("buckets") or []
    if not isinstance(buckets, list):
        raise ValueError("world: oss.buckets: expected a list of buckets")
    specs: dict[str, BucketSpec] = {}
    for index, entry in enumerate(buckets):
        where = f"world: oss.buckets[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a mapping with name and account")
        unknown = set(entry) - BUCKET_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(BUCKET_KEYS)}")
        name = str(entry.get("name") or "")
        if not BUCKET_NAME.match(name):
            raise ValueError(f"{where}.name: {name!r} is not a valid bucket name (3-63 of a-z, 0-9, '-', "
                             "starting and ending with a letter or digit)")
        if name in specs:
            raise ValueError(f"{where}.name: bucket {name!r} is declared twice (bucket names are global)")
        account_id = str(entry.get("account") or "")
        if account_id not in cloud.accounts:
            raise ValueError(f"{where}.account: {account_id!r} is not an account of the world")
        region = str(entry.get("region") or cloud.default_region(account_id))
        objects = entry.get("objects") or {}
        if not isinstance(objects, dict) or not all(isinstance(v, str) for v in objects.values()):
            raise ValueError(f"{where}.objects: expected a mapping of object key to text content")
        specs[name] = BucketSpec(name, account_id, region, {str(k): v for k, v in objects.items()})
    return specs


class OssBackend:
    """The buckets of one account (OSS is addressed globally; each bucket has its region)."""

    def __init__(self, cloud: CloudState, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.buckets: dict[str, Bucket] = {}
        for spec in bucket_specs(cloud).values():
            if spec.account_id != account_id:
                continue
            bucket = Bucket(spec.name, account_id, spec.region)
            for key, text in spec.objects.items():
                bucket.objects[key] = OssObject(text.encode("utf-8"), "application/octet-stream", cloud.clock.now())
            self.buckets[spec.name] = bucket

    def seed(self, data: dict[str, Any]) -> None:
        """OSS buckets are not seeded per account/region."""
        raise ValueError("declare OSS buckets in the world's top-level 'oss: {buckets: [...]}' section")


def check_world(cloud: CloudState) -> None:
    """Check the world's ``oss:`` section (``ValueError`` naming the path of a bad entry)."""
    bucket_specs(cloud)


#: OSS is not an OpenAPI product: no action is registered, the OSS server answers its requests.
SERVICE = Service("oss", "oss", OssBackend, regional=False, check_world=check_world)


def find_bucket(cloud: CloudState, name: str) -> Bucket | None:
    """The bucket called ``name``, in whichever account owns it."""
    spec = bucket_specs(cloud).get(name)
    if spec is None:
        return None
    return cloud.backend("oss", spec.account_id, None).buckets.get(name)


# -- CRC-64 ----------------------------------------------------------------------------------------

def _crc64_table() -> list[int]:
    poly = 0xC96C5795D7870F42  # 0x42F0E1EBA9EA3693 reflected
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC64_TABLE = _crc64_table()


def crc64_ecma(data: bytes) -> int:
    """CRC-64/XZ of ``data`` (init and xorout all ones), the value OSS reports."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc = _CRC64_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF
