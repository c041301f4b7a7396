"""Container Service for Kubernetes (cs 2015-12-15, ROA): the clusters, and the kubeconfigs that open them.

Two operations, their paths and fields from ``alibabacloud_cs20151215`` 7.2.3 (``client.py``
``params.pathname``; ``models/_describe_clusters_v1request.py`` and its response body,
``models/_describe_cluster_user_kubeconfig_request.py`` and its response body):

* ``DescribeClustersV1``, ``GET /api/v1/clusters``: query ``name`` (the SDK docstring: "Fuzzy match
  is supported"), ``cluster_type``, ``cluster_id``, ``region_id`` ("Specify this parameter to filter
  clusters by region"), ``profile``, ``cluster_spec``, ``page_number``, ``page_size``. The answer is
  ``clusters`` (``cluster_id``, ``name``, ``region_id``, ``cluster_type``, ``state``, ``profile``,
  ``cluster_spec``, ``current_version``, ``created``, ``updated``, ``vpc_id``, ``master_url``,
  ``tags``...) and ``page_info`` (``page_number``, ``page_size``, ``total_count``). Without
  ``region_id`` every region's clusters are listed (public clients list through one regional
  endpoint and read each cluster's ``region_id``, e.g. turbot/steampipe-plugin-alicloud
  ``table_alicloud_cs_kubernetes_cluster.go``, which pages with ``PageSize`` 50). Emulator's
  choices: ``page_size`` defaults to 10 and accepts 1-100 (``InvalidParameter`` otherwise; no page
  read gives the bounds); clusters are listed in world order, regions sorted; ``name`` matches a
  substring, case-insensitively.
* ``DescribeClusterUserKubeconfig``, ``GET /k8s/{ClusterId}/user_config``: query
  ``PrivateIpAddress`` (internal or public API server address) and ``TemporaryDurationMinutes``
  ("Valid values: 15 (15 minutes) to 4320 (3 days)"; without it "the system automatically
  determines a longer validity period", the API page's 3 years:
  https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-describeclusteruserkubeconfig).
  The answer is ``config`` (the kubeconfig, YAML text) and ``expiration`` (RFC 3339 UTC). The
  kubeconfig carries the cluster's CA as ``clusters[0].cluster.certificate-authority-data`` and a
  client certificate as ``users[0].user.client-certificate-data``/``client-key-data`` (the form
  aliyun/terraform-provider-alicloud reads back in ``flattenAliCloudCSCertificate``). A cluster the
  caller's account does not have is ``ErrorClusterNotFound``, 404 (the code the Terraform provider
  expects, ``service_alicloud_cs.go``); a duration outside 15-4320 is ``InvalidParameter`` (400,
  emulator's choice: no page names the code).

Each kubeconfig gets a fresh client certificate (ECDSA P-256, signed by the local cloud's
Kubernetes CA; ``KubePki``) whose subject CN is the caller's Kubernetes user name: the account id
for the account itself, the user id for a RAM user, the role id for a role session (emulator's
choice; ACK documents only that the kubeconfig "contains the identity information of the current
user"). Its expiry is kept on the cloud's clock, so ``LocalCloud.advance`` expires it; the
certificate's own ``notAfter`` follows it. ``server`` is the local Kubernetes front end
(``localcloud.servers.kube``) at ``https://127.0.0.1:<port>/clusters/<ClusterId>`` for both
``PrivateIpAddress`` values (emulator's choice: one local address stands for both networks).

World format (``accounts.<id>.regions.<region>.cs``)::

    clusters:
      - id: c0123456789abcdef0123456789abcdef   # required
        name: prod                             # required
        type: ManagedKubernetes                # cluster_type (default ManagedKubernetes)
        state: running                         # default running
        reachable: true                        # false: the API server drops every request
        configmaps:                            # served by the Kubernetes front end
          - {name: acr-configuration, namespace: kube-system, data: {acr-registry-info: "..."}}
        secrets:                               # data in plain text; served Base64-encoded, as the API does
          - {name: alibaba-addon-secret, namespace: kube-system, data: {access-key-id: "..."}}
        rbac:                                  # who may read what (the account itself may do everything)
          - {principal: role/acrguard-pullkey-auditor, verbs: [get], resources: [configmaps],
             namespaces: [kube-system], names: [acr-configuration]}
        tokens: {some-token: user/alice}       # static bearer tokens (optional)

A ``principal`` is ``root`` (the account), ``user/<RAM user>`` or ``role/<RAM role>``; ``verbs``
(default ``[get, list]``), ``namespaces`` and ``names`` (default: all) narrow a rule. The account
itself may do everything (ACK makes the cluster's creator its administrator; RAM users and roles
have no RBAC permission until granted: emulator's reading of
https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/authorization-overview).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from localcloud.errors import CloudError
from localcloud.service import Call, Service, page_by_number

if TYPE_CHECKING:
    from localcloud.core.identity import Principal
    from localcloud.core.state import CloudState

SEED_TIME = "2026-01-01T00:00:00+08:00"
#: the validity of a kubeconfig asked for without ``TemporaryDurationMinutes`` (the API page: 3 years)
DEFAULT_VALIDITY_S = 3 * 365 * 24 * 3600
MIN_MINUTES, MAX_MINUTES = 15, 4320
MAX_PAGE_SIZE = 100
DEFAULT_VERBS = frozenset({"get", "list"})
ROOT = "root"


@dataclass(frozen=True)
class Grant:
    """One RBAC rule of a cluster: who may do which verbs on which resources, where."""

    principal: str  # "root", "user/<name>" or "role/<name>"
    verbs: frozenset[str] = DEFAULT_VERBS
    resources: frozenset[str] = frozenset({"configmaps", "secrets"})
    namespaces: frozenset[str] = frozenset()  # empty: every namespace
    names: frozenset[str] = frozenset()  # empty: every object

    def allows(self, principal: str, verb: str, resource: str, namespace: str, name: str | None) -> bool:
        """Whether this rule lets ``principal`` do ``verb`` on ``resource`` (a list needs a rule naming no objects)."""
        if principal.lower() != self.principal.lower() or verb not in self.verbs or resource not in self.resources:
            return False
        if self.namespaces and namespace not in self.namespaces:
            return False
        if self.names:
            return name is not None and name in self.names
        return True


@dataclass
class IssuedCredential:
    """A client certificate ``DescribeClusterUserKubeconfig`` issued: whose it is and until when."""

    serial: int
    principal: str  # as in ``Grant.principal``
    user: str  # the Kubernetes user name (the certificate's CN)
    expires_at: float  # on the cloud's clock


@dataclass
class KubeObject:
    """A ConfigMap or Secret of a cluster (Secret data in plain text; the front end encodes it)."""

    kind: str  # "ConfigMap" or "Secret"
    name: str
    namespace: str
    data: dict[str, str]
    type: str = "Opaque"  # Secrets only
    uid: str = ""


@dataclass
class Cluster:
    """One ACK cluster: what DescribeClustersV1 says of it and what its API server holds."""

    id: str
    name: str
    region: str
    type: str = "ManagedKubernetes"
    state: str = "running"
    profile: str = "Default"
    spec: str = "ack.pro.small"
    version: str = "1.31.1-aliyun.1"
    vpc_id: str = ""
    reachable: bool = True
    objects: dict[tuple[str, str, str], KubeObject] = field(default_factory=dict)  # (resource, ns, name)
    grants: list[Grant] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # bearer token -> principal
    credentials: dict[int, IssuedCredential] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The cluster as DescribeClustersV1 lists it."""
        endpoints = {"api_server_endpoint": "https://198.51.100.10:6443",  # documentation addresses (RFC 5737)
                     "intranet_api_server_endpoint": "https://192.168.0.10:6443"}
        return {"cluster_id": self.id, "name": self.name, "region_id": self.region, "cluster_type": self.type,
                "state": self.state, "profile": self.profile, "cluster_spec": self.spec,
                "current_version": self.version, "init_version": self.version, "created": SEED_TIME,
                "updated": SEED_TIME, "vpc_id": self.vpc_id, "master_url": _json(endpoints), "tags": [],
                "deletion_protection": False, "resource_group_id": "", "size": 3}

    def allows(self, principal: str, verb: str, resource: str, namespace: str, name: str | None) -> bool:
        """RBAC: the account itself may do everything, anyone else what a rule grants."""
        if principal == ROOT:
            return True
        return any(g.allows(principal, verb, resource, namespace, name) for g in self.grants)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


class CsBackend:
    """The clusters of one account in one region."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.region = region
        self.clusters: dict[str, Cluster] = {}

    def seed(self, data: dict[str, Any]) -> None:
        """Load ``clusters:`` from a world file (``ValueError`` naming the entry)."""
        for index, spec in enumerate(data.get("clusters") or []):
            where = f"clusters[{index}]"
            if not isinstance(spec, dict) or not spec.get("id") or not spec.get("name"):
                raise ValueError(f"{where}: needs 'id' and 'name'")
            unknown = set(spec) - {"id", "name", "type", "state", "profile", "spec", "version", "vpc_id", "reachable",
                                   "configmaps", "secrets", "rbac", "tokens"}
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
            cluster = Cluster(str(spec["id"]), str(spec["name"]), self.region,
                              str(spec.get("type", "ManagedKubernetes")), str(spec.get("state", "running")),
                              str(spec.get("profile", "Default")),
                              str(spec.get("spec", "ack.pro.small")), str(spec.get("version", "1.31.1-aliyun.1")),
                              str(spec.get("vpc_id", "")), bool(spec.get("reachable", True)))
            for kind, key in (("ConfigMap", "configmaps"), ("Secret", "secrets")):
                for number, item in enumerate(spec.get(key) or []):
                    cluster.objects[(key, *_object_key(item, f"{where}.{key}[{number}]"))] = _object(kind, item)
            for number, rule in enumerate(spec.get("rbac") or []):
                cluster.grants.append(_grant(rule, f"{where}.rbac[{number}]"))
            tokens = spec.get("tokens") or {}
            cluster.tokens = {str(k): _principal(str(v), f"{where}.tokens") for k, v in tokens.items()}
            self.clusters[cluster.id] = cluster


def _object_key(item: Any, where: str) -> tuple[str, str]:
    if not isinstance(item, dict) or not item.get("name"):
        raise ValueError(f"{where}: needs 'name'")
    data = item.get("data") or {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{where}: 'data' must map keys to strings (Kubernetes keeps strings)")
    return str(item.get("namespace", "kube-system")), str(item["name"])


def _object(kind: str, item: dict[str, Any]) -> KubeObject:
    import uuid

    return KubeObject(kind, str(item["name"]), str(item.get("namespace", "kube-system")),
                      {str(k): v for k, v in (item.get("data") or {}).items()}, str(item.get("type", "Opaque")),
                      str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{item.get('namespace')}/{item['name']}")))


def _principal(value: str, where: str) -> str:
    if value != ROOT and not value.startswith(("user/", "role/")):
        raise ValueError(f"{where}: a principal is 'root', 'user/<name>' or 'role/<name>', got {value!r}")
    return value


def _grant(rule: Any, where: str) -> Grant:
    if not isinstance(rule, dict) or "principal" not in rule:
        raise ValueError(f"{where}: needs 'principal'")

    def names(key: str, default: frozenset[str]) -> frozenset[str]:
        value = rule.get(key)
        if value is None:
            return default
        if not isinstance(value, list):
            raise ValueError(f"{where}.{key}: expected a list")
        return frozenset(str(v) for v in value)

    return Grant(_principal(str(rule["principal"]), f"{where}.principal"), names("verbs", DEFAULT_VERBS),
                 names("resources", frozenset({"configmaps", "secrets"})), names("namespaces", frozenset()),
                 names("names", frozenset()))


SERVICE = Service("cs", "2015-12-15", CsBackend, regional=True)


# -- finding clusters ----------------------------------------------------------------------------

def account_clusters(cloud: CloudState, account_id: str, region: str | None = None) -> list[Cluster]:
    """The clusters of an account (of one region when ``region`` is given), regions sorted."""
    regions = [region] if region else cloud.regions_of("cs", account_id)
    return [c for r in regions for c in cloud.backend("cs", account_id, r).clusters.values()]


def find_cluster(cloud: CloudState, cluster_id: str, account_id: str | None = None) -> tuple[str, Cluster] | None:
    """``(account, cluster)`` for a cluster id (of ``account_id`` only when given), None when none has it."""
    accounts = [account_id] if account_id else sorted(cloud.accounts)
    with cloud.lock:
        for account in accounts:
            for cluster in account_clusters(cloud, account):
                if cluster.id == cluster_id:
                    return account, cluster
    return None


# -- the operations ------------------------------------------------------------------------------

@SERVICE.route("GET", "/api/v1/clusters", action="DescribeClustersV1")
def describe_clusters_v1(call: Call, backend: CsBackend) -> dict[str, Any]:
    """The account's clusters, filtered and paged."""
    page_number = call.get_int("page_number", 1, minimum=1)
    page_size = call.get_int("page_size", 10, minimum=1, maximum=MAX_PAGE_SIZE)
    clusters = account_clusters(call.cloud, call.account_id, call.get("region_id"))
    name = (call.get("name") or "").lower()
    filters = {"cluster_id": "id", "cluster_type": "type", "profile": "profile", "cluster_spec": "spec"}
    wanted = [c for c in clusters if name in c.name.lower()
              and all(call.get(param) in (None, getattr(c, attr)) for param, attr in filters.items())]
    page = page_by_number(wanted, page_number, page_size)
    return {"clusters": [c.body() for c in page],
            "page_info": {"page_number": page_number, "page_size": page_size, "total_count": len(wanted)}}


@SERVICE.route("GET", "/k8s/{ClusterId}/user_config", action="DescribeClusterUserKubeconfig")
def describe_cluster_user_kubeconfig(call: Call, backend: CsBackend) -> dict[str, Any]:
    """A kubeconfig with a fresh client certificate for the caller."""
    cluster_id = call.path_params["ClusterId"]
    found = find_cluster(call.cloud, cluster_id, call.account_id)
    if found is None:
        raise CloudError("ErrorClusterNotFound", f"cluster {cluster_id} not found", 404)
    cluster = found[1]
    minutes = call.get("TemporaryDurationMinutes")
    if minutes is not None:
        duration = call.get_int("TemporaryDurationMinutes", MIN_MINUTES, minimum=MIN_MINUTES, maximum=MAX_MINUTES) * 60
    else:
        duration = DEFAULT_VALIDITY_S
    call.get_bool("PrivateIpAddress", False)  # validated; both answers point at the local front end
    principal, user = kube_identity(call.cloud, call.principal)
    api = kube_api(call.cloud)
    expires_at = call.cloud.clock.now() + duration
    cert_pem, key_pem, serial = api.pki.issue_client(user, expires_at)
    cluster.credentials[serial] = IssuedCredential(serial, principal, user, expires_at)
    expiration = dt.datetime.fromtimestamp(expires_at, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"config": kubeconfig_text(api, cluster, user, cert_pem, key_pem), "expiration": expiration}


def kube_identity(cloud: CloudState, principal: Principal) -> tuple[str, str]:
    """``(principal as RBAC rules name it, Kubernetes user name)`` of an OpenAPI caller."""
    if principal.kind == "assumed-role" and principal.token is not None:
        return f"role/{principal.token.role_name}", principal.token.role_id
    if principal.kind == "ram-user" and principal.user_name:
        user = getattr(cloud.backend("ram", principal.account_id, None), "users", {}).get(principal.user_name)
        return f"user/{principal.user_name}", str(getattr(user, "user_id", None) or principal.user_name)
    return ROOT, principal.account_id


def kubeconfig_text(api: KubeApi, cluster: Cluster, user: str, cert_pem: bytes, key_pem: bytes) -> str:
    """The kubeconfig of ``user`` for ``cluster`` (YAML, as the API hands it out)."""
    context = f"{user}-{cluster.id}"
    document = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": "kubernetes", "cluster": {
            "server": f"https://{api.address}/clusters/{cluster.id}",
            "certificate-authority-data": base64.b64encode(api.pki.ca_pem).decode("ascii")}}],
        "contexts": [{"name": context, "context": {"cluster": "kubernetes", "user": user}}],
        "current-context": context,
        "users": [{"name": user, "user": {"client-certificate-data": base64.b64encode(cert_pem).decode("ascii"),
                                          "client-key-data": base64.b64encode(key_pem).decode("ascii")}}],
    }
    return yaml.safe_dump(document, sort_keys=False)


# -- the Kubernetes CA and the front end's address --------------------------------------------------

class KubePki:
    """The local cloud's Kubernetes CA, the front end's server certificate, and client certificates.

    ECDSA P-256 keys (``cryptography``), quick to make; the server certificate names 127.0.0.1 and
    ``localhost``. Real clusters each have a CA of their own; here one CA stands for all of them
    (emulator's choice: one front end serves every cluster).
    """

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._x509, self._hashes, self._serialization, self._ec, self._oid = x509, hashes, serialization, ec, NameOID
        self._lock = threading.Lock()
        now = dt.datetime.now(dt.timezone.utc)
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localcloud-kubernetes-ca")])
        self._ca_name = ca_name
        self.ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                        .public_key(self._ca_key.public_key()).serial_number(x509.random_serial_number())
                        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                     key_encipherment=False, data_encipherment=False,
                                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                     encipher_only=False, decipher_only=False), critical=True)
                        .sign(self._ca_key, hashes.SHA256()))
        self.ca_pem = self.ca_cert.public_bytes(serialization.Encoding.PEM)
        server_key = ec.generate_private_key(ec.SECP256R1())
        self.server_key_pem = self._key_pem(server_key)
        san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                           x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        server = (self._builder("kube-apiserver", server_key, now, now + dt.timedelta(days=3650))
                  .add_extension(san, critical=False)
                  .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                  .sign(self._ca_key, hashes.SHA256()))
        self.server_cert_pem = server.public_bytes(serialization.Encoding.PEM)

    def _builder(self, common_name: str, key: Any, not_before: dt.datetime, not_after: dt.datetime) -> Any:
        x509 = self._x509
        subject = x509.Name([x509.NameAttribute(self._oid.COMMON_NAME, common_name)])
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(self._ca_name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after))

    def _key_pem(self, key: Any) -> bytes:
        serialization = self._serialization
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def issue_client(self, user: str, expires_at: float) -> tuple[bytes, bytes, int]:
        """A client certificate (PEM), its key (PEM) and serial for Kubernetes user ``user``, until ``expires_at``.

        ``notBefore`` is a minute before the earlier of the wall clock and ``expires_at`` minus a
        day, so the TLS layer accepts it whatever the cloud's clock says; expiry is the front end's
        check against the cloud's clock.
        """
        x509 = self._x509
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        not_after = dt.datetime.fromtimestamp(expires_at, tz=dt.timezone.utc)
        not_before = min(dt.datetime.now(dt.timezone.utc), not_after - dt.timedelta(days=1)) - dt.timedelta(minutes=1)
        with self._lock:
            cert = (self._builder(user, key, not_before, not_after)
                    .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                    .sign(self._ca_key, self._hashes.SHA256()))
        return cert.public_bytes(self._serialization.Encoding.PEM), self._key_pem(key), cert.serial_number


@dataclass
class KubeRequest:
    """One request the Kubernetes front end answered (for tests: who, how authenticated, what status)."""

    cluster_id: str
    method: str
    path: str
    auth: str  # "x509", "token" or "none"
    user: str | None
    status: int


class KubeApi:
    """What the Kubernetes front end and ``DescribeClusterUserKubeconfig`` share: the PKI, the address, a log."""

    def __init__(self) -> None:
        self.pki = KubePki()
        self.address = "127.0.0.1:6443"  # replaced by the front end's own when it starts
        self.requests: list[KubeRequest] = []
        self._lock = threading.Lock()

    def record(self, request: KubeRequest) -> None:
        """Keep one answered request."""
        with self._lock:
            self.requests.append(request)


_ATTRIBUTE = "_localcloud_kube_api"
_lock = threading.Lock()


def kube_api(cloud: CloudState) -> KubeApi:
    """The cloud's ``KubeApi`` (made on first use; kept across worlds, as the front end's address is)."""
    with _lock:
        api = getattr(cloud, _ATTRIBUTE, None)
        if api is None:
            api = KubeApi()
            setattr(cloud, _ATTRIBUTE, api)
        return api
