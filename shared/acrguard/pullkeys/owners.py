"""Which account owns a pull key: the seam between one account's audit and an organisation's many accounts.

A ConfigMap may hold another account's key: the ACR cross-account page has a cluster of account A
pull from account B's instance with a RAM user of B in ``customAccessKey``
(https://www.alibabacloud.com/help/en/acr/user-guide/use-secret-free-components-to-pull-images-across-accounts).
The auditor first looks the key up in its own account (``KeyDirectory.owners``: IMS ``GetUser`` by
``UserAccessKeyId``, then RAM). A key no user of that account owns goes to an ``OwnerResolver``:

* ``ThisAccountOnly`` (the default, one account): searches nowhere else; the key is reported as
  "owner not in this account", with ``hint`` saying what to configure.
* ``OtherAccounts``: asks IMS ``GetUser`` (``UserAccessKeyId``) in each account it is given, in
  order, until one names the key's owner; the audit then judges that user in its own account, with
  that account's client factory (``PullKeyAuditor`` builds one auditor per such account). An
  account whose IMS could not be asked (no permission, an error) is unknown: the key is not called
  ownerless there, and the search says which accounts failed and why.

How an organisation plugs in: build ``OtherAccounts`` from the member accounts, each with a
function that returns a ``ClientFactory`` signed with the role assumed in that account (only called
when a key is actually searched there), and hand it to ``PullKeyAuditor(..., owners=...)``. The
central account's own key lookup is unchanged. The member role needs ``ram:GetUser`` (IMS) plus
the auditor's RAM reads to judge the user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from acrguard.clients import ClientFactory
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.ratelimit import CallPacer


@dataclass(frozen=True)
class ForeignOwner:
    """The RAM user of another account that owns a key, and the factory to read that account with."""

    account_id: str
    user_name: str
    factory: ClientFactory = field(repr=False, compare=False)


@dataclass(frozen=True)
class OwnerSearch:
    """What a search beyond the home account found: owners by key id, the accounts asked, those that failed."""

    owners: Mapping[str, ForeignOwner] = field(default_factory=dict)
    searched: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)  # account -> why it could not be searched


class OwnerResolver(Protocol):
    """Finds the owners of keys that no user of the home account owns."""

    #: what to configure so that the owner of such a key is found (shown in the finding's fix)
    hint: str

    def find(self, key_ids: Iterable[str]) -> OwnerSearch:
        """Search the other accounts for the owners of ``key_ids``."""
        ...


ONE_ACCOUNT_HINT = ("if the key belongs to a RAM user of another account (a cross-account customAccessKey), add that "
                    "account to the organization section of the config (organization.accounts, or the Resource "
                    "Directory) so acrguard can assume its role there and audit the user; if it was deleted, remove "
                    "it from the ConfigMap; never put an account's root AccessKey in a ConfigMap")


@dataclass(frozen=True)
class ThisAccountOnly:
    """One account: a key it does not own is looked for nowhere else."""

    hint: str = ONE_ACCOUNT_HINT

    def find(self, key_ids: Iterable[str]) -> OwnerSearch:
        """Nothing found, nothing searched."""
        return OwnerSearch()


class OtherAccounts:
    """Searches the given accounts, in order, with IMS ``GetUser`` by ``UserAccessKeyId``.

    ``accounts`` maps an account id to a function returning a ``ClientFactory`` for that account
    (an assumed role's credentials); it is called at most once, when the account is first searched.
    """

    hint = ("if the key belongs to an account outside the organization acrguard sweeps, add it to the "
            "organization section of the config; if it was deleted, remove it from the ConfigMap; never put an "
            "account's root AccessKey in a ConfigMap")

    def __init__(self, accounts: Mapping[str, Callable[[], ClientFactory]], *, pacer: CallPacer | None = None) -> None:
        self.accounts = dict(accounts)
        self.pacer = pacer
        self._factories: dict[str, ClientFactory] = {}

    def factory(self, account_id: str) -> ClientFactory:
        """The factory of ``account_id``, made on first use."""
        if account_id not in self._factories:
            self._factories[account_id] = self.accounts[account_id]()
        return self._factories[account_id]

    def find(self, key_ids: Iterable[str]) -> OwnerSearch:
        """Ask each account in turn for the keys still unowned; a transient error is raised."""
        from acrguard.pullkeys.imsapi import ImsReader

        left = sorted(set(key_ids))
        owners: dict[str, ForeignOwner] = {}
        failed: dict[str, str] = {}
        searched: list[str] = []
        for account_id in self.accounts:
            if not left:
                break
            searched.append(account_id)
            try:
                factory = self.factory(account_id)
                ims = ImsReader(factory, pacer=self.pacer)
                for key_id in list(left):
                    user = ims.owner_of_key(key_id)
                    if user is not None:
                        owners[key_id] = ForeignOwner(account_id, user, factory)
                        left.remove(key_id)
            except TransientCloudError:
                raise
            except CloudCallError as exc:
                failed[account_id] = str(exc)
        return OwnerSearch(owners, tuple(searched), failed)
