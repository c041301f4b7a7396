"""Which account and region an event is about: where an organisation runs the job that handles it.

In an organisation (``acrguard.org``) the central functions receive the events of every member
account; each is handled with the credentials of the account it concerns, in that account's shard.
The account, in order:

1. the ActionTrail record's ``recipientAccountId``: the account that received the call, whose
   resource it acted on (``userIdentity.accountId`` is the caller's, which may differ);
2. the envelope's ``aliyunoriginalaccountid``: the account whose rule routed the event to the
   central bus (EventBridge cross-account routing,
   https://help.aliyun.com/zh/eventbridge/user-guide/route-events-to-eventbridge);
3. the envelope's ``aliyunaccountid`` (the account whose bus delivered it);
4. for an ACR artifact event, the account in its ``subject`` (``acs.cr:<region>:<account>:...``).

The region: the record's ``acsRegion``, else the envelope's ``aliyunregionid``, else the subject's.
None when the event names none: the caller decides (the central account, the function's region).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acrguard.events.envelope import CloudEvent


@dataclass(frozen=True)
class EventPlace:
    """The account and region an event is about (None: the event does not say) and which field said so."""

    account: str | None
    region: str | None
    account_from: str | None = None


def _subject_parts(subject: str | None) -> tuple[str | None, str | None]:
    """``(region, account)`` of an ``acs.<product>:<region>:<account>:<resource>`` subject."""
    parts = (subject or "").split(":")
    if len(parts) >= 4 and parts[0].startswith("acs.") and parts[2].isdigit():
        return parts[1] or None, parts[2]
    return None, None


def event_place(event: Any) -> EventPlace:
    """Where ``event`` happened (see the module docstring); a non-CloudEvent names no place."""
    if not isinstance(event, CloudEvent):
        return EventPlace(None, None)
    record = event.record
    subject_region, subject_account = _subject_parts(event.subject)
    candidates = (("recipientAccountId", record.recipient_account_id if record is not None else None),
                  ("aliyunoriginalaccountid", event.original_account_id),
                  ("aliyunaccountid", event.account_id),
                  ("subject", subject_account))
    account, source = next(((v.strip(), name) for name, v in candidates if v and v.strip()), (None, None))
    region = (record.acs_region if record is not None else None) or event.region_id or subject_region
    return EventPlace(account, region.strip() if region else None, source)
