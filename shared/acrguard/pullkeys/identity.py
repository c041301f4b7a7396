"""A RAM user's effective policies, read through the RAM API: own policies plus each group's.

Effective permissions of a user are the union of the policies attached to the user and to each of
its groups (https://www.alibabacloud.com/help/en/ram/product-overview/limits and the RAM user-group
pages: a user gets the permissions of every group it joins). Only each policy's **default
version** is in force, so the document read is that version's (``GetPolicyVersion`` with the
``DefaultVersion`` the list call named; ``GetPolicy``'s ``DefaultPolicyVersion`` when the list did
not name one, or when that version vanished in between), never the deprecated inline field.

Cost: a ``RunCache`` shared by every resolution in one run fetches each distinct
``(name, type, version)`` document once, and each group's attachments once, also when several
threads ask at the same moment (the first asker fetches; the others wait for its answer).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.pullkeys.ramapi import PolicyAttachment, RamReader

T = TypeVar("T")

#: Default number of concurrent RAM reads in one run (RAM publishes no QPS figure; keep it small).
DEFAULT_WORKERS = 4


class OnceCache:
    """A thread-safe memo that computes each key once; concurrent askers share the one computation.

    A failure is remembered too (asking again re-raises it) except a ``TransientCloudError``, which
    is forgotten so a later ask may try again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[Any]] = {}
        self.computed = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``key``, computing it with ``compute()`` if nobody has yet."""
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if owner:
                future = Future()
                self._futures[key] = future
                self.computed += 1
        assert future is not None
        if owner:
            try:
                future.set_result(compute())
            except TransientCloudError as exc:
                with self._lock:
                    self._futures.pop(key, None)
                future.set_exception(exc)
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def forget(self, key: Hashable) -> None:
        """Drop ``key`` so the next ask computes it again."""
        with self._lock:
            self._futures.pop(key, None)

    def asked(self) -> list[Hashable]:
        """Every key asked for so far (computed, being computed, or failed permanently)."""
        with self._lock:
            return list(self._futures)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._futures


@dataclass
class RunCache:
    """Everything cached for the length of one audit run."""

    documents: OnceCache = field(default_factory=OnceCache)  # (name, type, version) -> document text
    defaults: OnceCache = field(default_factory=OnceCache)  # (name, type) -> (version, document)
    group_policies: OnceCache = field(default_factory=OnceCache)  # group -> tuple[PolicyAttachment, ...]


@dataclass(frozen=True)
class PolicyInForce:
    """One policy in force for a user: which version, how it is attached, and its document text."""

    name: str
    type: str  # "System" or "Custom"
    version: str
    via: str  # "user" or "group:<name>"
    document: str = field(repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        """``(name, type, version)``: the cache key and the identity of the document."""
        return (self.name, self.type, self.version)


@dataclass(frozen=True)
class Identity:
    """A RAM user with its groups and every policy in force for it."""

    user_name: str
    groups: tuple[str, ...]
    policies: tuple[PolicyInForce, ...]

    def arn(self, account_id: str) -> str:
        """``acs:ram::<account>:user/<name>``."""
        return f"acs:ram::{account_id}:user/{self.user_name}"


class IdentityResolver:
    """Resolves users' effective policies, sharing one ``RunCache`` across the run."""

    def __init__(self, reader: RamReader, cache: RunCache | None = None, *, workers: int = DEFAULT_WORKERS) -> None:
        self.reader = reader
        self.cache = cache or RunCache()
        self.workers = max(1, workers)

    def resolve(self, user: str) -> Identity:
        """The user's groups and policies (``ListPoliciesForUser``, ``ListGroupsForUser``, then cached reads)."""
        own = self.reader.policies_for_user(user)
        groups = tuple(self.reader.groups_for_user(user))
        attached: list[tuple[PolicyAttachment, str]] = [(p, "user") for p in own]
        for group in groups:
            attached.extend((p, f"group:{group}") for p in self.group_policies(group))
        policies = tuple(self.in_force(p, via) for p, via in attached)
        return Identity(user, groups, policies)

    def resolve_many(self, users: Iterable[str]) -> Iterator[tuple[str, Identity | CloudCallError]]:
        """``(user, identity)`` for each user, resolved concurrently under the worker bound.

        A permanent error for one user is yielded in place of its identity; a transient one is raised.
        """
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="acrguard-ram") as pool:
            futures = [(user, pool.submit(self.resolve, user)) for user in users]
            for user, future in futures:
                try:
                    yield user, future.result()
                except TransientCloudError:
                    for _, other in futures:
                        other.cancel()
                    raise
                except CloudCallError as exc:
                    yield user, exc

    def group_policies(self, group: str) -> tuple[PolicyAttachment, ...]:
        """A group's attachments, read once per run (``ListPoliciesForGroup``)."""
        return self.cache.group_policies.get(group, lambda: tuple(self.reader.policies_for_group(group)))

    def document(self, name: str, policy_type: str, version: str) -> str:
        """The document of one policy version, fetched once per run (``GetPolicyVersion``)."""
        return self.cache.documents.get((name, policy_type, version),
                                        lambda: self.reader.policy_version(name, policy_type, version))

    def default_document(self, name: str, policy_type: str) -> tuple[str, str]:
        """``(version, document)`` in force now, once per run (``GetPolicy``); seeds the document cache."""
        def fetch() -> tuple[str, str]:
            version, document = self.reader.default_policy_version(name, policy_type)
            self.cache.documents.get((name, policy_type, version), lambda: document)
            return version, document

        return self.cache.defaults.get((name, policy_type), fetch)

    def in_force(self, attachment: PolicyAttachment, via: str) -> PolicyInForce:
        """The version of ``attachment`` in force and its document, fetched once per run."""
        name, kind, version = attachment.name, attachment.type, attachment.default_version
        if version:
            try:
                return PolicyInForce(name, kind, version, via, self.document(name, kind, version))
            except CloudCallError as exc:
                if exc.code not in ("EntityNotExist.Policy.Version", "EntityNotExist.PolicyVersion"):
                    raise
                # The default moved and the listed version was deleted meanwhile: read what is in force now.
        version, document = self.default_document(name, kind)
        return PolicyInForce(name, kind, version, via, document)
