"""Relative paths in a config file are relative to the file's directory, not to the working directory.

Run from anywhere, ``--config /etc/acrguard/acrguard.yaml`` then means the same files: the state
(``state.path``, default ``.acrguard/state.db`` beside the config), the local export destinations
(``instances[].routes.exports[].destination``), the OSS ranges file (``routes.oss_ranges_file``)
and the ConfigMap files (``pull_keys.configmaps[].path``). ``~`` is the user's home; absolute
paths, ``oss://`` destinations and SQLite's ``:memory:`` are left as they are. A config read from
OSS or built in code has no directory, and keeps its paths as written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from acrguard.config.model import AcrguardConfig


def anchored(value: str, base: Path) -> str:
    """``value`` made absolute against ``base`` (``~`` expanded); absolute paths and URLs unchanged."""
    if value == ":memory:" or "://" in value:
        return value
    expanded = os.path.expanduser(value)
    if os.path.isabs(expanded):
        return expanded
    return str(base / expanded)


def resolve_relative_paths(config: AcrguardConfig, base: Path) -> AcrguardConfig:
    """``config`` with every file path it names anchored at ``base`` (the config file's directory)."""
    base = base.absolute()
    state = config.state.model_copy(update={"path": anchored(config.state.path, base)})
    instances = tuple(_instance(instance, base) for instance in config.instances)
    update: dict[str, Any] = {"state": state, "instances": instances}
    if config.pull_keys is not None:
        configmaps = tuple(source.model_copy(update={"path": anchored(source.path, base)}) if source.path else source
                           for source in config.pull_keys.configmaps)
        update["pull_keys"] = config.pull_keys.model_copy(update={"configmaps": configmaps})
    return config.model_copy(update=update)


def _instance(instance: Any, base: Path) -> Any:
    routes = instance.routes
    if routes is None:
        return instance
    exports = tuple(export.model_copy(update={"destination": anchored(export.destination, base)})
                    for export in routes.exports)
    ranges = anchored(routes.oss_ranges_file, base) if routes.oss_ranges_file else None
    return instance.model_copy(update={"routes": routes.model_copy(update={"exports": exports,
                                                                            "oss_ranges_file": ranges})})
