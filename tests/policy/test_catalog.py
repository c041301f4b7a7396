"""The cr action catalog: derived from the installed SDK, reviewed, and expandable by pattern."""

from __future__ import annotations

import json

import pytest

from acrguard.policy.catalog import AccessLevel, load_catalog
from acrguard.policy.catalog_gen import (
    DATA_FILE,
    REVIEWED,
    build_catalog,
    generate,
    render,
    sdk_client_path,
    sdk_operations,
)


def test_data_file_matches_the_installed_sdk() -> None:
    """The shipped catalog is what the generator makes from the installed SDK (run catalog_gen after an upgrade)."""
    text, warnings = generate()
    assert DATA_FILE.read_text(encoding="utf-8") == text, \
        "cr_actions.json is stale: run `python -m acrguard.policy.catalog_gen` and review the diff"
    assert warnings == []


def test_every_sdk_operation_is_catalogued_and_reviewed() -> None:
    """Each operation of alibabacloud-cr20181201 is an action with a reviewed level."""
    operations, api_version = sdk_operations(sdk_client_path().read_text(encoding="utf-8"))
    catalog = load_catalog()
    assert api_version == "2018-12-01"
    assert len(operations) > 100
    for name in operations:
        entry = catalog.get(f"cr:{name}")
        assert entry is not None and entry.reviewed, name


def test_a_new_sdk_operation_shows_up_unreviewed() -> None:
    """An operation missing from the reviewed table enters with a guessed level, flagged, and warned about."""
    catalog, warnings = build_catalog(["GetAuthorizationToken", "PurgeEverything", "DescribeThing"], "9.9.9",
                                      "2018-12-01")
    rows = {a["action"]: a for a in catalog["actions"]}
    assert rows["cr:PurgeEverything"] == {"action": "cr:PurgeEverything", "level": "write", "origin": "sdk",
                                          "api": "PurgeEverything", "reviewed": False}
    assert rows["cr:DescribeThing"]["level"] == "read"
    assert any("PurgeEverything" in w for w in warnings)
    assert any("no longer in the SDK" in w and "PushRepository" not in w for w in warnings)
    assert "cr:PushRepository" in rows and "cr:PullRepository" in rows


def test_render_is_stable_one_action_per_line() -> None:
    """The data file renders one action per line, so a new SDK release is a readable diff."""
    catalog, _ = build_catalog(["GetRepository", "CreateRepository"], "1", "2018-12-01")
    text = render(catalog)
    assert json.loads(text) == catalog
    assert text.count('{"action": "cr:') == len(catalog["actions"])
    assert render(catalog) == text


@pytest.mark.parametrize(("action", "level"), [
    ("cr:GetAuthorizationToken", AccessLevel.READ),
    ("cr:ListInstanceEndpoint", AccessLevel.LIST),
    ("cr:PullRepository", AccessLevel.READ),
    ("cr:PushRepository", AccessLevel.WRITE),
    ("cr:DeleteRepository", AccessLevel.WRITE),
    ("cr:CreateRepoSyncRule", AccessLevel.WRITE),
    ("cr:ResetLoginPassword", AccessLevel.WRITE),
    ("cr:UpdateSourceRepository", AccessLevel.WRITE),
    ("cr:ListRepositoryTag", AccessLevel.READ),  # the documented action of ListRepoTag and GetRepoTag
    ("cr:GetScan", AccessLevel.READ),
])
def test_reviewed_levels(action: str, level: AccessLevel) -> None:
    """Key actions carry the level a reviewer gave them (not only what their verb suggests)."""
    assert load_catalog().get(action).level is level  # type: ignore[union-attr]


def test_wildcards_expand_to_real_actions() -> None:
    """`cr:Get*` expands to catalogued reads; mid-string wildcards work; case is ignored."""
    catalog = load_catalog()
    gets = {a.action for a in catalog.expand("cr:Get*")}
    assert "cr:GetAuthorizationToken" in gets and "cr:GetRepository" in gets
    assert all(a.level is AccessLevel.READ for a in catalog.expand("cr:Get*"))
    assert [a.action for a in catalog.expand("cr:Get*Token")] == ["cr:GetAuthorizationToken"]
    assert {a.action for a in catalog.expand("CR:*REPOSITORY")} >= {"cr:PushRepository", "cr:PullRepository",
                                                                     "cr:DeleteRepository"}
    assert catalog.canonical("cr:pullrepository") == "cr:PullRepository"


def test_registry_actions_are_reviewed_entries() -> None:
    """docker pull/push are RAM actions without an API; they come from the reviewed table."""
    assert REVIEWED["PullRepository"][1] == "registry"
    assert load_catalog().get("cr:PushRepository").origin == "registry"  # type: ignore[union-attr]
