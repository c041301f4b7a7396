"""Invoke the same function asynchronously once per shard: Function Compute runs, retries and bounds them.

``InvokeFunction`` (fc 2023-03-30, ``POST /2023-03-30/functions/{functionName}/invocations``) with
the header ``x-fc-invocation-type: Async`` (``InvokeFunctionHeaders.x_fc_invocation_type``, "Sync or
Async", ``alibabacloud_fc20230330/models/_invoke_function_headers.py``) queues the invocation and
answers ``202 Accepted`` at once (FC's invocation examples:
https://help.aliyun.com/en/functioncompute/call-example, "a status code of 202, which means the
request was accepted"; the API page: https://www.alibabacloud.com/help/en/functioncompute/
api-fc-2023-03-30-invokefunction). From there FC runs the shard when the function has a free
instance (its reserved concurrency bounds how many run at once), retries an attempt that raised up
to ``maxAsyncRetryAttempts`` times, and hands one that failed every attempt to the
``asyncInvokeConfig`` failure destination (FC 3.0 error handling:
https://alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/error-handling-1-2). An async
payload is at most 128 KB; a shard's is under 200 bytes.

At most ``dispatch_workers`` requests are in flight here. A shard whose request fails (after the
SDK's retries) is reported, not retried here: the next sweep dispatches it again. A request that
was carried out but whose answer was lost may run the shard twice; the second run is a duplicate
of the first (``events.dedup``), by the payload's sweep and shard.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from acrguard.clients import call
from acrguard.errors import CloudCallError

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.events.shard import ShardEvent

ASYNC = "Async"


@dataclass(frozen=True)
class Dispatched:
    """What became of one shard's invocation request (``error`` empty: FC accepted it)."""

    shard: ShardEvent
    error: str = ""


def invoke_async(factory: ClientFactory, function_name: str, region: str, payload: bytes) -> None:
    """Queue one asynchronous invocation of ``function_name`` in ``region`` with ``payload``."""
    from alibabacloud_fc20230330 import models
    from darabonba.runtime import RuntimeOptions

    client = factory.fc(region)
    headers = models.InvokeFunctionHeaders(x_fc_invocation_type=ASYNC)
    request = models.InvokeFunctionRequest(body=io.BytesIO(payload))
    call("fc", "InvokeFunction", client.invoke_function_with_options, function_name, request, headers,
         RuntimeOptions())


def dispatch(factory: ClientFactory, function_name: str, region: str, shards: Iterable[ShardEvent],
             workers: int) -> list[Dispatched]:
    """Invoke the function once per shard, ``workers`` requests at a time; one result per shard, in order."""
    def one(shard: ShardEvent) -> Dispatched:
        try:
            invoke_async(factory, function_name, region, shard.payload())
        except CloudCallError as exc:  # TransientCloudError too: reported, and the next sweep dispatches it again
            return Dispatched(shard, f"{exc.code}: {exc}")
        return Dispatched(shard)

    shards = list(shards)
    if not shards:
        return []
    width = max(1, min(workers, len(shards)))
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="acrguard-fanout") as pool:
        return list(pool.map(one, shards))
