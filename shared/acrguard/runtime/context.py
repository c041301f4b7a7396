"""The FC invocation context, and a look-alike for running handlers locally exactly as FC would.

FC 3.0 python3.10 passes ``context`` with ``request_id``, ``credentials`` (STS, may be absent on
python3.12), ``function`` (name, handler, memory, timeout), ``region`` and ``account_id``
(https://alibabacloud.com/help/en/functioncompute/context-1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from acrguard.runtime.logs import describe  # lives there: the handler needs it without these classes


@dataclass(frozen=True)
class FcCredentials:
    """``context.credentials``: the function role's STS credentials."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FcFunction:
    """``context.function``."""

    name: str
    handler: str = "index.handler"
    memory: int = 512
    timeout: int = 120


@dataclass(frozen=True)
class LocalContext:
    """An FC-shaped context for ``acrguard invoke`` and the tests."""

    function: FcFunction
    region: str
    account_id: str
    credentials: FcCredentials | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def getLogger(self) -> Any:
        """FC's logger accessor; the local context logs through the standard library."""
        import logging

        return logging.getLogger(f"fc.{self.function.name}")


__all__ = ["FcCredentials", "FcFunction", "LocalContext", "describe"]
