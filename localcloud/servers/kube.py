"""The Kubernetes API front end: the few reads of ConfigMaps and Secrets, over HTTPS, for the clusters of ``cs``.

One server on 127.0.0.1 stands for every cluster's API server: a cluster's base URL is
``https://127.0.0.1:<port>/clusters/<ClusterId>`` (the ``server`` of the kubeconfigs
``DescribeClusterUserKubeconfig`` hands out, ``localcloud.products.cs``), under which it answers

* ``GET /api/v1/namespaces/{namespace}/configmaps/{name}`` and ``.../configmaps`` (a list), and
* ``GET /api/v1/namespaces/{namespace}/secrets/{name}`` and ``.../secrets``,

with the objects of the world (``clusters[].configmaps``/``secrets``), in the shapes of the core/v1
API (``ConfigMap``/``Secret``, their ``...List`` with items that carry no ``kind``; Secret ``data``
values Base64-encoded: https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/secret-v1/).
``fieldSelector=metadata.name=<name>`` narrows a list; other query parameters are ignored.

TLS: the certificate is the local cloud's (``cs.KubePki``, naming 127.0.0.1), the CA the one the
kubeconfigs carry as ``certificate-authority-data``. The server asks for a client certificate and
verifies it against that CA (a certificate from another CA fails the handshake, as Go's
``VerifyClientCertIfGiven`` does). Who the caller is:

* a client certificate ``DescribeClusterUserKubeconfig`` issued for this cluster, not expired on the
  cloud's clock: its holder (``auth`` ``x509`` in the request log);
* else ``Authorization: Bearer <token>`` naming a world token of the cluster (``auth`` ``token``);
* else nobody: ``401 Unauthorized`` (so is an expired certificate, or one issued for another
  cluster). Emulator's choice: no anonymous access.

Errors are Kubernetes ``Status`` objects (``kind: Status``, ``status: Failure``, ``message``,
``reason``, ``details``, ``code``), with the apiserver's wording (k8s.io/apimachinery
``pkg/api/errors/errors.go`` ``NewNotFound``/``NewForbidden``/``NewUnauthorized``; the RBAC message
from k8s.io/apiserver ``pkg/endpoints/handlers/responsewriters/errors.go``):

* 404 ``NotFound``: ``configmaps "acr-configuration" not found``, details ``{name, kind}``; an
  unknown cluster or path: ``the server could not find the requested resource``;
* 403 ``Forbidden``: ``configmaps "acr-configuration" is forbidden: User "<user>" cannot get resource
  "configmaps" in API group "" in the namespace "kube-system"`` (``cs.Cluster.allows`` decides);
* 401 ``Unauthorized``: ``Unauthorized``; 405 ``MethodNotAllowed`` for anything but GET.

A cluster whose world entry says ``reachable: false`` closes every connection without an answer
(a cluster the caller cannot reach). Every answered request is kept in ``cs.kube_api(cloud).requests``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import tempfile
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from localcloud.httpserver import QuietHandler, QuietServerErrors
from localcloud.products import cs

if TYPE_CHECKING:
    from localcloud.core.state import CloudState

_PATH = re.compile(r"^/clusters/(?P<cluster>[^/]+)/api/v1/namespaces/(?P<namespace>[^/]+)/"
                   r"(?P<resource>configmaps|secrets)(?:/(?P<name>[^/]+))?/?$")
_KINDS = {"configmaps": "ConfigMap", "secrets": "Secret"}
HANDSHAKE_TIMEOUT_S = 10


def status(code: int, reason: str, message: str, details: dict[str, str] | None = None) -> dict[str, Any]:
    """A Kubernetes ``Status`` object (``metav1.Status``)."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def not_found(resource: str, name: str) -> tuple[int, dict[str, Any]]:
    """``NewNotFound``: ``<resource> "<name>" not found``."""
    return 404, status(404, "NotFound", f'{resource} "{name}" not found', {"name": name, "kind": resource})


def forbidden(resource: str, name: str | None, user: str, verb: str, namespace: str) -> tuple[int, dict[str, Any]]:
    """``NewForbidden`` with the RBAC authorizer's reason."""
    reason = (f'User "{user}" cannot {verb} resource "{resource}" in API group "" in the namespace "{namespace}"')
    what = f'{resource} "{name}"' if name else resource
    details = {"name": name, "kind": resource} if name else {"kind": resource}
    return 403, status(403, "Forbidden", f"{what} is forbidden: {reason}", details)


UNAUTHORIZED = (401, status(401, "Unauthorized", "Unauthorized"))
NO_SUCH_PATH = (404, status(404, "NotFound", "the server could not find the requested resource"))


def _object_body(obj: cs.KubeObject, *, with_kind: bool) -> dict[str, Any]:
    metadata = {"name": obj.name, "namespace": obj.namespace, "uid": obj.uid, "resourceVersion": "1",
                "creationTimestamp": "2026-01-01T00:00:00Z"}
    body: dict[str, Any] = {"kind": obj.kind, "apiVersion": "v1"} if with_kind else {}
    body["metadata"] = metadata
    if obj.kind == "Secret":
        import base64

        body["type"] = obj.type
        body["data"] = {k: base64.b64encode(v.encode("utf-8")).decode("ascii") for k, v in obj.data.items()}
    else:
        body["data"] = dict(obj.data)
    return body


def make_handler(cloud: CloudState) -> type[QuietHandler]:
    """The request handler class bound to ``cloud``."""
    api = cs.kube_api(cloud)

    class KubeHandler(QuietHandler):
        def setup(self) -> None:
            super().setup()
            self.handshake_ok = True
            try:
                self.connection.settimeout(HANDSHAKE_TIMEOUT_S)
                self.connection.do_handshake()
                self.connection.settimeout(None)
            except (ssl.SSLError, OSError):
                self.handshake_ok = False  # a bad or unknown client certificate, or a client that left

        def handle(self) -> None:
            if self.handshake_ok:
                super().handle()

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def do_PATCH(self) -> None:
            self._answer()

        def _answer(self) -> None:
            raw_path, _, raw_query = self.path.partition("?")
            path = unquote(raw_path)
            match = _PATH.match(path)
            cluster_id = match.group("cluster") if match else (path.split("/")[2] if path.startswith("/clusters/")
                                                                and path.count("/") >= 2 else "")
            found = cs.find_cluster(cloud, cluster_id) if cluster_id else None
            if found is not None and not found[1].reachable:
                self.close_connection = True  # an API server nobody can reach: no answer at all
                return
            self.read_body()
            auth, principal, user = self._identity(found[1] if found else None)
            code, body = self._decide(match, found[1] if found else None, principal, user, raw_query)
            api.record(cs.KubeRequest(cluster_id, self.command, path, auth, user, code))
            self.send_bytes(code, json.dumps(body).encode("utf-8"), "application/json")

        def _identity(self, cluster: cs.Cluster | None) -> tuple[str, str | None, str | None]:
            """``(auth, principal, user)``; principal None: not authenticated for this cluster."""
            if cluster is None:
                return "none", None, None
            der = self.connection.getpeercert(binary_form=True)
            if der:
                from cryptography import x509

                serial = x509.load_der_x509_certificate(der).serial_number
                issued = cluster.credentials.get(serial)
                if issued is not None and cloud.clock.now() < issued.expires_at:
                    return "x509", issued.principal, issued.user
                return "x509", None, None
            header = self.headers.get("Authorization", "")
            if header.startswith("Bearer "):
                principal = cluster.tokens.get(header[len("Bearer "):].strip())
                return "token", principal, principal
            return "none", None, None

        def _decide(self, match: re.Match[str] | None, cluster: cs.Cluster | None, principal: str | None,
                    user: str | None, raw_query: str) -> tuple[int, dict[str, Any]]:
            if cluster is None or match is None:
                return NO_SUCH_PATH if principal is not None or cluster is None else UNAUTHORIZED
            if principal is None or user is None:
                return UNAUTHORIZED
            if self.command != "GET":
                return 405, status(405, "MethodNotAllowed", "the server does not allow this method on the "
                                   "requested resource")
            resource, namespace, name = match.group("resource"), match.group("namespace"), match.group("name")
            verb = "get" if name else "list"
            if not cluster.allows(principal, verb, resource, namespace, name):
                return forbidden(resource, name, user, verb, namespace)
            if name:
                obj = cluster.objects.get((resource, namespace, name))
                return (200, _object_body(obj, with_kind=True)) if obj else not_found(resource, name)
            selector = dict(parse_qsl(raw_query)).get("fieldSelector", "")
            only = selector.split("=", 1)[1] if selector.startswith("metadata.name=") else None
            items = [_object_body(o, with_kind=False) for (r, ns, n), o in sorted(cluster.objects.items())
                     if r == resource and ns == namespace and only in (None, n)]
            return 200, {"kind": f"{_KINDS[resource]}List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                         "items": items}

    return KubeHandler


class _TlsServer(QuietServerErrors, ThreadingHTTPServer):
    """A threaded HTTPS server; each connection's TLS handshake runs in its own thread (``KubeHandler.setup``)."""

    request_queue_size = 128
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[QuietHandler], context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address


def tls_context(pki: cs.KubePki) -> ssl.SSLContext:
    """The server's TLS context: its certificate, and client certificates verified against the CA if given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="localcloud-kube-") as folder:
        cert, key = os.path.join(folder, "server.crt"), os.path.join(folder, "server.key")
        with open(cert, "wb") as out:
            out.write(pki.server_cert_pem)
        with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
            out.write(pki.server_key_pem)
        context.load_cert_chain(cert, key)  # read now; the files go with the folder
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(cadata=pki.ca_pem.decode("ascii"))
    return context


class RunningKube:
    """The Kubernetes front end serving in a daemon thread until ``stop``."""

    def __init__(self, cloud: CloudState, host: str = "127.0.0.1", port: int = 0) -> None:
        import threading

        api = cs.kube_api(cloud)
        self.httpd = _TlsServer((host, port), make_handler(cloud), tls_context(api.pki))
        api.address = self.address
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="localcloud-kube", daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        """``host:port`` as clients should use it."""
        host, port = self.httpd.server_address[:2]
        return f"{host}:{port}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
