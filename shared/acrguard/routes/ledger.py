"""The VPN ownership ledger in the state store: which ``LocalSubnet`` prefixes acrguard added.

An IPsec connection's ``LocalSubnet`` items carry no name, so ownership is remembered instead
(``targets/vpn_connection.py``). Layout: ``{"routes": {"owned": {<instance id>: {<target key>:
{<prefix>: <family>}}}}}``. The keeper saves ``owned ∪ adds`` before applying and what was
observed after it, so a crash in between leaves at worst a ledger entry for a prefix that is not
listed (dropped by the next read), never a prefix nobody remembers adding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family
from acrguard.errors import StateError

if TYPE_CHECKING:
    from acrguard.state.base import StateStore

SECTION = "routes"
OWNED = "owned"


def _parse(data: Any, where: str) -> dict[str, Family]:
    if not isinstance(data, dict):
        raise StateError(f"state {where} is malformed (expected an object of prefix -> family); it was left "
                         "untouched")
    bad = sorted(p for p, f in data.items() if f not in ALL_FAMILIES)
    if bad:
        raise StateError(f"state {where} names unknown families for {', '.join(bad)}; it was left untouched")
    return dict(data)


def load_ledgers(store: StateStore, instance_id: str) -> dict[str, dict[str, Family]]:
    """Every ledger of one instance, by target key (``StateError`` naming the path when malformed)."""
    section = store.section(SECTION)
    owned = section.get(OWNED) or {}
    ledgers = owned.get(instance_id) if isinstance(owned, dict) else None
    if ledgers is None:
        return {}
    if not isinstance(ledgers, dict):
        raise StateError(f"state {SECTION}.{OWNED}.{instance_id} is malformed (expected an object)")
    return {key: _parse(value, f"{SECTION}.{OWNED}.{instance_id}.{key}") for key, value in ledgers.items()}


def shared_ledgers(store: StateStore, instance_id: str) -> dict[str, dict[str, str]]:
    """What the *other* instances' ledgers list, by target key: prefix -> the instance id that added it.

    For instances sharing an IPsec connection (``targets/vpn_connection.py``, co-ownership). A
    malformed ledger of another instance is left out (it is that instance's trouble to report).
    """
    section = store.section(SECTION)
    owned = section.get(OWNED) if isinstance(section, dict) else None
    out: dict[str, dict[str, str]] = {}
    if not isinstance(owned, dict):
        return out
    for other, ledgers in sorted(owned.items()):
        if other == instance_id or not isinstance(ledgers, dict):
            continue
        for key, value in ledgers.items():
            try:
                parsed = _parse(value, f"{SECTION}.{OWNED}.{other}.{key}")
            except StateError:
                continue
            for prefix in parsed:
                out.setdefault(str(key), {}).setdefault(prefix, str(other))
    return out


def save_ledger(store: StateStore, instance_id: str, target_key: str, owned: Mapping[str, Family]) -> None:
    """Replace one target's ledger (an empty ledger is dropped); nothing is written when it is unchanged."""
    wanted = {prefix: owned[prefix] for prefix in sorted(owned)}

    def change(document: dict[str, Any]) -> None:
        section = document.setdefault(SECTION, {})
        if not isinstance(section, dict):
            raise StateError(f"state {SECTION} is malformed (expected an object); it was left untouched")
        ledgers = section.setdefault(OWNED, {}).setdefault(instance_id, {})
        if wanted:
            ledgers[target_key] = wanted
        else:
            ledgers.pop(target_key, None)
            if not ledgers:
                section[OWNED].pop(instance_id, None)
            if not section[OWNED]:
                section.pop(OWNED)
            if not section:
                document.pop(SECTION)

    store.update(change)
