"""A local stand-in for Alibaba Cloud: the real SDKs talk to it over HTTP on 127.0.0.1.

Never deployed. Used by the tests, the demo and the benchmarks. See ``localcloud.cloud``.
"""

from localcloud.cloud import AccessKey, LocalCloud, Principal
from localcloud.errors import CloudError
from localcloud.faults import FaultRule

__all__ = ["AccessKey", "CloudError", "FaultRule", "LocalCloud", "Principal"]
