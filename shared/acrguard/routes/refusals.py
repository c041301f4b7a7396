"""Writes a target refused for good, remembered so the keeper does not repeat them every run.

When the cloud refuses a create for good (``RefusedByCloud``: a VBR table that takes no destination
inside 100.64.0.0/10, a table whose real quota is lower than configured), retrying each run would
write in vain every time and, were it a failure, make FC retry the invocation. So the refusal is
remembered per target and prefix; while it is fresh, the plan turns that add into a refusal at once
(``acrguard.routes.plan.hold_refused``) and nothing is written. After ``RECHECK_S`` the write is
tried once more, in case the cloud's answer changed (the sources disagree on the VBR rule); a
prefix the target then takes is forgotten. Remembering never removes anything.

One record per target, ``routes/refused/<target key>`` (``acrguard.state.keys.routes``), its value
``{<prefix>: {"family": ..., "code": ..., "reason": ..., "cloud_code": ..., "at": <epoch seconds>}}``.
Entries that cannot be read are ignored (they only cost one more write) and replaced when written again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from acrguard.config.routes import ALL_FAMILIES, Family
from acrguard.errors import StateError
from acrguard.routes.targets.base import Refusal
from acrguard.state import keys

if TYPE_CHECKING:
    from acrguard.state.base import StateStore

SECTION = "routes"
REFUSED = "refused"
DAY = 86400.0
#: how long a refusal holds before the write is tried again, per refusal code
RECHECK_S: Mapping[str, float] = {"service_range": 7 * DAY, "quota": DAY}
DEFAULT_RECHECK_S = DAY
#: a refusal not tried again this long after it was due (nobody wants the prefix any more) is dropped
FORGET_AFTER_S = 30 * DAY


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RememberedRefusal:
    """One refused prefix on one target, and when the cloud refused it."""

    prefix: str
    family: Family
    code: str
    reason: str
    cloud_code: str
    at: float

    @property
    def recheck_at(self) -> float:
        """When the write is tried again."""
        return self.at + RECHECK_S.get(self.code, DEFAULT_RECHECK_S)

    def due(self, now: float) -> bool:
        """Whether the refusal is old enough to try the write again."""
        return now >= self.recheck_at

    def to_refusal(self) -> Refusal:
        """The plan's refusal for this prefix, saying it is remembered and until when."""
        return Refusal(self.prefix, self.family, self.code,
                       f"{self.reason} (refused on {_iso(self.at)}; not written again before {_iso(self.recheck_at)})",
                       self.cloud_code)

    def to_dict(self) -> dict[str, Any]:
        """The state document's form."""
        return {"family": self.family, "code": self.code, "reason": self.reason, "cloud_code": self.cloud_code,
                "at": self.at}


def _parse(prefix: str, data: Any) -> RememberedRefusal | None:
    if not isinstance(data, dict) or data.get("family") not in ALL_FAMILIES:
        return None
    code, reason, at = data.get("code"), data.get("reason"), data.get("at")
    if not isinstance(code, str) or not isinstance(reason, str) or isinstance(at, bool) \
            or not isinstance(at, (int, float)):
        return None
    return RememberedRefusal(prefix, data["family"], code, reason, str(data.get("cloud_code") or ""), float(at))


def load_refusals(store: StateStore) -> dict[str, dict[str, RememberedRefusal]]:
    """Every remembered refusal, by target key and prefix (unreadable entries are left out)."""
    prefix = keys.routes_prefix(REFUSED)
    try:
        targets = store.values(prefix)
    except StateError:
        return {}
    out: dict[str, dict[str, RememberedRefusal]] = {}
    for record_key, entries in targets.items():
        if isinstance(entries, dict):
            parsed = {p: r for p, data in entries.items() if (r := _parse(str(p), data)) is not None}
            if parsed:
                out[keys.unname(record_key[len(prefix):])] = parsed
    return out


def record_outcome(store: StateStore, target_key: str, *, refused: Iterable[Refusal], accepted: Iterable[str],
                   now: float) -> None:
    """Remember this apply's refusals of one target and forget the prefixes it took.

    ``accepted``: prefixes the target now holds (created or already present). Refusals long past
    their re-check (``FORGET_AFTER_S``) are dropped. Nothing is written when nothing changes.
    """
    fresh = {r.prefix: r for r in refused}
    taken = set(accepted) - set(fresh)

    def change(entries: Any) -> None:
        kept = {p: d for p, d in entries.items() if (r := _parse(p, d)) is not None
                and now < r.recheck_at + FORGET_AFTER_S and p not in taken} if isinstance(entries, dict) else {}
        for prefix, refusal in fresh.items():
            kept[prefix] = RememberedRefusal(prefix, refusal.family, refusal.code, refusal.reason,
                                             refusal.cloud_code, now).to_dict()
        entries.clear()
        entries.update(kept)

    record = keys.routes(REFUSED, target_key)
    found = store.get(record)
    if found is not None and not isinstance(found.value, dict):
        store.put(record, {}, found.version)  # unreadable: replaced (it only cost one more write)
    store.update(record, change)
