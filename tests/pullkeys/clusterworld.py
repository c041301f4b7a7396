"""ACK clusters for the pull-key auditor's tests, on top of the pull-user world of ``pullworld``.

=========  ===========  ====================  =================================================================
cluster    region       type                  what it holds
=========  ===========  ====================  =================================================================
prod       cn-hangzhou  ManagedKubernetes     acr-configuration: ack-puller's key, and a key nobody owns
staging    cn-hangzhou  ManagedKubernetes     acr-configuration pasted without indenting the list (does not parse)
bare       cn-hangzhou  ManagedKubernetes     no acr-configuration (the helper uses the worker role)
edge       cn-beijing   ExternalKubernetes    no acr-configuration; alibaba-addon-secret with wide-puller's key
dark       cn-beijing   ManagedKubernetes     an API server nobody can reach
=========  ===========  ====================  =================================================================

Every cluster lets the auditor's function role (``role/acrguard-pullkey-auditor``) get exactly those
two objects; the account's root may read everything.
"""

from __future__ import annotations

from typing import Any

from pullkeys.pullworld import KEYS, pull_world
from support import ACCOUNT, INSTANCE_ID, REGION

OTHER_REGION = "cn-beijing"
NOBODY = "LTAI5tNobodyOwnsThis01"
IDS = {name: f"c{index:02d}" + "0" * 30 for index, name in enumerate(("prod", "staging", "bare", "edge", "dark"))}
AUDITOR_ROLE = "acrguard-pullkey-auditor"

PROD_INFO = (f"- instanceId: {INSTANCE_ID}\n  regionId: {REGION}\n  customAccessKey: {KEYS['ack-puller']}\n"
             "  customAccessKeySecret: top-secret-prod\n"
             f"- instanceId: {INSTANCE_ID}\n  customAccessKey: {NOBODY}\n  customAccessKeySecret: top-secret-2\n")
#: a list item whose keys do not line up (the second key is indented one space more)
STAGING_INFO = f"- instanceId: {INSTANCE_ID}\n   regionId: {REGION}\n"

AUDITOR_GRANTS = [
    {"principal": f"role/{AUDITOR_ROLE}", "verbs": ["get"], "resources": ["configmaps"],
     "namespaces": ["kube-system"], "names": ["acr-configuration"]},
    {"principal": f"role/{AUDITOR_ROLE}", "verbs": ["get"], "resources": ["secrets"],
     "namespaces": ["kube-system"], "names": ["alibaba-addon-secret"]},
]


def configmap(info: str) -> dict[str, Any]:
    """The helper's ConfigMap with ``acr-registry-info`` set to ``info``."""
    return {"name": "acr-configuration", "namespace": "kube-system",
            "data": {"acr-registry-info": info, "watch-namespace": "all", "service-account": "default"}}


def clusters() -> dict[str, list[dict[str, Any]]]:
    """region -> the world's cluster entries (see the module docstring)."""
    def entry(name: str, **extra: Any) -> dict[str, Any]:
        return {"id": IDS[name], "name": name, "rbac": AUDITOR_GRANTS, **extra}

    return {
        REGION: [entry("prod", configmaps=[configmap(PROD_INFO)]),
                 entry("staging", configmaps=[configmap(STAGING_INFO)]),
                 entry("bare")],
        OTHER_REGION: [entry("edge", type="ExternalKubernetes", secrets=[
                           {"name": "alibaba-addon-secret", "data": {"access-key-id": KEYS["wide-puller"],
                                                                     "access-key-secret": "top-secret-addon"}}]),
                       entry("dark", reachable=False)],
    }


def cluster_world() -> dict[str, Any]:
    """The pull-user world with the clusters of the module docstring."""
    data = pull_world()
    regions = data["accounts"][ACCOUNT].setdefault("regions", {})
    for region, entries in clusters().items():
        regions.setdefault(region, {})["cs"] = {"clusters": entries}
    return data
