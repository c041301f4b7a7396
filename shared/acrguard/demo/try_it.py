"""After the story: the config, the env file and the words that let people try acrguard on the local cloud.

``demo --keep-running`` leaves the local cloud up and writes two files for it (``docs/try-it.md``):

* the config (``acrguard-demo.yaml`` by default): the story's own config, so every endpoint points at
  the local cloud (``cloud.endpoint``/``oss_endpoint`` with ``protocol: http``, ``routes.nameservers``
  and ``dns_port`` of the local DNS server, ``routes.registry_probe_address`` with
  ``registry_probe_scheme: http``, the ``ops`` channel on the local DingTalk robot) and its state and
  exports are the story's (in a temporary directory that lives as long as the demo). Secrets are
  ``${NAME}`` references, never values;
* the env file beside it (same name, ``.env``; mode 0600): ``export NAME=value`` lines for those
  references. The values are the demo world's local-only keys: they open nothing but this local cloud.

Both files start with ``MARKER``; an existing file without it is never overwritten.
"""

from __future__ import annotations

import copy
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG = Path("acrguard-demo.yaml")
MARKER = "# Written by `python -m acrguard demo --keep-running`"
KEY_ID_VAR = "LOCALCLOUD_ACCESS_KEY_ID"
KEY_SECRET_VAR = "LOCALCLOUD_ACCESS_KEY_SECRET"

#: the sentence said wherever the demo keys appear
LOCAL_ONLY = "local-only demo keys that open nothing but the demo's local cloud on 127.0.0.1"

NEXT_PARAGRAPH = (
    "Next: `python -m acrguard demo --keep-running` plays the same story, then keeps the local cloud running and "
    f"writes {DEFAULT_CONFIG} for it (with local-only demo keys in acrguard-demo.env), so you can run routes plan, "
    "whitelist plan, audit, doctor and alert test yourself, and change DNS records and the world through the "
    "local cloud's admin API. docs/try-it.md walks through it."
)


class NotWritable(ValueError):
    """A file the demo would write exists and was not written by the demo, or its directory is missing."""


@dataclass(frozen=True)
class TryFiles:
    """The files written for trying acrguard on the running local cloud."""

    config: Path
    env: Path


def env_file_for(config: Path) -> Path:
    """The env file that goes with a config file (``acrguard-demo.yaml`` -> ``acrguard-demo.env``)."""
    return config.with_suffix(".env")


def check_writable(config: Path) -> None:
    """``NotWritable`` when the config or its env file exists and is not the demo's own, or has no directory.

    Checked before the story starts, and again right before writing.
    """
    if not config.parent.is_dir():
        raise NotWritable(f"{config.parent} is not a directory")
    for path in (config, env_file_for(config)):
        if path.is_dir():
            raise NotWritable(f"{path} is a directory")
        if path.exists():
            try:
                first = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
            except OSError as exc:
                raise NotWritable(f"{path} cannot be read ({exc.strerror})") from None
            if first != MARKER:
                raise NotWritable(f"{path} exists and was not written by the demo; it is left alone "
                              "(choose another path with --write-config)")


def _channel_prefix(name: str) -> str:
    return "LOCALCLOUD_CHAT_" + "".join(c if c.isalnum() else "_" for c in name.upper())


def user_config(story_config: dict[str, Any], credentials: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The story's config with its secrets as ``${NAME}`` references, and the variables with their values."""
    config = copy.deepcopy(story_config)
    env = {KEY_ID_VAR: credentials["access_key_id"], KEY_SECRET_VAR: credentials["access_key_secret"]}
    config["cloud"]["credentials"] = {"access_key_id": f"${{{KEY_ID_VAR}}}",
                                      "access_key_secret": f"${{{KEY_SECRET_VAR}}}"}
    for channel in config.get("alerts", {}).get("channels", []):
        prefix = _channel_prefix(channel["name"])
        env[f"{prefix}_URL"] = channel["url"]
        channel["url"] = f"${{{prefix}_URL}}"
        if channel.get("secret"):
            env[f"{prefix}_SECRET"] = channel["secret"]
            channel["secret"] = f"${{{prefix}_SECRET}}"
    return config, env


def write_files(config_path: Path, story_config: dict[str, Any], credentials: dict[str, str],
                endpoints: dict[str, Any]) -> TryFiles:
    """Write the config and its env file (see the module docstring); ``NotWritable`` when either is someone else's."""
    check_writable(config_path)
    config, env = user_config(story_config, credentials)
    env_path = env_file_for(config_path)
    header = [MARKER, f"# for the local cloud it started on 127.0.0.1 (OpenAPI {endpoints['openapi']}); it works while "
              "the demo runs.", f"# Secrets are ${{NAME}} references: load them first with  . {_sourceable(env_path)}"]
    config_path.write_text("\n".join(header) + "\n" + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    lines = [MARKER, f"# {LOCAL_ONLY[0].upper()}{LOCAL_ONLY[1:]}", f"# (OpenAPI {endpoints['openapi']}), which "
             f"stops with the demo. Used by {config_path.name}.",
             *(f"export {name}={shlex.quote(value)}" for name, value in env.items())]
    descriptor = os.open(env_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    os.chmod(env_path, 0o600)
    return TryFiles(config_path, env_path)


def _sourceable(path: Path) -> str:
    """A path the shell's ``.`` reads as a file, not a name searched on PATH."""
    text = str(path)
    return shlex.quote(text if "/" in text else f"./{text}")


def next_steps(files: TryFiles, endpoints: dict[str, Any], instance_id: str, vpc_domain: str, vpc_id: str,
               workdir: Path) -> str:
    """What to try on the running local cloud: the commands, the admin calls, how to stop."""
    config = shlex.quote(str(files.config))
    admin = f"http://{endpoints['openapi']}/_localcloud"
    lines = [
        f"The local cloud keeps running until Ctrl-C. {files.config} points every endpoint at it (API, OSS, the DNS",
        "server and its port, the registry probe, the ops robot). Its secrets are ${NAME} references to",
        f"{files.env}, which holds the {LOCAL_ONLY}.",
        "",
        f"  . {_sourceable(files.env)}",
        f"  python -m acrguard config check {config}",
        f"  python -m acrguard routes plan --config {config}",
        f"  python -m acrguard whitelist plan --config {config}",
        f"  python -m acrguard audit --config {config}",
        f"  python -m acrguard doctor --config {config}      # s.yaml's checks cannot pass: nothing is deployed",
        f"  python -m acrguard alert test --config {config} --channel ops",
        "",
        f"Change the cloud through its admin API (GET {admin}/ lists every call), then plan again:",
        "",
        f"  curl -X PUT {admin}/cr/instances/{instance_id}/linked-vpcs/{vpc_id} -d '{{\"ip\": \"192.168.10.77\"}}'",
        f"  curl -X PUT {admin}/dns/records/{vpc_domain} -d '{{\"A\": [\"192.168.10.77\"]}}'",
        f"  curl -X PUT {admin}/dns/outage -d '{{\"mode\": \"timeout\"}}'      # DELETE ends it",
        f"  curl -X DELETE {admin}/cr/instances/{instance_id}/acl              # empty the whitelist",
        "",
        f"What the robot received: http://{endpoints['chat']}/messages. State and exports: {workdir}",
        "(removed when the demo stops). More in docs/try-it.md. Ctrl-C stops the local cloud.",
    ]
    return "\n".join(lines)


def farewell(files: TryFiles) -> str:
    """Said when the kept-running demo stops: what stays behind."""
    return (f"The local cloud stopped. {files.config} and {files.env} stay: they point at ports that are closed now, "
            f"and the keys in {files.env} are {LOCAL_ONLY}. Delete them, or run the demo again to rewrite them.")
