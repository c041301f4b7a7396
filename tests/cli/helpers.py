"""What the CLI tests share (import as ``tests.cli.helpers``): running a command, config files for the local cloud."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from acrguard.cli import cli
from localcloud import LocalCloud
from support import INSTANCE_ID, INSTANCE_NAME, REGION, ROOT_KEY, ROOT_SECRET
from tests.routes import keeperworld
from tests.whitelist import helpers as whitelist_helpers


def run(*args: str, input: bytes | str | None = None) -> Result:
    """``python -m acrguard ARGS`` in-process (stdout and stderr kept apart in the result)."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def write(path: Path, data: dict[str, Any]) -> Path:
    """``data`` as YAML at ``path`` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def routes_data(cloud: LocalCloud, *, state: str = ".acrguard/state.db", **options: Any) -> dict[str, Any]:
    """The keeper tests' config (every target type), with a state path as given (relative by default)."""
    return keeperworld.config_data(cloud, state, **options)


def whitelist_data(cloud: LocalCloud, *, state: str = ".acrguard/state.db",
                   whitelist: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """A whitelist guard config for the test instance (enforce, one office entry by default)."""
    section = whitelist or {"policy": "enforce", "entries": [{"cidr": "198.51.100.0/24", "label": "office"}],
                            "allowed_unmanaged": ["203.0.113.0/24"]}
    return whitelist_helpers.config_data(cloud, state, section, **options)


def without_credentials(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with no ``cloud.credentials`` and no ``cloud.region`` (they come from elsewhere)."""
    cloud = {k: v for k, v in data["cloud"].items() if k not in ("credentials", "region")}
    return {**data, "cloud": cloud}


def down_endpoint() -> str:
    """host:port where nothing listens (a port just released): connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


def aliyun_profiles(home: Path, *profiles: dict[str, Any], current: str = "default") -> Path:
    """``home/.aliyun/config.json`` in the aliyun CLI's format (``current``, ``profiles``)."""
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    import json

    path.write_text(json.dumps({"current": current, "profiles": list(profiles), "meta_path": ""}), encoding="utf-8")
    return path


def ak_profile(name: str, *, region: str | None = REGION, key: str = ROOT_KEY, secret: str = ROOT_SECRET
               ) -> dict[str, Any]:
    """An AK-mode profile of the aliyun CLI."""
    profile: dict[str, Any] = {"name": name, "mode": "AK", "access_key_id": key, "access_key_secret": secret,
                               "output_format": "json", "language": "en"}
    if region:
        profile["region_id"] = region
    return profile


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``root``: relative path -> (size, mtime in ns); directories size -1."""
    found = {}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        found[str(path.relative_to(root))] = (-1 if path.is_dir() else stat.st_size, stat.st_mtime_ns)
    return found


__all__ = ["INSTANCE_ID", "INSTANCE_NAME", "REGION", "ROOT_KEY", "ROOT_SECRET", "ak_profile", "aliyun_profiles",
           "down_endpoint", "routes_data", "run", "tree", "whitelist_data", "without_credentials", "write"]
