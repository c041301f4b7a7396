"""The exceptions acrguard raises on purpose.

::

    AcrguardError
    ├── ConfigError          bad config file: every problem with its path (exit 2)
    ├── StateError           the state store is unreadable or was changed underneath us
    │   └── StateConflict    a write lost the optimistic-concurrency race
    ├── CloudCallError       a cloud API answered with an error (wraps the SDK's exception)
    │   └── TransientCloudError  throttling/5xx/network after retries: let FC retry the invocation
    └── BadInputError        a malformed event, policy or ConfigMap (reported once, never retried)
"""

from __future__ import annotations


class AcrguardError(Exception):
    """Base class of every error acrguard raises deliberately."""


class ConfigError(AcrguardError):
    """A configuration file is invalid; ``problems`` holds one ``path: message`` line per error."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} configuration error(s):\n{lines}")


class StateError(AcrguardError):
    """The state store cannot be read or written safely."""


class StateConflict(StateError):
    """Another writer changed the state since we read it (optimistic concurrency)."""


class BadInputError(AcrguardError):
    """Input that will never succeed on retry (malformed event, document or file)."""


class CloudCallError(AcrguardError):
    """A cloud API call failed; carries the error code, request id and API name."""

    def __init__(self, api: str, code: str | None, message: str, request_id: str | None = None,
                 status: int | None = None) -> None:
        self.api = api
        self.code = code
        self.request_id = request_id
        self.status = status
        super().__init__(f"{api} failed: {code or 'error'}: {message}"
                         + (f" (request id {request_id})" if request_id else ""))


class TransientCloudError(CloudCallError):
    """A failure worth retrying later (throttling, 5xx, network) after the client's own retries."""
