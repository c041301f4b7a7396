"""The deployable functions: their names, handlers and the distributions each one ships.

One place that the packager, ``s.yaml``'s test, the local invoker and the benchmarks read, so a
function's name or dependencies are never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionSpec:
    """One Function Compute function of acrguard."""

    name: str  # the job and folder name: functions/<name>/index.py
    fc_name: str  # the function name in FC and s.yaml
    distributions: tuple[str, ...]  # direct runtime dependencies (versions pinned in requirements.txt)
    sdk_modules: tuple[str, ...]  # SDK client modules it imports (cold-start budget)
    writer: bool  # changes cloud state: reserved concurrency 1


#: what an organisation needs besides (acrguard.org: AssumeRole, InvokeFunction, the Resource Directory); imported
#: only when the config has an organization section, so a function in one account never loads them
_ORGANIZATION = ("alibabacloud-fc20230330", "alibabacloud-resourcemanager20200331")
_COMMON = ("alibabacloud-oss-v2", "PyYAML", "requests", "alibabacloud-credentials",
           "alibabacloud-tea-openapi", *_ORGANIZATION)

FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in (
    FunctionSpec("endpoint_keeper", "acrguard-endpoint-keeper",
                 ("alibabacloud-cr20181201", "alibabacloud-vpc20160428", "alibabacloud-cbn20170912", "dnspython",
                  "alibabacloud-sts20150401", *_COMMON),
                 ("alibabacloud_cr20181201.client", "alibabacloud_vpc20160428.client",
                  "alibabacloud_cbn20170912.client"), writer=True),
    # STS: GetCallerIdentity tells the guard's own ACL changes from other people's.
    FunctionSpec("whitelist_guard", "acrguard-whitelist-guard",
                 ("alibabacloud-cr20181201", "alibabacloud-sts20150401", "dnspython", *_COMMON),
                 ("alibabacloud_cr20181201.client", "alibabacloud_sts20150401.client"), writer=True),
    # IMS: GetUser by AccessKey id and the credential report (acrguard.pullkeys.imsapi); ACK and the Kubernetes
    # client: the clusters' acr-configuration ConfigMaps (acrguard.pullkeys.clusters, imported only when configured)
    FunctionSpec("pullkey_auditor", "acrguard-pullkey-auditor",
                 ("alibabacloud-ram20150501", "alibabacloud-ims20190815", "alibabacloud-cs20151215", "kubernetes",
                  "alibabacloud-sts20150401", *_COMMON),
                 ("alibabacloud_ram20150501.client", "alibabacloud_ims20190815.client",
                  "alibabacloud_cs20151215.client"), writer=False),
    FunctionSpec("image_advisor", "acrguard-image-advisor",
                 ("alibabacloud-cr20181201", "alibabacloud-sts20150401", *_COMMON),
                 ("alibabacloud_cr20181201.client",), writer=True),
)}


def function(name: str) -> FunctionSpec:
    """The function called ``name`` (job name or FC name); ``KeyError`` with the known names."""
    for spec in FUNCTIONS.values():
        if name in (spec.name, spec.fc_name):
            return spec
    raise KeyError(f"unknown function {name!r}; known: {', '.join(sorted(FUNCTIONS))}")
