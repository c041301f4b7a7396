"""The demo story, played through the real handlers on the local cloud and printed as a timeline.

Each function runs exactly as FC would run it: its ``index.handler`` gets the event's bytes and
an FC-shaped context whose credentials are its own role's, as FC obtains them (the role trusts FC); the
events are the ones the local ActionTrail produced from the SDK calls the "people" in the story
made. The chat messages are what the local DingTalk robot accepted, shown as they would appear.
"""

from __future__ import annotations

import contextlib
import json
import signal
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from acrguard.clients import ClientFactory, EndpointOverride, call
from acrguard.credentials import StaticCredentials
from acrguard.demo.inventory import list_instances, render
from acrguard.demo.try_it import DEFAULT_CONFIG, NEXT_PARAGRAPH, farewell, next_steps, write_files
from acrguard.functions import FUNCTIONS, function
from acrguard.runtime.local import invoke, make_context

ROBOT = "demo-ops-robot-token"
ROBOT_SECRET = "SECdemo-ops-robot-signing-secret"
INSTANCE_ID = "cri-demo00000000001"
#: Lines of a chat message shown in the timeline (the footer, which names the group, is always kept).
BOX_LINES = 30


class Story:
    """The demo's state: the cloud, the people's SDK clients, the functions' config, the timeline."""

    def __init__(self, cloud: Any, workdir: Path, echo: Callable[[str], None]) -> None:
        self.cloud = cloud
        self.echo = echo
        self.started = time.monotonic()
        endpoints = cloud.endpoints()
        creds = endpoints["credentials"]
        self.region = creds["region"]
        self.account = creds["account_id"]
        override = EndpointOverride(endpoints["openapi"], "http", endpoints.get("oss"))
        self.admin = ClientFactory(self.region, credentials=StaticCredentials(creds["access_key_id"],
                                                                              creds["access_key_secret"]),
                                   override=override)
        self.alice = ClientFactory(self.region, credentials=StaticCredentials("LTAI5tDemoAliceKey0001",
                                                                              "demo-alice-secret-not-a-real-one"),
                                   override=override)
        self.workdir = workdir
        self.config_path = workdir / "acrguard.yaml"
        self.config = self._config(endpoints, workdir)
        self.config_path.write_text(yaml.safe_dump(self.config), encoding="utf-8")
        self.seen_messages = 0
        self.timers = 0

    def _config(self, endpoints: dict[str, Any], workdir: Path) -> dict[str, Any]:
        dns_host, dns_port = endpoints["dns"].split(":")[0], int(endpoints["dns"].split(":")[1])
        return {
            "cloud": {"region": self.region, "endpoint": endpoints["openapi"], "oss_endpoint": endpoints.get("oss"),
                      "protocol": "http", "retry": {"max_attempts": 3, "base_delay_ms": 20, "max_delay_ms": 200}},
            "instances": [{
                "name": "demoreg", "instance_id": INSTANCE_ID,
                "routes": {
                    "nameservers": [dns_host], "dns_port": dns_port, "dns_timeout_s": 0.3, "queries_per_name": 2,
                    "registry_probe_address": endpoints["registry"], "registry_probe_scheme": "http",
                    "targets": [
                        {"type": "vbr_route_table", "name": "express-connect", "route_table_id": "vtb-demovbr0001",
                         "next_hop_id": "ri-demovbr0001"},
                        {"type": "vpn_connection", "name": "ipsec-backup", "vpn_connection_id": "vco-demo0001",
                         "families": ["vpc_endpoint", "auth"]},
                    ],
                    "exports": [
                        {"format": "cisco_ios", "destination": str(workdir / "idc-core.ios"), "next_hop": "10.10.0.1"},
                        {"format": "dnsmasq", "destination": str(workdir / "idc-dns.conf")},
                    ],
                },
                "image_advisor": {"policy": "enforce", "size_threshold": "1GiB", "repositories": ["apps/*"]},
                "whitelist": {"policy": "enforce", "public_endpoint": "enabled",
                              "entries": [{"cidr": "203.0.113.0/24", "comment": "office egress"},
                                          {"host": "office-egress.example.com", "comment": "backup line"}],
                              "nameservers": [dns_host], "dns_port": dns_port},
            }],
            "pull_keys": {"users": ["ack-puller"], "discover": True, "max_key_age_days": 180},
            "alerts": {"channels": [{
                "name": "ops", "type": "dingtalk", "secret": ROBOT_SECRET, "keywords": ["acrguard"],
                "url": f"http://{endpoints['chat']}/dingtalk/robot/send?access_token={ROBOT}"}]},
            "state": {"backend": "sqlite", "path": str(workdir / "state.db")},
        }

    # -- telling ------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        """One timeline line."""
        self.echo(f"[{time.monotonic() - self.started:6.2f}s] {text}")

    def chapter(self, title: str) -> None:
        """A chapter heading."""
        self.echo(f"\n== {title}")

    def show_chat(self) -> int:
        """Print the chat messages that arrived since the last call; return how many."""
        messages = self.cloud.chat.accepted("dingtalk", ROBOT)
        new = messages[self.seen_messages:]
        self.seen_messages = len(messages)
        for message in new:
            # what the chat shows: the markdown text (the title is only the notification preview,
            # "首屏会话透出的展示内容", DingTalk custom robot docs: open.dingtalk.com, custom robot message types)
            markdown = message.body.get("markdown") if isinstance(message.body, dict) else None
            text = str(markdown.get("text", "")) if isinstance(markdown, dict) else message.text
            body = [line.rstrip() for line in text.strip().splitlines()]
            self.echo("   ┌─ DingTalk · ops " + "─" * 50)
            shown = body if len(body) <= BOX_LINES else [
                *body[:BOX_LINES - 3],
                f"… {len(body) - BOX_LINES + 2} more lines in this message (after demo --keep-running: "
                f"python -m acrguard alert show --config {DEFAULT_CONFIG} GROUP, GROUP as in the last line)",
                "", body[-1]]
            for line in shown:
                self.echo(f"   │ {line}")
            self.echo("   └" + "─" * 67)
        return len(new)

    # -- acting -------------------------------------------------------------------------------
    def run_function(self, name: str, event: dict[str, Any] | bytes, what: str) -> dict[str, Any]:
        """Invoke a function as FC would, with its role's STS credentials, and print the outcome."""
        spec = function(name)
        # FC assumes the function's role as the service fc.aliyuncs.com (the account's root may not call
        # AssumeRole), so the local cloud hands out the credentials the role's trust policy allows FC.
        assumed = self.cloud.service_credentials(f"acs:ram::{self.account}:role/{spec.fc_name}",
                                                 session_name="fc-demo", duration=900)
        raw = event if isinstance(event, bytes) else json.dumps(event).encode("utf-8")
        before = self.cloud.requests.last_seq()
        context = make_context(spec, self.region, self.account, assumed)
        self.say(f"{spec.fc_name} <- {what}")
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # the decision log lines (FC's logstore)
            result = invoke(spec, raw, context, self.config_path)
        writes = [r for r in self.cloud.requests.filter(since=before)
                  if r.status < 300 and not r.action.startswith(("Get", "List", "Describe"))
                  and r.product not in ("sts", "oss")]
        for outcome in result.get("events", []):
            changes = outcome.get("changes") or []
            self.say(f"  {outcome['status']}: {outcome.get('findings', 0)} finding(s); "
                     f"{len(writes)} write call(s)" + ("".join(f"\n           - {c}" for c in changes)))
        self.show_chat()
        return result

    def timer(self, job: str) -> dict[str, Any]:
        """The payload of a job's timer trigger (each firing has its own time, as FC's timers do)."""
        self.timers += 1
        return {"triggerTime": self.cloud.clock.iso(offset_seconds=600 * self.timers), "triggerName": "sweep",
                "payload": json.dumps({"job": job, "reason": "scheduled sweep"})}


def _show_file(story: Story, name: str, lines: int = 14) -> None:
    path = story.workdir / name
    if not path.exists():
        story.say(f"  ({name} was not written)")
        return
    story.say(f"  {name} (comments left out):")
    content = [line for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.lstrip().startswith(("#", "!"))]
    for line in content[:lines]:
        story.echo(f"           {line}")


def _routes(story: Story) -> list[str]:
    from alibabacloud_vpc20160428 import models

    body = call("vpc", "DescribeRouteEntryList", story.admin.vpc().describe_route_entry_list,
                models.DescribeRouteEntryListRequest(region_id=story.region, route_table_id="vtb-demovbr0001",
                                                     max_result=100))
    return sorted(f"{e.destination_cidr_block} ({e.route_entry_name})" for e in body.route_entrys.route_entry
                  if (e.route_entry_name or "").startswith("acrguard:"))


def _keeper_chapters(story: Story) -> None:
    story.chapter("The IDC's routes and DNS (endpoint keeper)")
    story.say("managed routes on the VBR table: " + (", ".join(_routes(story)) or "none"))
    _show_file(story, "idc-dns.conf")
    _show_file(story, "idc-core.ios", 8)

    story.chapter("The registry's VPC endpoint moves to a new address")
    backend = story.cloud.backend("cr", story.account, story.region)
    backend.instances[INSTANCE_ID].linked_vpcs[0].ip = "192.168.10.35"
    story.cloud.dns.set("demoreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com", ["192.168.10.35"])
    story.say("the ENI behind demoreg-registry-vpc was re-created: 192.168.10.21 -> 192.168.10.35")
    story.run_function("endpoint_keeper", story.timer("endpoint_keeper"), "timer sweep")
    story.say("managed routes on the VBR table: " + ", ".join(_routes(story)))
    story.say("  (the old /32 stays routed until it was absent for 3 runs and 24 h; DNS already answers the new one)")
    _show_file(story, "idc-dns.conf", 6)

    story.chapter("A DNS outage")
    story.cloud.dns.set_outage("timeout")
    story.say("the VPC resolvers stop answering")
    story.run_function("endpoint_keeper", story.timer("endpoint_keeper"), "timer sweep during the outage")
    story.cloud.dns.set_outage(None)
    story.say("managed routes on the VBR table: " + ", ".join(_routes(story)) + " (nothing removed)")


def _whitelist_chapter(story: Story) -> None:
    from alibabacloud_cr20181201 import models

    story.chapter("Someone empties the public endpoint's whitelist")
    acl = call("cr", "GetInstanceEndpoint", story.alice.cr().get_instance_endpoint,
               models.GetInstanceEndpointRequest(instance_id=INSTANCE_ID, endpoint_type="internet")).acl_entries
    for entry in acl or []:
        call("cr", "DeleteInstanceEndpointAclPolicy", story.alice.cr().delete_instance_endpoint_acl_policy,
             models.DeleteInstanceEndpointAclPolicyRequest(instance_id=INSTANCE_ID, endpoint_type="internet",
                                                            entry=entry.entry))
    story.say(f"alice deleted all {len(acl or [])} whitelist entries with the SDK: the registry is open to the "
              "internet")
    events = story.cloud.trail.take("DeleteInstanceEndpointAclPolicy")
    story.say(f"ActionTrail -> EventBridge: {len(events)} DeleteInstanceEndpointAclPolicy event(s)")
    story.run_function("whitelist_guard", events[-1], "the last DeleteInstanceEndpointAclPolicy event")
    story.run_function("whitelist_guard", events[-1], "the same event again (EventBridge is at-least-once)")


def _auditor_chapter(story: Story) -> None:
    from alibabacloud_ram20150501 import models

    story.chapter("A pull key is granted full registry access")
    call("ram", "AttachPolicyToUser", story.alice.ram().attach_policy_to_user, models.AttachPolicyToUserRequest(
        policy_name="AliyunContainerRegistryFullAccess", policy_type="System", user_name="ack-puller"))
    story.say("alice attached AliyunContainerRegistryFullAccess to ack-puller, whose AccessKey sits in the "
              "clusters' acr-configuration ConfigMap")
    (event,) = story.cloud.trail.take("AttachPolicyToUser")
    story.say(f"ActionTrail -> EventBridge: {event['data']['serviceName']} AttachPolicyToUser")
    story.run_function("pullkey_auditor", event, "the AttachPolicyToUser event")


def _advisor_chapter(story: Story) -> None:
    story.chapter("A 2.3 GiB image is pushed")
    backend = story.cloud.backend("cr", story.account, story.region)
    event = backend.push_image(INSTANCE_ID, "apps", "ml-inference", "v1.8.0", int(2.3 * 2**30))
    story.say("CI pushed apps/ml-inference:v1.8.0 (2.3 GiB): every node pulls and unpacks all of it before starting")
    story.run_function("image_advisor", event, "cr:Artifact:PushCompleted")
    again = backend.push_image(INSTANCE_ID, "apps", "ml-inference", "v1.8.0", int(2.3 * 2**30))
    story.run_function("image_advisor", again, "the same tag pushed again")


def run_story(world: str | None = None, keep_running: bool = False, echo: Callable[[str], None] = print,
              config_path: Path | None = None) -> int:
    """Start the local cloud, play the story, stop (or keep running); returns the exit code.

    With ``keep_running`` the cloud stays up after the story until Ctrl-C (or SIGTERM), with a config
    for it written to ``config_path`` (default ``acrguard-demo.yaml``) and its env file beside it
    (``acrguard.demo.try_it``); without, the story ends by saying what to try next.
    """
    from localcloud import LocalCloud

    cloud = LocalCloud.from_world_file(world)
    cloud.start()
    try:
        with tempfile.TemporaryDirectory(prefix="acrguard-demo-") as workdir:
            story = Story(cloud, Path(workdir), echo)
            endpoints = cloud.endpoints()
            echo(f"local cloud: OpenAPI {endpoints['openapi']}, DNS {endpoints['dns']}, "
                 f"registry {endpoints['registry']}, chat {endpoints['chat']}")
            story.chapter("What is there (ListInstance, GetInstanceEndpoint, GetInstanceVpcEndpoint)")
            echo(render(list_instances(story.admin, story.region)))
            story.chapter("First sweep")
            for job in ("endpoint_keeper", "whitelist_guard", "pullkey_auditor"):
                if job in FUNCTIONS:
                    story.run_function(job, story.timer(job), "timer sweep")
            _keeper_chapters(story)
            _whitelist_chapter(story)
            _auditor_chapter(story)
            _advisor_chapter(story)
            story.chapter("Summary")
            story.say(f"{len(cloud.requests.all())} API calls, every one signed and verified by the local cloud; "
                      f"{story.seen_messages} chat message(s)")
            if not keep_running:
                echo("\n" + textwrap.fill(NEXT_PARAGRAPH, width=100, break_on_hyphens=False, break_long_words=False))
                return 0
            files = write_files(config_path or DEFAULT_CONFIG, story.config, endpoints["credentials"], endpoints)
            stop = _stop_on_sigterm()  # before the words: a reader may stop us as soon as it has them
            story.chapter("Try it yourself")
            echo(next_steps(files, endpoints, INSTANCE_ID, "demoreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
                            "vpc-demo0001", Path(workdir)))
            with contextlib.suppress(KeyboardInterrupt):
                while not stop.wait(0.5):
                    pass
            echo("\n" + textwrap.fill(farewell(files), width=100, break_on_hyphens=False, break_long_words=False))
        return 0
    finally:
        cloud.stop()


def _stop_on_sigterm() -> threading.Event:
    """An event SIGTERM sets, so that the wait ends as Ctrl-C ends it (only the main thread can catch it)."""
    stop = threading.Event()
    with contextlib.suppress(ValueError):  # not the main thread: Ctrl-C only
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop
