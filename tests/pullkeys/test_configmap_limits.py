"""ConfigMap lint on hostile YAML: alias bombs, deep nesting and huge files are one error, found in milliseconds."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from acrguard.cli import cli
from acrguard.pullkeys.configmap import lint_file, lint_text
from tests.pullkeys.test_configmap import GOOD, HEADER, KEY_ID, WITH_KEY


def laughs(indent: str, levels: int = 8) -> str:
    """Anchored lists of nine aliases of the level below: 9**(levels + 1) values from a few hundred bytes."""
    lines = [f'{indent}x0: &x0 ["l","l","l","l","l","l","l","l","l"]']
    lines += [f"{indent}x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines)


#: A real-format ConfigMap whose acr-registry-info block is the bomb (what `configmap lint` took 37 s on).
INNER_BOMB = HEADER + "data:\n  acr-registry-info: |\n    - instanceId: cri-abc123\n" + laughs("      ") + \
    "\n      customAccessKey: *x8\n"
#: The same in the outer document.
OUTER_BOMB = HEADER + laughs("") + "\ndata:\n  acr-registry-info: *x8\n"
#: And inside the rrsa settings block.
SETTINGS_BOMB = GOOD + "  rrsa: |\n" + laughs("    ") + "\n    enable: *x8\n"


def _lint_fast(text: str):
    started = time.monotonic()
    report = lint_text(text, "cm.yaml")
    assert time.monotonic() - started < 1.0, "a hostile ConfigMap must be refused in well under a second"
    return report


@pytest.mark.parametrize("text", [INNER_BOMB, OUTER_BOMB, SETTINGS_BOMB])
def test_an_alias_bomb_is_one_error_with_its_line(text):
    """Wherever the bomb sits, the lint stops at it: one yaml.limit error naming the limit and where."""
    assert len(text.encode()) < 1000
    # x5 is the first anchor whose expansion (9**6 values) passes the limit of 250,000
    line = next(n for n, content in enumerate(text.split("\n"), 1) if content.strip().startswith("x5:"))
    report = _lint_fast(text)
    limits = [p for p in report.problems if p.code == "yaml.limit"]
    assert len(limits) == 1 and report.exit_code == 2 and not report.parsed
    assert "once its aliases are expanded" in limits[0].message and limits[0].line == line
    assert "anchors or aliases" in limits[0].hint


def test_recursion_and_depth_are_refused_too():
    """An anchor containing its own alias, and nesting 200 levels deep, are refused the same way."""
    recursive = _lint_fast(HEADER + "data:\n  acr-registry-info: |\n    - &a {instanceId: *a}\n")
    assert any("recursive alias" in p.message for p in recursive.problems)
    deep = _lint_fast(HEADER + "data:\n  acr-registry-info: " + "[" * 200 + "]" * 200 + "\n")
    assert any("nested more than 64 levels" in p.message for p in deep.problems)


def test_a_file_over_the_configmap_limit_is_not_read(tmp_path):
    """Kubernetes keeps a ConfigMap under 1 MiB; a bigger file is refused from its size alone."""
    path = tmp_path / "cm.yaml"
    path.write_text(GOOD + "#" * (1024 * 1024) + "\n", encoding="utf-8")
    report = lint_file(path)
    assert [p.code for p in report.problems] == ["yaml.limit"] and "a ConfigMap holds at most 1,048,576" in \
        report.problems[0].message


def test_the_cli_refuses_the_bomb_quickly(tmp_path):
    """`configmap lint` prints the error and exits non-zero in a moment."""
    path = tmp_path / "cm.yaml"
    path.write_text(INNER_BOMB, encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["configmap", "lint", str(path)])
    assert time.monotonic() - started < 2.0
    assert result.exit_code != 0 and "once its aliases are expanded" in result.output


def test_honest_configmaps_still_lint_as_before():
    """The real-format fixtures, and one with 200 instances, parse fully and quickly."""
    assert lint_text(GOOD).exit_code == 0
    assert [e.access_key_id for e in lint_text(WITH_KEY).entries] == [KEY_ID]
    many = HEADER + "data:\n  acr-registry-info: |\n" + "".join(
        f'    - instanceId: "cri-{i:012d}"\n      regionId: "cn-hangzhou"\n      domains: "r{i}.example.com"\n'
        for i in range(200))
    report = _lint_fast(many)
    assert report.parsed and len(report.entries) == 200 and report.exit_code == 0
