"""The VPN ownership ledger in the state store: which ``LocalSubnet`` prefixes acrguard added.

An IPsec connection's ``LocalSubnet`` items carry no name, so ownership is remembered instead
(``targets/vpn_connection.py``). One record per instance, ``routes/owned/<instance id>``
(``acrguard.state.keys.routes``), its value ``{<target key>: {<prefix>: <family>}}``. The keeper
saves ``owned ∪ adds`` before applying and what was observed after it, so a crash in between
leaves at worst a ledger entry for a prefix that is not listed (dropped by the next read), never a
prefix nobody remembers adding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family
from acrguard.errors import StateError
from acrguard.state import keys

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


def _ledgers(value: Any, instance_id: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StateError(f"state {SECTION}.{OWNED}.{instance_id} is malformed (expected an object)")
    return value


def load_ledgers(store: StateStore, instance_id: str) -> dict[str, dict[str, Family]]:
    """Every ledger of one instance, by target key (``StateError`` naming the path when malformed)."""
    ledgers = _ledgers(store.value(keys.routes(OWNED, instance_id)), instance_id)
    return {key: _parse(value, f"{SECTION}.{OWNED}.{instance_id}.{key}") for key, value in ledgers.items()}


def shared_ledgers(store: StateStore, instance_id: str) -> dict[str, dict[str, str]]:
    """What the *other* instances' ledgers list, by target key: prefix -> the instance id that added it.

    For instances sharing an IPsec connection (``targets/vpn_connection.py``, co-ownership). A
    malformed ledger of another instance is left out (it is that instance's trouble to report).
    """
    out: dict[str, dict[str, str]] = {}
    prefix = keys.routes_prefix(OWNED)
    for record_key, ledgers in sorted(store.values(prefix).items()):
        other = keys.unname(record_key[len(prefix):])
        if other == instance_id or not isinstance(ledgers, dict):
            continue
        for key, value in ledgers.items():
            try:
                parsed = _parse(value, f"{SECTION}.{OWNED}.{other}.{key}")
            except StateError:
                continue
            for prefix_ in parsed:
                out.setdefault(str(key), {}).setdefault(prefix_, str(other))
    return out


def save_ledger(store: StateStore, instance_id: str, target_key: str, owned: Mapping[str, Family]) -> None:
    """Replace one target's ledger (an empty ledger is dropped); nothing is written when it is unchanged."""
    wanted = {prefix: owned[prefix] for prefix in sorted(owned)}

    def change(value: Any) -> None:
        ledgers = _ledgers(value, instance_id)
        if wanted:
            ledgers[target_key] = wanted
        else:
            ledgers.pop(target_key, None)

    found = store.get(keys.routes(OWNED, instance_id))
    if found is not None:
        _ledgers(found.value, instance_id)  # a malformed record is reported and left untouched
    store.update(keys.routes(OWNED, instance_id), change)
