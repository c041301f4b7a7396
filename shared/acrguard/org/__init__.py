"""Organisations: many accounts and regions, swept by Function Compute's own asynchronous invocations.

A config with an ``organization:`` section (``acrguard.config.organization``) turns each function
into the coordinator of its organisation's sweep. No scheduler or queue of acrguard's own:

* ``accounts``: the member accounts, listed by hand or enumerated from the Resource Directory
  (``ListAccounts``, paged; folder filters through ``ListFoldersForParent``);
* ``assume``: a ``ClientFactory`` per account from ``AssumeRole`` into the member's role (with the
  ``ExternalId`` when configured; session names ``acrguard-<function>-<run id>``, traceable in the
  member's ActionTrail);
* ``shards``: one shard per account x region (per account for a job whose API is global), the
  config of each shard (its instances, its region) and the state namespace each keeps apart;
* ``fanout``: the timer invocation invokes the same function asynchronously once per shard
  (``InvokeFunction`` with ``x-fc-invocation-type: Async``), a bounded number of requests at once;
  FC queues them, runs at most the function's concurrency at once, retries a failed one
  (``maxAsyncRetryAttempts``) and sends one that failed every attempt to the failure destination;
* ``sweeps``: the sweep record in the central state (every shard's status);
* ``outcomes``: each shard's findings, in its own state document;
* ``summary``: one run summary per sweep, and the findings of every shard through one alert run;
* ``runtime``: what the handler calls in an organisation (coordinator, shard, member-account event).

Who sends the summary: the shard whose outcome completes the sweep (every shard done, or failed
for good), or else the next sweep's start (a shard lost, or still running): whichever claims the
sweep first in the sweep record, a version-checked write, so exactly one run sends it, however
often FC delivers either invocation.
"""
