"""The member accounts of an organisation: listed in the config, or enumerated from the Resource Directory.

Resource Directory (resourcemanager 2020-03-31, ``alibabacloud_resourcemanager20200331``):

* ``ListAccounts`` lists every member, ``PageSize`` 1-100 (default 10), ``PageNumber`` from 1,
  with ``TotalCount``; each member has ``AccountId``, ``DisplayName``, ``FolderId``, ``Status``,
  ``Type`` (SDK ``models/_list_accounts_request.py`` and ``_list_accounts_response_body.py``; the API
  page, https://www.alibabacloud.com/help/en/doc-detail/160016.htm: "You can use only the management
  account of a resource directory or a delegated administrator account of a trusted service to
  call this operation");
* ``ListFoldersForParent`` lists a folder's sub-folders (``ParentFolderId``, same paging), walked to
  find every folder beneath a filter's folders; it is called only when a folder filter is set.

A member whose creation did not succeed (``Status`` ``CreateCancelled``, ``CreateExpired``,
``CreateFailed``, ``CreateVerifying``; the values the Terraform provider's
``alicloud_resource_manager_accounts`` data source lists) is skipped with the reason; any other
status (``CreateSuccess``, ``InviteSuccess``, ``Promote*``, or one not known here) is a member:
unknown is not absent, and a member acrguard cannot enter fails its shard visibly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acrguard.clients import call

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.organization import OrganizationConfig

PAGE_SIZE = 100
#: statuses of a member whose creation has not succeeded: nothing to enter yet
NOT_CREATED = frozenset({"CreateCancelled", "CreateExpired", "CreateFailed", "CreateVerifying"})
#: at most this many folders are walked beneath the filters' folders (a loop or a huge tree stops here)
MAX_FOLDERS = 10_000


@dataclass(frozen=True)
class Member:
    """One account to sweep: its id, label, regions, and whether it is the central account itself."""

    id: str
    name: str | None
    regions: tuple[str, ...]
    central: bool = False


@dataclass(frozen=True)
class Roster:
    """The accounts to sweep, the ones left out with the reason, and where the list came from."""

    members: tuple[Member, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    source: str = "listed"
    calls: int = 0

    def member(self, account_id: str) -> Member | None:
        """The member ``account_id`` (None when it is not swept)."""
        return next((m for m in self.members if m.id == account_id), None)


@dataclass
class _Directory:
    """What the Resource Directory said, and how many calls it took."""

    accounts: list[Any] = field(default_factory=list)
    calls: int = 0


def _client(factory: ClientFactory) -> Any:
    return factory.client("resourcemanager")


def _pages(fetch: Any, what: str) -> Iterator[tuple[list[Any], int]]:
    """Every page of a ``PageNumber``/``PageSize`` listing: ``(items, calls so far)``."""
    page, seen, calls = 1, 0, 0
    while True:
        items, total = fetch(page)
        calls += 1
        yield items, calls
        seen += len(items)
        if not items or seen >= (total or 0):
            return
        page += 1
        if page > 10_000:
            raise RuntimeError(f"{what}: more than 10,000 pages; the listing does not end")


def list_directory_accounts(factory: ClientFactory) -> _Directory:
    """Every member of the Resource Directory (``ListAccounts``, 100 a page)."""
    from alibabacloud_resourcemanager20200331 import models

    client = _client(factory)

    def fetch(page: int) -> tuple[list[Any], int]:
        body = call("resourcemanager", "ListAccounts", client.list_accounts,
                    models.ListAccountsRequest(page_number=page, page_size=PAGE_SIZE))
        accounts = getattr(getattr(body, "accounts", None), "account", None) or []
        return list(accounts), int(body.total_count or 0)

    found = _Directory()
    for items, calls in _pages(fetch, "ListAccounts"):
        found.accounts += items
        found.calls = calls
    return found


def folders_beneath(factory: ClientFactory, roots: tuple[str, ...]) -> tuple[set[str], int]:
    """``roots`` and every folder beneath them (``ListFoldersForParent``, breadth first), and the calls made."""
    from alibabacloud_resourcemanager20200331 import models

    client = _client(factory)
    found, queue, calls = set(roots), list(roots), 0
    while queue:
        parent = queue.pop(0)

        def fetch(page: int, parent: str = parent) -> tuple[list[Any], int]:
            body = call("resourcemanager", "ListFoldersForParent", client.list_folders_for_parent,
                        models.ListFoldersForParentRequest(parent_folder_id=parent, page_number=page,
                                                           page_size=PAGE_SIZE))
            folders = getattr(getattr(body, "folders", None), "folder", None) or []
            return list(folders), int(body.total_count or 0)

        pages = 0
        for items, pages in _pages(fetch, "ListFoldersForParent"):  # noqa: B007 - the last count is the total
            for folder in items:
                folder_id = getattr(folder, "folder_id", None)
                if folder_id and folder_id not in found:
                    found.add(folder_id)
                    queue.append(folder_id)
            if len(found) > MAX_FOLDERS:
                raise RuntimeError(f"more than {MAX_FOLDERS} folders beneath {', '.join(roots)}")
        calls += pages
    return found, calls


def resolve(org: OrganizationConfig, factory: ClientFactory, central_id: str) -> Roster:
    """The accounts to sweep: the listed ones, or the directory's members that pass the filters.

    The central account is a member when ``include_central_account`` (it is swept with the
    function's own role, never through ``AssumeRole``).
    """
    if org.resource_directory is None:
        members = [Member(a.id, a.name, tuple(a.regions or org.regions), a.id == central_id) for a in org.accounts]
        if org.include_central_account and not any(m.central for m in members):
            members.insert(0, Member(central_id, "central", org.regions, True))
        return Roster(tuple(members), source="listed")
    directory = org.resource_directory
    listing = list_directory_accounts(factory)
    calls = listing.calls
    included: set[str] | None = None
    excluded: set[str] = set()
    if directory.include_folders:
        included, more = folders_beneath(factory, directory.include_folders)
        calls += more
    if directory.exclude_folders:
        excluded, more = folders_beneath(factory, directory.exclude_folders)
        calls += more
    members: list[Member] = []
    skipped: list[tuple[str, str]] = []
    for account in listing.accounts:
        account_id = str(getattr(account, "account_id", "") or "")
        folder = getattr(account, "folder_id", None) or ""
        status = getattr(account, "status", None) or ""
        why = None
        if not account_id:
            continue
        if account_id in directory.exclude_accounts:
            why = "excluded by exclude_accounts"
        elif directory.include_accounts and account_id not in directory.include_accounts:
            why = "not in include_accounts"
        elif folder in excluded:
            why = f"in folder {folder}, beneath exclude_folders"
        elif included is not None and folder not in included:
            why = f"in folder {folder or '?'}, not beneath include_folders"
        elif status in NOT_CREATED:
            why = f"status {status}: the member's creation has not succeeded"
        elif account_id == central_id and not org.include_central_account:
            why = "the central account (include_central_account is false)"
        if why:
            skipped.append((account_id, why))
            continue
        members.append(Member(account_id, getattr(account, "display_name", None) or None, org.regions,
                              account_id == central_id))
    if org.include_central_account and not any(m.central for m in members):
        members.insert(0, Member(central_id, "central", org.regions, True))
    return Roster(tuple(members), tuple(skipped), "resource-directory", calls)
