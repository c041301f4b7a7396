"""Generate ``acrguard/data/cr_actions.json``, the catalog of ACR (``cr``) RAM actions.

Run ``python -m acrguard.policy.catalog_gen`` to rewrite the data file, ``--check`` to compare
(exit 1 and a unified diff when they differ; the test suite runs the same check).

Where the actions come from:

* every operation of the installed ``alibabacloud-cr20181201`` SDK: the ``action = '...'`` of each
  ``*_with_options`` method in its ``client.py`` (read with ``ast``, the SDK is not imported). ACR
  EE authorises most APIs with an action of the same name (API reference "Authorization
  information" sections, e.g. cr:CreateRepository for CreateRepository);
* registry-plane actions that are no API: ``cr:PullRepository`` and ``cr:PushRepository``
  (RAM authorization information for ACR, doc-detail/144229);
* documented action names that differ from their API name (``docs``), e.g. the UpdateRepoSourceCodeRepo
  API is authorised as ``cr:UpdateSourceRepository``
  (https://alibabacloud.com/help/en/acr/developer-reference/api-cr-2018-12-01-updatereposourcecoderepo).

Access levels come from ``REVIEWED``, a table a person has read line by line. An SDK operation
missing from it still enters the catalog, with a level guessed from its verb and
``"reviewed": false``, so a new SDK release shows up in the diff of the data file and in a failing
test until someone reviews it. A reviewed SDK action the SDK no longer has is dropped (the diff
shows it) and reported.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import sys
from importlib import metadata, util
from pathlib import Path
from typing import Any

SDK_PACKAGE = "alibabacloud-cr20181201"
SDK_MODULE = "alibabacloud_cr20181201"
DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "cr_actions.json"

_READ = """
GetArtifactBuildRule GetArtifactBuildTask GetArtifactLifecycleRule GetArtifactSubscriptionRule
GetArtifactSubscriptionTask GetArtifactSubscriptionTaskResult GetAuthorizationToken GetChain GetChartNamespace
GetChartRepository GetInstance GetInstanceCount GetInstanceCustomizedDomain GetInstanceEndpoint GetInstanceUsage
GetInstanceVpcEndpoint GetNamespace GetRepoBuildRecord GetRepoBuildRecordStatus GetRepoSourceCodeRepo GetRepoSyncTask
GetRepoTag GetRepoTagScanStatus GetRepoTagScanSummary GetRepository GetScanRule GetStorageDomainRoutingRule
"""
_LIST = """
ListArtifactBuildTaskLog ListArtifactLifecycleRule ListArtifactSubscriptionRule ListArtifactSubscriptionTask
ListChain ListChainInstance ListChartNamespace ListChartRelease ListChartRepository ListEventCenterRecord
ListEventCenterRuleName ListInstance ListInstanceEndpoint ListInstanceRegion ListNamespace ListRepoBuildRecord
ListRepoBuildRecordLog ListRepoBuildRule ListRepoSyncRule ListRepoSyncTask ListRepoTag ListRepoTagScanResult
ListRepoTrigger ListRepository ListScanBaselineByTask ListScanMaliciousFileByTask ListScanRule ListTagResources
"""
_WRITE = """
CancelArtifactBuildTask CancelRepoBuildRecord CancelRepoSyncTask ChangeResourceGroup CreateArtifactBuildRule
CreateArtifactLifecycleRule CreateArtifactSubscriptionRule CreateArtifactSubscriptionTask CreateBuildRecordByRecord
CreateBuildRecordByRule CreateChain CreateChartNamespace CreateChartRepository CreateInstanceCustomizedDomain
CreateInstanceEndpointAclPolicy CreateInstanceVpcEndpointLinkedVpc CreateNamespace CreateRepoBuildRule
CreateRepoSourceCodeRepo CreateRepoSyncRule CreateRepoSyncTask CreateRepoSyncTaskByRule CreateRepoTag
CreateRepoTagScanTask CreateRepoTrigger CreateRepository CreateScanRule CreateStorageDomainRoutingRule
DeleteArtifactLifecycleRule DeleteArtifactSubscriptionRule DeleteChain DeleteChartNamespace DeleteChartRelease
DeleteChartRepository DeleteEventCenterRule DeleteInstanceCustomizedDomain DeleteInstanceEndpointAclPolicy
DeleteInstanceVpcEndpointLinkedVpc DeleteNamespace DeleteRepoBuildRule DeleteRepoSyncRule DeleteRepoTag
DeleteRepoTrigger DeleteRepository DeleteScanRule DeleteStorageDomainRoutingRule ResetLoginPassword TagResources
UntagResources UpdateArtifactLifecycleRule UpdateArtifactSubscriptionRule UpdateChain UpdateChartNamespace
UpdateChartRepository UpdateEventCenterRule UpdateInstanceCustomizedDomain UpdateInstanceEndpointStatus
UpdateNamespace UpdateRepoBuildRule UpdateRepoSourceCodeRepo UpdateRepoTrigger UpdateRepository UpdateScanRule
UpdateStorageDomainRoutingRule
"""

#: Notes on the actions whose level or meaning is worth a sentence.
_NOTES = {
    "GetAuthorizationToken": "issues a temporary registry password carrying the caller's permissions; authorised "
                             "on resource * (doc-detail/144948)",
    "ListInstanceEndpoint": "lets aliyun-acr-credential-helper discover instance domains",
    "ResetLoginPassword": "sets the registry login password",
    "CreateRepoSyncRule": "the API page once listed it as Read; it creates a rule, so write",
    "CreateRepoTag": "copies a tag into a new tag (writes to the repository)",
    "CreateInstanceEndpointAclPolicy": "adds a public endpoint whitelist entry",
    "UpdateInstanceEndpointStatus": "enables or disables an endpoint",
    "PullRepository": "docker pull",
    "PushRepository": "docker push",
    "UpdateSourceRepository": "authorises the UpdateRepoSourceCodeRepo API",
}

#: Reviewed access level of every known action: name -> (level, origin, api).
REVIEWED: dict[str, tuple[str, str, str | None]] = {
    **{name: ("read", "sdk", name) for name in _READ.split()},
    **{name: ("list", "sdk", name) for name in _LIST.split()},
    **{name: ("write", "sdk", name) for name in _WRITE.split()},
    "PullRepository": ("read", "registry", None),
    "PushRepository": ("write", "registry", None),
    "UpdateSourceRepository": ("write", "docs", "UpdateRepoSourceCodeRepo"),
    # ListRepoTag and GetRepoTag are authorised as cr:ListRepositoryTag (Read) (doc-detail/145295,
    # doc-detail/371968); GetRepoTagScanStatus as cr:GetScan (Read) (doc-detail/160558).
    "ListRepositoryTag": ("read", "docs", "ListRepoTag"),
    "GetScan": ("read", "docs", "GetRepoTagScanStatus"),
}


def guess_level(name: str) -> str:
    """The access level an unreviewed operation probably has, from its verb."""
    if name.startswith("List"):
        return "list"
    if name.startswith(("Get", "Describe", "Query", "Check")):
        return "read"
    return "write"


def sdk_client_path() -> Path:
    """The installed SDK's ``client.py`` (found without importing the SDK)."""
    spec = util.find_spec(SDK_MODULE)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{SDK_PACKAGE} is not installed; install it to generate the catalog")
    return Path(spec.origin).with_name("client.py")


def sdk_operations(client_source: str) -> tuple[list[str], str | None]:
    """The operation names (``action = '...'``) and API version found in an SDK ``client.py``."""
    tree = ast.parse(client_source)
    names: set[str] = set()
    versions: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not node.name.endswith("_with_options"):
            continue
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) != "Params":
                continue
            for keyword in call.keywords:
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    if keyword.arg == "action":
                        names.add(keyword.value.value)
                    elif keyword.arg == "version":
                        versions.add(keyword.value.value)
    return sorted(names), (sorted(versions)[0] if len(versions) == 1 else None)


def build_catalog(operations: list[str], sdk_version: str, api_version: str | None) -> tuple[dict[str, Any], list[str]]:
    """Merge the SDK's operations with ``REVIEWED``; returns the catalog and warnings."""
    warnings: list[str] = []
    entries: dict[str, dict[str, Any]] = {}
    present = set(operations)
    for name in operations:
        reviewed = REVIEWED.get(name)
        if reviewed is None:
            entries[name] = {"level": guess_level(name), "origin": "sdk", "api": name, "reviewed": False}
            warnings.append(f"new SDK operation {name}: level guessed as {guess_level(name)!r}; review it in REVIEWED")
        else:
            entries[name] = {"level": reviewed[0], "origin": "sdk", "api": name, "reviewed": True}
    for name, (level, origin, api) in REVIEWED.items():
        if origin == "sdk":
            if name not in present:
                warnings.append(f"reviewed operation {name} is no longer in the SDK; dropped")
            continue
        entries[name] = {"level": level, "origin": origin, "api": api, "reviewed": True}
    actions = []
    for name in sorted(entries):
        entry = {"action": f"cr:{name}", **entries[name]}
        if entry["api"] is None:
            del entry["api"]
        if name in _NOTES:
            entry["note"] = _NOTES[name]
        actions.append(entry)
    levels = {level: sum(1 for a in actions if a["level"] == level) for level in ("read", "list", "write")}
    catalog = {
        "service": "cr",
        "generator": "python -m acrguard.policy.catalog_gen",
        "sdk": {"package": SDK_PACKAGE, "version": sdk_version, "api_version": api_version},
        "levels": levels,
        "actions": actions,
    }
    return catalog, warnings


def render(catalog: dict[str, Any]) -> str:
    """The data file's text: stable key order, one action per line, so diffs read well."""
    head = {k: v for k, v in catalog.items() if k != "actions"}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append('  "actions": [')
    rows = [f"    {json.dumps(a, ensure_ascii=False)}" for a in catalog["actions"]]
    lines.append(",\n".join(rows))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def generate() -> tuple[str, list[str]]:
    """The data file's text as the installed SDK and ``REVIEWED`` define it, and warnings."""
    operations, api_version = sdk_operations(sdk_client_path().read_text(encoding="utf-8"))
    catalog, warnings = build_catalog(operations, metadata.version(SDK_PACKAGE), api_version)
    return render(catalog), warnings


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) the catalog data file."""
    parser = argparse.ArgumentParser(prog="python -m acrguard.policy.catalog_gen", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the data file; exit 1 when it differs")
    parser.add_argument("--output", type=Path, default=DATA_FILE, help="data file to write or check")
    args = parser.parse_args(argv)
    text, warnings = generate()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current == text:
            print(f"{args.output} is up to date")
            return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   str(args.output), "generated"))
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
