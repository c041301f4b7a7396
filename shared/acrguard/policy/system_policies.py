"""System policies acrguard knows offline (``acrguard/data/system_policies.json``).

System policies are maintained by Alibaba Cloud and change under you, so the auditor always reads
the default version from RAM. These copies serve offline checks (``policy check --system NAME``, a
policy file that names a system policy without its document) and tests. Each version carries its
source, and is marked when acrguard reconstructed it or when the stored copy was truncated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from acrguard.errors import BadInputError
from acrguard.policy.evaluate import SYSTEM, AttachedPolicy, PolicyRef, check_attachment


@dataclass(frozen=True)
class SystemPolicyVersion:
    """One published body of a system policy."""

    version: str
    document: dict[str, Any]
    source: str
    reconstructed: bool = False
    partial: bool = False
    note: str = ""

    @property
    def provenance(self) -> str:
        """``offline copy (reconstructed)``, ``offline copy (partial)`` or ``offline copy``."""
        marks = [m for m, on in (("reconstructed", self.reconstructed), ("partial", self.partial)) if on]
        return "offline copy" + (f" ({', '.join(marks)})" if marks else "")


@dataclass(frozen=True)
class SystemPolicy:
    """A system policy with the versions acrguard knows."""

    name: str
    description: str
    default_version: str
    versions: dict[str, SystemPolicyVersion]

    def version(self, version: str | None = None) -> SystemPolicyVersion:
        """The given version (the default one when None); raises BadInputError when unknown."""
        wanted = version or self.default_version
        if wanted not in self.versions:
            raise BadInputError(f"system policy {self.name} has no offline copy of version {wanted}; "
                                f"known: {', '.join(sorted(self.versions))}")
        return self.versions[wanted]

    def attached(self, version: str | None = None, attachment: str = "user") -> AttachedPolicy:
        """This policy (at ``version``, default when None) as attached to the identity."""
        body = self.version(version)
        ref = PolicyRef(self.name, SYSTEM, body.version, check_attachment(attachment), body.provenance)
        return AttachedPolicy(ref, body.document)


@lru_cache(maxsize=1)
def system_policies() -> dict[str, SystemPolicy]:
    """Every system policy known offline, by name."""
    text = resources.files("acrguard").joinpath("data", "system_policies.json").read_text(encoding="utf-8")
    data = json.loads(text)
    out = {}
    for name, entry in data["policies"].items():
        versions = {v: SystemPolicyVersion(v, body["document"], body["source"], bool(body.get("reconstructed")),
                                           bool(body.get("partial")), body.get("note", ""))
                    for v, body in entry["versions"].items()}
        out[name] = SystemPolicy(name, entry.get("description", ""), entry["default_version"], versions)
    return out


def system_policy(name: str) -> SystemPolicy:
    """The offline system policy called ``name`` (exact, then case-insensitive); BadInputError when unknown."""
    known = system_policies()
    if name in known:
        return known[name]
    for key, policy in known.items():
        if key.lower() == name.lower():
            return policy
    raise BadInputError(f"no offline copy of system policy {name!r}; known: {', '.join(sorted(known))}")
