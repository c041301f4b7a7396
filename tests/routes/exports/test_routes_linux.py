"""Linux export: an ``ip route replace`` script that bash accepts and that stops at the first failure."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from acrguard.routes.exports import routes_linux
from acrguard.routes.exports.routes_common import RouteOptions

# ip-route(8): ip route replace PREFIX via ADDRESS [dev NAME]; Linux interface names are at most 15 characters.
LINE = re.compile(r"^ip route replace (?P<prefix>\d+\.\d+\.\d+\.\d+/\d+) via (?P<via>\d+\.\d+\.\d+\.\d+)"
                  r"(?: dev (?P<dev>[A-Za-z0-9_.:-]{1,15}))?$")
EXPECTED = {"192.168.10.21/32", "100.104.12.7/32", "100.104.12.66/32", "100.98.170.0/24", "100.114.102.0/24",
            "100.118.28.0/24", "100.118.31.0/24"}


def parse(script: str) -> list[tuple[str, str, str | None]]:
    """Every line is the shebang, blank, a comment, ``set -e`` or a strict ``ip route replace`` line."""
    lines = script.splitlines()
    assert lines[0] == "#!/bin/sh"
    assert "set -e" in lines and lines.index("set -e") < next(i for i, x in enumerate(lines) if x.startswith("ip "))
    routes = []
    for line in lines[1:]:
        if not line or line.startswith("# ") or line == "set -e":
            continue
        match = LINE.match(line)
        assert match, f"not a valid ip route line: {line!r}"
        ipaddress.IPv4Network(match["prefix"])  # strict: no host bits
        routes.append((match["prefix"], match["via"], match["dev"]))
    return routes


@pytest.mark.parametrize(("interface", "golden_name"), [(None, "linux.sh"), ("eth1", "linux_interface.sh")])
def test_script_matches_golden_and_the_documented_syntax(data, golden, interface, golden_name):
    """One ip route replace per desired prefix, via the next hop (and dev when configured), as in the golden file."""
    text = routes_linux.render(data, RouteOptions("10.10.0.1", interface))
    golden(golden_name, text)
    routes = parse(text)
    assert {prefix for prefix, _, _ in routes} == EXPECTED and len(routes) == len(EXPECTED)
    assert {(via, dev) for _, via, dev in routes} == {("10.10.0.1", interface)}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_accepts_the_script(data, tmp_path):
    """``bash -n`` finds no syntax error."""
    script = tmp_path / "routes.sh"
    script.write_text(routes_linux.render(data, RouteOptions("10.10.0.1", "eth1")))
    subprocess.run(["bash", "-n", str(script)], check=True)


def _fake_ip(directory: Path, fail_on: int | None = None) -> Path:
    """An ``ip`` command that logs its arguments (and fails on call number ``fail_on``)."""
    log = directory / "calls.log"
    fail = f'[ "$(wc -l < {log})" -eq {fail_on} ] && exit 2\n' if fail_on else ""
    tool = directory / "ip"
    tool.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{fail}exit 0\n')
    tool.chmod(0o755)
    log.write_text("")
    return log


def test_running_the_script_calls_ip_once_per_prefix_and_stops_at_the_first_failure(data, tmp_path):
    """Run by sh with a stand-in ``ip``: every route is replaced in order; with set -e a failure stops the rest."""
    script = tmp_path / "routes.sh"
    script.write_text(routes_linux.render(data, RouteOptions("10.10.0.1")))
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ.get('PATH', '')}"}
    log = _fake_ip(tmp_path)
    subprocess.run(["sh", str(script)], check=True, env=env)
    calls = log.read_text().splitlines()
    assert calls[0] == "route replace 192.168.10.21/32 via 10.10.0.1" and len(calls) == len(EXPECTED)
    log = _fake_ip(tmp_path, fail_on=2)
    assert subprocess.run(["sh", str(script)], env=env).returncode == 2
    assert len(log.read_text().splitlines()) == 2


def test_undo_turns_a_route_line_into_its_removal():
    """``ip route replace P via H dev I`` is undone by ``ip route del P via H dev I``; other lines have no undo."""
    assert routes_linux.undo("ip route replace 100.118.28.0/24 via 10.10.0.1 dev eth1") == \
        "ip route del 100.118.28.0/24 via 10.10.0.1 dev eth1"
    assert routes_linux.undo("set -e") is None
