"""The servers of the local cloud: each answers one protocol on 127.0.0.1 from the state in ``localcloud.core``.

``openapi`` (the OpenAPI gateway: signatures, dispatch, authorization, faults, records), ``oss``
(Object Storage Service), ``admin`` (``/_localcloud/`` on the gateway's port), ``dns``, ``kube`` (the
Kubernetes API of the ``cs`` clusters, over HTTPS), and the
chat and registry front ends (their handlers live beside their state in ``localcloud.chat`` and
``localcloud.registry``). ``frontends.start_servers`` starts them all. The state never imports
this package.
"""
