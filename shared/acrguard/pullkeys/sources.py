"""Where pull keys come from: configured users, ``acr-configuration`` ConfigMaps, and discovery.

1. **Configured users** (``pull_keys.users``) are pull users by declaration.
2. **ConfigMaps** given as files or OSS objects (``pull_keys.configmaps``) are parsed with
   ``acrguard.pullkeys.configmap``; each ``customAccessKey`` is mapped to the user that owns it.
   RAM 2015-05-01 has no reverse lookup from a key to its user, but IMS ``GetUser`` takes
   ``UserAccessKeyId`` (``acrguard.pullkeys.imsapi``): one call per key, or none when the key was
   already seen. Only a key IMS could not look up (no permission, an unexpected error) is searched
   for the old way, listing users (``ListUsers``) and their keys (``ListAccessKeys``) until it is
   found. A key no user owns is reported, not ignored.
   **ACK clusters** (``pull_keys.clusters``) are read the same way, straight from each cluster's
   ``kube-system/acr-configuration`` (``acrguard.pullkeys.clusters``).
3. **Discovery** (``pull_keys.discover``): users with an active AccessKey whose policies grant
   ``cr:PullRepository`` or ``cr:GetAuthorizationToken``. Whether policies grant those actions is
   the policy engine's answer, handed in as ``grants_pull``. Candidates come per user (every
   user's keys) or per policy (the holders of the policies that can grant pulling,
   ``acrguard.pullkeys.bypolicy``), whichever ``acrguard.pullkeys.plan`` estimates cheaper from
   the ``ListUsers`` and ``ListPolicies`` pages; both find the same users.

All reads share one ``KeyDirectory`` and one ``IdentityResolver`` per run, so a user's keys and a
policy's document are each read once however many sources mention them. Per user, users are
examined through a bounded queue (``acrguard.pullkeys.workers.bounded``): each worker takes the next
user as soon as it is free, and discovery carries each user from its keys to its policies (and,
through ``on_pull_user``, to its key hygiene) without waiting for the other users; per policy, the
stages overlap the same way (``acrguard.pullkeys.bypolicy``). So every RAM operation can run at its
rate at the same time.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from acrguard.clients import ClientFactory, call_oss
from acrguard.errors import BadInputError, CloudCallError, TransientCloudError
from acrguard.pullkeys import plan as plans
from acrguard.pullkeys.bypolicy import PolicyDiscovery
from acrguard.pullkeys.configmap import ConfigMapReport, lint_text
from acrguard.pullkeys.identity import Identity, IdentityResolver, OnceCache
from acrguard.pullkeys.imsapi import ImsReader
from acrguard.pullkeys.ramapi import AccessKeyRecord, PolicyListing, RamReader
from acrguard.pullkeys.workers import Progress, bounded
from acrguard.redact import mask_access_key_id

if TYPE_CHECKING:
    from acrguard.config.pullkeys import ClusterSources
    from acrguard.pullkeys.clusters import ClusterSweep

__all__ = ["ORIGIN_CONFIG", "ORIGIN_DISCOVERY", "ConfigMapKey", "KeyDirectory", "Progress", "PullKeyFinder",
           "PullKeySearch", "PullUser", "bounded", "read_configmap", "read_configmaps"]

ORIGIN_CONFIG = "config"
ORIGIN_DISCOVERY = "discovery"


@dataclass(frozen=True)
class ConfigMapKey:
    """A ``customAccessKey`` found in a ConfigMap (or an AccessKey id in a cluster's Secret), and where.

    ``cluster_id``: the ACK cluster it was read from (``acrguard.pullkeys.clusters``), None for a
    file or OSS object; ``kind``: ``configmap``, or ``secret`` for ``alibaba-addon-secret``.
    """

    access_key_id: str = field(repr=False)
    source: str
    cluster: str | None = None
    index: int | None = None  # entry index inside acr-registry-info (None: found by the raw-text search)
    instance_id: str | None = None
    region_id: str | None = None
    parsed: bool = True
    cluster_id: str | None = None
    kind: str = "configmap"

    @property
    def masked(self) -> str:
        """``LTAI****Mn3x``."""
        return mask_access_key_id(self.access_key_id)

    @property
    def origin(self) -> str:
        """``configmap:<cluster or source>#<index>`` (``secret:<cluster>`` for a Secret's key)."""
        return f"{self.kind}:{self.cluster or self.source}" + (f"#{self.index}" if self.index is not None else "")


@dataclass
class PullUser:
    """A user found to hold a pull key, with every reason it was found."""

    user_name: str
    origins: list[str] = field(default_factory=list)
    configmap_keys: list[ConfigMapKey] = field(default_factory=list)

    def add_origin(self, origin: str) -> None:
        """Record one more reason (kept in first-seen order, without repeats)."""
        if origin not in self.origins:
            self.origins.append(origin)


@dataclass
class PullKeySearch:
    """What the sources yielded: pull users, ConfigMap reports and keys nobody owns."""

    users: dict[str, PullUser] = field(default_factory=dict)
    configmaps: list[tuple[str, str | None, ConfigMapReport | None, str | None]] = field(default_factory=list)
    unowned_keys: list[ConfigMapKey] = field(default_factory=list)
    missing_users: list[str] = field(default_factory=list)
    plan: plans.Choice | None = None  # the discovery plan, when discovery ran
    clusters: ClusterSweep | None = None  # what the ACK clusters yielded (``pull_keys.clusters``)

    def user(self, name: str) -> PullUser:
        """The entry for ``name``, created on first use."""
        if name not in self.users:
            self.users[name] = PullUser(name)
        return self.users[name]


class KeyDirectory:
    """Users and their AccessKeys, read at most once per run and concurrently under a bound.

    ``ims`` (optional) maps a key to its owner in one call (``GetUser`` by ``UserAccessKeyId``).
    """

    def __init__(self, reader: RamReader, *, workers: int = 4, ims: ImsReader | None = None) -> None:
        self.reader = reader
        self.ims = ims
        self.workers = max(1, workers)
        self._keys = OnceCache()
        self._users: list[str] | None = None
        self._lock = threading.Lock()

    def users(self) -> list[str]:
        """Every user name (``ListUsers`` pages, once)."""
        with self._lock:
            if self._users is None:
                self._users = list(self.reader.users())
            return list(self._users)

    @property
    def user_count(self) -> int | None:
        """How many users ``ListUsers`` listed (None: not listed in this run)."""
        with self._lock:
            return len(self._users) if self._users is not None else None

    def keys_of(self, user: str) -> list[AccessKeyRecord]:
        """``user``'s AccessKeys (``ListAccessKeys``, once)."""
        return self._keys.get(user, lambda: self.reader.access_keys(user))

    def known(self, user: str) -> bool:
        """Whether ``user``'s keys were already read."""
        return user in self._keys

    def scan(self, users: Iterable[str], *, stop: Callable[[], bool] = lambda: False,
             progress: Progress | None = None, phase: str = "keys",
             on_keys: Callable[[str, list[AccessKeyRecord]], None] | None = None,
             ) -> dict[str, list[AccessKeyRecord] | Exception]:
        """Read the keys of ``users`` concurrently (see ``bounded``); no new read starts once ``stop()`` is true.

        ``on_keys(user, keys)`` sees each answer as it arrives (so ``stop`` can depend on it). A
        permanent error for one user is returned in place of its keys; a transient one is raised.
        """
        return bounded(self.workers, users, self.keys_of, stop=stop, done=on_keys, progress=progress, phase=phase)

    def owners(self, key_ids: set[str], progress: Progress | None = None) -> dict[str, str]:
        """``{key id: user}`` for the keys found: keys already read, then IMS ``GetUser``, then listing users.

        A key IMS says no user owns is not searched for again; a key IMS could not look up is.
        """
        wanted = set(key_ids)
        found: dict[str, str] = {}

        def note(user: str, keys: list[AccessKeyRecord]) -> None:
            for key in keys:
                if key.access_key_id in wanted:
                    found[key.access_key_id] = user

        for user in self._keys.asked():  # keys already read cost nothing
            with contextlib.suppress(CloudCallError):
                note(str(user), self.keys_of(str(user)))
        unowned = self._look_up(wanted - set(found), found, progress)
        if wanted <= set(found) | unowned:
            return found
        remaining = [u for u in self.users() if not self.known(u)]
        self.scan(remaining, stop=lambda: wanted <= set(found) | unowned, progress=progress, phase="owners",
                  on_keys=note)
        return found

    def _look_up(self, key_ids: set[str], found: dict[str, str], progress: Progress | None) -> set[str]:
        """Owners of ``key_ids`` through IMS into ``found``; the keys IMS says nobody owns."""
        if self.ims is None or not key_ids:
            return set()
        ims = self.ims
        answers = bounded(self.workers, sorted(key_ids), ims.owner_of_key, progress=progress, phase="owners")
        unowned = set()
        for key_id, owner in answers.items():
            if isinstance(owner, str):
                found[key_id] = owner
            elif owner is None:
                unowned.add(key_id)
        return unowned


def read_configmap(source: str, *, factory: ClientFactory | None = None, region: str | None = None) -> str:
    """The text of a ConfigMap from a local path or ``oss://bucket/key`` (``GetObject``)."""
    if not source.startswith("oss://"):
        return Path(source).read_text(encoding="utf-8")
    if factory is None:
        raise BadInputError(f"{source}: reading a ConfigMap from OSS needs cloud credentials")
    import alibabacloud_oss_v2 as oss

    bucket, _, key = source[len("oss://"):].partition("/")
    if not bucket or not key:
        raise BadInputError(f"{source}: expected oss://bucket/key")
    result = call_oss("GetObject", factory.oss(region).get_object, oss.GetObjectRequest(bucket=bucket, key=key),
                      retry=factory.retry)
    try:
        raw = result.body.read()
    finally:
        result.body.close()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{source}: not UTF-8 text ({exc.reason})") from None


def configmap_keys(report: ConfigMapReport, cluster: str | None) -> list[ConfigMapKey]:
    """The ``customAccessKey`` ids of a linted ConfigMap, with their entries (raw-text finds as well)."""
    keys = [ConfigMapKey(e.access_key_id, report.source, cluster, e.index, e.instance_id, e.region_id, report.parsed)
            for e in report.entries if e.access_key_id]
    seen = {k.access_key_id for k in keys}
    keys.extend(ConfigMapKey(key_id, report.source, cluster, None, None, None, False)
                for key_id in report.access_key_ids if key_id not in seen)
    return keys


def read_configmaps(search: PullKeySearch, sources: Iterable[tuple[str, str | None]], *,
                    factory: ClientFactory | None = None, region: str | None = None) -> list[ConfigMapKey]:
    """Read and lint each ConfigMap ``(source, cluster)``, record it in ``search``, return the keys it names.

    A source that cannot be read is recorded with its error (a transient cloud error is raised).
    """
    wanted: list[ConfigMapKey] = []
    for source, cluster in sources:
        try:
            text = read_configmap(source, factory=factory, region=region)
        except TransientCloudError:
            raise
        except (OSError, UnicodeDecodeError, BadInputError, CloudCallError) as exc:
            search.configmaps.append((source, cluster, None, str(exc)))
            continue
        report = lint_text(text, source)
        search.configmaps.append((source, cluster, report, None))
        wanted.extend(configmap_keys(report, cluster))
    return wanted


class PullKeyFinder:
    """Runs the three sources against one account."""

    def __init__(self, directory: KeyDirectory, resolver: IdentityResolver, *,
                 identities: OnceCache | None = None) -> None:
        self.directory = directory
        self.resolver = resolver
        self.identities = identities or OnceCache()

    def identity(self, user: str) -> Identity:
        """The user's resolved policies, once per run."""
        return self.identities.get(user, lambda: self.resolver.resolve(user))

    def find(self, *, users: Iterable[str] = (), configmaps: Iterable[tuple[str, str | None]] = (),
             discover: bool = False, grants_pull: Callable[[Identity], bool] | None = None,
             factory: ClientFactory | None = None, region: str | None = None,
             progress: Progress | None = None, on_pull_user: Callable[[str], None] | None = None,
             plan: str = plans.AUTO, clusters: ClusterSources | None = None) -> PullKeySearch:
        """Pull users from configured names, ConfigMaps ``(source, cluster)``, ACK ``clusters`` and (optionally)
        discovery.

        ``plan`` is the discovery plan (``auto``, ``per-user``, ``per-policy``; see
        ``acrguard.pullkeys.plan``). ``on_pull_user(user)`` is called (in a worker) for each user
        discovery finds, as soon as it is found: the auditor uses it to read the user's key hygiene
        while discovery goes on.
        """
        if plan not in plans.DISCOVERY_PLANS:
            raise ValueError(f"plan must be one of {', '.join(plans.DISCOVERY_PLANS)}, got {plan!r}")
        search = PullKeySearch()
        for name in users:
            search.user(name).add_origin(ORIGIN_CONFIG)
        wanted = read_configmaps(search, configmaps, factory=factory, region=region)
        if clusters is not None:
            if factory is None:
                raise ValueError("reading clusters needs a client factory")
            from acrguard.pullkeys.clusters import record_clusters

            wanted += record_clusters(search, factory, clusters, progress=progress)
        if discover:
            if grants_pull is None:
                raise ValueError("discovery needs grants_pull (the policy engine's answer)")
            self._discover(search, grants_pull, progress, on_pull_user, plan)
        if wanted:
            owners = self.directory.owners({k.access_key_id for k in wanted}, progress)
            for key in wanted:
                owner = owners.get(key.access_key_id)
                if owner is None:
                    search.unowned_keys.append(key)
                    continue
                entry = search.user(owner)
                entry.add_origin(key.origin)
                entry.configmap_keys.append(key)
        return search

    def _discover(self, search: PullKeySearch, grants_pull: Callable[[Identity], bool],
                  progress: Progress | None, on_pull_user: Callable[[str], None] | None, plan: str) -> None:
        """Choose the plan from the list pages, examine the candidates, and keep those that can pull."""
        listing: Future[list[PolicyListing]] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="acrguard-ram") as pool:
            if plan != plans.PER_USER:  # both list-page walks at once: each plan's estimate needs the other's count
                listing = pool.submit(lambda: list(self.resolver.reader.policies()))
            users = self.directory.users()
            if listing is not None:
                wait([listing])
        counts = plans.DiscoveryCounts(users=len(users), keys_known=sum(1 for u in users if self.directory.known(u)))

        def examine(user: str) -> bool:
            if not any(k.status == "Active" for k in self.directory.keys_of(user)):
                return False
            found = grants_pull(self.identity(user))
            if found and on_pull_user is not None:
                on_pull_user(user)
            return found

        attached: list[PolicyListing] | None = None
        if listing is None:
            search.plan = plans.choose_discovery(counts, plan)
        else:
            try:
                attached = [p for p in listing.result() if p.attached]
            except TransientCloudError:
                raise
            except CloudCallError as exc:
                search.plan = plans.Choice(plans.PER_USER, {}, f"ListPolicies failed ({exc.code}): every user is read")
        if attached is not None:
            unread = sum(1 for p in attached if p.default_version is None
                         or (p.name, p.type, p.default_version) not in self.resolver.cache.documents)
            counts = plans.DiscoveryCounts(counts.users, counts.keys_known, len(attached), unread)
            if plan == plans.AUTO and not plans.worth_reading_documents(counts):
                search.plan = plans.choose_discovery(counts, plan)
            else:
                discovery = PolicyDiscovery(self.resolver, grants_pull, examine, users=users, counts=counts, plan=plan,
                                            workers=self.directory.workers, progress=progress)
                search.plan, found = discovery.run(attached)
                for user in sorted(found):
                    if found[user]:
                        search.user(user).add_origin(ORIGIN_DISCOVERY)
                return
        outcome = bounded(self.directory.workers, users, examine, progress=progress, phase="discover")
        for user in users:
            if outcome.get(user) is True:
                search.user(user).add_origin(ORIGIN_DISCOVERY)
