"""``whitelist.marker``: the ownership marker written into and read from each entry's Comment."""

from __future__ import annotations

from acrguard.whitelist.marker import Marker, make_comment, owned_by, parse_marker


def test_marker_comes_first_and_the_comment_follows():
    """The Comment is the marker, one space, then the declared comment."""
    assert make_comment("testreg", "office", " office egress ") == "acrguard:testreg:office office egress"
    assert make_comment("testreg", "office") == "acrguard:testreg:office"


def test_a_written_comment_parses_back():
    """What acrguard writes it recognises, labels with dots included."""
    comment = make_comment("testreg", "idc.example.com", "IDC")
    assert parse_marker(comment) == Marker("testreg", "idc.example.com")


def test_comments_without_a_complete_marker_are_not_ours():
    """Free text, a bare prefix and an incomplete marker are unmanaged."""
    for comment in ("", "office", "acrguard", "acrguard:testreg", "acrguard::x", "see acrguard:testreg:x"):
        assert parse_marker(comment) is None, comment


def test_another_instances_marker_is_not_ours():
    """An entry marked for another instance is not owned by this one."""
    assert owned_by("acrguard:otherreg:office", "testreg") is None
    assert owned_by("acrguard:testreg:office", "testreg") == Marker("testreg", "office")
