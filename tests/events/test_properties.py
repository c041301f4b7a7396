"""Property: whatever arrives, decoding and routing either succeed or raise BadInputError, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrguard.errors import BadInputError
from acrguard.events import decode_events, route

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
KEYS = sorted({k for doc in SAMPLES if isinstance(doc, dict) for k in doc}
              | {k for doc in SAMPLES if isinstance(doc, dict) and isinstance(doc.get("data"), dict)
                 for k in doc["data"]})

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=30))
json_ish = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5),
                        max_leaves=20)


def outcome(raw) -> None:
    """Decode and route ``raw``; only BadInputError may escape."""
    try:
        for event in decode_events(raw):
            route(event).to_json()
    except BadInputError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_ish)
def test_arbitrary_json_values_never_raise_anything_else(value):
    """Random JSON-ish values, as objects or serialized, only ever give events or BadInputError."""
    outcome(value)
    try:
        text = json.dumps(value)
    except ValueError:
        return
    outcome(text)
    outcome(text.encode())


def _locations(doc, prefix=()):
    """Every path (tuple of keys and indexes) inside ``doc``, the root included."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in list(doc.items()):
            yield from _locations(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _locations(value, (*prefix, index))


LOCATIONS = [list(_locations(doc))[1:] for doc in SAMPLES]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_real_events_with_random_fields_replaced_never_raise_anything_else(data):
    """Real samples with any nested field replaced by a random value, or removed, give events or BadInputError."""
    index = data.draw(st.integers(min_value=0, max_value=len(SAMPLES) - 1))
    doc = json.loads(json.dumps(SAMPLES[index]))
    for path in data.draw(st.lists(st.sampled_from(LOCATIONS[index]), min_size=1, max_size=3)):
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(json_ish)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this path
    outcome(doc)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_else(raw):
    """Random bytes (mostly not UTF-8, not JSON) only ever give BadInputError or events."""
    outcome(raw)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([p for p in sorted(FIXTURES.glob("*.json"))]), st.integers(min_value=0, max_value=4000))
def test_truncated_fixtures_never_raise_anything_else(path, cut):
    """Every prefix of a real event is either still an event or a BadInputError."""
    outcome(path.read_bytes()[:cut])


SINGLE = [p.name for p in sorted(FIXTURES.glob("*.json")) if p.name != "batch_two_events.json"]
#: stand-ins of every JSON type (plus removal) tried at each field
ODD_VALUES = (None, 7, "x", [], {})


@pytest.mark.parametrize("name", SINGLE)
def test_every_field_of_every_fixture_survives_type_confusion(name):
    """Each field of each sample, replaced by a value of each JSON type or removed, gives an event or BadInputError."""
    doc = json.loads((FIXTURES / name).read_text())
    for path in list(_locations(doc))[1:]:
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        original = parent[path[-1]]
        for value in ODD_VALUES:
            parent[path[-1]] = value
            outcome(doc)
        if isinstance(parent, dict):
            del parent[path[-1]]
            outcome(doc)
        parent[path[-1]] = original
