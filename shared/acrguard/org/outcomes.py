"""A shard's outcome in its own state document, and its findings made organisation-wide.

A shard does not alert by itself: it keeps its findings (the record ``org_shard/outcome`` in its
namespace, ``acrguard.org.shards.namespace``) and the summary of its sweep sends every shard's
findings through one run of the central alert pipeline. So grouping, deduplication and the chat
robots' rate limits hold for the whole organisation, and a sweep of 100 shards is told in a few
messages, not 100.

Each finding is made organisation-wide (``qualify``): its ``account`` is set and its ``scope`` is
prefixed with the shard's key (``<account>/<region>:<scope>``), so the same scope name in two
accounts (a RAM user ``ram-user/ci`` in each) is two scopes. A sweep that observed every scope of
its job (``ALL_SCOPES``) stands for every scope the shard reported before and now (``expanded``):
it resolves the shard's own earlier findings, never another account's.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from acrguard.findings import Actor, Finding, Severity
from acrguard.jobs.base import ALL_SCOPES

if TYPE_CHECKING:
    from acrguard.state.base import StateStore

KEY = "org_shard/outcome"
#: the scope of a finding about another account's identity (``acrguard.pullkeys.audit.user_scope``)
_FOREIGN_SCOPE = re.compile(r"^account/(\d+)/(.+)$")


def qualified_scope(shard_key: str, scope: str) -> str:
    """``<shard key>:<scope>``; a scope about another account's identity, ``<that account>:<its scope>``."""
    foreign = _FOREIGN_SCOPE.match(scope)
    if foreign:
        owner, local = foreign.groups()
        return f"{owner}:{local}"
    return f"{shard_key}:{scope}"


def qualify(findings: list[Finding], account: str, shard_key: str) -> list[Finding]:
    """``findings`` with their account set and their scope prefixed with the shard's key.

    A finding about another account's identity (a ConfigMap key that a RAM user of member B owns,
    found by the shard of A: scope ``account/<B>/ram-user/<name>``) belongs to B: it takes B's account
    and the scope B's own shard gives that user (``<B>:ram-user/<name>``; the auditor's shards are
    global, keyed by the account alone), so the two reports are one alert group, told once.
    """
    return [_qualify(f, account, shard_key) for f in findings]


def _qualify(finding: Finding, account: str, shard_key: str) -> Finding:
    scope = finding.scope or finding.resource
    foreign = _FOREIGN_SCOPE.match(scope)
    return replace(finding, account=foreign.group(1) if foreign else account, scope=qualified_scope(shard_key, scope))


def to_dict(finding: Finding) -> dict[str, Any]:
    """A JSON-ready form of ``finding`` (evidence values that are not JSON become text)."""
    data = asdict(finding)
    data["severity"] = finding.severity.value
    data["labels"] = {str(k): str(v) for k, v in finding.labels.items()}
    data["evidence"] = _jsonable(dict(finding.evidence))
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def from_dict(data: dict[str, Any]) -> Finding:
    """The finding ``to_dict`` wrote."""
    actor = data.get("actor")
    return Finding(rule=str(data["rule"]), severity=Severity(data["severity"]), resource=str(data["resource"]),
                   title=str(data.get("title", "")), details=str(data.get("details", "")),
                   fix=str(data.get("fix", "")), scope=str(data.get("scope", "")),
                   labels=dict(data.get("labels") or {}), evidence=dict(data.get("evidence") or {}),
                   actor=Actor(**actor) if isinstance(actor, dict) else None, job=str(data.get("job", "")),
                   notice=bool(data.get("notice")), account=str(data.get("account", "")))


def expanded(store: StateStore, scopes: set[str], findings: list[Finding]) -> set[str]:
    """The concrete scopes a shard observed: ``ALL_SCOPES`` stands for every scope it reported before and now."""
    if ALL_SCOPES not in scopes:
        return set(scopes)
    before = (store.value(KEY) or {}).get("reported_scopes") or []
    return (set(scopes) - {ALL_SCOPES}) | {str(s) for s in before} | {f.scope or f.resource for f in findings}


def keep(store: StateStore, sweep: str, findings: list[Finding], scopes: set[str], changes: list[str],
         local: set[str] | None = None) -> None:
    """Keep the shard's outcome of ``sweep`` (its findings and ``scopes`` already qualified; ``local``: the
    scopes as the job named them, which ``expanded`` reads back) in its own document."""
    local = sorted(local if local is not None else {s.split(":", 1)[1] if ":" in s else s for s in scopes})

    def change(value: dict[str, Any]) -> None:
        value.clear()
        value.update(sweep=sweep, findings=[to_dict(f) for f in findings], scopes=sorted(scopes),
                     changes=changes[:200], reported_scopes=local)

    store.update(KEY, change)


def read(store: StateStore, sweep: str) -> tuple[list[Finding], set[str]] | None:
    """The shard's findings and observed scopes for ``sweep`` (None when its document holds another sweep's)."""
    section = store.value(KEY) or {}
    if not isinstance(section, dict) or section.get("sweep") != sweep:
        return None
    findings = []
    for item in section.get("findings") or []:
        try:
            findings.append(from_dict(item))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry is left out; the next sweep writes the shard's findings afresh
    return findings, {str(s) for s in section.get("scopes") or []}
