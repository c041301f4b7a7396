"""DNS resolution that never raises: each name ends as ``Resolved``, ``NoSuchName`` or ``Unknown``.

Used by the endpoint keeper (auth and OSS names, the VPC-domain cross-check) and by the whitelist
guard (hostnames in the declared ACL). Resolvers are built with ``configure=False`` and only the
configured nameservers (default: the VPC resolvers 100.100.2.136 and 100.100.2.138, see
https://alibabacloud.com/help/ja/dns/service-address), so nothing but those servers is ever asked.

A name is queried ``queries_per_name`` times, because a load-balanced name may answer one address
per query (round robin); the addresses of every successful query are united. Within one run,
``SharedResolutions`` resolves each name once for all instances that ask, even at the same time:
two instances querying a round-robin name side by side would otherwise split its answers between
them, and each would see only part of the name's addresses.

Semantics for callers that delete things (routes, ACL entries):

* only ``Resolved`` is an observation; its ``complete`` flag says whether *every* query answered.
  A partial answer may add addresses but must not count as "the others are gone";
* ``NoSuchName`` (NXDOMAIN, or an empty NOERROR answer) is reported as a finding and treated as
  unknown for removal: a name that vanished is a misconfiguration or an outage to look at, not a
  reason to withdraw routes;
* ``Unknown`` (timeout, SERVFAIL, no nameserver answered, an answer for a different name, a CNAME
  loop) changes nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from acrguard.config.routes import RoutesConfig

UnknownReason = Literal["timeout", "servfail", "no-nameservers", "wrong-name", "chain-too-long", "invalid-name",
                        "error"]
NoSuchNameReason = Literal["nxdomain", "no-data"]


@dataclass(frozen=True)
class ResolverSettings:
    """Which nameservers to ask, how often per name, and how long to wait."""

    nameservers: tuple[str, ...] = ("100.100.2.136", "100.100.2.138")
    port: int = 53
    queries_per_name: int = 3
    timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if not self.nameservers:
            raise ValueError("ResolverSettings: at least one nameserver is needed")
        if self.queries_per_name < 1:
            raise ValueError("ResolverSettings: queries_per_name must be at least 1")
        if self.timeout_s <= 0:
            raise ValueError("ResolverSettings: timeout_s must be positive")

    @classmethod
    def from_routes(cls, routes: RoutesConfig) -> ResolverSettings:
        """The settings of an instance's ``routes:`` section."""
        return cls(tuple(routes.nameservers), routes.dns_port, routes.queries_per_name, routes.dns_timeout_s)


@dataclass(frozen=True)
class Resolved:
    """At least one query answered with A records.

    ``addresses``: the union over all queries; ``cnames``: the alias chain followed from ``name``
    (empty when ``name`` has A records itself); ``failures``: why the other queries did not answer
    (empty when every query answered, i.e. ``complete``).
    """

    name: str
    addresses: frozenset[str]
    cnames: tuple[str, ...] = ()
    queries: int = 1
    failures: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every query answered, so an address missing from ``addresses`` really was not served."""
        return not self.failures

    @property
    def canonical_name(self) -> str:
        """The name the A records belong to (the end of the CNAME chain)."""
        return self.cnames[-1] if self.cnames else self.name


@dataclass(frozen=True)
class NoSuchName:
    """Every query answered, but with NXDOMAIN (``nxdomain``) or no A records (``no-data``)."""

    name: str
    reason: NoSuchNameReason
    cnames: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unknown:
    """No usable answer: the name's addresses are not known this time."""

    name: str
    reason: UnknownReason
    detail: str = ""


Outcome = Resolved | NoSuchName | Unknown


@dataclass(frozen=True)
class _Query:
    """One query's result before the queries of a name are combined."""

    addresses: frozenset[str] = frozenset()
    cnames: tuple[str, ...] = ()
    no_such: NoSuchNameReason | None = None
    unknown: UnknownReason | None = None
    detail: str = ""


def _text(name: object) -> str:
    return str(name).rstrip(".").lower()


class NameResolver(Protocol):
    """What the jobs need from a resolver (``DnsResolver``, or a run's shared view of one)."""

    def resolve(self, name: str) -> Outcome:
        """One outcome for ``name`` (never raises)."""
        ...

    def resolve_all(self, names: Iterable[str]) -> dict[str, Outcome]:
        """One outcome per distinct name, in order (never raises)."""
        ...


@dataclass
class DnsResolver:
    """Resolves A records against the configured nameservers only (``configure=False``)."""

    settings: ResolverSettings = field(default_factory=ResolverSettings)

    def __post_init__(self) -> None:
        import dns.resolver

        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(self.settings.nameservers)
        resolver.port = self.settings.port
        resolver.timeout = self.settings.timeout_s
        resolver.lifetime = self.settings.timeout_s * len(self.settings.nameservers)
        resolver.cache = None
        self._resolver = resolver

    def resolve(self, name: str) -> Outcome:
        """Query ``name`` ``queries_per_name`` times and combine the answers (never raises).

        Querying stops early after a timeout: a resolver that timed out is not asked again in the
        same run (the outcome is then at best a partial ``Resolved``).
        """
        name = normalize_name(name)
        results: list[_Query] = []
        for _ in range(self.settings.queries_per_name):
            result = self._query_once(name)
            results.append(result)
            if result.unknown in ("timeout", "invalid-name"):
                break
        return combine(name, results)

    def resolve_all(self, names: Iterable[str]) -> dict[str, Outcome]:
        """``resolve`` for several names (each name once, in order)."""
        return {name: self.resolve(name) for name in dict.fromkeys(names)}

    def _query_once(self, name: str) -> _Query:
        import dns.exception
        import dns.name
        import dns.resolver

        if not name:
            return _Query(unknown="invalid-name", detail="empty name")
        try:
            qname = dns.name.from_text(name)
        except (dns.exception.DNSException, ValueError) as exc:
            return _Query(unknown="invalid-name", detail=str(exc))
        try:
            answer = self._resolver.resolve(qname, "A", search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return _Query(no_such="nxdomain")
        except dns.exception.Timeout as exc:
            return _Query(unknown="timeout", detail=str(exc))
        except dns.resolver.NoNameservers as exc:
            return _classify_no_nameservers(exc)
        except dns.exception.DNSException as exc:
            return _Query(unknown="error", detail=f"{type(exc).__name__}: {exc}")
        except OSError as exc:  # e.g. network unreachable before any timeout
            return _Query(unknown="no-nameservers", detail=str(exc))
        chain = answer.chaining_result
        cnames = tuple(_text(rd.target) for rrset in chain.cnames for rd in list(rrset)[:1])
        owners = {_text(qname), *cnames}
        stray = sorted({_text(rrset.name) for rrset in answer.response.answer} - owners)
        if stray:
            return _Query(unknown="wrong-name", detail=f"answer for {', '.join(stray)} instead of {name}")
        if answer.rrset is None or len(answer.rrset) == 0:
            return _Query(no_such="no-data", cnames=cnames)
        return _Query(addresses=frozenset(rd.address for rd in answer.rrset), cnames=cnames)


def normalize_name(name: str) -> str:
    """The form a name is queried and cached in: no surrounding blanks, no trailing dot, lower case."""
    return name.strip().rstrip(".").lower()


class SharedResolutions:
    """One run's resolutions: each name is resolved once per resolver settings, whoever asks first.

    Callers that ask for a name another caller is resolving wait for that answer instead of
    querying again, so instances checked side by side see the same addresses for a shared name
    (e.g. the region's auth service). ``given`` (tests) replaces the resolver built from settings.
    """

    def __init__(self, given: NameResolver | None = None) -> None:
        self._given = given
        self._lock = threading.Lock()
        self._resolvers: dict[ResolverSettings, NameResolver] = {}
        self._outcomes: dict[tuple[ResolverSettings | None, str], Future[Outcome]] = {}

    def resolver(self, settings: ResolverSettings) -> NameResolver:
        """A resolver with ``settings`` whose answers are shared with every other caller of this run."""
        return _SharedView(self, settings)

    def resolve(self, settings: ResolverSettings, name: str) -> Outcome:
        """The run's outcome for ``name`` under ``settings``, resolving it now if nobody has yet."""
        key = (None if self._given is not None else settings, normalize_name(name))
        with self._lock:
            pending = self._outcomes.get(key)
            owner = pending is None
            if pending is None:
                pending = self._outcomes[key] = Future()
                resolver = self._given or self._resolvers.get(settings)
                if resolver is None:
                    resolver = self._resolvers[settings] = DnsResolver(settings)
        if owner:
            try:
                pending.set_result(resolver.resolve(key[1]))
            except BaseException as exc:  # a resolver never raises; if one does, waiters see it too
                pending.set_exception(exc)
        return pending.result()


@dataclass(frozen=True)
class _SharedView:
    """``SharedResolutions`` seen as a ``NameResolver`` with fixed settings."""

    shared: SharedResolutions
    settings: ResolverSettings

    def resolve(self, name: str) -> Outcome:
        return self.shared.resolve(self.settings, name)

    def resolve_all(self, names: Iterable[str]) -> dict[str, Outcome]:
        return {name: self.resolve(name) for name in dict.fromkeys(names)}


def _classify_no_nameservers(exc: Exception) -> _Query:
    import dns.message

    errors = (getattr(exc, "kwargs", None) or {}).get("errors") or []
    problems = [entry[3] if isinstance(entry, tuple) and len(entry) > 3 else entry for entry in errors]
    if problems and any(isinstance(p, dns.message.ChainTooLong) for p in problems):
        return _Query(unknown="chain-too-long", detail="CNAME chain too long (a loop?)")
    if problems and all(str(p) == "SERVFAIL" for p in problems):
        return _Query(unknown="servfail", detail="SERVFAIL from every nameserver")
    return _Query(unknown="no-nameservers", detail=str(exc))


def combine(name: str, results: list[_Query]) -> Outcome:
    """One outcome for a name from the results of its queries.

    Any answered query makes it ``Resolved`` (complete only when all answered); otherwise any
    failure makes it ``Unknown``; only when every query said "no such name" is it ``NoSuchName``.
    """
    answered = [r for r in results if r.addresses]
    if answered:
        failures = tuple(r.unknown or r.no_such or "" for r in results if not r.addresses)
        cnames = max((r.cnames for r in answered), key=len)
        return Resolved(name, frozenset().union(*(r.addresses for r in answered)), cnames, len(results), failures)
    failed = [r for r in results if r.unknown]
    if failed or not results:
        first = failed[0] if failed else _Query(unknown="error", detail="no query was made")
        details = "; ".join(sorted({f"{r.unknown}: {r.detail}" if r.detail else str(r.unknown) for r in failed}))
        return Unknown(name, first.unknown or "error", details)
    reasons = [r.no_such for r in results]
    reason: NoSuchNameReason = "nxdomain" if "nxdomain" in reasons else "no-data"
    cnames = max((r.cnames for r in results), key=len)
    return NoSuchName(name, reason, cnames)


def describe(outcome: Outcome) -> str:
    """A one-line human summary of an outcome (for findings and plans)."""
    if isinstance(outcome, Resolved):
        via = f" via {' -> '.join(outcome.cnames)}" if outcome.cnames else ""
        partial = "" if outcome.complete else f" (partial: {len(outcome.failures)} of {outcome.queries} " \
                                               f"queries failed: {', '.join(sorted(set(outcome.failures)))})"
        return f"{outcome.name}{via} -> {', '.join(sorted(outcome.addresses))}{partial}"
    if isinstance(outcome, NoSuchName):
        what = "does not exist (NXDOMAIN)" if outcome.reason == "nxdomain" else "has no A records"
        return f"{outcome.name} {what}"
    return f"{outcome.name}: not resolved, {_unknown_text(outcome)}"


#: What each unknown reason means, in words (``describe``).
_UNKNOWN_WORDS: dict[str, str] = {
    "timeout": "no nameserver answered in time", "servfail": "every nameserver answered SERVFAIL",
    "no-nameservers": "no nameserver could be asked", "wrong-name": "the answer was for another name",
    "chain-too-long": "the CNAME chain is too long (a loop?)", "invalid-name": "not a valid DNS name",
    "error": "the lookup failed",
}
_LIFETIME = re.compile(r"lifetime expired after ([\d.]+) seconds")
_SERVER = re.compile(r"Server (?:Do53:)?([^\s@]+)@(\d+)")
_SELF_EXPLAINED = ("servfail", "chain-too-long")


def _unknown_text(outcome: Unknown) -> str:
    """The reason once, in words, then what the resolver said that the words do not (``describe``).

    ``Unknown.detail`` joins ``"<reason>: <resolver message>"`` per failed query; the reason is not
    repeated, and a dnspython timeout (``The resolution lifetime expired after 0.401 seconds: Server
    Do53:127.0.0.1@53 answered The DNS operation timed out.``) becomes ``within 0.4 s (asked 127.0.0.1:53)``.
    SERVFAIL and CNAME-loop messages add nothing to their words and are left out.
    """
    words = _UNKNOWN_WORDS.get(outcome.reason, outcome.reason)
    extra: list[str] = []
    for part in (p.strip() for p in outcome.detail.split("; ") if p.strip()):
        reason, _, message = part.partition(": ")
        if reason not in _UNKNOWN_WORDS or not message:
            reason, message = outcome.reason, part
        if reason in _SELF_EXPLAINED:
            continue
        lifetime = _LIFETIME.search(message)
        if lifetime:
            servers = ", ".join(dict.fromkeys(f"{host}:{port}" for host, port in _SERVER.findall(message)))
            seconds = f"{float(lifetime.group(1)):.1f} s"
            if reason == outcome.reason:
                words = words.replace(" in time", f" within {seconds}")
                message = f"asked {servers}" if servers else ""
            else:
                extra.append(f"a query timed out after {seconds}" + (f" ({servers})" if servers else ""))
                continue
        if message:
            extra.append(message if reason == outcome.reason else f"{_UNKNOWN_WORDS[reason]}: {message}")
    shown = "; ".join(dict.fromkeys(extra))
    return words + (f" ({shown if len(shown) <= 160 else shown[:159] + '…'})" if shown else "")
