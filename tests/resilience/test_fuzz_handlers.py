"""Malformed and hostile input to every function's handler: a clear result, no crash, no write to the cloud.

Hypothesis builds the input from the real-format event samples of ``tests/events/fixtures``:
with fields replaced by values of the wrong type, huge strings, deep nesting or unusual unicode,
or removed; or, for half the examples, a sample routed to the job under test with one text field
of its record replaced by hostile text, under a fresh event id, so the job's own code sees it;
and from raw bytes (not UTF-8, not JSON). Each input goes to ``run_job`` exactly as FC hands it
over (bytes), after a first sweep has converged the cloud, so any write would be a change made on
the strength of bad input. The examples are seeded by the test's seed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from acrguard.config import load_config
from acrguard.errors import BadInputError
from acrguard.events import decode_events, route
from acrguard.runtime.handler import run_job
from tests.resilience.auditworld import audit_config, audit_world
from tests.resilience.harness import Functions, role_context, timer, write_calls
from tests.resilience.keeperworld import routes_config, routes_world
from tests.resilience.whitelistworld import whitelist_config, whitelist_world

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "fixtures"
SAMPLES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))]
EXAMPLES = 40
#: what a handler may answer, per invocation and per event
RESULT_STATUSES = {"ok", "bad-input"}
EVENT_STATUSES = {"done", "ignored", "duplicate", "failed"}


def nest(depth: int, leaf: Any = 1) -> Any:
    """A value nested ``depth`` levels deep (alternating lists and objects)."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=("Cs", "Co", "Cf", "Mn", "Zl", "Zp", "So")), max_size=20),
    st.sampled_from(["\u202e", "\ud800", "\x00", "../../etc/passwd", "acrguard:test:restore", "0.0.0.0/0",
                     "cri-test0000000000001", "${jndi:ldap://x}", "'; DROP TABLE x; --", "%s%s%n"]),
    st.integers(min_value=1_000, max_value=300_000).map(lambda n: "A" * n),
)
hostile_value = st.one_of(
    hostile_text, st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=20, max_value=120).map(nest),
    st.lists(hostile_text, max_size=3), st.dictionaries(hostile_text, hostile_text, max_size=3),
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indexes) inside ``doc``."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def mutated_sample(draw: st.DrawFn) -> bytes:
    """A real event sample with a few fields replaced by hostile values or removed, as FC's bytes."""
    doc = json.loads(json.dumps(draw(st.sampled_from(SAMPLES))))
    paths = _paths(doc)
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)) if paths else []:
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(hostile_value)
        except (KeyError, IndexError, TypeError):
            continue
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 9)) == 0:
        text = json.dumps(text)  # encoded twice
    return text.encode("utf-8", errors="surrogatepass")


def routed_to(job: str) -> list[dict[str, Any]]:
    """The samples whose events are routed to ``job`` (the input that reaches the job's own code)."""
    chosen = []
    for sample in SAMPLES:
        try:
            if any(job in route(event).functions for event in decode_events(json.dumps(sample))):
                chosen.append(sample)
        except BadInputError:
            continue
    return chosen


def _at(doc: Any, path: tuple) -> Any:
    """The value at ``path`` inside ``doc``."""
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def routed_sample(draw: st.DrawFn, samples: list[dict[str, Any]]) -> bytes:
    """A sample routed to the job, one text field of its record replaced by hostile text, under a fresh id."""
    doc = json.loads(json.dumps(draw(st.sampled_from(samples))))
    if isinstance(doc, dict) and "specversion" in doc:
        doc["id"] = str(draw(st.uuids()))  # a new delivery, not a duplicate of the last example
    data = doc.get("data") if isinstance(doc, dict) else None
    paths = [p for p in _paths(data) if isinstance(_at(data, p), str)] if isinstance(data, dict) else []
    if paths:
        path = draw(st.sampled_from(paths))
        _at(data, path[:-1])[path[-1]] = draw(hostile_text)
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8", errors="surrogatepass")


raw_input = st.one_of(
    mutated_sample(),
    st.binary(max_size=300),
    st.binary(min_size=1, max_size=50).map(lambda b: b"\xff\xfe" + b),  # not UTF-8
    st.text(max_size=200).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    hostile_value.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=100, max_value=100_000).map(lambda depth: b"[" * depth + b"1" + b"]" * depth),
)


@pytest.fixture
def world(request):
    """The world of the job under test."""
    name = request.node.name
    if "pullkey" in name:
        return audit_world()
    if "keeper" in name:
        return routes_world()
    return whitelist_world()


def fuzz(cloud: Any, config_path: Path, job: str, seed: int) -> None:
    """Converge with one sweep, then feed hostile inputs to ``job``'s handler and check each answer."""
    assert Functions(cloud, config_path).deliver(job, timer(job, 0)).status == "done"
    config = load_config(config_path)
    mark = cloud.requests.last_seq()

    routed = routed_sample(routed_to(job))

    @hypothesis_seed(seed)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.booleans().flatmap(lambda to_the_job: routed if to_the_job else raw_input))
    def check(raw: bytes) -> None:
        result = run_job(job, raw, role_context(cloud, job), config=config)
        assert isinstance(result, dict) and result.get("status") in RESULT_STATUSES, result
        if result["status"] == "bad-input":
            assert isinstance(result.get("error"), str) and result["error"], result
        else:
            for event in result["events"]:
                assert event["status"] in EVENT_STATUSES, result
                if event["status"] == "failed":
                    assert event.get("error"), result
        writes = write_calls(cloud, mark)
        assert writes == [], f"bad input led to writes: {[(w.action, w.params) for w in writes]}"

    check()


def test_whitelist_handler_survives_hostile_input(cloud, tmp_path, seed):
    """The whitelist guard answers every hostile input clearly and writes nothing."""
    fuzz(cloud, whitelist_config(cloud, tmp_path), "whitelist_guard", seed)


def test_pullkey_handler_survives_hostile_input(cloud, tmp_path, seed):
    """The pull-key auditor answers every hostile input clearly and writes nothing."""
    fuzz(cloud, audit_config(cloud, tmp_path), "pullkey_auditor", seed)


def test_keeper_handler_survives_hostile_input(cloud, tmp_path, seed):
    """The endpoint keeper answers every hostile input clearly and writes nothing."""
    fuzz(cloud, routes_config(cloud, tmp_path), "endpoint_keeper", seed)


def test_event_parsers_raise_only_bad_input(seed):
    """Decoding and routing hostile input yields events or ``BadInputError``, never anything else."""

    @hypothesis_seed(seed)
    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(raw_input)
    def check(raw: bytes) -> None:
        try:
            for event in decode_events(raw):
                json.dumps(route(event).to_json())
        except BadInputError as exc:
            assert str(exc)

    check()
