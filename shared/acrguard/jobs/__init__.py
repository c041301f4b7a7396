"""The jobs behind the functions, each with one interface: ``sweep`` (timers) and ``handle`` (events).

``load(name)`` imports only the job it is asked for, so a function never imports another job's SDKs.
"""

from __future__ import annotations

import importlib

from acrguard.jobs.base import ALL_SCOPES, Job, JobContext, JobResult

__all__ = ["ALL_SCOPES", "Job", "JobContext", "JobResult", "load"]

_MODULES = {
    "endpoint_keeper": "acrguard.jobs.endpoint_keeper",
    "whitelist_guard": "acrguard.jobs.whitelist_guard",
    "pullkey_auditor": "acrguard.jobs.pullkey_auditor",
    "image_advisor": "acrguard.jobs.image_advisor",
}


def load(name: str) -> Job:
    """The job called ``name`` (``KeyError`` naming the known jobs)."""
    if name not in _MODULES:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(_MODULES))}")
    return importlib.import_module(_MODULES[name]).JOB
