"""Property: whatever arrives, decoding and routing either succeed or raise BadInputError, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acrguard.errors import BadInputError
from acrguard.events import decode_events, route

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
KEYS = sorted({k for doc in SAMPLES if isinstance(doc, dict) for k in doc}
              | {k for doc in SAMPLES if isinstance(doc, dict) and isinstance(doc.get("data"), dict)
                 for k in doc["data"]})

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.sampled_from(KEYS), json_ish), min_size=1, max_size=4),
       st.booleans())
def test_real_events_with_random_fields_replaced_never_raise_anything_else(sample, replacements, in_data):
    """Real samples with fields swapped for random values only ever give events or BadInputError."""
    doc = json.loads(json.dumps(sample))
    target = doc[0] if isinstance(doc, list) else doc
    if in_data and isinstance(target.get("data"), dict):
        target = target["data"]
    for key, value in replacements:
        target[key] = value
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
