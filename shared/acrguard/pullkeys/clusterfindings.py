"""The pull-key audit's findings about ACK clusters, each naming the cluster (id, name, region) and the object.

Scopes (``Finding.scope``), so that what is unknown stays as it was (``acrguard.alerts``):

* ``ack-cluster/<id>``: what the cluster's ConfigMap (and add-on Secret) says: a ConfigMap that does
  not parse, a key no RAM user owns. Observed only when the cluster was read completely.
* ``ack-cluster-read/<id>``: that the cluster could not be read. Its own scope, so that reporting
  it never resolves the findings of ``ack-cluster/<id>``, which are unknown this run.
* ``ack-clusters``: the listing failed, or a configured cluster id is not listed.

(``acrguard.pullkeys.audit.CLUSTER_SCOPES`` names these prefixes; this module is imported only
when clusters are configured.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from acrguard.events.routing import PULLKEY_AUDITOR
from acrguard.findings import Finding, Severity
from acrguard.pullkeys import kubeapi
from acrguard.pullkeys.audit import CLUSTER_SCOPES, RULE_CONFIGMAP_INVALID
from acrguard.pullkeys.clusters import ADDON_SECRET, CLOUD, CONFIGMAP, ClusterRead, ClusterSweep

if TYPE_CHECKING:
    from acrguard.config.pullkeys import ClusterSources

RULE_CLUSTER_UNREADABLE = "pullkey.cluster-unreadable"
RULE_CLUSTERS_UNLISTED = "pullkey.clusters-unlisted"
RULE_CLUSTER_NOT_FOUND = "pullkey.cluster-not-found"
LIST_SCOPE = "ack-clusters"


def cluster_scope(cluster_id: str) -> str:
    """The scope of what a cluster's ConfigMap and Secret say."""
    return f"ack-cluster/{cluster_id}"


def read_scope(cluster_id: str) -> str:
    """The scope of a cluster's "could not be read" finding."""
    return f"ack-cluster-read/{cluster_id}"


def observed_scopes(sweep: ClusterSweep) -> set[str]:
    """The cluster scopes this sweep observed completely (skipped clusters hold nothing, so they count)."""
    return {cluster_scope(r.cluster.cluster_id) for r in sweep.reads if r.complete}


def sweep_findings(sweep: ClusterSweep, sources: ClusterSources | None) -> list[Finding]:
    """Every cluster finding of a sweep (unowned keys aside: the audit reports those)."""
    findings: list[Finding] = []
    if sweep.listing_error is not None:
        findings.append(Finding(
            RULE_CLUSTERS_UNLISTED, Severity.MEDIUM, "ack-clusters", "The ACK clusters could not be listed",
            f"{sweep.listing_error}. No cluster's acr-configuration ConfigMap was read; pull keys they hold were not "
            "audited, and earlier findings about them are kept.",
            fix="Grant the auditor's role cs:GetClusters (DescribeClustersV1) on acs:cs:*:<account>:cluster/* "
                "(deploy/policies/acrguard-pullkey-auditor.json).",
            scope=LIST_SCOPE, job=PULLKEY_AUDITOR))
    for cluster_id in sweep.missing_ids:
        findings.append(Finding(
            RULE_CLUSTER_NOT_FOUND, Severity.LOW, f"ack-cluster/{cluster_id}",
            f"Cluster {cluster_id} is configured but not listed",
            f"pull_keys.clusters.cluster_ids names {cluster_id}, which DescribeClustersV1 does not list"
            + (f" in {', '.join(sources.regions)}" if sources is not None and sources.regions else "") + ".",
            fix="Fix the id, or remove it from pull_keys.clusters.cluster_ids if the cluster was deleted.",
            scope=LIST_SCOPE, labels={"cluster_id": cluster_id}, job=PULLKEY_AUDITOR))
    for read in sweep.reads:
        findings.extend(read_findings(read))
    return findings


def read_findings(read: ClusterRead) -> list[Finding]:
    """A cluster's findings: an object that could not be read (ConfigMap, add-on Secret), a ConfigMap that does not
    parse."""
    cluster = read.cluster
    labels = {"cluster_id": cluster.cluster_id, "region": cluster.region}
    evidence: dict[str, Any] = {"cluster": cluster.to_dict()}
    findings = []
    for error, kind, (namespace, name) in ((read.error, read.error_kind, CONFIGMAP),
                                           (read.addon_error, read.addon_error_kind, ADDON_SECRET)):
        if error is None:
            continue
        what = "Secret" if (namespace, name) == ADDON_SECRET else "ConfigMap"
        findings.append(Finding(
            RULE_CLUSTER_UNREADABLE, Severity.MEDIUM, f"ack-cluster/{cluster.cluster_id}/{namespace}/{name}",
            f"{what} {namespace}/{name} of cluster {cluster.label} could not be read",
            f"{error}. Pull keys it may hold were not audited; earlier findings about this cluster are kept.",
            fix=unreadable_fix(read, kind, (namespace, name)), scope=read_scope(cluster.cluster_id),
            labels={**labels, "object": f"{namespace}/{name}"}, evidence={**evidence, "error_kind": kind},
            job=PULLKEY_AUDITOR))
    report = read.report
    if report is not None and report.errors:
        problems = "; ".join(f"line {p.line}: {p.message}" for p in report.errors[:5])
        findings.append(Finding(
            RULE_CONFIGMAP_INVALID, Severity.MEDIUM, f"ack-cluster/{cluster.cluster_id}/{'/'.join(CONFIGMAP)}",
            f"ConfigMap {'/'.join(CONFIGMAP)} of cluster {cluster.label} does not parse",
            f"aliyun-acr-credential-helper may not read it; pull keys may still be present. {problems} (lines of "
            "kubectl get configmap acr-configuration -n kube-system -o yaml)",
            fix=f"Fix it in cluster {cluster.label}: kubectl -n kube-system edit configmap acr-configuration. To lint "
                "a copy: kubectl -n kube-system get configmap acr-configuration -o yaml > acr-configuration.yaml, "
                "then python -m acrguard configmap lint acr-configuration.yaml",
            scope=cluster_scope(cluster.cluster_id), labels=labels,
            evidence={**evidence, "source": report.source, "problems": [p.to_dict() for p in report.errors]},
            job=PULLKEY_AUDITOR))
    return findings


def unreadable_fix(read: ClusterRead, kind: str | None, obj: tuple[str, str]) -> str:
    """What to do about an object that could not be read, by why."""
    namespace, name = obj
    resource = "secrets" if obj == ADDON_SECRET else "configmaps"
    if kind == CLOUD:
        return ("Grant the auditor's role cs:DescribeClusterUserKubeconfig on "
                f"acs:cs:{read.cluster.region}:<account>:cluster/{read.cluster.cluster_id} "
                "(deploy/policies/acrguard-pullkey-auditor.json); if the cluster was just deleted, nothing is needed.")
    if kind == kubeapi.FORBIDDEN:
        user = read.kube_user or "<the auditor's Kubernetes user, in the message above>"
        return (f"Let the auditor read it in cluster {read.cluster.label}: kubectl -n {namespace} create role "
                f"acrguard-pullkey-read --verb=get --resource={resource} --resource-name={name} and kubectl -n "
                f"{namespace} create rolebinding acrguard-pullkey-read --role=acrguard-pullkey-read --user={user} "
                "(or grant a custom role in the ACK console's Authorizations page).")
    if kind == kubeapi.UNAUTHORIZED:
        return ("The API server did not accept the kubeconfig's credential (revoked, or issued for another "
                "cluster): check the cluster's kubeconfig management in the ACK console; the next run asks for a "
                "new one.")
    if kind == kubeapi.UNREACHABLE:
        return ("Make the API server reachable from the auditor: with pull_keys.clusters.private_ip_address true the "
                "function must run in the cluster's VPC (vpcConfig in s.yaml); with false the API server needs a "
                "public endpoint (an EIP). Or narrow pull_keys.clusters to the clusters it can reach.")
    if kind == kubeapi.KUBECONFIG:
        return "The kubeconfig ACK returned cannot be used as it is; see the message above."
    return "Check the cluster's API server; the next run tries again."


__all__ = ["CLUSTER_SCOPES", "LIST_SCOPE", "RULE_CLUSTERS_UNLISTED", "RULE_CLUSTER_NOT_FOUND",
           "RULE_CLUSTER_UNREADABLE", "RULE_CONFIGMAP_INVALID", "cluster_scope", "observed_scopes", "read_findings",
           "read_scope", "sweep_findings", "unreadable_fix"]
