"""What users bring from the tools they know: a closing summary, ``--instance``, ``--dry-run``, the
config's workers, findings with their details and fix, a progress line on a terminal, s.yaml beside the config."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from acrguard.cli._files import locate_s_yaml
from acrguard.cli._output import Progress, progress_label
from acrguard.cli.exitcodes import ExitCode
from support import INSTANCE_ID
from tests.cli.helpers import routes_data, run, whitelist_data, write
from tests.routes.keeperworld import keeper_world, writes
from tests.whitelist.helpers import writes as acl_writes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world():
    return keeper_world(delay=0)


@pytest.fixture
def routes_config(cloud, tmp_path):
    return write(tmp_path / "acrguard.yaml", routes_data(cloud, state=str(tmp_path / "state.db")))


def test_routes_plan_and_apply_end_with_a_terraform_like_summary(cloud, routes_config):
    """``Plan: 27 to add, …``, then ``Apply complete: 27 added, …``, then ``No changes.``: the last line each time."""
    plan = run("routes", "plan", "--config", routes_config)
    assert plan.stdout.rstrip().splitlines()[-1] == "Plan: 27 to add, 0 to remove, 0 held."
    applied = run("routes", "apply", "--config", routes_config)
    assert applied.stdout.rstrip().splitlines()[-1] == "Apply complete: 27 added, 0 removed, 0 held."
    again = run("routes", "plan", "--config", routes_config)
    assert again.stdout.rstrip().splitlines()[-1] == "No changes. Plan: 0 to add, 0 to remove, 0 held."


def test_whitelist_plan_and_apply_end_with_a_summary(cloud, tmp_path):
    """The whitelist guard closes the same way."""
    config = write(tmp_path / "acrguard.yaml", whitelist_data(cloud, state=str(tmp_path / "state.db")))
    assert run("whitelist", "plan", "--config", config).stdout.rstrip().splitlines()[-1] == \
        "Plan: 1 to add, 0 to remove, 0 held."
    assert run("whitelist", "apply", "--config", config).stdout.rstrip().splitlines()[-1] == \
        "Apply complete: 1 added, 0 removed, 0 held."


def test_instance_limits_the_run(cloud, tmp_path):
    """``--instance NAME`` checks only that instance; another one, unknown to the cloud, is not even read."""
    data = routes_data(cloud, state=str(tmp_path / "state.db"))
    data["instances"].append({**data["instances"][0], "name": "gone", "instance_id": "cri-gone0000000001"})
    config = write(tmp_path / "acrguard.yaml", data)
    result = run("routes", "plan", "--instance", "testreg", "--config", config)
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert "routes testreg" in result.stdout and "gone" not in result.stdout
    assert "cri-gone0000000001" not in str([r.params for r in cloud.requests.all()])
    unknown = run("routes", "plan", "--instance", "nope", "--config", config)
    assert unknown.exit_code == ExitCode.USAGE and "configured: testreg, gone" in unknown.output


def test_dry_run_flag_writes_nothing(cloud, routes_config, tmp_path):
    """``apply --dry-run`` behaves as the config's ``dry_run``: the plan, the note, no write."""
    result = run("routes", "apply", "--dry-run", "--config", routes_config)
    assert result.exit_code == ExitCode.ATTENTION
    assert "dry_run is set: nothing was written" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == "Plan (dry_run: nothing written): 27 to add, 0 to remove, 0 held."
    assert writes(cloud) == []
    config = write(tmp_path / "wl.yaml", whitelist_data(cloud, state=str(tmp_path / "wl.db")))
    assert run("whitelist", "apply", "--dry-run", "--config", config).exit_code == ExitCode.ATTENTION
    assert acl_writes(cloud) == []


def test_audit_workers_default_to_the_config(cloud, tmp_path, monkeypatch):
    """Without ``--workers``, the audit reads RAM with ``pull_keys.workers`` in flight; the flag overrides it."""
    import acrguard.cli.audit as audit_cli

    seen = []

    class Recording(audit_cli.PullKeyAuditor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self.workers)

    monkeypatch.setattr(audit_cli, "PullKeyAuditor", Recording)
    data = routes_data(cloud, state=str(tmp_path / "state.db"))
    data["pull_keys"] = {"users": [], "discover": False, "workers": 3}
    config = write(tmp_path / "acrguard.yaml", data)
    assert run("audit", "--config", config).exit_code == ExitCode.OK
    assert run("audit", "--workers", "7", "--config", config).exit_code == ExitCode.OK
    assert seen == [3, 7]


def test_text_output_shows_why_and_the_fix(cloud, routes_config):
    """A target that cannot be read: the text says why (the API's answer) and what to do, not only the title."""
    cloud.inject(action="DescribeRouteEntryList", code="Forbidden.RAM", status=403, message="not allowed here")
    result = run("routes", "plan", "--config", routes_config)
    assert result.exit_code == ExitCode.UNAVAILABLE
    text = result.stdout
    assert "[high] routes.target-unreadable: Cannot read idc-vbr for testreg" in text
    assert "Forbidden.RAM" in text and "Nothing was changed on it this run." in text
    assert "fix: Check the target id and region in routes.targets and acrguard's RAM permissions." in text
    assert result.stdout.rstrip().splitlines()[-1].endswith("Not complete: 1 target not read.")


def test_whitelist_text_shows_the_fix(cloud, tmp_path):
    """The whitelist guard's findings carry their fix in the text too."""
    from tests.whitelist.helpers import seed_acl

    seed_acl(cloud.backend("cr", "1234567890123456", "cn-hangzhou").instances[INSTANCE_ID], [])
    config = write(tmp_path / "acrguard.yaml", whitelist_data(cloud, state=str(tmp_path / "state.db")))
    lines = run("whitelist", "plan", "--config", config).stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "] whitelist.open-to-internet:" in line)
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("      "):
            break
        block.append(line)
    assert any(line.strip().startswith("fix:") for line in block), block
    assert len(block) >= 3  # the title, the details, the fix


def test_progress_is_drawn_on_a_terminal_and_erased():
    """On a TTY the line names what is checked and the time; it is erased at the end."""
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with Progress(progress_label("planning", ["prod", "staging"]), stream=stream, interval=0.01):
        import time

        time.sleep(0.05)
    written = stream.getvalue()
    assert "\rplanning prod, staging (2 instances)… 0 s" in written
    assert written.endswith("\r" + " " * len("planning prod, staging (2 instances)… 0 s") + "\r")


def test_no_progress_off_a_terminal(routes_config):
    """In a pipe or CI log nothing is drawn: stderr stays empty on a successful plan."""
    assert Progress("x", stream=io.StringIO()).enabled is False
    result = run("routes", "plan", "--config", routes_config)
    assert result.stderr == ""


def test_progress_label_shortens_long_lists():
    """More than three names: the first three and how many more."""
    assert progress_label("checking", ["a", "b", "c", "d", "e"]) == "checking a, b, c, … (+2) (5 instances)"


def test_deploy_check_finds_s_yaml_beside_the_config(tmp_path, monkeypatch):
    """``s.yaml`` is looked for beside the config, then in the working directory; the error says where it looked."""
    etc, work = tmp_path / "etc", tmp_path / "work"
    etc.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    config = write(etc / "acrguard.yaml",
                   {"cloud": {"credentials": {"access_key_id": "LTAI5tX", "access_key_secret": "s"}}})
    missing = run("deploy", "check", "--config", config)
    assert missing.exit_code == ExitCode.NOINPUT
    assert f"no s.yaml found (looked in {etc / 's.yaml'}, {work / 's.yaml'})" in missing.output
    (work / "s.yaml").write_text("resources: {}\n")
    assert locate_s_yaml(None, str(config)) == work / "s.yaml"
    (etc / "s.yaml").write_text("resources: {}\n")
    assert locate_s_yaml(None, str(config)) == etc / "s.yaml"
