"""Where the cloud credentials come from, in the documented order.

1. explicit config (``credentials:`` in the config file, for local runs and the local cloud);
2. the FC environment: ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``_SECURITY_TOKEN`` (all FC 3.0
   runtimes set them; python3.12 has nothing else);
3. ``context.credentials`` of the FC handler (python3.9/3.10 runtimes);
4. the ``alibabacloud-credentials`` default chain (env, OIDC/RRSA, ``~/.aliyun/config.json``,
   credentials file, ECS RAM role unless ``ALIBABA_CLOUD_ECS_METADATA_DISABLED=true``).

Sources: ``../shared/reference/events-fc.md`` §1.3 and ``sdk-feasibility.md`` §5.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acrguard.redact import mask_access_key_id


@dataclass(frozen=True)
class StaticCredentials:
    """An AccessKey pair, with an STS token when temporary. Never printed in full."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    source: str = "explicit"

    def __repr__(self) -> str:
        token = ", security_token=****" if self.security_token else ""
        return (f"StaticCredentials(access_key_id={mask_access_key_id(self.access_key_id)!r}, "
                f"access_key_secret=****{token}, source={self.source!r})")

    __str__ = __repr__


def from_environment(environ: Mapping[str, str] | None = None) -> StaticCredentials | None:
    """The FC-injected (or exported) AccessKey, if both id and secret are set."""
    env = os.environ if environ is None else environ
    key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "").strip()
    secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "").strip()
    if not key_id or not secret:
        return None
    token = env.get("ALIBABA_CLOUD_SECURITY_TOKEN", "").strip() or None
    return StaticCredentials(key_id, secret, token, source="environment")


def from_context(context: Any) -> StaticCredentials | None:
    """``context.credentials`` of an FC invocation (absent on python3.12)."""
    creds = getattr(context, "credentials", None)
    if creds is None:
        return None
    key_id = getattr(creds, "access_key_id", None) or getattr(creds, "accessKeyId", None)
    secret = getattr(creds, "access_key_secret", None) or getattr(creds, "accessKeySecret", None)
    token = getattr(creds, "security_token", None) or getattr(creds, "securityToken", None)
    if not key_id or not secret:
        return None
    return StaticCredentials(key_id, secret, token or None, source="fc-context")


def resolve(explicit: StaticCredentials | None = None, *, environ: Mapping[str, str] | None = None,
            context: Any = None) -> StaticCredentials | None:
    """The first credentials found in the documented order; None means "use the default chain"."""
    return explicit or from_environment(environ) or from_context(context)
