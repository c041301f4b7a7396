"""One JSON log line per decision, with the event's ``source`` + ``id`` as correlation id.

FC stores stdout lines in the function's logstore (one line at most 32 KB). Every value goes
through ``redact_text``, so secrets and AccessKey ids never reach the logs in clear. Besides the
patterns ``redact_text`` knows, each line is scrubbed of the known secrets: the ones the handler
names (``secrets``: the config's credentials, channel URLs and signing secrets, every value read
from the environment) and the credentials in the process environment at the time of writing (the
function role's ``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` and ``ALIBABA_CLOUD_SECURITY_TOKEN``, see
``acrguard.credential_variables``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from acrguard.credential_variables import secret_values
from acrguard.redact import redact_text

MAX_LINE = 32 * 1024 - 512


def describe(context: Any) -> dict[str, str]:
    """Request id, function name, region and account of an FC (or local) context, for log lines."""
    function = getattr(context, "function", None)
    return {"request_id": str(getattr(context, "request_id", "") or ""),
            "function": str(getattr(function, "name", "") or ""),
            "region": str(getattr(context, "region", "") or ""),
            "account_id": str(getattr(context, "account_id", "") or "")}


class DecisionLog:
    """Writes decision lines and keeps them (the local invoker and tests read them back)."""

    def __init__(self, base: dict[str, Any] | None = None, stream: TextIO | None = None,
                 secrets: tuple[str, ...] = (), clock: Callable[[], float] = time.time) -> None:
        self.base = dict(base or {})
        self.stream = stream if stream is not None else sys.stdout
        self.secrets = secrets
        self.clock = clock
        self.lines: list[dict[str, Any]] = []

    def known_secrets(self) -> tuple[str, ...]:
        """The secrets scrubbed from every line: the ones given, and the environment's credentials now."""
        return (*self.secrets, *secret_values())

    def bind(self, **fields: Any) -> None:
        """Add fields to every later line (e.g. the correlation id once the event is parsed)."""
        self.base.update(fields)

    def decision(self, action: str, **fields: Any) -> dict[str, Any]:
        """Write one line: what was decided and why."""
        record = {"time": round(self.clock(), 3), **self.base, "decision": action, **fields}
        known = self.known_secrets()
        text = redact_text(json.dumps(record, default=str, ensure_ascii=False, sort_keys=False), known)
        if len(text) > MAX_LINE:
            text = redact_text(json.dumps({**{k: record[k] for k in ("time", "decision") if k in record},
                                           **self.base, "truncated": True, "size": len(text)}, default=str),
                               known)
        parsed = json.loads(text)
        self.lines.append(parsed)
        print(text, file=self.stream, flush=True)
        return parsed
