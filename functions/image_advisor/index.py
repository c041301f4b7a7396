"""Function Compute entry point of the image weight advisor: decode the event, run the job, log, return.

Everything that decides and acts lives in the ``acrguard`` library; this file stays thin so the
handler imports nothing it does not need (cold start).
"""

from acrguard.runtime.handler import initialize_job, run_job

JOB = "image_advisor"


def initialize(context):
    """FC initializer: load the config once per instance (credentials are read per invocation)."""
    initialize_job(JOB, context)


def handler(event, context):
    """FC handler: ``event`` is bytes (a CloudEvents envelope or a timer payload)."""
    return run_job(JOB, event, context)
