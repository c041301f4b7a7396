"""What the IDC exports said per family the last time the family was observed: unknown is not absent, for exports too.

An export is rendered from one run's desired prefixes and DNS records. When a family could not be
observed this run (``GetInstanceVpcEndpoint`` refused, wrong credentials, the endpoint down, the auth
probe or a lookup failed, an answer refused by the acceptance rules), this run does not know its
names and addresses, and rendering without them would withdraw the registry's record from the IDC
resolver. So after every run that observed a family completely, its prefixes and records are
remembered here, and a run that did not observe it renders what was remembered (together with
whatever it still knows).

The memory is state, not proof: what is read back passes the same checks as a fresh observation
(``AddressRules``: addresses of the family's kind, prefixes acrguard could have routed; names under
``aliyuncs.com``, the registry's own domains), so a forged line cannot put a record for an arbitrary
name or address into an IDC export.

One record per instance, ``routes/exported/<instance id>`` (``acrguard.state.keys.routes``), its value
``{<family>: {"prefixes": [...], "records": {<name>: [<address>, ...]}}}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family
from acrguard.errors import StateError
from acrguard.state import keys

if TYPE_CHECKING:
    from acrguard.addresses import AddressRules
    from acrguard.routes.exports.model import DnsRecord
    from acrguard.state.base import StateStore

SECTION = "routes"
EXPORTED = "exported"
#: the registry's names (VPC domain, auth host, OSS domain) all live under this domain
REGISTRY_DOMAIN = ".aliyuncs.com"


@dataclass(frozen=True)
class FamilyExport:
    """One family's part of the exports: its route prefixes and its DNS records (name -> addresses)."""

    prefixes: tuple[str, ...] = ()
    records: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, prefixes: Iterable[str], records: Iterable[DnsRecord]) -> FamilyExport:
        """From desired prefixes and ``DnsRecord`` values (sorted, for comparison)."""
        merged: dict[str, set[str]] = {}
        for record in records:
            merged.setdefault(record.name, set()).update(record.addresses)
        return cls(tuple(sorted(set(prefixes))), tuple((n, tuple(sorted(a))) for n, a in sorted(merged.items())))

    def union(self, other: FamilyExport) -> FamilyExport:
        """Both exports' prefixes and records together."""
        records: dict[str, set[str]] = {}
        for name, addresses in (*self.records, *other.records):
            records.setdefault(name, set()).update(addresses)
        return FamilyExport(tuple(sorted({*self.prefixes, *other.prefixes})),
                            tuple((n, tuple(sorted(a))) for n, a in sorted(records.items())))

    @property
    def empty(self) -> bool:
        """Neither a prefix nor a record."""
        return not self.prefixes and not self.records

    def to_json(self) -> dict[str, Any]:
        """The state-document form."""
        return {"prefixes": list(self.prefixes), "records": {name: list(addresses) for name, addresses in self.records}}


def _checked(family: Family, data: Any, rules: AddressRules) -> FamilyExport | None:
    """A remembered family export, keeping only what passes the rules (None when nothing is usable)."""
    from acrguard.routes.exports.model import ExportError, check_hostname

    if not isinstance(data, dict):
        return None
    prefixes = [p for p in data.get("prefixes") or () if isinstance(p, str) and rules.plausible(family, p)]
    records: list[tuple[str, tuple[str, ...]]] = []
    raw = data.get("records")
    for name, addresses in (raw.items() if isinstance(raw, dict) else ()):
        try:
            name = check_hostname(name, "remembered export record")
        except ExportError:
            continue
        if not name.endswith(REGISTRY_DOMAIN) or not isinstance(addresses, list):
            continue
        good = tuple(sorted(a for a in addresses if isinstance(a, str) and rules.problem(family, a) is None))
        records.append((name, good))
    found = FamilyExport(tuple(sorted(set(prefixes))), tuple(sorted(records)))
    return None if found.empty else found


def load_memory(store: StateStore, instance_id: str, rules: AddressRules) -> dict[Family, FamilyExport]:
    """What the exports said per family when last observed (checked; unreadable parts are left out)."""
    try:
        families = store.value(keys.routes(EXPORTED, instance_id))
    except StateError:
        return {}
    if not isinstance(families, dict):
        return {}
    out: dict[Family, FamilyExport] = {}
    for family in ALL_FAMILIES:
        found = _checked(family, families.get(family), rules)
        if found is not None:
            out[family] = found
    return out


def save_memory(store: StateStore, instance_id: str, families: Mapping[Family, FamilyExport]) -> None:
    """Remember the given families' exports (the others keep what was remembered); nothing is written if unchanged."""
    if not families:
        return
    record = keys.routes(EXPORTED, instance_id)
    found = store.get(record)
    if found is not None and not isinstance(found.value, dict):
        store.put(record, {}, found.version)  # unreadable: started afresh (load_memory ignored it)

    def change(saved: Any) -> None:
        for family, export in families.items():
            saved[family] = export.to_json()

    store.update(record, change)
