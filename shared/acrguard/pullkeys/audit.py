"""The pull-key audit: find pull users, judge each one's policies and keys, and report findings.

Two entry points share one engine:

* ``PullKeyAuditor.full_audit()`` (timer): every source (configured users, ConfigMaps, discovery),
  every pull user judged.
* ``PullKeyAuditor.reaudit(facts)`` (an ActionTrail event, already parsed into ``EventFacts``):
  only the users the event touches are read again, and only those that hold a pull key are judged.
  A user event touches that user; a group event (``AttachPolicyToGroup``) the group's members
  (``ListUsersForGroup``); a policy event (``CreatePolicyVersion``, ``SetDefaultPolicyVersion``,
  ``DeletePolicyVersion``) every user holding the policy directly or through a group
  (``ListEntitiesForPolicy``). The event is never trusted for the new state: RAM is re-read.

Throughput: ``pull_keys.workers`` RAM reads in flight, each call paced to its operation's published
quota by the client factory (``cloud.flow_control``; ``pull_keys.rate_limit_per_s`` calls a second of
each operation when the factory paces nothing). Discovery carries each user from its keys to its
policies and, for a pull user, on to its key hygiene (``GetAccessKeyLastUsed``, ``GetLoginProfile``)
while other users are still being listed, so the audit takes about as long as its busiest operation
needs at its rate.

Read plan (``acrguard.pullkeys.plan``): discovery reads per user or per policy, whichever the
``ListUsers`` and ``ListPolicies`` pages estimate cheaper, and the pull users' key hygiene comes
from direct reads or from IMS's credential report (``acrguard.pullkeys.credreport``) when that is
fewer calls and the account allows one. The plan changes the calls, never the findings; an event
re-audit always reads its users directly. ``AuditResult.read_plan`` says what was chosen and why.

Each identity's verdict is the policy engine's (``acrguard.policy``: PASS pull-only, WARN broader
but read-only or not evaluable, FAIL anything else). Key hygiene findings (old, unused, extra keys,
console login) turn a PASS into a WARN but never into a FAIL, because they are not permissions.
Run-level problems (a ConfigMap that cannot be read or parsed, a key that no user owns, a
configured user that does not exist) are WARN findings of their own: unknown is not absent.

ACK clusters (``pull_keys.clusters``, ``acrguard.pullkeys.clusters``) are read like the ConfigMap
files: each cluster's findings name it (``acrguard.pullkeys.clusterfindings``). A full audit that
could not read everything (a cluster, a ConfigMap file, an account the key search needed) says
which scopes it observed (``AuditResult.observed_scopes``) instead of all of them, so findings about
what it could not see stay as they were. A key no user of this account owns goes to the
``owners`` resolver (``acrguard.pullkeys.owners``): in one account it is reported with what to
configure; with an organisation's accounts its owner is judged in its own account.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from acrguard.clients import ClientFactory
from acrguard.config.pullkeys import PullKeysConfig
from acrguard.errors import CloudCallError, TransientCloudError
from acrguard.events.routing import PULLKEY_AUDITOR
from acrguard.findings import Actor, Finding, Severity
from acrguard.policy.evaluate import AttachedPolicy, Evaluation, evaluate
from acrguard.policy.findings import finding_to_dict, to_findings
from acrguard.policy.verdict import PullKeyVerdict, Verdict, judge
from acrguard.pullkeys import plan as plans
from acrguard.pullkeys.credreport import (
    DEFAULT_MAX_AGE,
    DEFAULT_POLL_S,
    DEFAULT_WAIT_S,
    CredentialReport,
    ReportFetch,
    fetch_report,
    key_report,
)
from acrguard.pullkeys.earlyreport import EarlyReport
from acrguard.pullkeys.identity import Identity, IdentityResolver, OnceCache, RunCache
from acrguard.pullkeys.imsapi import ImsReader
from acrguard.pullkeys.keys import HygieneSettings, KeyReport, hygiene_findings, read_keys
from acrguard.pullkeys.ramapi import RamReader
from acrguard.pullkeys.sources import (
    ORIGIN_CONFIG,
    ORIGIN_DISCOVERY,
    ConfigMapKey,
    KeyDirectory,
    Progress,
    PullKeyFinder,
    PullKeySearch,
    PullUser,
    read_configmaps,
)
from acrguard.ratelimit import CallPacer
from acrguard.redact import mask_access_key_id

if TYPE_CHECKING:  # the cluster and owner modules are imported when a run needs them (cold start)
    from acrguard.pullkeys.owners import ForeignOwner, OwnerResolver, OwnerSearch

JOB = PULLKEY_AUDITOR  # the job name the alert pipeline and the handler use
#: scopes of the cluster findings (``acrguard.pullkeys.clusterfindings``), a full audit's to report
CLUSTER_SCOPES = ("ack-cluster/", "ack-cluster-read/", "ack-clusters")
PULL_ACTIONS = ("cr:PullRepository", "cr:GetAuthorizationToken")

#: Events whose ``UserName`` is the identity touched.
USER_EVENTS = frozenset({"AttachPolicyToUser", "DetachPolicyFromUser", "AddUserToGroup", "RemoveUserFromGroup",
                         "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "CreateLoginProfile",
                         "UpdateLoginProfile"})
#: Events whose ``GroupName`` names the group whose members are touched.
GROUP_EVENTS = frozenset({"AttachPolicyToGroup", "DetachPolicyFromGroup"})
#: Events whose ``PolicyName`` names the policy whose holders are touched.
POLICY_EVENTS = frozenset({"CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion"})
AUDITED_EVENTS = USER_EVENTS | GROUP_EVENTS | POLICY_EVENTS

RULE_CONFIGMAP_UNREADABLE = "pullkey.configmap-unreadable"
RULE_CONFIGMAP_INVALID = "pullkey.configmap-invalid"
RULE_KEY_NOT_FOUND = "pullkey.key-not-found"
RULE_USER_NOT_FOUND = "pullkey.user-not-found"
RULE_AUDIT_INCOMPLETE = "pullkey.audit-incomplete"


@dataclass(frozen=True)
class EventFacts:
    """What an ActionTrail record says happened, already extracted (``requestParameters`` names)."""

    event_name: str
    user_name: str | None = None
    group_name: str | None = None
    policy_name: str | None = None
    policy_type: str | None = None  # "Custom" for the policy-version events
    actor: Actor | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class IdentityAudit:
    """One pull user's result: verdict, findings, and what was read to reach them."""

    user_name: str
    verdict: Verdict
    severity: Severity
    findings: tuple[Finding, ...]
    origins: tuple[str, ...]
    policies: tuple[tuple[str, str, str, str], ...] = ()  # (name, type, version, via)
    keys: KeyReport | None = None
    policy_verdict: PullKeyVerdict | None = None
    error: str | None = None
    account_id: str = ""  # the account that owns the user, when it is not the audited one (a foreign key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (key ids masked)."""
        keys = None
        if self.keys is not None:
            keys = {"console_login": self.keys.console_login,
                    "access_keys": [{"id": k.masked, "status": k.status,
                                     "created": k.created.strftime("%Y-%m-%dT%H:%M:%SZ") if k.created else None,
                                     "last_used": k.last_used.strftime("%Y-%m-%dT%H:%M:%SZ") if k.last_used else None}
                                    for k in self.keys.keys]}
        return {"user": self.user_name, **({"account": self.account_id} if self.account_id else {}),
                "verdict": self.verdict.value, "severity": self.severity.value, "origins": list(self.origins),
                "policies": [{"name": n, "type": t, "default_version": v, "attachment": a}
                             for n, t, v, a in self.policies],
                "keys": keys, "error": self.error,
                "fix": self.policy_verdict.fix.to_dict() if self.policy_verdict and self.policy_verdict.fix else None,
                "findings": [finding_to_dict(f) for f in self.findings]}


@dataclass(frozen=True)
class AuditResult:
    """Everything one audit run found."""

    trigger: str
    identities: tuple[IdentityAudit, ...]
    findings: tuple[Finding, ...] = ()  # run-level findings (ConfigMaps, unowned keys, missing users)
    touched: tuple[str, ...] = ()  # users an event touched (event re-audits)
    read_plan: dict[str, Any] | None = None  # how RAM was read: discovery plan, hygiene source (full audits)
    #: the scopes a full audit observed when it could not read everything (None: it observed every scope)
    observed_scopes: tuple[str, ...] | None = None
    clusters: tuple[dict[str, Any], ...] | None = None  # each ACK cluster read, and how (``pull_keys.clusters``)

    @property
    def verdict(self) -> Verdict:
        """The worst identity verdict; run-level findings make it at least WARN."""
        verdicts = [i.verdict for i in self.identities]
        if any(f.severity is not Severity.INFO for f in self.findings):
            verdicts.append(Verdict.WARN)
        return Verdict.worst(verdicts)

    @property
    def exit_code(self) -> int:
        """0 all PASS, 1 any WARN, 2 any FAIL."""
        return self.verdict.exit_code

    def all_findings(self) -> list[Finding]:
        """Run-level findings, then every identity's."""
        return [*self.findings, *(f for i in self.identities for f in i.findings)]

    def scopes_observed(self) -> set[str]:
        """What a full audit may resolve: every scope (``"*"``), or only those it observed when it missed some."""
        from acrguard.jobs.base import ALL_SCOPES

        if self.observed_scopes is None:
            return {ALL_SCOPES}
        return set(self.observed_scopes) | {f.scope for f in self.all_findings()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"trigger": self.trigger, "verdict": self.verdict.value,
                "severity": Severity.worst([f.severity for f in self.all_findings()]).value,
                "identities": [i.to_dict() for i in self.identities],
                "findings": [finding_to_dict(f) for f in self.findings],
                **({"touched": list(self.touched)} if self.trigger != "scheduled" else {}),
                **({"read_plan": self.read_plan} if self.read_plan is not None else {}),
                **({"clusters": list(self.clusters)} if self.clusters is not None else {}),
                **({"observed_scopes": sorted(self.observed_scopes)} if self.observed_scopes is not None else {})}


def user_scope(user_name: str, account_id: str = "") -> str:
    """The alert scope of one pull user's findings (``account/<id>/ram-user/<name>`` for another account's user)."""
    return (f"account/{account_id}/" if account_id else "") + f"ram-user/{user_name}"


def grants_pull(evaluation: Evaluation) -> bool:
    """Whether the policies grant ``cr:PullRepository`` or ``cr:GetAuthorizationToken`` (even conditionally)."""
    return any(evaluation.grants_for(action) for action in PULL_ACTIONS)


def engine_policies(identity: Identity) -> list[AttachedPolicy]:
    """The identity's policies in the policy engine's form."""
    return [AttachedPolicy.of(p.name, p.document, type=p.type, default_version=p.version, attachment=p.via)
            for p in identity.policies]


class PullKeyAuditor:
    """Audits the pull keys of one account with one client factory; one instance is one run's caches."""

    def __init__(self, factory: ClientFactory, settings: PullKeysConfig | None = None, *,
                 instance_ids: Iterable[str] = (), region: str | None = None, account_id: str = "",
                 now: Callable[[], datetime] | None = None, workers: int | None = None,
                 plan: str = plans.AUTO, credential_report: str = plans.AUTO,
                 report_max_age: timedelta = DEFAULT_MAX_AGE, report_wait_s: float = DEFAULT_WAIT_S,
                 report_poll_s: float = DEFAULT_POLL_S, owners: OwnerResolver | None = None) -> None:
        """``plan`` (``auto``, ``per-user``, ``per-policy``) and ``credential_report`` (``auto``, ``never``,
        ``always``) fix the read plan instead of choosing it; the ``report_*`` settings bound the
        credential report's age and the wait for its generation. ``owners`` finds the owners of keys
        this account does not own (``acrguard.pullkeys.owners``; default: this account only)."""
        if plan not in plans.DISCOVERY_PLANS:
            raise ValueError(f"plan must be one of {', '.join(plans.DISCOVERY_PLANS)}, got {plan!r}")
        if credential_report not in plans.REPORT_MODES:
            raise ValueError(f"credential_report must be one of {', '.join(plans.REPORT_MODES)}, "
                             f"got {credential_report!r}")
        self.plan = plan
        self.credential_report = credential_report
        self.report_max_age = report_max_age
        self.report_wait_s = report_wait_s
        self.report_poll_s = report_poll_s
        self.owners: OwnerResolver | None = owners  # None: this account only (``owners.ThisAccountOnly``)
        self.foreign_account = ""  # set on an auditor judging another account's users (``_audit_foreign``)
        self._foreign: list[tuple[ForeignOwner, ConfigMapKey]] = []
        self.factory = factory
        self.settings = settings or PullKeysConfig()
        self.instance_ids = tuple(instance_ids)
        self.region = region or factory.region
        self.account_id = account_id
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.workers = max(1, workers if workers is not None else self.settings.workers)
        # every call is paced by the factory's flow control (cloud.flow_control); rate_limit_per_s only without one
        pacer = None if getattr(factory, "flow_control", None) is not None else \
            CallPacer.per_second(self.settings.rate_limit_per_s)
        self.reader = RamReader(factory, pacer=pacer)
        self.ims = ImsReader(factory, pacer=pacer)
        self.cache = RunCache()
        self.resolver = IdentityResolver(self.reader, self.cache, workers=self.workers)
        self.directory = KeyDirectory(self.reader, workers=self.workers, ims=self.ims)
        self.identities = OnceCache()
        self.finder = PullKeyFinder(self.directory, self.resolver, identities=self.identities)
        self.hygiene = HygieneSettings(self.settings.max_key_age_days, self.settings.unused_days,
                                       self.settings.allow_console_login)
        self._evaluations = OnceCache()
        self._reports = OnceCache()  # user -> KeyReport, read once per run
        self._report: CredentialReport | None = None  # the credential report, when the hygiene plan uses it
        self._early: EarlyReport | None = None  # the report fetched during discovery, once it is sure to be used

    # -- entry points ---------------------------------------------------------------------------
    def full_audit(self, progress: Progress | None = None) -> AuditResult:
        """Every source, every pull user (the timer run)."""
        self._early = EarlyReport(self._fetch_report, self.credential_report, lambda: self.directory.user_count)
        search = self.finder.find(
            users=self.settings.users,
            configmaps=self._configmap_sources(),
            discover=self.settings.discover, grants_pull=lambda i: grants_pull(self._evaluation(i)),
            factory=self.factory, region=self.region, progress=progress, on_pull_user=self._prefetch,
            plan=self.plan, clusters=self.settings.clusters)
        owners = self._find_owners(search)
        hygiene = self._hygiene_plan(search)
        identities = self._audit_users(search, progress) + self._audit_foreign(owners)
        read_plan = {"discovery": search.plan.to_dict() if search.plan is not None else None,
                     "hygiene": hygiene}
        findings = tuple(self._run_findings(search, identities, owners))
        clusters = tuple(r.to_dict() for r in search.clusters.reads) if search.clusters is not None else None
        return AuditResult("scheduled", identities, findings, read_plan=read_plan,
                           observed_scopes=self._observed(search, identities, owners), clusters=clusters)

    def reaudit(self, facts: EventFacts) -> AuditResult:
        """Re-audit only the users ``facts`` touch; users without a pull key are left alone."""
        trigger = facts.event_name
        if facts.event_name not in AUDITED_EVENTS:
            return AuditResult(trigger, ())
        touched = self._touched(facts)
        search = PullKeySearch()
        wanted = read_configmaps(search, self._configmap_sources(), factory=self.factory, region=self.region)
        if self.settings.clusters is not None:
            from acrguard.pullkeys.clusters import record_clusters

            wanted += record_clusters(search, self.factory, self.settings.clusters)
        by_id = {k.access_key_id: k for k in wanted}
        for user in touched:
            reasons = self._pull_reasons(user, by_id)
            if reasons is None:
                continue
            entry = search.user(user)
            for origin, key in reasons:
                entry.add_origin(origin)
                if key is not None:
                    entry.configmap_keys.append(key)
        identities = tuple(replace(i, findings=tuple(replace(f, actor=facts.actor) for f in i.findings))
                           if facts.actor else i for i in self._audit_users(search, None))
        # what the clusters and unowned keys say is the full audit's to report: a re-audit observes its users only
        run = [f for f in self._run_findings(search, identities, None)
               if f.rule != RULE_KEY_NOT_FOUND and not f.scope.startswith(CLUSTER_SCOPES)]
        return AuditResult(trigger, identities, tuple(run), tuple(touched))

    # -- who an event touches -------------------------------------------------------------------
    def _touched(self, facts: EventFacts) -> list[str]:
        if facts.event_name in USER_EVENTS:
            return [facts.user_name] if facts.user_name else []
        if facts.event_name in GROUP_EVENTS:
            return self._members(facts.group_name) if facts.group_name else []
        if not facts.policy_name:
            return []
        try:
            users, groups = self.reader.entities_for_policy(facts.policy_name, facts.policy_type or "Custom")
        except CloudCallError as exc:
            if exc.code == "EntityNotExist.Policy" and not isinstance(exc, TransientCloudError):
                return []
            raise
        out = list(users)
        for group in groups:
            out.extend(u for u in self._members(group) if u not in out)
        return out

    def _members(self, group: str) -> list[str]:
        try:
            return self.reader.users_for_group(group)
        except CloudCallError as exc:
            if exc.code == "EntityNotExist.Group" and not isinstance(exc, TransientCloudError):
                return []
            raise

    def _configmap_sources(self) -> list[tuple[str, str | None]]:
        return [(c.path or c.oss or "", c.cluster) for c in self.settings.configmaps]

    def _pull_reasons(self, user: str, by_id: dict[str, ConfigMapKey]) -> list[tuple[str, ConfigMapKey | None]] | None:
        """Why ``user`` is a pull user (None: it is not). Reads its keys, and its policies only if needed."""
        reasons: list[tuple[str, ConfigMapKey | None]] = []
        if user in self.settings.users:
            reasons.append((ORIGIN_CONFIG, None))
        elif not by_id and not self.settings.discover:
            return None  # nothing but the configured list can make this user a pull user
        try:
            keys = self.directory.keys_of(user)
        except CloudCallError as exc:
            if exc.code == "EntityNotExist.User" and not isinstance(exc, TransientCloudError):
                return reasons or None
            raise
        reasons.extend((by_id[k.access_key_id].origin, by_id[k.access_key_id]) for k in keys
                       if k.access_key_id in by_id)
        if not reasons and self.settings.discover and any(k.status == "Active" for k in keys):
            try:
                identity = self.finder.identity(user)
            except CloudCallError as exc:
                if isinstance(exc, TransientCloudError):
                    raise
                return None
            if grants_pull(self._evaluation(identity)):
                reasons.append((ORIGIN_DISCOVERY, None))
        return reasons or None

    # -- judging --------------------------------------------------------------------------------
    def _evaluation(self, identity: Identity) -> Evaluation:
        key = (identity.user_name, tuple((*p.key, p.via) for p in identity.policies))
        return self._evaluations.get(key, lambda: evaluate(engine_policies(identity)))

    def _key_report(self, user: str) -> KeyReport:
        """The user's keys, their last use and console access, once per run (from the report when it is used)."""
        def read() -> KeyReport:
            keys = self.directory.keys_of(user)
            facts = self._report.facts_for(user, keys) if self._report is not None else None
            if facts is not None:
                return key_report(self.reader, user, keys, facts)
            return read_keys(self.reader, user, keys)

        return self._reports.get(user, read)

    def _prefetch(self, user: str) -> None:
        """Read a discovered pull user's key hygiene now, unless the credential report may serve it later.

        An error is met again (or retried) when the user is judged.
        """
        if not self._report_ruled_out():
            if self._early is not None:
                with contextlib.suppress(CloudCallError):
                    active = sum(1 for k in self.directory.keys_of(user) if k.status == "Active")
                    self._early.found(user, active)
            return
        with contextlib.suppress(CloudCallError):
            self._key_report(user)

    def _report_ruled_out(self) -> bool:
        """Whether this run cannot use the credential report (switched off, or too many users)."""
        users = self.directory.user_count
        return self.credential_report == "never" or (users is not None and users > plans.MAX_REPORT_USERS)

    def _hygiene_plan(self, search: PullKeySearch) -> dict[str, Any]:
        """Choose direct reads or the credential report for the pull users' hygiene; fetch the report if chosen."""
        active = 0
        for name in search.users:
            try:
                keys = self.directory.keys_of(name) if self.directory.known(name) else None
            except CloudCallError:
                keys = []
            active += 1 if keys is None else sum(1 for k in keys if k.status == "Active")
        counts = plans.HygieneCounts(len(search.users), active, self.directory.user_count)
        choice = plans.choose_hygiene(counts, self.credential_report)
        out = choice.to_dict()
        early = self._early.result() if self._early is not None else None
        if early is not None and choice.plan != "credential-report":  # cannot happen: the count only grows
            choice = plans.Choice("credential-report", choice.estimates, "fetched during discovery")
        if choice.plan == "credential-report":
            fetched = early or self._fetch_report()
            self._report = fetched.report
            out["report"] = {"used": fetched.report is not None, "detail": fetched.reason, "calls": fetched.calls}
        return out

    def _fetch_report(self) -> ReportFetch:
        """Generate (or reuse) the account's credential report and read it (``credreport.fetch_report``)."""
        return fetch_report(self.ims, now=self.now, max_age=self.report_max_age, wait_s=self.report_wait_s,
                            poll_s=self.report_poll_s)

    def _instance_for(self, keys: list[ConfigMapKey]) -> str | None:
        found = [k.instance_id for k in keys if k.instance_id]
        if found:
            return found[0]
        return self.instance_ids[0] if len(self.instance_ids) == 1 else None

    def _audit_users(self, search: PullKeySearch, progress: Progress | None) -> tuple[IdentityAudit, ...]:
        users = list(search.users.values())
        results: list[IdentityAudit] = []
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="acrguard-audit") as pool:
            futures = [pool.submit(self._audit_one, u.user_name, tuple(u.origins), u.configmap_keys) for u in users]
            for done, future in enumerate(futures, 1):
                results.append(future.result())
                if progress:
                    progress("audit", done, len(futures))
        return tuple(sorted(results, key=lambda r: r.user_name))

    def _audit_one(self, user: str, origins: tuple[str, ...], keys: list[ConfigMapKey]) -> IdentityAudit:
        instance_id = self._instance_for(keys)
        scope = user_scope(user, self.foreign_account)  # an event re-audit observes one user: complete per user
        try:
            identity = self.finder.identity(user)
            report = self._key_report(user)
        except TransientCloudError:
            raise
        except CloudCallError as exc:
            return self._unreadable(user, origins, exc, scope)
        verdict = judge(self._evaluation(identity), instance_id=instance_id, user_name=user)
        labels = {"origin": origins[0]} if origins else {}
        findings = to_findings(verdict, scope=scope, labels=labels)
        findings = [replace(f, evidence={**f.evidence, **self._key_evidence(report, keys)}) for f in findings]
        hygiene = hygiene_findings(report, self.hygiene, self.now(), scope=scope, account_id=self.account_id)
        overall = verdict.verdict
        if overall is Verdict.PASS and any(f.severity is not Severity.INFO for f in hygiene):
            overall = Verdict.WARN
        all_findings = tuple(replace(f, job=JOB) for f in (*findings, *hygiene))
        severity = Severity.worst([f.severity for f in all_findings if f.severity is not Severity.INFO]) \
            if overall is not Verdict.PASS else Severity.INFO
        return IdentityAudit(user, overall, severity, all_findings, origins,
                             tuple((p.name, p.type, p.version, p.via) for p in identity.policies), report, verdict,
                             account_id=self.foreign_account)

    def _key_evidence(self, report: KeyReport, keys: list[ConfigMapKey]) -> dict[str, Any]:
        return {"access_keys": [{"id": k.masked, "status": k.status} for k in report.keys],
                "console_login": report.console_login,
                "configmaps": [{"source": k.source, "cluster": k.cluster, "index": k.index,
                                "instance_id": k.instance_id, "access_key_id": k.masked,
                                **({"cluster_id": k.cluster_id} if k.cluster_id else {})} for k in keys]}

    def _unreadable(self, user: str, origins: tuple[str, ...], exc: CloudCallError, scope: str) -> IdentityAudit:
        if exc.code == "EntityNotExist.User":
            finding = Finding(RULE_USER_NOT_FOUND, Severity.LOW, f"ram-user/{user}",
                              f"Pull user {user} does not exist",
                              f"{user} was named by {', '.join(origins) or 'the config'} but RAM has no such user.",
                              fix="Remove it from pull_keys.users, or fix the name.", scope=scope, job=JOB)
        else:
            finding = Finding(RULE_AUDIT_INCOMPLETE, Severity.MEDIUM, f"ram-user/{user}",
                              f"Could not audit pull user {user}", f"{exc}", scope=scope,
                              fix="Grant the auditor's role read access to RAM (AliyunRAMReadOnlyAccess).", job=JOB)
        return IdentityAudit(user, Verdict.WARN, finding.severity, (finding,), origins, error=str(exc),
                             account_id=self.foreign_account)

    # -- keys of other accounts ----------------------------------------------------------------------
    def _find_owners(self, search: PullKeySearch) -> OwnerSearch | None:
        """Ask ``owners`` about the keys no user of this account owns; those it finds leave ``unowned_keys``."""
        if not search.unowned_keys or self.owners is None:
            return None
        found = self.owners.find({k.access_key_id for k in search.unowned_keys})
        self._foreign = [(found.owners[k.access_key_id], k) for k in search.unowned_keys
                         if k.access_key_id in found.owners]
        search.unowned_keys = [k for k in search.unowned_keys if k.access_key_id not in found.owners]
        return found

    def _audit_foreign(self, found: OwnerSearch | None) -> tuple[IdentityAudit, ...]:
        """Judge the owners of keys found in other accounts, each account with an auditor of its own."""
        del found  # the keys and owners were kept by ``_find_owners``
        groups: dict[str, tuple[ClientFactory, dict[str, PullUser]]] = {}
        for owner, key in self._foreign:
            _, users = groups.setdefault(owner.account_id, (owner.factory, {}))
            entry = users.setdefault(owner.user_name, PullUser(owner.user_name))
            entry.add_origin(key.origin)
            entry.configmap_keys.append(key)
        audits: list[IdentityAudit] = []
        for account_id, (factory, users) in groups.items():
            settings = self.settings.model_copy(update={"users": (), "configmaps": (), "clusters": None,
                                                        "discover": False})
            other = PullKeyAuditor(factory, settings, instance_ids=self.instance_ids, region=self.region,
                                   account_id=account_id, now=self.now, workers=self.workers, credential_report="never")
            other.foreign_account = account_id
            audits.extend(other._audit_users(PullKeySearch(users=users), None))
        return tuple(audits)

    def _observed(self, search: PullKeySearch, identities: tuple[IdentityAudit, ...],
                  owners: OwnerSearch | None) -> tuple[str, ...] | None:
        """None when the audit saw everything; else the scopes it did observe (the findings' own are added later)."""
        sweep = search.clusters
        complete = (all(report is not None for _, _, report, _ in search.configmaps)
                    and (sweep is None or sweep.complete) and not (owners is not None and owners.failed))
        if complete:
            return None
        scopes = {user_scope(i.user_name, i.account_id) for i in identities}
        scopes.add(self._run_scope())
        if sweep is not None and sweep.listing_error is None:
            from acrguard.pullkeys.clusterfindings import observed_scopes

            scopes |= observed_scopes(sweep)
        return tuple(sorted(scopes))

    def _run_scope(self) -> str:
        return self.account_id or (self.instance_ids[0] if len(self.instance_ids) == 1 else "")

    # -- run-level findings ---------------------------------------------------------------------
    def _run_findings(self, search: PullKeySearch, identities: tuple[IdentityAudit, ...],
                      owners: OwnerSearch | None) -> list[Finding]:
        findings: list[Finding] = []
        scope = self._run_scope()
        for source, cluster, report, error in search.configmaps:
            where = f"configmap/{cluster or source}"
            if report is None:
                findings.append(Finding(
                    RULE_CONFIGMAP_UNREADABLE, Severity.MEDIUM, where, f"ConfigMap {source} could not be read",
                    f"{error}. Pull keys it holds were not audited.", fix="Fix the path or the OSS object, or "
                    "grant the auditor oss:GetObject on it.", scope=scope, job=JOB))
            elif report.errors:
                problems = "; ".join(f"line {p.line}: {p.message}" for p in report.errors[:5])
                findings.append(Finding(
                    RULE_CONFIGMAP_INVALID, Severity.MEDIUM, where, f"ConfigMap {source} does not parse",
                    f"aliyun-acr-credential-helper may not read it; pull keys may still be present. {problems}",
                    fix=f"Run: python -m acrguard configmap lint {source}", scope=scope,
                    evidence={"problems": [p.to_dict() for p in report.errors]}, job=JOB))
        if search.clusters is not None:
            from acrguard.pullkeys.clusterfindings import sweep_findings

            findings.extend(sweep_findings(search.clusters, self.settings.clusters))
        for key in search.unowned_keys:
            findings.append(self._unowned(key, owners, scope))
        return findings

    def _unowned(self, key: ConfigMapKey, owners: OwnerSearch | None, scope: str) -> Finding:
        """A key no RAM user of this account owns (nor of the accounts searched): where it is and what to configure."""
        from acrguard.pullkeys.clusterfindings import cluster_scope
        from acrguard.pullkeys.owners import ONE_ACCOUNT_HINT

        hint = self.owners.hint if self.owners is not None else ONE_ACCOUNT_HINT
        searched = [self.account_id or "this account", *(owners.searched if owners is not None else ())]
        failed = "".join(f" Account {a} could not be searched: {why}."
                         for a, why in (owners.failed.items() if owners is not None else ()))
        where = f"cluster {key.cluster} ({key.cluster_id}): {key.source}" if key.cluster_id else key.source
        return Finding(
            RULE_KEY_NOT_FOUND, Severity.MEDIUM,
            f"ack-cluster/{key.cluster_id}" if key.cluster_id else f"configmap/{key.cluster or key.source}",
            f"Pull key {key.masked}: owner not in this account",
            f"{where} holds AccessKey {key.masked}, but no RAM user of {', '.join(searched)} owns it: it belongs to "
            f"another account, was deleted, or is an account's root key (which can do everything).{failed}",
            fix=hint[:1].upper() + hint[1:] + ".",
            scope=cluster_scope(key.cluster_id) if key.cluster_id else scope,
            labels={"access_key_id": mask_access_key_id(key.access_key_id)},
            evidence={"source": key.source, "index": key.index, "instance_id": key.instance_id,
                      "accounts_searched": searched, **({"cluster_id": key.cluster_id} if key.cluster_id else {})},
            job=JOB)
