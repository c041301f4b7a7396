"""``instances[].whitelist`` config: unsafe entries are refused at load, with their path."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.config import load_config_data
from acrguard.errors import ConfigError


def _load(whitelist: dict[str, Any]):
    return load_config_data({"instances": [{"name": "testreg", "instance_id": "cri-test0000000000001",
                                            "whitelist": whitelist}]})


def _problems(whitelist: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(whitelist)
    return caught.value.problems


def test_any_address_is_refused_with_its_path():
    """0.0.0.0/0 (and ::/0) in the declared entries is an error naming the entry."""
    assert _problems({"entries": [{"cidr": "203.0.113.0/24"}, {"cidr": "0.0.0.0/0"}]}) == [
        "instances[0].whitelist.entries: [1] 0.0.0.0/0 opens the registry to the whole internet and is refused"]
    assert "::/0 opens the registry" in _problems({"entries": [{"cidr": "::/0"}]})[0]


def test_entries_broader_than_the_floor_are_refused_unless_the_floor_is_lowered():
    """A /12 is refused with the default /16 floor and accepted with floor_prefix 12."""
    assert "broader than the floor /16" in _problems({"entries": [{"cidr": "172.16.0.0/12"}]})[0]
    assert _load({"floor_prefix": 12, "entries": [{"cidr": "172.16.0.0/12"}]}).instances[0].whitelist is not None


def test_the_floor_cannot_go_below_8():
    """floor_prefix under 8 is an error naming the field and the limit; 8 itself is accepted."""
    assert _problems({"floor_prefix": 4}) == [
        "instances[0].whitelist.floor_prefix: floor_prefix 4 would accept entries of up to 268,435,456 addresses; "
        "it must be at least 8 (a /8 already admits 16,777,216)"]
    assert "at least 8" in _problems({"floor_prefix": 0})[0]
    assert _load({"floor_prefix": 8}).instances[0].whitelist.floor_prefix == 8


def test_any_address_cannot_be_allowed_unmanaged():
    """allowed_unmanaged cannot legitimise 0.0.0.0/0."""
    assert "cannot be allowed" in _problems({"allowed_unmanaged": ["0.0.0.0/0"]})[0]


def test_labels_default_and_must_be_unique():
    """A label defaults to the hostname or the CIDR; two entries cannot share one."""
    whitelist = _load({"entries": [{"cidr": "203.0.113.0/24"}, {"host": "IDC.Example.com."}]}).instances[0].whitelist
    assert [e.key for e in whitelist.entries] == ["203.0.113.0_24", "idc.example.com"]
    assert "each label may appear once" in _problems({"entries": [{"cidr": "203.0.113.0/24", "label": "a"},
                                                                   {"cidr": "198.51.100.0/24", "label": "a"}]})[0]


def test_an_entry_needs_exactly_one_of_cidr_or_host():
    """Neither or both of cidr and host is an error."""
    assert "exactly one of 'cidr' or 'host'" in _problems({"entries": [{"comment": "x"}]})[0]
