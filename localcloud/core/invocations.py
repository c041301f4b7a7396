"""Running a function's code as Function Compute does: its handler, imported from its code directory.

The local cloud imports nothing of the projects it hosts: a function's code is a directory holding
``index.py`` (``code_dir`` in the world, as FC unpacks a code package), loaded with ``importlib`` the
first time the function runs and kept for later invocations (a warm instance), its ``initialize``
called once when it defines one (FC's initializer). The handler gets the event as ``bytes`` and an
FC-shaped context: ``request_id``, ``function`` (``name``, ``handler``, ``memory``, ``timeout``),
``region``, ``account_id`` and ``credentials`` (``access_key_id``, ``access_key_secret``,
``security_token``: the function role's STS credentials, obtained as FC obtains them, through the
role's trust in ``fc.aliyuncs.com``), as the python3.9/3.10 runtimes pass it
(https://alibabacloud.com/help/en/functioncompute/context-1). The function's environment variables
are set in this process before each invocation (emulator's choice: one process hosts every
function, so they are shared).

Asynchronous invocations (FC 3.0 error handling:
https://alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/error-handling-1-2) are queued
and run on a pool of threads as wide as the function's reserved concurrency (``DEFAULT_CONCURRENCY``
when it has none: emulator's choice, where FC's limit is the region's instance quota); an attempt
that raises is run again up to ``maxAsyncRetryAttempts`` times (3 when the function has no async
config: the page's default), at once rather than after FC's back-off (emulator's choice, to keep
tests fast); an invocation that failed every attempt is recorded for the async config's
``onFailure`` destination (``failures``), one that succeeded for ``onSuccess`` when set.
``maxAsyncEventAgeInSeconds`` is not enforced (emulator's choice).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import traceback
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: threads of a function with no reserved concurrency (emulator's choice)
DEFAULT_CONCURRENCY = 10
#: retries of a failed asynchronous attempt when the function has no async config (FC's documented default)
DEFAULT_ASYNC_RETRIES = 3
_ENVIRONMENT_LOCK = threading.Lock()


@dataclass(frozen=True)
class FunctionMeta:
    """``context.function``."""

    name: str
    handler: str = "index.handler"
    memory: int = 512
    timeout: int = 3


@dataclass(frozen=True)
class InvocationCredentials:
    """``context.credentials``: the function role's temporary credentials."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str = field(repr=False)


@dataclass(frozen=True)
class InvocationContext:
    """The context object a handler receives."""

    request_id: str
    function: FunctionMeta
    region: str
    account_id: str
    credentials: InvocationCredentials | None = None

    def getLogger(self) -> Any:
        """FC's logger accessor."""
        import logging

        return logging.getLogger(f"fc.{self.function.name}")


@dataclass
class InvocationRecord:
    """One invocation: how it was asked for, how many attempts it took, how it ended."""

    request_id: str
    function: str
    kind: str  # "Sync" or "Async"
    payload: bytes
    attempts: int = 0
    status: str = "queued"  # queued, running, succeeded, failed
    result: Any = None
    error: str = ""
    destination: str | None = None
    #: every failed attempt's error with the end of its traceback, oldest first
    attempt_errors: list[str] = field(default_factory=list)


class FunctionRunner:
    """One function's warm instance, its async queue and the record of its invocations."""

    def __init__(self, cloud: Any, account_id: str, region: str, name: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.region = region
        self.name = name
        self._module: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._outstanding = 0
        self.running = 0
        self.peak_running = 0
        self.records: list[InvocationRecord] = []
        self.failures: list[InvocationRecord] = []
        self.successes: list[InvocationRecord] = []

    # -- the function's configuration, read at each invocation (a redeploy takes effect) -------------
    def _function(self) -> Any:
        backend = self.cloud.backend("fc", self.account_id, self.region)
        return backend.function(self.name)

    def _module_of(self, spec: Any) -> Any:
        with self._lock:
            if self._module is None:
                if not spec.code_dir:
                    raise RuntimeError(f"function {self.name} has no code_dir in the world: nothing to run")
                path = Path(spec.code_dir) / "index.py"
                name = f"localcloud_fc_{self.account_id}_{self.region}_{self.name}".replace("-", "_")
                loader = importlib.util.spec_from_file_location(name, path)
                if loader is None or loader.loader is None:
                    raise RuntimeError(f"function {self.name}: no handler at {path}")
                module = importlib.util.module_from_spec(loader)
                sys.modules[name] = module
                loader.loader.exec_module(module)
                self._module = module
                self._initialize = getattr(module, "initialize", None)
            return self._module

    def _context(self, spec: Any, request_id: str) -> InvocationContext:
        credentials = None
        if spec.role:
            issued = self.cloud.service_credentials(spec.role, "fc.aliyuncs.com", f"fc-{self.name}"[:64], 3600)
            credentials = InvocationCredentials(issued.access_key_id, issued.access_key_secret, issued.security_token)
        return InvocationContext(request_id, FunctionMeta(spec.name, spec.handler, spec.memory, spec.timeout),
                                 self.region, self.account_id, credentials)

    def _call(self, record: InvocationRecord) -> Any:
        """One attempt: load the code (and run its initializer once), set the environment, call the handler."""
        spec = self._function()
        module = self._module_of(spec)
        context = self._context(spec, record.request_id)
        with _ENVIRONMENT_LOCK:
            os.environ.update({str(k): str(v) for k, v in (spec.environment or {}).items()})
        initialize, self._initialize = getattr(self, "_initialize", None), None
        if initialize is not None:
            initialize(context)
        handler_name = (spec.handler or "index.handler").rsplit(".", 1)[-1]
        return getattr(module, handler_name)(record.payload, context)

    # -- invocations ----------------------------------------------------------------------------------
    def invoke_sync(self, payload: bytes, lock: Any, timeout: float) -> InvocationRecord:
        """Run the handler once, now, in a thread of its own, while ``lock`` (held by the caller) is let go.

        The handler calls the cloud, whose gateway takes the lock for each request, so the request
        that invoked it must not keep the lock while it waits.
        """
        record = InvocationRecord(self._request_id(), self.name, "Sync", payload)
        self.records.append(record)
        future: Future[bool] = Future()

        def run() -> None:
            future.set_result(self._attempt(record))

        threading.Thread(target=run, name=f"localcloud-fc-sync-{self.name}", daemon=True).start()
        wait_in(lock, future, timeout)
        if not future.done():
            record.status = "failed"
            record.error = f"the function did not finish within its timeout ({timeout:g} s)"
        return record

    def invoke_async(self, payload: bytes) -> InvocationRecord:
        """Queue the invocation; it runs, and is retried, on the function's pool."""
        record = InvocationRecord(self._request_id(), self.name, "Async", payload)
        self.records.append(record)
        with self._idle:
            self._outstanding += 1
        self._executor().submit(self._run_async, record)
        return record

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                width = self._function().reserved_concurrency or DEFAULT_CONCURRENCY
                self._pool = ThreadPoolExecutor(max_workers=max(1, int(width)),
                                                thread_name_prefix=f"localcloud-fc-{self.name}")
            return self._pool

    def _attempt(self, record: InvocationRecord) -> bool:
        record.attempts += 1
        record.status = "running"
        with self._lock:
            self.running += 1
            self.peak_running = max(self.peak_running, self.running)
        try:
            record.result = self._call(record)
            record.status = "succeeded"
            record.error = ""
            return True
        except Exception as exc:  # a function's failure, whatever it is, is recorded
            record.status = "failed"
            record.error = f"{type(exc).__name__}: {exc}"
            record.result = traceback.format_exc(limit=-8)
            record.attempt_errors.append(record.result)
            return False
        finally:
            with self._lock:
                self.running -= 1

    def _run_async(self, record: InvocationRecord) -> None:
        try:
            config = self._function().async_config or {}
            retries = int(config.get("maxAsyncRetryAttempts", DEFAULT_ASYNC_RETRIES))
            destinations = config.get("destinationConfig") or {}
            for _ in range(1 + max(0, retries)):
                if self._attempt(record):
                    record.destination = (destinations.get("onSuccess") or {}).get("destination")
                    if record.destination:
                        self.successes.append(record)
                    return
            record.destination = (destinations.get("onFailure") or {}).get("destination")
            self.failures.append(record)
        finally:
            with self._idle:
                self._outstanding -= 1
                self._idle.notify_all()

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until no asynchronous invocation is queued or running (False when ``timeout`` ran out)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    @staticmethod
    def _request_id() -> str:
        return str(uuid.uuid4())

    def close(self) -> None:
        """Stop the pool (queued invocations still run)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


def wait_in(lock: Any, future: Future[Any], timeout: float) -> None:
    """Wait for ``future`` while ``lock`` (an ``RLock`` this thread holds) is released, then hold it again.

    A ``threading.Condition`` over the lock releases every level of it while waiting and restores
    them after, so the code being waited for can take the lock itself.
    """
    import time

    condition = threading.Condition(lock)
    deadline = time.monotonic() + timeout
    with condition:
        while not future.done() and time.monotonic() < deadline:
            condition.wait(0.01)
