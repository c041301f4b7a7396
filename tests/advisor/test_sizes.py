"""Sizes in config and in messages."""

from __future__ import annotations

import pytest

from acrguard.advisor.sizes import GiB, human_size, parse_size


@pytest.mark.parametrize(("text", "expected"), [("1GiB", GiB), ("1.5 GiB", 3 * GiB // 2), ("800MB", 800_000_000),
                                                ("512mib", 512 * 1024 ** 2), (" 2048 ", 2048), (12345, 12345)])
def test_sizes_are_read_in_decimal_and_binary_units(text, expected):
    """Config sizes accept bytes, SI (MB, GB) and binary (MiB, GiB) units, any case."""
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["1 parsec", "GiB", "-5", -1, True, "1..5GB"])
def test_unreadable_sizes_are_errors_that_show_the_value(bad):
    """A size that is not a size raises ValueError naming it."""
    with pytest.raises(ValueError, match="size"):
        parse_size(bad)


def test_human_sizes_use_binary_units():
    """Messages show binary units with one decimal, bytes as integers."""
    assert human_size(1717986918) == "1.6 GiB"
    assert human_size(GiB) == "1.0 GiB"
    assert human_size(500) == "500 B"
    assert human_size(3 * 1024 ** 2) == "3.0 MiB"
