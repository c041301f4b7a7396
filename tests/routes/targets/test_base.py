"""Markers, prefix normalization and the desired-set rules shared by every target."""

from __future__ import annotations

import pytest

from acrguard.routes.targets.base import (
    ApplyResult,
    Failure,
    client_token,
    desired_by_prefix,
    marker_prefix,
    normalize_prefix,
    parse_marker,
)


def test_marker_names_the_instance_and_parses_only_exact_families():
    """Only '<prefix><known family>' is ours; other instances, suffixes and free text are not."""
    prefix = marker_prefix("testreg")
    assert prefix == "acrguard:testreg:"
    assert parse_marker("acrguard:testreg:oss", prefix) == "oss"
    assert parse_marker("acrguard:testreg:auth", prefix) == "auth"
    for text in ("acrguard:otherreg:oss", "acrguard:testreg:oss-extra", "acrguard:testreg:", "ops", "", None):
        assert parse_marker(text, prefix) is None


def test_marker_prefix_rejects_names_that_would_blur_the_marker():
    """An empty name or one with ':' could match another instance's entries, so it is refused."""
    for bad in ("", "a:b"):
        with pytest.raises(ValueError, match="instance name"):
            marker_prefix(bad)


def test_prefixes_are_normalized_and_bad_ones_named():
    """A bare address is a /32, host bits are cleared, and a bad value is named in the error."""
    assert normalize_prefix("100.103.9.188") == "100.103.9.188/32"
    assert normalize_prefix(" 100.118.28.7/24 ") == "100.118.28.0/24"
    with pytest.raises(ValueError, match=r"'oss\.example\.com'"):
        normalize_prefix("oss.example.com")


def test_desired_set_keeps_the_targets_families_and_labels_shared_prefixes_once():
    """Families the target does not route are dropped; a prefix in two families takes the first family."""
    desired = {("100.103.9.188", "auth"), ("100.103.9.188/32", "oss"), ("100.118.28.0/24", "oss"),
               ("192.168.10.21", "vpc_endpoint")}
    assert desired_by_prefix(desired, ("auth", "oss")) == {"100.103.9.188/32": "auth", "100.118.28.0/24": "oss"}
    with pytest.raises(ValueError, match="unknown family 'web'"):
        desired_by_prefix({("1.2.3.4", "web")})


def test_client_token_is_short_ascii_and_stable():
    """Tokens fit the 64-character ASCII limit and depend only on their parts."""
    token = client_token("vbr_route_table:vtb-1", "100.118.28.0/24", "oss")
    assert token == client_token("vbr_route_table:vtb-1", "100.118.28.0/24", "oss") and len(token) <= 64
    assert token.isascii() and token != client_token("vbr_route_table:vtb-1", "100.118.31.0/24", "oss")


def test_apply_result_is_ok_only_without_failures_or_skips():
    """A skipped change or any failure makes the result not ok; transient failures are flagged."""
    assert ApplyResult("t").ok
    assert not ApplyResult("t", skipped=["100.118.28.0/24"]).ok
    failed = ApplyResult("t", failures=[Failure("*", "wait", "Timeout", "slow", True)])
    assert not failed.ok and failed.transient and failed.to_dict()["ok"] is False
