"""A local stand-in for Alibaba Cloud: the real SDKs talk to it over HTTP on 127.0.0.1.

Never deployed. Used by the tests, the demo and the benchmarks. The layers, bottom up:

* ``errors``, ``clock``, ``service``, ``httpserver``: building blocks every layer uses;
* ``core``: the state (accounts, credentials, backends, clock, faults, request log, served data),
  with ``chat`` and ``registry`` holding the chat-sink and registry-challenge state;
* ``products``: one module per emulated product (its state and its API handlers);
* ``authz``: RAM authorization (the policy evaluator, the action table, the refusals);
* ``servers``: the OpenAPI gateway, OSS, admin, DNS, chat and registry front ends;
* ``cloud.LocalCloud``: the state with its servers, the one object tests and the demo use.
"""

from localcloud.cloud import AccessKey, LocalCloud, Principal
from localcloud.core.faults import FaultRule
from localcloud.errors import CloudError

__all__ = ["AccessKey", "CloudError", "FaultRule", "LocalCloud", "Principal"]
