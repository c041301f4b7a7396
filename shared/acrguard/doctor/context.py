"""What every doctor check may read: the config, the client factory, ``s.yaml``, the options, shared observations.

Observations several checks need (an instance's VPC endpoint, the ``/v2/`` challenge, the OSS
ranges table) are made once per run through ``memo``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from acrguard.alerts.transport import Transport
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig, InstanceConfig
    from acrguard.deploy.syaml import SYaml

T = TypeVar("T")


@dataclass(frozen=True)
class CallerIdentity:
    """Who the doctor's credentials are (``GetCallerIdentity``)."""

    account_id: str
    arn: str
    identity_type: str
    principal_id: str = ""


@dataclass
class DoctorContext:
    """One doctor run's inputs and what its checks learn along the way.

    ``deployment`` is ``s.yaml`` read (None, with ``deployment_problem`` saying why, when there is
    none); ``send``: send each channel a test message; ``assume_roles``: also DryRun as each
    function's role; ``config_hint``: how the command names the config, for fixes that print a command.
    """

    config: AcrguardConfig
    factory: ClientFactory
    deployment: SYaml | None = None
    deployment_problem: str = ""
    send: bool = False
    assume_roles: bool = False
    config_hint: str = "acrguard.yaml"
    transport: Transport | None = None
    clock: Callable[[], float] = time.time
    caller: CallerIdentity | None = None
    identity_refused: bool = False
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` once per run for ``key``."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)  # type: ignore[no-any-return]

    def routed_instances(self) -> list[InstanceConfig]:
        """The configured instances whose routes the endpoint keeper keeps (they have a ``routes:`` section)."""
        return [i for i in self.config.instances if i.routes is not None]

    def region_of(self, instance: InstanceConfig) -> str:
        """The instance's region (its own, or ``cloud.region``)."""
        return self.config.region_of(instance)

    def account_id(self) -> str | None:
        """The caller's account, once the identity check has read it."""
        return self.caller.account_id if self.caller is not None else None
