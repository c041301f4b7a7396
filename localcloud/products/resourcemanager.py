"""Resource Management (resourcemanager 2020-03-31, RPC): a Resource Directory's members and folders.

Seeded in the management account's world (``accounts.<id>.global.resourcemanager``); shapes follow
``alibabacloud_resourcemanager20200331`` (``models/_list_accounts_request.py``,
``_list_accounts_response_body.py``, ``_list_folders_for_parent_request.py``,
``_list_folders_for_parent_response_body.py``):

* ``ListAccounts``: ``PageNumber`` from 1 (default 1), ``PageSize`` 1-100 (default 10), answered as
  ``{"Accounts": {"Account": [...]}, "PageNumber", "PageSize", "TotalCount"}``; each member has
  ``AccountId``, ``DisplayName``, ``FolderId``, ``JoinMethod``, ``JoinTime``, ``ModifyTime``,
  ``ResourceDirectoryId``, ``ResourceDirectoryPath`` (``rd-.../r-.../fd-.../<account>``), ``Status``
  and ``Type`` (the API page: https://www.alibabacloud.com/help/en/doc-detail/160016.htm, and its
  paging limits);
* ``ListFoldersForParent``: the sub-folders of ``ParentFolderId`` (the root folder when absent), same
  paging, ``{"Folders": {"Folder": [{"FolderId", "FolderName", "CreateTime"}]}, ...}``.

Who may call them: "only the management account of a resource directory or a delegated
administrator account of a trusted service" (the ListAccounts page). Another caller, or an account
with no directory, is answered ``EntityNotExists.ResourceDirectory`` (404); a folder the directory
does not hold ``EntityNotExists.Folder`` (404); a page size outside 1-100 ``InvalidParameter`` (400):
the codes are the emulator's choice.

World format::

    global:
      resourcemanager:
        directory_id: rd-k3abc
        root_folder_id: r-Wm1abc
        delegated_admins: ["2222222222222222"]       # may call the list APIs too
        folders: [{id: fd-team, name: team, parent: r-Wm1abc}, {id: fd-sub, name: sub, parent: fd-team}]
        accounts:
          - {id: "1111111111111111", name: member-1, folder: fd-sub, status: CreateSuccess, type: ResourceAccount}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localcloud.errors import CloudError
from localcloud.service import Call, Service, page_by_number

SEED_TIME = "2026-01-01T00:00:00Z"


@dataclass
class Folder:
    """A folder of the directory."""

    id: str
    name: str
    parent: str | None


@dataclass
class Member:
    """A member account of the directory."""

    id: str
    name: str
    folder: str
    status: str = "CreateSuccess"
    type: str = "ResourceAccount"
    join_method: str = "created"


@dataclass
class Directory:
    """One Resource Directory: its root, folders, members and delegated administrators."""

    id: str
    root: str
    folders: dict[str, Folder] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)
    delegated_admins: tuple[str, ...] = ()

    def path_of(self, folder_id: str) -> list[str]:
        """The folder ids from the root down to ``folder_id``."""
        chain: list[str] = []
        current: str | None = folder_id
        while current and current not in chain:
            chain.append(current)
            current = self.folders[current].parent if current in self.folders else None
        return list(reversed(chain))


class ResourceManagerBackend:
    """The directory an account manages (None for an account that manages none)."""

    def __init__(self, cloud: Any, account_id: str, region: str) -> None:
        self.cloud = cloud
        self.account_id = account_id
        self.directory: Directory | None = None

    def seed(self, data: dict[str, Any]) -> None:
        """Load the directory from a world file."""
        root = str(data.get("root_folder_id") or "r-root")
        directory = Directory(str(data.get("directory_id") or "rd-local"), root,
                              delegated_admins=tuple(str(a) for a in data.get("delegated_admins") or ()))
        directory.folders[root] = Folder(root, "Root", None)
        for index, spec in enumerate(data.get("folders") or []):
            if "id" not in spec:
                raise ValueError(f"folders[{index}]: needs 'id'")
            directory.folders[str(spec["id"])] = Folder(str(spec["id"]), str(spec.get("name", spec["id"])),
                                                        str(spec.get("parent") or root))
        for index, spec in enumerate(data.get("accounts") or []):
            if "id" not in spec:
                raise ValueError(f"accounts[{index}]: needs 'id'")
            folder = str(spec.get("folder") or root)
            if folder not in directory.folders:
                raise ValueError(f"accounts[{index}]: folder {folder!r} is not one of the directory's folders")
            directory.members.append(Member(str(spec["id"]), str(spec.get("name", spec["id"])), folder,
                                            str(spec.get("status", "CreateSuccess")),
                                            str(spec.get("type", "ResourceAccount")),
                                            str(spec.get("join_method", "created"))))
        self.directory = directory


SERVICE = Service("resourcemanager", "2020-03-31", ResourceManagerBackend, regional=False)


def _directory_for(call: Call) -> Directory:
    """The directory the caller manages or administers (``EntityNotExists.ResourceDirectory`` when none)."""
    caller = call.principal.account_id
    own = call.cloud.backend("resourcemanager", caller, None).directory
    if own is not None:
        return own
    for account_id, account in call.cloud.accounts.items():
        if "resourcemanager" in account.seeds:
            directory = call.cloud.backend("resourcemanager", account_id, None).directory
            if directory is not None and caller in directory.delegated_admins:
                return directory
    raise CloudError("EntityNotExists.ResourceDirectory", "The resource directory does not exist, or the caller "
                     "is neither its management account nor a delegated administrator.", 404)


def _page(call: Call) -> tuple[int, int]:
    number = call.get_int("PageNumber", 1, minimum=1)
    size = call.get_int("PageSize", 10)
    if not 1 <= size <= 100:
        raise CloudError("InvalidParameter", "The specified PageSize is invalid: valid values are 1 to 100.", 400)
    return number, size


@SERVICE.action("ListAccounts")
def list_accounts(call: Call, backend: ResourceManagerBackend) -> dict[str, Any]:
    """The directory's members, paged."""
    directory = _directory_for(call)
    number, size = _page(call)
    page = page_by_number(directory.members, number, size)
    accounts = [{"AccountId": m.id, "DisplayName": m.name, "FolderId": m.folder, "JoinMethod": m.join_method,
                 "JoinTime": SEED_TIME, "ModifyTime": SEED_TIME, "ResourceDirectoryId": directory.id,
                 "ResourceDirectoryPath": "/".join([directory.id, *directory.path_of(m.folder), m.id]),
                 "Status": m.status, "Type": m.type} for m in page]
    return {"Accounts": {"Account": accounts}, "PageNumber": number, "PageSize": size,
            "TotalCount": len(directory.members)}


@SERVICE.action("ListFoldersForParent")
def list_folders_for_parent(call: Call, backend: ResourceManagerBackend) -> dict[str, Any]:
    """The sub-folders of ``ParentFolderId`` (the root when absent), paged."""
    directory = _directory_for(call)
    parent = call.get("ParentFolderId") or directory.root
    if parent not in directory.folders:
        raise CloudError("EntityNotExists.Folder", f"The folder {parent} does not exist.", 404)
    number, size = _page(call)
    children = sorted((f for f in directory.folders.values() if f.parent == parent), key=lambda f: f.id)
    page = page_by_number(children, number, size)
    return {"Folders": {"Folder": [{"FolderId": f.id, "FolderName": f.name, "CreateTime": SEED_TIME}
                                   for f in page]},
            "PageNumber": number, "PageSize": size, "TotalCount": len(children)}
