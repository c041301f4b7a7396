"""Figure 5, alert burst: 1,000 findings within one minute, to every kind of chat channel at once.

The findings arrive over ten invocations six seconds apart (the cloud's clock), each a job's
complete report so far (100 more findings each time, every finding in its own alert group: the
worst case for message count). Afterwards one flush a minute runs, as the next timer invocations
would, until no group is pending on any channel. The local chat sinks enforce the platforms'
limits (DingTalk 20 a minute, WeCom 20 a minute, Feishu 100 a minute and 5 a second, Slack about
one a second; the generic webhook has none), so a message over a limit would be refused there.

Per channel:

* **busiest minute**: the most messages the sink accepted in any 60 s window; goal: at most the
  channel's limit (and no message refused by the sink);
* **findings lost**: 1,000 minus the findings the accepted messages name (each finding's title
  carries its number) and those they count in digest notes ("... and N more groups (M findings) not
  listed"); goal: 0. Groups still pending in acrguard's state when the flushes stop are reported
  alongside.
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

from bench import worlds
from bench.common import Figure, running_cloud, scratch_dir

BENCH = "alert-burst"
FINDINGS = 1000
INVOCATIONS = 10
NAMED = re.compile(r"bench finding f(\d{4})")
HIDDEN = re.compile(r"more groups? \((\d+) findings?\) not listed")
ROBOTS = {"dingtalk": ("benchding0001", "SECbenchdingsecret0001"), "feishu": ("benchfeishu0001", "benchfeishusecret"),
          "wecom": ("benchwecom0001", None), "slack": ("T0BENCH/B0BENCH/benchslack0001", None),
          "webhook": ("bench-hook", None)}
#: (per minute, per second) as the sinks enforce them (``localcloud/chat.py`` and its sources)
LIMITS = {"dingtalk": (20, None), "feishu": (100, 5), "wecom": (20, None), "slack": (60, 1), "webhook": (None, None)}
KEYWORD = "acrguard"


class _CloudClock:
    """The pipeline's clock is the local cloud's: sleeping moves it forward instead of waiting."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud

    def now(self) -> float:
        """The cloud's time."""
        return self.cloud.clock.now()

    def sleep(self, seconds: float) -> None:
        """Advance the cloud's clock."""
        self.cloud.advance(seconds)


def _world() -> dict[str, Any]:
    robots: dict[str, Any] = {}
    for kind, (token, secret) in ROBOTS.items():
        spec: dict[str, Any] = {}
        if secret:
            spec["secret"] = secret
        if kind == "dingtalk":
            spec["keywords"] = [KEYWORD]
        robots[kind] = {token: spec}
    return worlds.with_chat(worlds.whitelist_world(1), robots)


def _channels(cloud: Any) -> list[dict[str, Any]]:
    base = f"http://{cloud.endpoints()['chat']}"
    urls = {"dingtalk": f"{base}/dingtalk/robot/send?access_token={ROBOTS['dingtalk'][0]}",
            "feishu": f"{base}/feishu/open-apis/bot/v2/hook/{ROBOTS['feishu'][0]}",
            "wecom": f"{base}/wecom/cgi-bin/webhook/send?key={ROBOTS['wecom'][0]}",
            "slack": f"{base}/slack/services/{ROBOTS['slack'][0]}", "webhook": f"{base}/webhook/{ROBOTS['webhook'][0]}"}
    channels = []
    for kind, url in urls.items():
        channel: dict[str, Any] = {"name": kind, "type": kind, "url": url}
        if ROBOTS[kind][1]:
            channel["secret"] = ROBOTS[kind][1]
        if kind == "dingtalk":
            channel["keywords"] = [KEYWORD]
        channels.append(channel)
    return channels


def _findings() -> list[Any]:
    from acrguard.findings import Finding, Severity

    return [Finding(rule="bench.burst", severity=Severity.HIGH, resource=f"cri-burst{i:04d}", scope=f"cri-burst{i:04d}",
                    title=f"bench finding f{i:04d}", details="a finding of the alert burst benchmark",
                    fix="none needed", job="whitelist_guard") for i in range(FINDINGS)]


def _busiest(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def run(quick: bool = False) -> list[Figure]:
    """Every alert-burst figure (the same in ``quick`` mode: it takes seconds)."""
    from acrguard.alerts import AlertPipeline
    from acrguard.config.alerts import AlertsConfig
    from acrguard.state.sqlite import SqliteStateStore

    figures: list[Figure] = []
    with running_cloud(_world()) as cloud, scratch_dir() as tmp, contextlib.redirect_stderr(io.StringIO()), \
            contextlib.redirect_stdout(io.StringIO()):
        config = AlertsConfig.model_validate({"channels": _channels(cloud)})
        clock = _CloudClock(cloud)
        state = str(tmp / "state.db")
        findings = _findings()
        start = clock.now()
        per_run = FINDINGS // INVOCATIONS
        for index in range(INVOCATIONS):
            current = findings[:per_run * (index + 1)]
            AlertPipeline(config, SqliteStateStore(state), clock=clock).process(
                "whitelist_guard", current, {f.scope for f in current})
            cloud.advance(60 / INVOCATIONS)
        flushes, pending = 0, None
        while flushes < 60:
            cloud.advance(60)
            report = AlertPipeline(config, SqliteStateStore(state), clock=clock).flush()
            flushes += 1
            pending = report.summary().get("groups_pending", 0)
            if not pending and not report.deliveries:
                break
        for kind in ROBOTS:
            accepted = cloud.chat.accepted(kind)
            refused = len(cloud.chat.messages(kind)) - len(accepted)
            named = {int(n) for m in accepted for n in NAMED.findall(m.text)}
            counted = sum(int(c) for m in accepted for c in HIDDEN.findall(m.text))
            lost = max(0, FINDINGS - len(named) - counted)
            per_minute, per_second = LIMITS[kind]
            minute = _busiest([m.at for m in accepted], 60.0)
            second = _busiest([m.at for m in accepted], 1.0)
            last = max((m.at for m in accepted), default=start)
            details = {"accepted": len(accepted), "refused_by_sink": refused, "named": len(named),
                       "counted_in_digests": counted, "busiest_second": second, "minutes_to_deliver":
                       round((last - start) / 60, 1), "flushes": flushes, "groups_pending_at_end": pending}
            note = (f"{len(accepted)} messages over {details['minutes_to_deliver']} min, {refused} refused by the "
                    f"sink; busiest second {second}" + (f" (limit {per_second}/s)" if per_second else ""))
            if per_minute is None:
                figures.append(Figure(BENCH, f"{kind}: messages in the busiest minute", minute, None,
                                      note=note + "; the generic webhook has no documented limit", details=details))
            else:
                over_second = per_second is not None and second > per_second
                figures.append(Figure(BENCH, f"{kind}: messages in the busiest minute",
                                      minute if not (refused or over_second) else f"{minute} (refused {refused})",
                                      per_minute, note=note, details=details))
            figures.append(Figure(BENCH, f"{kind}: findings lost", lost, 0,
                                  note=f"{len(named)} named + {counted} counted in digest notes of {FINDINGS}",
                                  details=details))
    return figures
