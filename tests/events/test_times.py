"""Lenient timestamps: every format seen in Alibaba Cloud events parses; anything else names its path."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from acrguard.events._fields import Ctx
from acrguard.events.errors import MalformedEventError
from acrguard.events.times import parse_time

UTC = timezone.utc
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("text", "expected"), [
    ("2020-11-19T21:04:42Z", datetime(2020, 11, 19, 21, 4, 42, tzinfo=UTC)),
    ("2020-11-19T21:04:41+08:00", datetime(2020, 11, 19, 21, 4, 41, tzinfo=CST)),
    ("2020-11-19T21:04:42.179PRC", datetime(2020, 11, 19, 21, 4, 42, 179000, tzinfo=CST)),
    ("2020-11-19T21:04:42.179CST", datetime(2020, 11, 19, 21, 4, 42, 179000, tzinfo=CST)),
    ("2020-11-19T13:04:42.123456789Z", datetime(2020, 11, 19, 13, 4, 42, 123456, tzinfo=UTC)),
    ("2020-11-19T21:04:42-0500", datetime(2020, 11, 19, 21, 4, 42, tzinfo=timezone(timedelta(hours=-5)))),
    ("2020-11-19 21:04:42", datetime(2020, 11, 19, 21, 4, 42, tzinfo=UTC)),
    ("2020-11-19T21:04:42 UTC", datetime(2020, 11, 19, 21, 4, 42, tzinfo=UTC)),
    ("2020-11-19", datetime(2020, 11, 19, tzinfo=UTC)),
])
def test_known_formats_parse_to_the_same_instant(text, expected):
    """Each published format gives the instant it means."""
    assert parse_time(text, Ctx()) == expected


def test_epoch_seconds_and_milliseconds_are_accepted():
    """Numbers are epoch seconds, or milliseconds when too large to be seconds."""
    assert parse_time(1605791082, Ctx()) == datetime(2020, 11, 19, 13, 4, 42, tzinfo=UTC)
    assert parse_time(1605791082179, Ctx()) == datetime(2020, 11, 19, 13, 4, 42, 179000, tzinfo=UTC)


def test_zone_less_times_use_the_given_zone():
    """ACR's ImageUpdate has no zone and is local time: the caller says which."""
    assert parse_time("2021-11-15 20:49:40", Ctx(), naive=CST).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("text", ["yesterday", "2020-13-45T00:00:00Z", "2020-11-19T25:00:00Z",
                                  "2020-11-19T21:04:42XYZT", "2020-11-19T21:04:42+25:00", "", "12:00"])
def test_unrecognised_times_are_errors_with_their_path(text):
    """A time acrguard cannot read is a MalformedEventError at the field's path."""
    with pytest.raises(MalformedEventError) as caught:
        parse_time(text, Ctx("$.time", "ev-1"))
    assert caught.value.path == "$.time"
    assert caught.value.event_id == "ev-1"


@pytest.mark.parametrize("value", [True, None, [2020], {"t": 1}, float("nan"), -5])
def test_non_time_values_are_errors(value):
    """Booleans, null, lists, objects, NaN and negative epochs are not times."""
    with pytest.raises(MalformedEventError):
        parse_time(value, Ctx("$.time"))
