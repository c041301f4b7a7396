"""The organisation's accounts: listed by hand, or every member of the Resource Directory through the filters."""

from __future__ import annotations

from typing import Any

import pytest

from acrguard.config.organization import OrganizationConfig
from acrguard.errors import CloudCallError
from acrguard.org.accounts import resolve
from localcloud.worlds.generate import ORG_CENTRAL, ORG_CENTRAL_KEY, ORG_CENTRAL_SECRET, org_member, org_world
from support import make_factory

MEMBERS = 230  # more than two pages of 100


@pytest.fixture
def world() -> dict[str, Any]:
    data = org_world(MEMBERS, ("cn-hangzhou",))
    directory = data["accounts"][ORG_CENTRAL]["global"]["resourcemanager"]
    directory["folders"].append({"id": "fd-orgnested", "name": "nested", "parent": "fd-orgprod"})
    directory["accounts"][2]["folder"] = "fd-orgnested"  # beneath fd-orgprod
    directory["accounts"][4]["status"] = "CreateFailed"
    return data


def central(cloud: Any) -> Any:
    return make_factory(cloud, ORG_CENTRAL_KEY, ORG_CENTRAL_SECRET)


def org(**directory: Any) -> OrganizationConfig:
    return OrganizationConfig.model_validate({"resource_directory": directory, "regions": ["cn-hangzhou"]})


def test_every_member_of_the_directory_is_listed_page_by_page(cloud):
    """ListAccounts is paged at 100: 230 members take 3 calls; the central account is swept with its own role."""
    roster = resolve(org(), central(cloud), ORG_CENTRAL)
    assert roster.calls == 3 and roster.source == "resource-directory"
    ids = [m.id for m in roster.members]
    assert ids[0] == ORG_CENTRAL and roster.members[0].central
    assert len(ids) == MEMBERS and org_member(4) not in ids  # the one whose creation failed
    assert (org_member(4), "status CreateFailed: the member's creation has not succeeded") in roster.skipped
    pages = [r for r in cloud.requests.all() if r.action == "ListAccounts"]
    assert [r.params.get("PageNumber") for r in pages] == ["1", "2", "3"]
    assert {r.params.get("PageSize") for r in pages} == {"100"}


def test_folder_filters_reach_nested_folders(cloud):
    """An included folder takes the members of the folders beneath it; an excluded folder removes its own."""
    roster = resolve(org(include_folders=["fd-orgprod"]), central(cloud), ORG_CENTRAL)
    ids = {m.id for m in roster.members}
    assert org_member(2) in ids  # in fd-orgnested, beneath fd-orgprod
    assert org_member(0) in ids and org_member(1) not in ids  # fd-orgprod / fd-orgdev
    assert any(r.action == "ListFoldersForParent" and r.params.get("ParentFolderId") == "fd-orgnested"
               for r in cloud.requests.all())
    excluded = resolve(org(exclude_folders=["fd-orgnested"]), central(cloud), ORG_CENTRAL)
    assert org_member(2) not in {m.id for m in excluded.members} and org_member(0) in {m.id for m in excluded.members}


def test_account_filters_and_the_central_switch(cloud):
    """``include_accounts`` keeps only those, ``exclude_accounts`` drops those, ``include_central_account`` false
    leaves the central account out."""
    config = OrganizationConfig.model_validate({
        "resource_directory": {"include_accounts": [org_member(0), org_member(1)], "exclude_accounts": [org_member(3)]},
        "regions": ["cn-hangzhou"], "include_central_account": False})
    roster = resolve(config, central(cloud), ORG_CENTRAL)
    assert [m.id for m in roster.members] == [org_member(0), org_member(1)]
    assert (org_member(3), "excluded by exclude_accounts") in roster.skipped
    assert (org_member(5), "not in include_accounts") in roster.skipped


def test_listed_accounts_need_no_directory_call(cloud):
    """A hand-made list is used as it is, each account with its own regions or the section's."""
    config = OrganizationConfig.model_validate({"accounts": [{"id": org_member(0), "regions": ["cn-shanghai"]},
                                                             {"id": org_member(1)}],
                                                "regions": ["cn-hangzhou"]})
    roster = resolve(config, central(cloud), ORG_CENTRAL)
    assert [(m.id, m.regions) for m in roster.members] == [
        (ORG_CENTRAL, ("cn-hangzhou",)), (org_member(0), ("cn-shanghai",)), (org_member(1), ("cn-hangzhou",))]
    assert roster.calls == 0 and not any(r.product == "resourcemanager" for r in cloud.requests.all())


def test_only_the_management_account_can_list_the_directory(cloud):
    """A member account has no directory to list: the error says so, nothing is guessed."""
    member = make_factory(cloud, "LTAI5tOrgMember0000000", "org-member-secret-0000000")
    with pytest.raises(CloudCallError) as caught:
        resolve(org(), member, org_member(0))
    assert caught.value.code == "EntityNotExists.ResourceDirectory"
