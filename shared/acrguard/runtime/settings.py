"""Where a function's config comes from: an OSS object, or a file shipped with the code.

* ``ACRGUARD_CONFIG_OSS=oss://bucket/key``: read with the function role's credentials (cached for
  ``ACRGUARD_CONFIG_TTL`` seconds, default 60, per instance) from the bucket in
  ``ACRGUARD_CONFIG_OSS_REGION`` (default: the function's region, ``FC_REGION``);
* else ``ACRGUARD_CONFIG`` (a path; relative paths are under ``FC_FUNC_CODE_PATH`` or the
  handler's directory), default ``acrguard.yaml``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import yaml

from acrguard import boundedyaml
from acrguard.config import load_config, load_config_data
from acrguard.config.model import AcrguardConfig
from acrguard.errors import ConfigError

_CACHE: dict[str, tuple[float, AcrguardConfig]] = {}


def _code_dir() -> Path:
    return Path(os.environ.get("FC_FUNC_CODE_PATH") or Path.cwd())


def config_source() -> str:
    """A description of where the config will be read from (for logs)."""
    return os.environ.get("ACRGUARD_CONFIG_OSS") or str(_code_dir() / os.environ.get("ACRGUARD_CONFIG",
                                                                                      "acrguard.yaml"))


def load(context: Any = None, *, now: float | None = None) -> AcrguardConfig:
    """The config for this invocation (``ConfigError`` with every problem when it is invalid)."""
    moment = time.time() if now is None else now
    ttl = float(os.environ.get("ACRGUARD_CONFIG_TTL", "60"))
    source = config_source()
    cached = _CACHE.get(source)
    if cached and moment - cached[0] < ttl:
        return cached[1]
    config = _load_oss(source, context) if source.startswith("oss://") else load_config(source)
    _CACHE[source] = (moment, config)
    return config


def _load_oss(url: str, context: Any) -> AcrguardConfig:
    from acrguard.clients import ClientFactory, call_oss

    bucket, _, key = url[len("oss://"):].partition("/")
    if not bucket or not key:
        raise ConfigError(url, ["ACRGUARD_CONFIG_OSS: expected oss://bucket/key"])
    # The bucket's region: ACRGUARD_CONFIG_OSS_REGION when the function runs elsewhere (the pull-key
    # auditor runs where RAM events are delivered), else the function's own region.
    region = (os.environ.get("ACRGUARD_CONFIG_OSS_REGION") or os.environ.get("FC_REGION")
              or getattr(context, "region", None) or "cn-hangzhou")
    factory = ClientFactory.for_invocation(region, context=context)
    import alibabacloud_oss_v2 as oss

    result = call_oss("GetObject", factory.oss(region).get_object, oss.GetObjectRequest(bucket=bucket, key=key))
    try:
        data = boundedyaml.load(result.body.read(), url)  # size, alias and nesting limits, as for a file
    except boundedyaml.YamlLimitError as exc:
        raise ConfigError(url, [exc.located]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(url, [f"not valid YAML: {exc}"]) from None
    return load_config_data(data, source=url)


def clear_cache() -> None:
    """Forget cached configs (tests, and ``initialize`` after a deploy)."""
    _CACHE.clear()
