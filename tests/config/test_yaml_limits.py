"""A hostile config file fails fast with a clear error; a large honest one still loads."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.config import load_config
from acrguard.errors import ConfigError

#: 442 bytes that expand to 9**9 (387 million) values: the "billion laughs" document as a config file.
LAUGHS = "\n".join(
    ["version: 1", 'x0: &x0 ["l","l","l","l","l","l","l","l","l"]']
    + [f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, 9)]
    + ["instances: [*x8]", ""])


def _fails_fast(path, expected: str) -> str:
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert time.monotonic() - started < 1.0, "a hostile file must be refused in well under a second"
    (problem,) = caught.value.problems
    assert caught.value.source == str(path) and expected in problem, problem
    return problem


def test_an_alias_bomb_is_refused_in_milliseconds(tmp_path):
    """The billion laughs: refused before anything is built, naming the line and the limit."""
    path = tmp_path / "acrguard.yaml"
    path.write_text(LAUGHS, encoding="utf-8")
    assert len(LAUGHS.encode()) < 500
    problem = _fails_fast(path, "more than 250,000 values once its aliases are expanded")
    assert problem.startswith("line ")


@pytest.mark.parametrize(("text", "expected"), [
    ("a: &a [*a]\n", "recursive alias"),
    ("a: " + "[" * 200 + "]" * 200 + "\n", "nested more than 64 levels deep"),
    ("a: &a x\nb: [" + ",".join(["*a"] * 10_001) + "]\n", "more than 10,000 aliases"),
    ("a: &a " + "x" * 5000 + "\nb: [" + ",".join(["*a"] * 1000) + "]\n", "characters of text"),
    ("port: " + "9" * 5000 + "\n", "cannot read this value"),  # Python refuses a 5,000-digit integer
    ("when: 9999-99-99\n", "cannot read this value"),  # not a date, yet PyYAML tries to build one
])
def test_other_hostile_shapes_are_refused_with_their_limit(tmp_path, text, expected):
    """Recursion, deep nesting, too many aliases, expanded text, unbuildable values: each a one-line error."""
    path = tmp_path / "acrguard.yaml"
    path.write_text(text, encoding="utf-8")
    _fails_fast(path, expected)


def test_a_file_over_one_mebibyte_is_not_read(tmp_path):
    """Size is checked before the file is read."""
    path = tmp_path / "acrguard.yaml"
    path.write_text("# padding\n" * 110_000, encoding="utf-8")
    _fails_fast(path, "a config file may be at most 1,048,576")


def test_config_check_refuses_the_bomb_quickly(tmp_path):
    """`config check` on the 408-byte bomb ends with the error instead of minutes and gigabytes."""
    path = tmp_path / "acrguard.yaml"
    path.write_text(LAUGHS, encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert time.monotonic() - started < 2.0
    assert result.exit_code != 0 and "once its aliases are expanded" in result.output


def test_a_large_honest_config_with_anchors_still_loads(tmp_path):
    """300 instances sharing anchored sections (about 100 KB): loads in full."""
    body = ["instances:"]  # the first instance anchors its whitelist, the others alias it
    for i in range(300):
        body.append(f"  - name: inst-{i:03d}")
        body.append(f"    instance_id: cri-{i:012d}")
        if i == 0:
            body.append("    whitelist: &wl")
            body.append("      policy: enforce")
            body.append("      entries:")
            body += [f"        - cidr: 203.0.{n}.0/24" for n in range(100)]
        else:
            body.append("    whitelist: *wl")
    path = tmp_path / "acrguard.yaml"
    path.write_text("\n".join(["version: 1", *body, ""]), encoding="utf-8")
    started = time.monotonic()
    config = load_config(path)
    assert time.monotonic() - started < 10
    assert len(config.instances) == 300
    assert all(len(i.whitelist.entries) == 100 for i in config.instances)
