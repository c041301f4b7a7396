"""Per-policy discovery: who can pull, found from the policies instead of from every user.

``ListPolicies`` pages (System and Custom) name each policy's ``DefaultVersion`` and
``AttachmentCount`` (``ListPoliciesResponseBodyPoliciesPolicy`` in ``alibabacloud_ram20150501``).
An unattached policy costs nothing but its share of a page. The default version of each attached
policy is read once (through the run's document cache, which the users' resolution reuses); the
policies whose document alone grants ``cr:PullRepository`` or ``cr:GetAuthorizationToken`` (the
policy engine's answer) are the only ones whose holders can pull, because a user's other policies
can only take permissions away (Deny) or add other grants. ``ListEntitiesForPolicy`` names their
users and groups, ``ListUsersForGroup`` the groups' members: those users are the candidates, each
examined like the per-user plan examines every user (keys, then policies for a holder of an active
key).

The stages overlap (``acrguard.pullkeys.workers.Stages``): a policy's holders are listed as soon as
its document shows it can grant pulling, and a holder is examined as soon as it is named, so every
operation runs at its rate at the same time. When the last document is read, the plan is chosen
on the counts (``acrguard.pullkeys.plan``); if reading every user is estimated cheaper, the
holders not yet listed are not, and every user is examined instead. A document that cannot be
read counts as granting (unknown is not absent); a policy or group that vanished meanwhile has no
holders; any other failure to list holders falls back to examining every user.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.pullkeys import plan as plans
from acrguard.pullkeys.identity import Identity, IdentityResolver, PolicyInForce
from acrguard.pullkeys.ramapi import PolicyAttachment, PolicyListing
from acrguard.pullkeys.workers import Progress, Stages

_T = TypeVar("_T")

STAGES = ("policies", "holders", "users")


def policy_identity(policy: PolicyInForce) -> Identity:
    """A pseudo-identity holding only ``policy``, for asking the policy engine whether it alone grants pulling."""
    return Identity(f"policy {policy.type}:{policy.name}", (), (policy,))


def _gone(error: CloudCallError) -> bool:
    return (error.code or "").startswith("EntityNotExist")


class PolicyDiscovery:
    """One run of per-policy discovery over the attached policies; ``examine(user)`` says whether a user can pull."""

    def __init__(self, resolver: IdentityResolver, grants_pull: Callable[[Identity], bool],
                 examine: Callable[[str], bool], *, users: list[str], counts: plans.DiscoveryCounts,
                 plan: str = plans.AUTO, workers: int = 4, progress: Progress | None = None) -> None:
        self.resolver = resolver
        self.grants_pull = grants_pull
        self.examine = examine
        self.users = users
        self.counts = counts
        self.plan = plan
        self.workers = workers
        self.progress = progress
        self.found: dict[str, bool] = {}
        self.choice: plans.Choice | None = None
        self._lock = threading.Lock()
        self._named: set[str] = set()
        self._groups: set[str] = set()
        self._pulling: list[PolicyListing] = []
        self._left = 0
        self._every_user = False
        self._fallback: plans.Choice | None = None
        self._stages: Stages | None = None

    def run(self, attached: Iterable[PolicyListing]) -> tuple[plans.Choice, dict[str, bool]]:
        """Examine the candidates (or every user, if that was chosen); ``(choice, {user: can pull})``."""
        attached = list(attached)
        self._stages = Stages(self.workers, STAGES)
        self._left = len(attached)
        if not attached:
            self._decide()
        for listing in attached:
            self._stages.submit("policies", self._document, listing)
        self._stages.wait()
        choice = self._fallback or self.choice
        assert choice is not None
        return choice, dict(self.found)

    # -- stages ----------------------------------------------------------------------------------
    def _document(self, listing: PolicyListing) -> None:
        try:
            policy = self.resolver.in_force(PolicyAttachment(listing.name, listing.type, listing.default_version),
                                            "user")
            grants = self.grants_pull(policy_identity(policy))
        except TransientCloudError:
            raise
        except CloudCallError:
            grants = True  # unknown is not absent: its holders are examined
        with self._lock:
            if grants:
                self._pulling.append(listing)
            self._left -= 1
            last = self._left == 0
            listed = grants and not self._every_user
        if listed:
            self._submit("holders", self._holders, listing)
        if last:
            self._decide()

    def _holders(self, listing: PolicyListing) -> None:
        if self._every_user:
            return
        entities = self._read(self.resolver.reader.entities_for_policy, listing.name, listing.type)
        if entities is None:
            return
        users, groups = entities
        for user in users:
            self._name(user)
        for group in groups:
            with self._lock:
                new = group not in self._groups
                self._groups.add(group)
            if new:
                self._submit("holders", self._members, group)

    def _members(self, group: str) -> None:
        if self._every_user:
            return
        for user in self._read(self.resolver.reader.users_for_group, group) or ():
            self._name(user)

    def _read(self, read: Callable[..., _T], *args: Any) -> _T | None:
        """``read(*args)``; None when the entity is gone, or after falling back to the per-user plan on a refusal.

        A transient failure propagates: the invocation is retried.
        """
        try:
            return read(*args)
        except TransientCloudError:
            raise
        except CloudCallError as exc:
            if not _gone(exc):
                self._fall_back(exc)
            return None

    def _examine(self, user: str) -> None:
        try:
            found = self.examine(user)
        except TransientCloudError:
            raise
        except CloudCallError:
            found = False  # reported when audited, if the user is a pull user by another source
        with self._lock:
            self.found[user] = found
            done, total = len(self.found), len(self._named)
        if self.progress and (done % 50 == 0 or done == total):
            self.progress("discover", done, total)

    # -- choosing --------------------------------------------------------------------------------
    def _decide(self) -> None:
        with self._lock:
            pulling = list(self._pulling)
        counts = replace(self.counts, documents_unread=0, pull_policies=len(pulling),
                         pull_attachments=sum(p.attachment_count if p.attachment_count is not None else 1
                                              for p in pulling))
        self.choice = plans.choose_discovery(counts, self.plan)
        if self.choice.plan == plans.PER_USER:
            self._all_users()

    def _fall_back(self, error: CloudCallError) -> None:
        with self._lock:
            self._fallback = plans.Choice(plans.PER_USER, {}, f"{error.api} failed ({error.code}): every user is read")
        self._all_users()

    def _all_users(self) -> None:
        with self._lock:
            if self._every_user:
                return
            self._every_user = True
        for user in self.users:
            self._name(user)

    def _name(self, user: str) -> None:
        with self._lock:
            new = user not in self._named
            self._named.add(user)
        if new:
            self._submit("users", self._examine, user)

    def _submit(self, stage: str, work: Callable[..., object], *args: object) -> None:
        assert self._stages is not None
        self._stages.submit(stage, work, *args)
