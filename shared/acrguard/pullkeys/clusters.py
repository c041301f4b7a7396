"""Pull keys kept in ACK clusters: list the clusters, open each with a short-lived kubeconfig, read its ConfigMap.

The self-managed aliyun-acr-credential-helper reads ``kube-system/acr-configuration``, whose
``acr-registry-info`` may hold a RAM user's ``customAccessKey`` in plain text (the ACR docs:
https://www.alibabacloud.com/help/en/acr/user-guide/non-secret-pulling-container-image and the
cross-account page). That ConfigMap lives in the cluster, so ``pull_keys.clusters``
(``acrguard.config.pullkeys.ClusterSources``) reads it there:

1. ``DescribeClustersV1`` (cs 2015-12-15, ``GET /api/v1/clusters``; RAM action ``cs:GetClusters``)
   lists the clusters, ``PAGE_SIZE`` a page, following ``page_info.total_count``; one listing
   without ``region_id`` (every region) unless ``regions`` are configured, then one per region.
   ``cluster_ids`` and ``names`` narrow the list on this side.
2. ``DescribeClusterUserKubeconfig`` (``GET /k8s/{ClusterId}/user_config``; RAM action
   ``cs:DescribeClusterUserKubeconfig``) hands out a kubeconfig for the auditor's own identity,
   valid ``kubeconfig_minutes`` (``TemporaryDurationMinutes``; 15, the API's minimum, by default)
   and addressed as ``private_ip_address`` says. It is used at once and never stored or logged.
3. The Kubernetes API (the official ``kubernetes`` client, ``acrguard.pullkeys.kubeapi``) reads the
   ConfigMap. Inside the cluster, the identity needs RBAC ``get`` on that one ConfigMap.

What else the helper keeps, and why only one more object is read: the helper writes Secrets of
type ``kubernetes.io/dockerconfigjson`` into the watched namespaces, but they hold the temporary
registry username and password it gets from ACR (``GetAuthorizationToken``) and renews before they
expire (the same ACR pages: "obtains a temporary username and password from the ACR instance ...
saves [them] to a Secret"), not an AccessKey: acrguard does not read them. A registered
(``ExternalKubernetes``) cluster keeps the AccessKey pair its add-ons use, the helper's included, in
the Secret ``kube-system/alibaba-addon-secret`` (keys ``access-key-id`` and ``access-key-secret``;
ACK's "Pull images without a password in a self-managed Kubernetes cluster",
https://www.alibabacloud.com/help/en/ack/pull-images-without-a-password-in-a-self-managed-kubernetes-cluster,
as published in AlibabaCloudDocs): a long-term key, so ``addon_secret`` (``auto``: registered
clusters only) reads its ``access-key-id``. The secret value is decoded with it by the API and
dropped at once; it is never kept, logged or shown.

Outcomes: a ConfigMap read is linted (``acrguard.pullkeys.configmap``; its ``data`` values are YAML
strings, parsed with the bounded loader) as ``render_configmap`` writes it, which is how
``kubectl get configmap acr-configuration -n kube-system -o yaml`` prints it (``data`` first, each
multi-line value a literal block), so line numbers can be found there. A ConfigMap the API says does
not exist (404) is absent: that cluster holds no key there. Anything else (RAM refusing the
kubeconfig, 401, 403, no answer, an unusable kubeconfig) leaves the cluster unknown, never absent.
Clusters being created, failed, being deleted or deleted (``GONE_STATES``) have no API server and
are not read.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acrguard.clients import ClientFactory, call
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.pullkeys import kubeapi
from acrguard.pullkeys.configmap import ConfigMapReport, lint_text

if TYPE_CHECKING:
    from acrguard.config.pullkeys import ClusterSources
    from acrguard.pullkeys.sources import ConfigMapKey, PullKeySearch
    from acrguard.pullkeys.workers import Progress

CONFIGMAP = ("kube-system", "acr-configuration")
ADDON_SECRET = ("kube-system", "alibaba-addon-secret")
ADDON_KEY_FIELD = "access-key-id"
#: clusters a ``DescribeClustersV1`` page asks for (what public clients use, e.g. steampipe-plugin-alicloud)
PAGE_SIZE = 50
MAX_PAGES = 1000
REGISTERED = "ExternalKubernetes"
#: states (``DescribeClustersV1ResponseBodyClusters.state``) in which a cluster has no API server to read
GONE_STATES = frozenset({"initial", "failed", "deleting", "deleted"})

#: ``ClusterRead.error_kind`` besides the ``kubeapi`` kinds: RAM or the cs API refused the kubeconfig
CLOUD = "cloud"


@dataclass(frozen=True)
class ClusterRef:
    """One cluster as ``DescribeClustersV1`` lists it."""

    cluster_id: str
    name: str
    region: str
    cluster_type: str = ""
    state: str = ""

    @property
    def label(self) -> str:
        """``prod (c5b5…, cn-hangzhou)``."""
        return f"{self.name} ({self.cluster_id}, {self.region})"

    def source(self, namespace: str, name: str) -> str:
        """Where an object of the cluster is: ``ack:<region>/<cluster id>/<namespace>/<name>``."""
        return f"ack:{self.region}/{self.cluster_id}/{namespace}/{name}"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"cluster_id": self.cluster_id, "name": self.name, "region": self.region,
                "cluster_type": self.cluster_type, "state": self.state}


@dataclass(frozen=True)
class ClusterRead:
    """What one cluster yielded: its ConfigMap linted, absent, or unknown (``error``), and the add-on key."""

    cluster: ClusterRef
    report: ConfigMapReport | None = None
    absent: bool = False  # the API said 404: no ConfigMap, no key there
    error: str | None = None  # unknown: why the ConfigMap could not be read
    error_kind: str | None = None  # CLOUD or a kubeapi kind
    kube_user: str | None = None  # the Kubernetes user the kubeconfig names (for the RBAC fix)
    addon_read: bool = False  # whether alibaba-addon-secret was asked for
    addon_key_id: str | None = field(default=None, repr=False)
    addon_error: str | None = None
    addon_error_kind: str | None = None
    skipped: str | None = None  # not read: the cluster has no API server (GONE_STATES)

    @property
    def complete(self) -> bool:
        """Whether everything asked of the cluster was answered (nothing about it is unknown)."""
        return self.error is None and self.addon_error is None

    @property
    def source(self) -> str:
        """Where the ConfigMap is."""
        return self.cluster.source(*CONFIGMAP)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (no key id, no secret)."""
        status = ("skipped" if self.skipped else "unreadable" if self.error else "absent" if self.absent
                  else "read")
        return {**self.cluster.to_dict(), "configmap": status, "error": self.error,
                "addon_secret": ("unreadable" if self.addon_error else "read" if self.addon_read else None),
                "addon_error": self.addon_error, "skipped": self.skipped,
                "problems": len(self.report.errors) if self.report is not None else None}


@dataclass
class ClusterSweep:
    """Every cluster listed and what each yielded; ``listing_error``: the listing itself failed (all unknown)."""

    reads: list[ClusterRead] = field(default_factory=list)
    listing_error: str | None = None
    missing_ids: tuple[str, ...] = ()  # configured cluster ids the listing does not have

    @property
    def complete(self) -> bool:
        """Whether every cluster was listed and read."""
        return self.listing_error is None and all(r.complete for r in self.reads)


# -- listing -----------------------------------------------------------------------------------------

def _cs_models() -> Any:
    from alibabacloud_cs20151215 import models

    return models


def list_clusters(factory: ClientFactory, sources: ClusterSources) -> list[ClusterRef]:
    """The clusters ``sources`` selects (``DescribeClustersV1``, every page); a failed page raises."""
    models = _cs_models()
    found: dict[str, ClusterRef] = {}
    for region in sources.regions or (None,):
        client = factory.client("cs", region)
        for page in range(1, MAX_PAGES + 1):
            request = models.DescribeClustersV1Request(page_number=page, page_size=PAGE_SIZE, region_id=region)
            body = call("cs", "DescribeClustersV1", client.describe_clusters_v1, request, retry=factory.retry)
            clusters = list(body.clusters or [])
            for item in clusters:
                if item.cluster_id:
                    found.setdefault(item.cluster_id, ClusterRef(item.cluster_id, item.name or "",
                                                                 item.region_id or region or factory.region,
                                                                 item.cluster_type or "", item.state or ""))
            total = body.page_info.total_count if body.page_info is not None else None
            if not clusters or len(clusters) < PAGE_SIZE or (total is not None and page * PAGE_SIZE >= total):
                break
    return [c for c in found.values() if selected(c, sources)]


def selected(cluster: ClusterRef, sources: ClusterSources) -> bool:
    """Whether ``sources`` names ``cluster`` (by id, by name pattern, by region; each empty: any)."""
    return ((not sources.cluster_ids or cluster.cluster_id in sources.cluster_ids)
            and (not sources.names or any(fnmatch.fnmatchcase(cluster.name, p) for p in sources.names))
            and (not sources.regions or cluster.region in sources.regions))


# -- one cluster -------------------------------------------------------------------------------------

def fetch_kubeconfig(factory: ClientFactory, cluster: ClusterRef, sources: ClusterSources) -> str:
    """A kubeconfig for the caller, valid ``kubeconfig_minutes`` (``DescribeClusterUserKubeconfig``)."""
    client = factory.client("cs", cluster.region)
    request = _cs_models().DescribeClusterUserKubeconfigRequest(
        private_ip_address=sources.private_ip_address, temporary_duration_minutes=sources.kubeconfig_minutes)
    body = call("cs", "DescribeClusterUserKubeconfig", client.describe_cluster_user_kubeconfig, cluster.cluster_id,
                request, retry=factory.retry)
    return str(body.config or "")


def wants_addon_secret(cluster: ClusterRef, sources: ClusterSources) -> bool:
    """Whether ``alibaba-addon-secret`` is read in ``cluster``."""
    return sources.addon_secret == "always" or (sources.addon_secret == "auto" and cluster.cluster_type == REGISTERED)


def read_cluster(factory: ClientFactory, cluster: ClusterRef, sources: ClusterSources) -> ClusterRead:
    """What ``cluster`` holds: its ConfigMap linted (or absent, or why unknown) and, if asked, the add-on key.

    A transient error of the cs API is raised (the run is retried); every other failure is the
    cluster's ``error``.
    """
    if cluster.state in GONE_STATES:
        return ClusterRead(cluster, skipped=f"the cluster is {cluster.state}: it has no API server to read")
    try:
        kubeconfig = fetch_kubeconfig(factory, cluster, sources)
    except TransientCloudError:
        raise
    except CloudCallError as exc:
        return ClusterRead(cluster, error=str(exc), error_kind=CLOUD)
    try:
        session = kubeapi.KubeSession(kubeconfig, timeout_s=sources.timeout_s)
    except kubeapi.KubeReadError as exc:
        return ClusterRead(cluster, error=exc.message, error_kind=exc.kind)
    user = kube_user(session.access)
    addon = wants_addon_secret(cluster, sources)
    with session:
        try:
            data = session.config_map(*CONFIGMAP)
        except kubeapi.KubeReadError as exc:
            read = ClusterRead(cluster, error=exc.message, error_kind=exc.kind, kube_user=user)
        else:
            report = lint_text(render_configmap(*CONFIGMAP, data), cluster.source(*CONFIGMAP)) if data is not None \
                else None
            read = ClusterRead(cluster, report=report, absent=data is None, kube_user=user)
        if not addon:
            return read
        try:
            secret = session.secret(*ADDON_SECRET)
        except kubeapi.KubeReadError as exc:
            return _with(read, addon_read=True, addon_error=exc.message, addon_error_kind=exc.kind)
        key_id = (secret or {}).get(ADDON_KEY_FIELD, "").strip() or None
        return _with(read, addon_read=True, addon_key_id=key_id)


def _with(read: ClusterRead, **changes: Any) -> ClusterRead:
    from dataclasses import replace

    return replace(read, **changes)


def kube_user(access: kubeapi.Access) -> str | None:
    """The Kubernetes user a kubeconfig's client certificate names (its subject CN), None without one."""
    if access.cert_pem is None:
        return None
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        names = x509.load_pem_x509_certificate(access.cert_pem).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return None
    return str(names[0].value) if names else None


def read_clusters(factory: ClientFactory, sources: ClusterSources, *, progress: Progress | None = None) -> ClusterSweep:
    """List the clusters and read each (``sources.workers`` at a time); a failed listing is the sweep's error."""
    from acrguard.pullkeys.workers import bounded

    try:
        clusters = list_clusters(factory, sources)
    except TransientCloudError:
        raise
    except CloudCallError as exc:
        return ClusterSweep(listing_error=str(exc))
    listed = {c.cluster_id for c in clusters}
    missing = tuple(i for i in sources.cluster_ids if i not in listed)
    outcome = bounded(sources.workers, clusters, lambda c: read_cluster(factory, c, sources), progress=progress,
                      phase="clusters")
    reads = []
    for cluster in clusters:
        value = outcome[cluster]
        reads.append(value if isinstance(value, ClusterRead)
                     else ClusterRead(cluster, error=str(value), error_kind=CLOUD))
    return ClusterSweep(reads, None, missing)


def record_clusters(search: PullKeySearch, factory: ClientFactory, sources: ClusterSources, *,
                    progress: Progress | None = None) -> list[ConfigMapKey]:
    """Read the clusters into ``search.clusters`` and return the keys they hold."""
    sweep = read_clusters(factory, sources, progress=progress)
    search.clusters = sweep
    return [key for read in sweep.reads for key in cluster_keys(read)]


def cluster_keys(read: ClusterRead) -> list[ConfigMapKey]:
    """The AccessKey ids a cluster holds: the ConfigMap's, then the add-on Secret's."""
    from dataclasses import replace

    from acrguard.pullkeys.sources import ConfigMapKey, configmap_keys

    cluster = read.cluster
    keys = [replace(k, cluster_id=cluster.cluster_id) for k in
            (configmap_keys(read.report, cluster.name) if read.report is not None else [])]
    if read.addon_key_id:
        keys.append(ConfigMapKey(read.addon_key_id, cluster.source(*ADDON_SECRET), cluster.name,
                                 cluster_id=cluster.cluster_id, kind="secret"))
    return keys


# -- the ConfigMap as text ---------------------------------------------------------------------------

def render_configmap(namespace: str, name: str, data: Mapping[str, str] | None) -> str:
    """The ConfigMap as YAML, laid out as ``kubectl get -o yaml`` prints it, for the linter.

    Multi-line values become literal blocks (``|``), so the lines of ``acr-registry-info`` keep
    their own indentation and the lint's positions fall on them. The text is checked to load back
    to the same ``data``; where the literal layout cannot say a value exactly, the value is written
    as PyYAML quotes it instead.
    """
    import yaml

    from acrguard import boundedyaml

    head = ["apiVersion: v1"]
    tail = ["kind: ConfigMap", "metadata:", f"  name: {_scalar(name)}", f"  namespace: {_scalar(namespace)}"]
    body: list[str] = []
    if data is not None:
        body.append("data:" if data else "data: {}")
        for key, value in data.items():
            body.extend(_entry(str(key), str(value)))
    text = "\n".join([*head, *body, *tail]) + "\n"
    try:
        same = (boundedyaml.load(text, "configmap") or {}).get("data") == (dict(data) if data is not None else None)
    except (boundedyaml.YamlLimitError, yaml.YAMLError):
        same = False
    if same:
        return text
    document: dict[str, Any] = {"apiVersion": "v1"}
    if data is not None:
        document["data"] = dict(data)
    document.update({"kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}})
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=2**30)


def _scalar(value: str) -> str:
    """``value`` as one line of YAML (plain when it can be, quoted otherwise)."""
    import yaml

    return yaml.safe_dump(value, allow_unicode=True, width=2**30).split("\n...")[0].strip("\n")


def _entry(key: str, value: str) -> list[str]:
    """``  key: value`` lines, a literal block for a multi-line value."""
    if "\n" not in value or not value.strip() or any(ch in value for ch in "\r\x85\u2028\u2029") \
            or any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        return [f"  {_scalar(key)}: {_scalar(value)}"]
    chomp = "+" if value.endswith("\n\n") else "" if value.endswith("\n") else "-"
    content = value[:-1] if value.endswith("\n") else value
    lines = content.split("\n")
    first = next((line for line in lines if line.strip()), "")
    indicator = "2" if first[:1] in (" ", "\t") else ""
    return [f"  {_scalar(key)}: |{chomp}{indicator}", *(("    " + line) if line else "" for line in lines)]
