"""DNS resolution against the local cloud's DNS server: typed outcomes, never exceptions."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from acrguard.config.routes import RoutesConfig
from acrguard.resolve import (
    DnsResolver,
    NoSuchName,
    Resolved,
    ResolverSettings,
    SharedResolutions,
    Unknown,
    _Query,
    combine,
    describe,
)
from support import base_world

RR = "auth.example.com"
RR_ADDRESSES = {"100.103.9.188", "100.103.7.181"}


@pytest.fixture
def world():
    """The base world plus names for every resolution case."""
    data = base_world()
    data["dns"]["records"].update({
        RR: {"A": sorted(RR_ADDRESSES), "rotate": True},
        "plain.example.com": {"A": ["192.0.2.10", "192.0.2.11"]},
        "alias.example.com": {"CNAME": "middle.example.com"},
        "middle.example.com": {"CNAME": RR},
        "loop-a.example.com": {"CNAME": "loop-b.example.com"},
        "loop-b.example.com": {"CNAME": "loop-a.example.com"},
        "dangling.example.com": {"CNAME": "nowhere.example.com"},
    })
    data["dns"]["failures"] = {"wrong.example.com": "wrong-name", "empty.example.com": "empty",
                               "broken.example.com": "servfail", "slow.example.com": "timeout",
                               "gone.example.com": "nxdomain"}
    return data


def local_settings(cloud, queries: int = 3, timeout_s: float = 0.3) -> ResolverSettings:
    """Settings pointing at the local cloud's DNS server."""
    host, port = cloud.endpoints()["dns"].split(":")
    return ResolverSettings((host,), int(port), queries, timeout_s)


@pytest.fixture
def resolver(cloud) -> DnsResolver:
    """A resolver on the local DNS server, three queries per name."""
    return DnsResolver(local_settings(cloud))


def test_plain_name_resolves_to_all_its_addresses(resolver):
    """A name with two A records resolves completely to both."""
    outcome = resolver.resolve("plain.example.com")
    assert outcome == Resolved("plain.example.com", frozenset({"192.0.2.10", "192.0.2.11"}), (), 3, ())
    assert outcome.complete


def test_round_robin_name_keeps_every_address_across_queries(resolver):
    """A name answering one address per query resolves to the union of the queries."""
    outcome = resolver.resolve(RR)
    assert isinstance(outcome, Resolved)
    assert outcome.addresses == RR_ADDRESSES


def test_one_query_sees_only_one_round_robin_address(cloud):
    """With a single query per name only one rotating address is seen (why several are made)."""
    outcome = DnsResolver(local_settings(cloud, queries=1)).resolve(RR)
    assert isinstance(outcome, Resolved) and len(outcome.addresses) == 1


def test_each_query_goes_to_the_server(cloud, resolver):
    """queries_per_name queries reach the nameserver (no cache in between)."""
    before = len(cloud.dns.queries)
    resolver.resolve("plain.example.com")
    assert cloud.dns.queries[before:] == ["plain.example.com."] * 3


def test_cname_chain_is_followed_and_recorded(resolver):
    """A CNAME chain resolves to the final addresses and records each alias target in order."""
    outcome = resolver.resolve("Alias.Example.COM.")
    assert isinstance(outcome, Resolved)
    assert outcome.name == "alias.example.com"
    assert outcome.cnames == ("middle.example.com", RR)
    assert outcome.canonical_name == RR
    assert outcome.addresses == RR_ADDRESSES


def test_cname_loop_is_unknown(resolver):
    """A CNAME loop is an unknown outcome, not an exception."""
    outcome = resolver.resolve("loop-a.example.com")
    assert isinstance(outcome, Unknown) and outcome.reason == "chain-too-long"


def test_dangling_cname_is_no_data(resolver):
    """A CNAME to a name without addresses is NoSuchName(no-data) with the chain."""
    assert resolver.resolve("dangling.example.com") == NoSuchName("dangling.example.com", "no-data",
                                                                  ("nowhere.example.com",))


@pytest.mark.parametrize(("name", "expected"), [
    ("missing.example.com", NoSuchName("missing.example.com", "nxdomain")),
    ("gone.example.com", NoSuchName("gone.example.com", "nxdomain")),
    ("empty.example.com", NoSuchName("empty.example.com", "no-data")),
])
def test_names_that_do_not_resolve_are_no_such_name(resolver, name, expected):
    """NXDOMAIN and empty NOERROR answers are NoSuchName, never an empty Resolved."""
    assert resolver.resolve(name) == expected


def test_answer_for_another_name_is_unknown(resolver):
    """An answer whose records belong to a different name is not trusted."""
    outcome = resolver.resolve("wrong.example.com")
    assert isinstance(outcome, Unknown) and outcome.reason == "wrong-name"
    assert "unrelated.invalid" in outcome.detail


def test_servfail_is_unknown(resolver):
    """SERVFAIL from every nameserver is Unknown(servfail)."""
    outcome = resolver.resolve("broken.example.com")
    assert isinstance(outcome, Unknown) and outcome.reason == "servfail"


@pytest.mark.parametrize("mode", ["servfail", "timeout"])
def test_outage_makes_every_name_unknown(cloud, resolver, mode):
    """During a DNS outage even a healthy name is unknown, never NoSuchName."""
    cloud.dns.set_outage(mode)
    outcome = resolver.resolve("plain.example.com")
    assert isinstance(outcome, Unknown) and outcome.reason == mode


def test_timeout_stops_querying_the_name_early(cloud, resolver):
    """After a timeout the remaining queries for the name are skipped, bounding the wait."""
    before = len(cloud.dns.queries)
    started = time.monotonic()
    outcome = resolver.resolve("slow.example.com")
    assert isinstance(outcome, Unknown) and outcome.reason == "timeout"
    assert len(cloud.dns.queries) - before == 1
    assert time.monotonic() - started < 2.0


def test_nameserver_that_does_not_listen_is_unknown(cloud):
    """A nameserver port with nothing behind it gives Unknown, not an exception."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = DnsResolver(ResolverSettings(("127.0.0.1",), port, 2, 0.2)).resolve("plain.example.com")
    assert isinstance(outcome, Unknown) and outcome.reason in ("no-nameservers", "timeout")


def test_invalid_name_is_unknown_without_a_query(cloud, resolver):
    """A syntactically invalid name is Unknown(invalid-name) and is not sent."""
    before = len(cloud.dns.queries)
    for name in ("bad..example.com", "", "  "):
        outcome = resolver.resolve(name)
        assert isinstance(outcome, Unknown) and outcome.reason == "invalid-name"
    assert len(cloud.dns.queries) == before


def test_resolve_all_resolves_each_name_once(resolver):
    """resolve_all returns one outcome per distinct name, in order."""
    outcomes = resolver.resolve_all(["plain.example.com", "gone.example.com", "plain.example.com"])
    assert list(outcomes) == ["plain.example.com", "gone.example.com"]
    assert isinstance(outcomes["gone.example.com"], NoSuchName)


def test_resolver_asks_only_the_configured_nameservers():
    """The resolver is built without the system configuration: only the given servers and port."""
    resolver = DnsResolver(ResolverSettings(("192.0.2.53", "192.0.2.54"), 5353, 2, 1.5))
    assert resolver._resolver.nameservers == ["192.0.2.53", "192.0.2.54"]
    assert resolver._resolver.port == 5353
    assert resolver._resolver.cache is None
    assert resolver._resolver.lifetime == pytest.approx(3.0)


def test_settings_default_to_the_vpc_resolvers_and_follow_routes_config():
    """Defaults are the VPC resolvers; from_routes copies the routes section."""
    assert ResolverSettings().nameservers == ("100.100.2.136", "100.100.2.138")
    routes = RoutesConfig(nameservers=("127.0.0.1",), dns_port=1053, queries_per_name=5, dns_timeout_s=0.5)
    assert ResolverSettings.from_routes(routes) == ResolverSettings(("127.0.0.1",), 1053, 5, 0.5)


@pytest.mark.parametrize("kwargs", [{"nameservers": ()}, {"queries_per_name": 0}, {"timeout_s": 0}])
def test_settings_reject_unusable_values(kwargs):
    """No nameserver, zero queries or a zero timeout are refused with a clear error."""
    with pytest.raises(ValueError, match="ResolverSettings"):
        ResolverSettings(**kwargs)


A = _Query(addresses=frozenset({"192.0.2.1"}))
B = _Query(addresses=frozenset({"192.0.2.2"}), cnames=("c.example.com",))
TIMEOUT = _Query(unknown="timeout", detail="slow")
SERVFAIL = _Query(unknown="servfail")
NX = _Query(no_such="nxdomain")
NODATA = _Query(no_such="no-data")


@pytest.mark.parametrize(("results", "expected"), [
    ([A, B], Resolved("n", frozenset({"192.0.2.1", "192.0.2.2"}), ("c.example.com",), 2, ())),
    ([A, TIMEOUT], Resolved("n", frozenset({"192.0.2.1"}), (), 2, ("timeout",))),
    ([NX, A], Resolved("n", frozenset({"192.0.2.1"}), (), 2, ("nxdomain",))),
    ([TIMEOUT], Unknown("n", "timeout", "timeout: slow")),
    ([NX, SERVFAIL], Unknown("n", "servfail", "servfail")),
    ([NX, NX], NoSuchName("n", "nxdomain")),
    ([NODATA, NX], NoSuchName("n", "nxdomain")),
    ([NODATA, NODATA], NoSuchName("n", "no-data")),
    ([], Unknown("n", "error", "")),
])
def test_combine_table(results, expected):
    """Queries combine: any answer resolves (complete only if all answered); any failure is unknown."""
    assert combine("n", results) == expected


def test_partial_answer_is_not_complete():
    """A Resolved with a failed query is not complete (it must not count toward removals)."""
    outcome = combine("n", [A, TIMEOUT])
    assert isinstance(outcome, Resolved) and not outcome.complete


@pytest.mark.parametrize(("outcome", "text"), [
    (Resolved("a.example", frozenset({"192.0.2.1"}), ("b.example",)), "a.example via b.example -> 192.0.2.1"),
    (Resolved("a.example", frozenset({"192.0.2.1"}), (), 3, ("timeout",)), "partial: 1 of 3 queries failed"),
    (NoSuchName("a.example", "nxdomain"), "a.example does not exist (NXDOMAIN)"),
    (NoSuchName("a.example", "no-data"), "a.example has no A records"),
    (Unknown("a.example", "servfail", "servfail: SERVFAIL from every nameserver"),
     "a.example: not resolved, every nameserver answered SERVFAIL"),
    (Unknown("a.example", "timeout", "timeout: The resolution lifetime expired after 0.401 seconds: Server "
             "Do53:127.0.0.1@53905 answered The DNS operation timed out."),
     "a.example: not resolved, no nameserver answered within 0.4 s (asked 127.0.0.1:53905)"),
])
def test_describe_summarizes_each_outcome(outcome, text):
    """describe() says what happened in one line, each reason once, in words."""
    assert text in describe(outcome)
    assert "unknown (" not in describe(outcome) and "timeout: timeout" not in describe(outcome)


def test_a_run_resolves_a_shared_name_once_for_every_caller_at_the_same_time(cloud):
    """Eight callers asking for a round-robin name side by side all get both addresses from one set of queries."""
    settings = local_settings(cloud)
    shared = SharedResolutions()
    views = [shared.resolver(settings) for _ in range(8)]
    before = cloud.dns.queries.count(RR + ".")
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda view: view.resolve(RR.upper() + "."), views))
    assert all(isinstance(o, Resolved) and o.addresses == RR_ADDRESSES and o.complete for o in outcomes)
    assert cloud.dns.queries.count(RR + ".") - before == settings.queries_per_name


def test_a_run_resolves_a_name_again_under_other_settings(cloud):
    """Different nameserver settings are different questions: each is asked once."""
    shared = SharedResolutions()
    one, two = local_settings(cloud, queries=1), local_settings(cloud, queries=2)
    before = cloud.dns.queries.count("plain.example.com.")
    for settings in (one, two, one, two):
        assert shared.resolver(settings).resolve_all(["plain.example.com"])["plain.example.com"].addresses == \
            frozenset({"192.0.2.10", "192.0.2.11"})
    assert cloud.dns.queries.count("plain.example.com.") - before == 3


def test_each_run_starts_with_fresh_answers(cloud):
    """A new run asks DNS again, so a changed record is seen on the next run."""
    settings = local_settings(cloud, queries=1)
    assert SharedResolutions().resolver(settings).resolve("plain.example.com").addresses == \
        frozenset({"192.0.2.10", "192.0.2.11"})
    cloud.dns.set("plain.example.com", ["192.0.2.99"])
    assert SharedResolutions().resolver(settings).resolve("plain.example.com").addresses == frozenset({"192.0.2.99"})
