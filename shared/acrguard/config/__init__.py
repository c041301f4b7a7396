"""The configuration: one YAML file validated into typed, immutable objects at load.

``load_config(path)`` returns an ``AcrguardConfig`` or raises ``ConfigError`` listing every
problem with its path. Each section lives in its own module (``cloud``, ``routes``,
``whitelist``, ``pullkeys``, ``alerts``, ``state``, ``safety``).
"""

from acrguard.config.loader import load_config, load_config_data, redacted_dump
from acrguard.config.model import AcrguardConfig, InstanceConfig

__all__ = ["AcrguardConfig", "InstanceConfig", "load_config", "load_config_data", "redacted_dump"]
