"""The ``organization:`` section: accounts or a Resource Directory, regions, the role, every error with its path."""

from __future__ import annotations

import pytest

from acrguard.config import load_config_data
from acrguard.errors import ConfigError

ACCOUNT = "2900000000000001"


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_data(data)
    return caught.value.problems


def test_a_config_without_the_section_is_one_account():
    """No ``organization:``: nothing changes for a user with one account."""
    assert load_config_data({}).organization is None


def test_listed_accounts_accept_unquoted_ids_and_default_regions():
    """An account id written as a YAML number is kept as text; an account without regions has the section's."""
    config = load_config_data({"organization": {"accounts": [{"id": int(ACCOUNT)}], "regions": ["cn-hangzhou"]}})
    org = config.organization
    assert org.accounts[0].id == ACCOUNT and org.listed(ACCOUNT).regions is None
    assert org.role_for("acrguard-whitelist-guard") == "acrguard-member"


def test_exactly_one_source_of_accounts():
    """Neither or both of ``accounts`` and ``resource_directory`` is an error naming the section."""
    assert any("exactly one of 'accounts'" in p for p in problems({"organization": {"regions": ["cn-hangzhou"]}}))
    both = {"accounts": [{"id": ACCOUNT}], "resource_directory": {}, "regions": ["cn-hangzhou"]}
    assert any(p.startswith("organization:") and "exactly one" in p for p in problems({"organization": both}))


def test_every_error_names_its_path():
    """Bad ids, folders, regions and external ids are each reported at their own path."""
    found = problems({"organization": {
        "resource_directory": {"include_folders": ["team"], "exclude_accounts": ["12ab"]},
        "regions": [], "external_id": "x", "role_name": "bad role"}})
    assert any(p.startswith("organization.resource_directory.include_folders[0]: ") for p in found)
    assert any(p.startswith("organization.resource_directory.exclude_accounts[0]: ") for p in found)
    assert any(p.startswith("organization.regions: ") for p in found)
    assert any(p.startswith("organization.external_id: ") for p in found)
    assert any(p.startswith("organization.role_name: ") for p in found)


def test_a_filter_cannot_include_and_exclude_the_same_thing():
    """A folder both included and excluded is refused, naming it."""
    found = problems({"organization": {"resource_directory": {"include_folders": ["fd-a"],
                                                              "exclude_folders": ["fd-a"]},
                                       "regions": ["cn-hangzhou"]}})
    assert any("fd-a" in p and "include_folders and exclude_folders" in p for p in found)


def test_repeated_accounts_are_refused():
    """Listing one account twice is an error."""
    found = problems({"organization": {"accounts": [{"id": ACCOUNT}, {"id": ACCOUNT}], "regions": ["cn-hangzhou"]}})
    assert any("repeated" in p and ACCOUNT in p for p in found)


def test_an_instance_in_another_account_needs_an_organization():
    """``instances[].account`` without an ``organization:`` section is refused: acrguard could not enter it."""
    found = problems({"instances": [{"name": "a", "instance_id": "cri-abc", "account": ACCOUNT}]})
    assert any("needs an 'organization:' section" in p for p in found)


def test_the_function_placeholder_names_one_role_per_function():
    """``{function}`` in the role name stands for the function's name."""
    config = load_config_data({"organization": {"accounts": [{"id": ACCOUNT}], "regions": ["cn-hangzhou"],
                                                "role_name": "{function}", "external_id": "org-2026:abc"}})
    assert config.organization.role_for("acrguard-pullkey-auditor") == "acrguard-pullkey-auditor"
    assert config.organization.external_id == "org-2026:abc"
