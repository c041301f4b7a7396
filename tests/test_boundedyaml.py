"""Bounded YAML: limits on size, aliases, nesting and expansion, checked before anything is built."""

from __future__ import annotations

import pytest
import yaml

from acrguard.boundedyaml import YamlLimitError, YamlLimits, compose_all, load, measure


def test_ordinary_yaml_loads_like_safe_load():
    """Anchors, aliases, merge keys and several documents within the limits read as PyYAML reads them."""
    text = "base: &b {a: 1, b: [x, y]}\nfirst: *b\nsecond: {<<: *b, c: 2}\n"
    assert load(text) == yaml.safe_load(text)
    assert [n.tag for n in compose_all("a: 1\n---\n- 2\n")] == ["tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"]
    assert load("") is None


def test_expansion_is_measured_without_expanding():
    """Values and characters count each alias as a copy of what it names; shared nodes are measured once."""
    node = yaml.compose("a: &a [xy, xy]\nb: [*a, *a, *a]\n")
    # root, key a, list a (itself and two items), key b, list b (itself and three copies of list a)
    assert measure(node) == (1 + 1 + 3 + 1 + (1 + 3 * 3), 1 + 4 + 1 + 3 * 4)


@pytest.mark.parametrize(("limits", "text", "phrase"), [
    (YamlLimits(max_aliases=2), "a: &a 1\nb: [*a, *a, *a]\n", "more than 2 aliases"),
    (YamlLimits(max_depth=3), "a: [[[1]]]\n", "nested more than 3 levels deep"),
    (YamlLimits(max_depth=3), "a: &a [1]\nb: [[*a]]\n", "once its aliases are expanded"),
    (YamlLimits(max_nodes=10), "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", "more than 10 values"),
    (YamlLimits(max_chars=10), "a: &a abcdef\nb: [*a, *a]\n", "more than 10 characters"),
    (YamlLimits(max_bytes=10), "a: 12345678901\n", "at most 10 are read"),
])
def test_each_limit_names_itself(limits, text, phrase):
    """Over any one limit, loading raises ``YamlLimitError`` saying which limit and (when known) where."""
    with pytest.raises(YamlLimitError) as caught:
        load(text, "f.yaml", limits)
    assert phrase in caught.value.problem and str(caught.value).startswith("f.yaml: ")


def test_a_recursive_alias_is_refused_with_its_position():
    """An anchor that contains its own alias would never end: refused at its line."""
    with pytest.raises(YamlLimitError) as caught:
        load("ok: 1\nloop: &l {self: *l}\n", "f.yaml")
    assert caught.value.line == 2 and "recursive alias" in caught.value.located


def test_values_python_cannot_build_are_yaml_errors():
    """A 5,000-digit integer or an impossible date is a YAML error with its position, not a bare ValueError."""
    for text in ("n: " + "7" * 5000, "d: 2026-13-40"):
        with pytest.raises(yaml.YAMLError, match="cannot read this value"):
            load(text)
