"""``python -m localcloud [--world FILE] [--port N] [--seed N] [--text | --json]``: serve the local cloud on 127.0.0.1.

Prints what a client needs, then serves until interrupted (Ctrl-C or SIGTERM). Piped (or with
``--json``) that is one JSON line: every endpoint (``openapi``, ``dns``, ``registry``, ``oss``,
``chat``, ``admin``), the world's ``credentials`` (its first root AccessKey), the ``chat_robots``
with the token, secret, keywords and URL ``acrguard alert test`` needs, a ready-to-use acrguard
``config`` snippet and the ``env`` it reads. On a terminal (or with ``--text``) the same, readable.

The snippet keeps secrets out of the file as acrguard's config allows (``${NAME}`` as a whole value
reads the environment): the AccessKey as ``${LOCALCLOUD_ACCESS_KEY_ID}`` and
``${LOCALCLOUD_ACCESS_KEY_SECRET}``, each chat channel's URL (it holds the robot's token) and signing
secret as ``${LOCALCLOUD_CHAT_<NAME>_URL}`` and ``${LOCALCLOUD_CHAT_<NAME>_SECRET}``; ``env`` gives
their values. These are the world's keys: local-only demo keys that open nothing but this local
cloud. The snippet points every endpoint at the local cloud: ``cloud.endpoint``/``oss_endpoint``
with ``protocol: http``, and for each ACR instance of the world ``routes.nameservers`` and
``dns_port`` (the local DNS server, so no name is ever asked of the system resolver) and
``routes.registry_probe_address`` with ``registry_probe_scheme: http`` (the local ``/v2/``).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import signal
import sys
import threading
from typing import Any

import yaml

from localcloud.chat import KINDS
from localcloud.cloud import LocalCloud
from localcloud.servers.admin import CHAT_PATHS, PREFIX

#: environment variables the config snippet reads the world's AccessKey from
KEY_ID_VAR = "LOCALCLOUD_ACCESS_KEY_ID"
KEY_SECRET_VAR = "LOCALCLOUD_ACCESS_KEY_SECRET"


def env_prefix(channel: str) -> str:
    """``LOCALCLOUD_CHAT_<NAME>`` for a channel name (upper case, other characters as ``_``)."""
    return "LOCALCLOUD_CHAT_" + re.sub(r"[^A-Z0-9]+", "_", channel.upper()).strip("_")


def chat_robots(cloud: LocalCloud) -> list[dict[str, Any]]:
    """Every chat robot of the world: its channel name, kind, token, secret, keywords and URL."""
    chat = cloud.endpoints()["chat"]
    robots = []
    for kind in KINDS:
        tokens = list(cloud.chat.robots[kind])
        for number, token in enumerate(tokens, start=1):
            robot = cloud.chat.robots[kind][token]
            robots.append({"channel": kind if len(tokens) == 1 else f"{kind}-{number}", "kind": kind, "token": token,
                           "secret": robot.secret, "keywords": list(robot.keywords),
                           "url": f"http://{chat}" + CHAT_PATHS[kind].format(token=token)})
    return robots


def _instances(cloud: LocalCloud, account: str, region: str) -> list[tuple[str, str, str]]:
    """(name, id, region) of every ACR instance of the account (none when the world has no such account)."""
    found: list[tuple[str, str, str]] = []
    if account not in cloud.accounts:
        return found
    for where in cloud.regions_of("cr", account):
        for instance in cloud.backend("cr", account, where).instances.values():
            found.append((instance.name, instance.id, where))
    return found


def config_snippet(cloud: LocalCloud) -> tuple[dict[str, Any], dict[str, str]]:
    """An acrguard config pointing at this cloud, and the environment variables it reads (with their values)."""
    endpoints = cloud.endpoints()
    credentials = endpoints["credentials"]
    region = credentials.get("region", "cn-hangzhou")
    dns_host, dns_port = endpoints["dns"].rsplit(":", 1)
    env: dict[str, str] = {}
    cloud_section: dict[str, Any] = {"region": region, "endpoint": endpoints["openapi"],
                                     "oss_endpoint": endpoints["oss"], "protocol": "http"}
    if credentials:
        cloud_section["credentials"] = {"access_key_id": f"${{{KEY_ID_VAR}}}",
                                        "access_key_secret": f"${{{KEY_SECRET_VAR}}}"}
        env[KEY_ID_VAR] = credentials["access_key_id"]
        env[KEY_SECRET_VAR] = credentials["access_key_secret"]
    instances = []
    account = credentials.get("account_id") or next(iter(cloud.accounts), "")
    for name, instance_id, where in _instances(cloud, account, region):
        instance: dict[str, Any] = {"name": name, "instance_id": instance_id}
        if where != region:
            instance["region"] = where
        instance["routes"] = {"nameservers": [dns_host], "dns_port": int(dns_port),
                              "registry_probe_address": endpoints["registry"], "registry_probe_scheme": "http"}
        instances.append(instance)
    channels = []
    for robot in chat_robots(cloud):
        prefix = env_prefix(robot["channel"])
        channel: dict[str, Any] = {"name": robot["channel"], "type": robot["kind"], "url": f"${{{prefix}_URL}}"}
        env[f"{prefix}_URL"] = robot["url"]
        if robot["secret"]:
            channel["secret"] = f"${{{prefix}_SECRET}}"
            env[f"{prefix}_SECRET"] = robot["secret"]
        if robot["keywords"]:
            channel["keywords"] = robot["keywords"]
        channels.append(channel)
    config: dict[str, Any] = {"cloud": cloud_section}
    if instances:
        config["instances"] = instances
    if channels:
        config["alerts"] = {"channels": channels}
    return config, env


def describe(cloud: LocalCloud) -> dict[str, Any]:
    """What ``python -m localcloud`` prints: endpoints, credentials, chat robots, config snippet and its env."""
    info = cloud.endpoints()
    config, env = config_snippet(cloud)
    info["admin"] = f"http://{info['openapi']}{PREFIX}"
    info["chat_robots"] = chat_robots(cloud)
    info["config"] = config
    info["env"] = env
    return info


def render_text(info: dict[str, Any]) -> str:
    """``describe``'s answer for people."""
    dns_host, dns_port = info["dns"].rsplit(":", 1)
    lines = ["The local cloud is serving on 127.0.0.1 (Ctrl-C to stop).", "",
             f"  OpenAPI   {info['openapi']:<22} cloud.endpoint (protocol: http)",
             f"  OSS       {info['oss']:<22} cloud.oss_endpoint",
             f"  DNS       {info['dns']:<22} routes.nameservers: [{dns_host}], routes.dns_port: {dns_port}",
             f"  registry  {info['registry']:<22} routes.registry_probe_address (registry_probe_scheme: http)",
             f"  chat      {info['chat']:<22} robots below; what they received: http://{info['chat']}/messages",
             f"  admin     {info['admin']}  (GET it for the list of calls)", ""]
    credentials = info.get("credentials") or {}
    if credentials:
        lines += [f"Account {credentials['account_id']}, region {credentials['region']}. The keys below are the "
                  "world's local-only demo keys:", "they open nothing but this local cloud.", ""]
    if info["chat_robots"]:
        lines.append("Chat robots (acrguard alert test --channel NAME):")
        for robot in info["chat_robots"]:
            extra = (f", secret {robot['secret']}" if robot["secret"] else "") + \
                (f", keywords {', '.join(robot['keywords'])}" if robot["keywords"] else "")
            lines.append(f"  {robot['channel']}: {robot['kind']} token {robot['token']}{extra}")
            lines.append(f"    {robot['url']}")
        lines.append("")
    if info["env"]:
        lines.append("Set the variables the config reads:")
        lines += [f"  export {name}={shlex.quote(value)}" for name, value in info["env"].items()]
        lines.append("")
    lines += ["Config (save as acrguard.yaml; add targets, exports, whitelist, pull_keys as "
              "docs/configuration.md shows):", ""]
    snippet = yaml.safe_dump(info["config"], sort_keys=False, default_flow_style=None)
    lines += ["  " + line for line in snippet.splitlines()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the local cloud in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.splitlines()[0])
    parser.add_argument("--world", help="YAML world file to seed the state (default: the demo world)")
    parser.add_argument("--port", type=int, default=0, help="OpenAPI port (default: an ephemeral port)")
    parser.add_argument("--seed", type=int, default=0, help="seed for random fault injection")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--text", action="store_true", help="print for people (the default on a terminal)")
    form.add_argument("--json", action="store_true", help="print one JSON line (the default when piped)")
    args = parser.parse_args(argv)
    try:
        cloud = LocalCloud.from_world_file(args.world, seed=args.seed)
        cloud.start(port=args.port)
    except (OSError, ValueError) as exc:
        print(f"localcloud: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # before printing: a reader may stop us at once
    info = describe(cloud)
    as_text = args.text or (not args.json and sys.stdout.isatty())
    print(render_text(info) if as_text else json.dumps(info), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
