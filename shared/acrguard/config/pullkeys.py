"""``pull_keys:``: where the auditor finds pull keys and what key hygiene it expects."""

from __future__ import annotations

import re
from typing import Literal

from acrguard.config.base import RegionId, Strict
from acrguard.config.schema import Field, field_validator, model_validator


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


#: ACK cluster ids: ``c`` and lower-case letters and digits (``c5b5e80b0b64a4bf6939d2d8fbbc5ded7`` in the API pages)
_CLUSTER_ID = re.compile(r"^c[0-9a-z]{5,63}$")


class ClusterSources(Strict):
    """ACK clusters whose ``kube-system/acr-configuration`` ConfigMap the auditor reads (``pull_keys.clusters``).

    The clusters are listed with ``DescribeClustersV1`` and narrowed by ``cluster_ids``, ``names``
    (shell patterns such as ``prod-*``) and ``regions`` (each empty: no narrowing). For each one
    the auditor asks ``DescribeClusterUserKubeconfig`` for a kubeconfig that lives
    ``kubeconfig_minutes`` (15, the shortest the API allows, by default) with the API server's
    internal address (``private_ip_address: true``: the function must run in the cluster's VPC) or
    its public one, and reads the ConfigMap through the Kubernetes API. ``addon_secret``: also read
    the AccessKey id in ``kube-system/alibaba-addon-secret``, where registered clusters keep the
    add-ons' AccessKey (``auto``: registered clusters, ``ExternalKubernetes``, only). ``workers``:
    clusters read at once; ``timeout_s``: the limit of each Kubernetes API request.
    """

    cluster_ids: tuple[str, ...] = ()
    names: tuple[str, ...] = Field(default=(), description="shell patterns (fnmatch) on the cluster name")
    regions: tuple[RegionId, ...] = ()
    private_ip_address: bool = False
    kubeconfig_minutes: int = Field(default=15, ge=15, le=4320)
    addon_secret: Literal["auto", "always", "never"] = "auto"
    workers: int = Field(default=4, ge=1, le=32)
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @field_validator("cluster_ids")
    @classmethod
    def _cluster_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cluster_id in value:
            if not _CLUSTER_ID.match(cluster_id):
                raise ValueError(f"expected an ACK cluster id such as c5b5e80b0b64a4bf6939d2d8fbbc5ded7, "
                                 f"got {cluster_id!r}")
        return value


#: RAM's flow-control page gives its reads 100 calls a second for each operation and account
#: (https://help.aliyun.com/zh/ram/developer-reference/api-ram-2015-05-01-quota); the audit assumes that figure.
ASSUMED_RAM_RATE_PER_S = 100.0


class PullKeysConfig(Strict):
    """Pull-key audit settings.

    ``workers``: RAM reads in flight at once. At the assumed rate and a round trip of about 30-100 ms,
    a few calls of each of the audit's operations must be in flight to use its rate, so the default
    is 16. ``rate_limit_per_s``: the most calls a second the audit starts of any one RAM operation
    (``null``: no limit), so that a wide audit is paced rather than throttled; it applies only when
    ``cloud.flow_control`` is off, since flow control already paces every operation to its published quota.
    """

    users: tuple[str, ...] = ()
    configmaps: tuple[ConfigMapSource, ...] = ()
    clusters: ClusterSources | None = Field(default=None, description="ACK clusters to read the ConfigMap from")
    discover: bool = True
    max_key_age_days: int = Field(default=90, ge=1)
    unused_days: int = Field(default=90, ge=1)
    allow_console_login: bool = False
    workers: int = Field(default=16, ge=1, le=64)
    rate_limit_per_s: float | None = Field(default=ASSUMED_RAM_RATE_PER_S, gt=0)
