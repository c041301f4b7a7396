"""Reading a few objects of a Kubernetes cluster with the official client, from a kubeconfig the cloud handed out.

The kubeconfig is ``DescribeClusterUserKubeconfig``'s (``acrguard.pullkeys.clusters``): the API
server's URL, its CA (``certificate-authority-data``) and a client certificate and key
(``client-certificate-data``/``client-key-data``; the form aliyun/terraform-provider-alicloud
reads back in ``flattenAliCloudCSCertificate``). ``KubeSession`` builds the ``kubernetes``
client's ``Configuration`` from it by hand rather than with ``kubernetes.config``: only those
fields (or a bearer ``token``) are used, TLS is always verified, and a kubeconfig asking to run a
command (``exec``, ``auth-provider``) or to skip verification is refused, since acrguard never runs
what a document it read tells it to. The certificate, key and CA go to files in a private
temporary folder (the client's TLS layer reads only files), removed when the session closes.

Answers: an object's ``data`` (Secret values decoded from Base64), None when the API says 404 (the
object is absent), or ``KubeReadError`` for everything else (401, 403, other statuses, a
connection, TLS or timeout failure, an unusable kubeconfig): unknown, never absent. The
``kubernetes`` package is imported only when a session opens (about 0.2 s), so the auditor's cold
start pays for it only when clusters are configured.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from acrguard import boundedyaml

#: Kinds of ``KubeReadError``
UNAUTHORIZED = "unauthorized"  # 401: the credential is not accepted (expired, revoked, another cluster's)
FORBIDDEN = "forbidden"  # 403: RBAC does not let the caller read the object
UNREACHABLE = "unreachable"  # no answer: connection, TLS or timeout
FAILED = "failed"  # any other answer
KUBECONFIG = "kubeconfig"  # the kubeconfig cannot be used


class KubeReadError(Exception):
    """An object that could not be read: ``kind`` (see the constants), HTTP ``status`` when there was one."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Access:
    """What a kubeconfig's current context says: the server, its CA, and the client's credential."""

    server: str
    ca_pem: bytes | None
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    token: str | None = None

    def __repr__(self) -> str:
        return f"Access(server={self.server!r}, credential={'certificate' if self.cert_pem else 'token'})"


def parse_kubeconfig(text: str) -> Access:
    """The current context's server and credential (``KubeReadError`` kind ``kubeconfig`` when unusable)."""
    import yaml

    try:
        document = boundedyaml.load(text, "kubeconfig")
    except (boundedyaml.YamlLimitError, yaml.YAMLError) as exc:  # the text is never shown: it holds a key
        raise KubeReadError(KUBECONFIG, f"the kubeconfig is not readable YAML ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise KubeReadError(KUBECONFIG, "the kubeconfig is not a mapping")

    def named(section: str, name: Any) -> dict[str, Any]:
        entries = [e for e in document.get(section) or [] if isinstance(e, dict)]
        chosen = next((e for e in entries if e.get("name") == name), entries[0] if entries else None)
        body = chosen.get(section[:-1]) if chosen else None
        if not isinstance(body, dict):
            raise KubeReadError(KUBECONFIG, f"the kubeconfig has no usable '{section}' entry")
        return body

    context = named("contexts", document.get("current-context"))
    cluster = named("clusters", context.get("cluster"))
    user = named("users", context.get("user"))
    server = str(cluster.get("server") or "")
    if not server.startswith("https://"):
        raise KubeReadError(KUBECONFIG, "the kubeconfig's server is not an https:// URL")
    if cluster.get("insecure-skip-tls-verify"):
        raise KubeReadError(KUBECONFIG, "the kubeconfig asks to skip TLS verification, which acrguard never does")
    if user.get("exec") or user.get("auth-provider"):
        raise KubeReadError(KUBECONFIG, "the kubeconfig authenticates by running a command (exec/auth-provider), "
                                        "which acrguard never does")
    ca = _decoded(cluster.get("certificate-authority-data"), "certificate-authority-data")
    cert = _decoded(user.get("client-certificate-data"), "client-certificate-data")
    key = _decoded(user.get("client-key-data"), "client-key-data")
    token = user.get("token")
    if (cert is None) != (key is None):
        raise KubeReadError(KUBECONFIG, "the kubeconfig has a client certificate without its key, or a key alone")
    if cert is None and not token:
        raise KubeReadError(KUBECONFIG, "the kubeconfig carries neither a client certificate nor a token")
    return Access(server.rstrip("/"), ca, cert, key, str(token) if token else None)


def _decoded(value: Any, name: str) -> bytes | None:
    if value in (None, ""):
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise KubeReadError(KUBECONFIG, f"the kubeconfig's {name} is not Base64") from None


class KubeSession:
    """One cluster's API through the ``kubernetes`` client, for the life of a ``with`` block.

    ``timeout_s`` bounds each request (connect and read); a request is retried once on a
    connection failure, no more (a cluster that cannot be reached is reported, not waited for).
    """

    def __init__(self, kubeconfig: str, *, timeout_s: float = 10.0) -> None:
        self.access = parse_kubeconfig(kubeconfig)
        self.timeout_s = timeout_s
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._client: Any = None
        self._core: Any = None

    def __enter__(self) -> KubeSession:
        from kubernetes.client import ApiClient, Configuration, CoreV1Api

        self._folder = tempfile.TemporaryDirectory(prefix="acrguard-kube-")
        configuration = Configuration(host=self.access.server)
        configuration.verify_ssl = True
        configuration.retries = 1
        if self.access.ca_pem:
            configuration.ssl_ca_cert = self._file("ca.crt", self.access.ca_pem)
        if self.access.cert_pem and self.access.key_pem:
            configuration.cert_file = self._file("client.crt", self.access.cert_pem)
            configuration.key_file = self._file("client.key", self.access.key_pem)
        elif self.access.token:
            configuration.api_key = {"authorization": f"Bearer {self.access.token}"}
        self._client = ApiClient(configuration)
        self._core = CoreV1Api(self._client)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        if self._folder is not None:
            self._folder.cleanup()

    def _file(self, name: str, content: bytes) -> str:
        assert self._folder is not None
        path = os.path.join(self._folder.name, name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(content)
        return path

    def config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        """The ConfigMap's ``data`` (``{}`` when it has none), None when it does not exist."""
        found = self._read(lambda: self._core.read_namespaced_config_map(name, namespace,
                                                                          _request_timeout=self._timeouts()),
                           "configmaps", namespace, name)
        return None if found is None else dict(found.data or {})

    def secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """The Secret's ``data``, decoded (values that are not UTF-8 are left out), None when it does not exist."""
        found = self._read(lambda: self._core.read_namespaced_secret(name, namespace,
                                                                      _request_timeout=self._timeouts()),
                           "secrets", namespace, name)
        if found is None:
            return None
        out: dict[str, str] = {}
        for key, value in (found.data or {}).items():
            with contextlib.suppress(binascii.Error, ValueError, UnicodeDecodeError):
                out[str(key)] = base64.b64decode(value, validate=True).decode("utf-8")
        return out

    def _timeouts(self) -> tuple[float, float]:
        return (self.timeout_s, self.timeout_s)

    def _read(self, fetch: Any, resource: str, namespace: str, name: str) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return fetch()
        except ApiException as exc:
            if exc.status == 404:
                return None
            message = _status_message(exc.body) or str(exc.reason or "")
            kind = {401: UNAUTHORIZED, 403: FORBIDDEN}.get(int(exc.status or 0), FAILED)
            raise KubeReadError(kind, f"{resource} {namespace}/{name}: HTTP {exc.status}: {message}",
                                exc.status) from None
        except (HTTPError, OSError) as exc:
            raise KubeReadError(UNREACHABLE, f"{resource} {namespace}/{name}: no answer from "
                                             f"{self.access.server} ({type(exc).__name__})") from None


def _status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes ``Status`` body, if it is one."""
    try:
        status = json.loads(body) if isinstance(body, (str, bytes)) else None
    except ValueError:
        return ""
    return str(status.get("message") or "") if isinstance(status, dict) else ""
