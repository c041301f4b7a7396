"""Deliver due notifications to each channel within its rate limit, recording every outcome.

Per channel and run: the most severe groups go out one message each while the robot's budget
allows (``max_messages_per_run``, and what is left of its per-minute limit, counted from the send
log in the state store so the limit holds across invocations); when more groups are due than
that, the last message is a digest of all the rest. Nothing is dropped: a group that was not
delivered (deferred, rate limited, failed) stays pending in the notification log and goes out
on a later run.

Each accepted message is written to the state store at once (the groups it covered first, then the
robot's send log), so it is never sent again. Only rate limits, 5xx and network failures are retried
(on the next run); groups a channel could not take (a blocked robot, a full rate window, a rejected
configuration) are marked with the moment it can take them again (``not_before``), so no run plans
them before then; after a security error
(bad signature, keyword, token) the channel is left alone for ``retry_rejected_after_s`` or until
its configuration changes. A read timeout is ambiguous (the robot may have accepted the
message); it is retried, so such a message may arrive twice.

Platforms with a per-second limit (Feishu 5/s, Slack about 1/s) are paced by sleeping between
messages (the injected clock's ``sleep``); with ``max_messages_per_run`` at its default of 10 that
costs a Slack channel at most about 10 s of function time per run.

Logs and errors name channels, never their URLs, tokens or secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from acrguard.alerts import state
from acrguard.alerts.channels import Outcome, RenderOptions, Result, kind_of
from acrguard.alerts.clock import Clock
from acrguard.alerts.decide import Due, Plan, Reason
from acrguard.alerts.message import DigestMessage, Message
from acrguard.alerts.ratelimit import WINDOW_S, RateLimit, remaining, wait_before_next
from acrguard.alerts.render import plural, when
from acrguard.alerts.transport import Transport, TransportError
from acrguard.config.alerts import AlertsConfig, ChannelConfig
from acrguard.redact import redact_text

log = logging.getLogger("acrguard.alerts")

_REASON_ORDER = {Reason.FIRST: 0, Reason.NEW: 1, Reason.RETRY: 2, Reason.REPEAT: 3, Reason.RESOLVED: 4}


@dataclass(frozen=True)
class DeliveryRecord:
    """What happened to one message (or to groups that were not sent this run: ``outcome`` None)."""

    channel: str
    groups: tuple[str, ...]
    kind: str  # "group", "digest" or "deferred"
    outcome: Outcome | None
    detail: str = ""

    @property
    def delivered(self) -> bool:
        """The channel accepted the message."""
        return self.outcome is Outcome.ACCEPTED


def channel_secrets(channel: ChannelConfig) -> tuple[str, ...]:
    """Every part of a channel's configuration that must never be shown (URL, token, key, secret)."""
    parts = urlsplit(channel.url)
    found = [channel.url, channel.secret or ""]
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= 6]
    found += [segment for segment in parts.path.split("/") if len(segment) >= 6 and segment not in (
        "robot", "services", "webhook", "open-apis")]
    return tuple(s for s in found if s)


def priority(due: Due) -> tuple[int, int, str]:
    """Firing groups before resolved ones, the most severe first, then first/new before repeats."""
    rank = due.message.severity.rank if due.message.status == "firing" else 9
    return (rank, _REASON_ORDER[due.reason], due.group_key)


def batches(dues: Sequence[Due], capacity: int, why: str) -> list[tuple[Message, list[Due]]]:
    """One message per due group while ``capacity`` allows; beyond it, the rest in one digest."""
    ordered = sorted(dues, key=priority)
    if len(ordered) <= capacity:
        return [(d.message, [d]) for d in ordered]
    singles, rest = ordered[: capacity - 1], ordered[capacity - 1:]
    digest = DigestMessage(groups=tuple(d.message for d in rest), reason=why)
    return [*((d.message, [d]) for d in singles), (digest, list(rest))]


def describe_limit(limit: RateLimit, per_run: int) -> str:
    """``20 messages a minute per robot, at most 10 per run``."""
    parts = []
    if limit.per_minute is not None:
        parts.append(f"{limit.per_minute} messages a minute per robot")
    if limit.per_second:
        parts.append(f"{limit.per_second:g} a second")
    parts.append(f"at most {per_run} per run")
    return ", ".join(parts)


def send_message(channel: ChannelConfig, message: Message, transport: Transport, now: float,
                 options: RenderOptions) -> Result:
    """Build, POST and interpret one message; no state, no retry. The result's detail is redacted."""
    kind = kind_of(channel.type)
    request = kind.build(message, channel, now, options)
    try:
        response = transport.send(request, channel.timeout_s)
    except TransportError as exc:
        result = Result(Outcome.UNAVAILABLE, f"{exc.kind}: {exc}")
    else:
        result = kind.interpret(response)
    return Result(result.outcome, redact_text(result.detail, channel_secrets(channel)), result.retry_after_s)


class Delivery:
    """Sends messages to configured channels and records each outcome in the state store at once."""

    def __init__(self, config: AlertsConfig, transport: Transport, clock: Clock) -> None:
        self.config = config
        self.transport = transport
        self.clock = clock

    # -- one message ---------------------------------------------------------------------------
    def send(self, channel: ChannelConfig, message: Message) -> Result:
        """Build, POST and interpret one message (see ``send_message``)."""
        return send_message(channel, message, self.transport, self.clock.now(),
                            RenderOptions(max_items=self.config.max_findings_per_message))

    # -- a run ---------------------------------------------------------------------------------
    def deliver(self, plan: Plan, records: state.AlertRecords) -> list[DeliveryRecord]:
        """Send everything in ``plan`` that the channels' limits allow; record the rest as pending."""
        out: list[DeliveryRecord] = []
        for channel in self.config.channels:
            dues = plan.due.get(channel.name) or []
            if dues:
                out.extend(self._deliver_channel(channel, dues, records))
        return out

    def _deliver_channel(self, channel: ChannelConfig, dues: list[Due], records: state.AlertRecords
                         ) -> list[DeliveryRecord]:
        kind = kind_of(channel.type)
        limit = kind.rate.lowered_to(channel.rate_per_minute)
        robot = state.robot_id(channel)
        now = self.clock.now()
        refusal = state.rejected(records.channel(channel.name), channel)
        if refusal and now < float(refusal["at"]) + self.config.retry_rejected_after_s:
            again = float(refusal["at"]) + self.config.retry_rejected_after_s
            return self._defer(records, channel, dues, "the channel rejected an earlier message; fix its "
                               f"configuration (retried after {when(again)})", str(refusal.get("error", "")),
                               not_before=again)
        sent, blocked_until = state.robot_log(records.robot(robot), robot)  # copies: later writes do not change them
        if blocked_until > now:
            return self._defer(records, channel, dues,
                               f"the platform asked to slow down; blocked until {when(blocked_until)}",
                               not_before=blocked_until)
        room = remaining(limit, sent, now)
        capacity = self.config.max_messages_per_run if room is None else min(room, self.config.max_messages_per_run)
        limit_text = describe_limit(limit, self.config.max_messages_per_run)
        if capacity <= 0:
            return self._defer(records, channel, dues, f"rate limit reached ({limit_text})",
                               not_before=state.robot_wait(limit.per_minute, sent, now, WINDOW_S))
        why = (f"{plural(len(dues), 'alert group')} were due and this channel takes {capacity} more "
               f"message{'s' if capacity != 1 else ''} now ({limit_text})")
        out: list[DeliveryRecord] = []
        planned = batches(dues, capacity, why)
        for index, (message, covered) in enumerate(planned):
            wait = wait_before_next(limit, sent, self.clock.now())
            if wait > 0:
                self.clock.sleep(wait)
            result = self.send(channel, message)
            done = self.clock.now()
            kind_name = "digest" if isinstance(message, DigestMessage) else "group"
            groups = tuple(d.group_key for d in covered)
            out.append(DeliveryRecord(channel.name, groups, kind_name, result.outcome, result.detail))
            if result.accepted:
                sent.append(done)
                self._record_accepted(records, channel, robot, covered, done)
                log.info("alerts: %s sent to channel %s (%s, %s)", kind_name, channel.name,
                         plural(len(covered), "group"), ", ".join(sorted({d.reason.value for d in covered})))
                continue
            later = [d for _, rest in planned[index + 1:] for d in rest]
            self._record_failure(records, channel, robot, limit, covered, later, result, done)
            log.warning("alerts: channel %s did not take a %s (%s: %s); %s stay pending", channel.name, kind_name,
                        result.outcome.value, result.detail, plural(len(covered) + len(later), "group"))
            if later:
                out.append(DeliveryRecord(channel.name, tuple(d.group_key for d in later), "deferred", None,
                                          "not sent after an earlier failure in this run"))
            break
        return out

    # -- state updates -------------------------------------------------------------------------
    @staticmethod
    def _record_accepted(records: state.AlertRecords, channel: ChannelConfig, robot: str, covered: list[Due],
                         now: float) -> None:
        for due in covered:  # the groups first: what a channel was told is what keeps it from being told twice
            records.change_group(due.group_key, lambda alerts, d=due: state.record_sent(
                alerts, d.group_key, channel.name, d.firing, now), now)
        records.change_robot(robot, lambda alerts: state.record_robot_send(alerts, robot, now), now)
        if records.channel(channel.name)["channels"]:  # a rejection to forget
            records.change_channel(channel.name, lambda alerts: state.clear_rejected(alerts, channel.name), now)

    def _record_failure(self, records: state.AlertRecords, channel: ChannelConfig, robot: str, limit: RateLimit,
                        covered: list[Due], later: list[Due], result: Result, now: float) -> None:
        again: float | None = None
        if result.outcome is Outcome.RATE_LIMITED:
            again = now + (result.retry_after_s or limit.block_s)
            records.change_robot(robot, lambda alerts: state.block_robot(alerts, robot, again), now)
        elif not result.outcome.retry_later:
            again = now + self.config.retry_rejected_after_s
            records.change_channel(channel.name, lambda alerts: state.mark_rejected(
                alerts, channel, f"{result.outcome.value}: {result.detail}", now), now)
        for due in covered:
            records.change_group(due.group_key, lambda alerts, d=due: state.record_pending(
                alerts, d.group_key, channel.name, d.firing, reason=d.reason.value,
                error=f"{result.outcome.value}: {result.detail}", attempted=True, now=now, not_before=again,
                channel_config=state.config_hash(channel)), now)
        for due in later:
            records.change_group(due.group_key, lambda alerts, d=due: state.record_pending(
                alerts, d.group_key, channel.name, d.firing, reason=d.reason.value,
                error="not sent after an earlier failure in this run", attempted=False, now=now,
                not_before=again, channel_config=state.config_hash(channel)), now)

    def _defer(self, records: state.AlertRecords, channel: ChannelConfig, dues: list[Due], reason: str,
               error: str = "", *, not_before: float | None = None) -> list[DeliveryRecord]:
        now = self.clock.now()
        for due in dues:
            records.change_group(due.group_key, lambda alerts, d=due: state.record_pending(
                alerts, d.group_key, channel.name, d.firing, reason=d.reason.value, error=f"deferred: {reason}",
                attempted=False, now=now, not_before=not_before, channel_config=state.config_hash(channel)), now)
        log.warning("alerts: %s for channel %s deferred: %s%s; they stay pending", plural(len(dues), "group"),
                    channel.name, reason, f" ({error})" if error else "")
        return [DeliveryRecord(channel.name, tuple(d.group_key for d in dues), "deferred", None,
                               f"{reason}{f' ({error})' if error else ''}")]
