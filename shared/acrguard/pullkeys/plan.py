"""How the audit reads RAM: per user or per policy, and key hygiene per user or from the credential report.

Pure functions of counts the audit has already read (no I/O), so the choice is printable and
tested on its own. Both discovery plans find the same pull users (a user can pull only through a
policy whose default version alone grants a pull action: Deny and other policies can only take
away), so the choice changes the calls, never the verdicts.

* **Per user** (RAM 2015-05-01 lists attachments per identity): ``ListAccessKeys`` for every user,
  then ``ListPoliciesForUser`` + ``ListGroupsForUser`` for each holder of an active key.
* **Per policy**: ``ListPolicies`` pages name each policy's ``DefaultVersion`` and
  ``AttachmentCount``; the default version of each attached policy is read once (both plans read
  the policies in force); ``ListEntitiesForPolicy`` runs only for the policies that can grant a
  pull action, ``ListUsersForGroup`` for the groups holding them, and only those users are read
  as in the per-user plan.

The estimates count what is still unknown when the choice is made: for the per-user plan every
unread user's ``ListAccessKeys`` and two lists for each user (every user taken as a key holder);
for the per-policy plan one ``ListEntitiesForPolicy`` per pull-granting policy and four calls per
attachment of those policies (a group's member page or nothing, then the user's key list and two
attachment lists). Hygiene: per user one ``GetAccessKeyLastUsed`` per active key and one
``GetLoginProfile``; from the report ``GenerateCredentialReport`` twice (the request and one
re-check) plus one ``GetCredentialReport`` page per 3,501 rows, and only for accounts of at most
3,500 users (the documented limit; ``acrguard.pullkeys.credreport``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from acrguard.pullkeys.imsapi import REPORT_PAGE

PER_USER = "per-user"
PER_POLICY = "per-policy"
AUTO = "auto"
DISCOVERY_PLANS = (AUTO, PER_USER, PER_POLICY)
#: ``credential_report`` modes: choose by the estimate, never, or whenever the account allows it.
REPORT_MODES = (AUTO, "never", "always")

#: The documented limit: no credential report for an account with more RAM users than this.
MAX_REPORT_USERS = 3500


@dataclass(frozen=True)
class DiscoveryCounts:
    """What the list pages (and the documents of attached policies) told before discovery."""

    users: int  # ListUsers
    keys_known: int = 0  # users whose keys were already read
    attached_policies: int = 0  # ListPolicies entries with AttachmentCount > 0 (or no count)
    documents_unread: int = 0  # of those, documents not read yet
    pull_policies: int | None = None  # attached policies whose default version alone can grant a pull action
    pull_attachments: int | None = None  # their AttachmentCount, summed


@dataclass(frozen=True)
class Choice:
    """A chosen plan, the estimates it was chosen on, and why."""

    plan: str
    estimates: dict[str, int]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"plan": self.plan, "estimated_calls": dict(self.estimates), "reason": self.reason}


def per_user_estimate(counts: DiscoveryCounts) -> int:
    """Calls the per-user plan still needs: unread key lists, and two attachment lists per user."""
    return max(0, counts.users - counts.keys_known) + 2 * counts.users


def per_policy_estimate(counts: DiscoveryCounts) -> int | None:
    """Calls the per-policy plan still needs once its documents are read (None: not known yet)."""
    if counts.pull_policies is None or counts.pull_attachments is None:
        return None
    return counts.pull_policies + 4 * counts.pull_attachments


def worth_reading_documents(counts: DiscoveryCounts) -> bool:
    """Whether the per-policy plan may still win: its documents alone must cost less than the per-user plan."""
    return counts.documents_unread < per_user_estimate(counts)


def choose_discovery(counts: DiscoveryCounts, wanted: str = AUTO) -> Choice:
    """The discovery plan: ``wanted`` unless ``auto``, else the one with the smaller estimate (per user on a tie)."""
    if wanted not in DISCOVERY_PLANS:
        raise ValueError(f"plan must be one of {', '.join(DISCOVERY_PLANS)}, got {wanted!r}")
    user = per_user_estimate(counts)
    policy = per_policy_estimate(counts)
    estimates = {PER_USER: user, **({PER_POLICY: policy} if policy is not None else {})}
    if wanted != AUTO:
        return Choice(wanted, estimates, "asked for")
    if policy is None:
        return Choice(PER_USER, estimates, f"reading the {counts.documents_unread} attached policies' documents "
                                           f"would cost about as much as the per-user plan ({user})")
    if policy < user:
        return Choice(PER_POLICY, estimates, f"{counts.pull_policies} of {counts.attached_policies} attached "
                                             f"policies can grant pulling; {counts.users} users")
    return Choice(PER_USER, estimates, f"{counts.users} users are fewer calls than the holders of "
                                       f"{counts.pull_policies} pull-granting policies")


@dataclass(frozen=True)
class HygieneCounts:
    """What is known of the pull users before their key hygiene is read."""

    pull_users: int
    active_keys: int
    users: int | None  # every RAM user of the account (None: not listed)


def per_user_hygiene(counts: HygieneCounts) -> int:
    """``GetAccessKeyLastUsed`` per active key and ``GetLoginProfile`` per pull user."""
    return counts.active_keys + counts.pull_users


def report_estimate(counts: HygieneCounts) -> int:
    """``GenerateCredentialReport`` and one re-check, plus the report's pages (one when the size is unknown)."""
    rows = (counts.users or 0) + 1  # the <root> row
    return 2 + max(1, math.ceil(rows / REPORT_PAGE))


def choose_hygiene(counts: HygieneCounts, mode: str = AUTO) -> Choice:
    """Per-user reads or the credential report for the pull users' key hygiene."""
    if mode not in REPORT_MODES:
        raise ValueError(f"credential_report must be one of {', '.join(REPORT_MODES)}, got {mode!r}")
    direct, report = per_user_hygiene(counts), report_estimate(counts)
    estimates = {"per-user": direct, "credential-report": report}
    if mode == "never":
        return Choice("per-user", estimates, "the credential report is switched off")
    if counts.users is not None and counts.users > MAX_REPORT_USERS:
        return Choice("per-user", estimates, f"{counts.users} users: no report for more than {MAX_REPORT_USERS}")
    if mode == "always":
        return Choice("credential-report", estimates, "asked for")
    if counts.pull_users and report < direct:
        return Choice("credential-report", estimates, f"{counts.pull_users} pull users with {counts.active_keys} "
                                                      "active keys")
    return Choice("per-user", estimates, f"{counts.pull_users} pull users: direct reads are fewer calls")
