"""``acrguard event explain`` on a push event says what the image advisor would do."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from acrguard.cli import cli

FIXTURE = Path(__file__).resolve().parents[1] / "events" / "fixtures" / "cr_artifact_push_completed.json"


def test_explain_names_the_advisor_the_repository_the_tag_and_the_check():
    """The JSON names image_advisor, the repository and tag it re-reads, and that it checks size and acceleration."""
    result = CliRunner().invoke(cli, ["event", "explain", str(FIXTURE), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["handled"] is True and out["functions"] == ["image_advisor"] and out["sweep"] is False
    assert {"type": "cr-repository", "id": "cri-test0000000000001/apps/web"} in out["resources"]
    assert {"type": "cr-tag", "id": "cri-test0000000000001/apps/web:v1.4.2"} in out["resources"]
    assert "size" in out["reason"] and "acceleration" in out["reason"]
    assert out["details"]["image_size"] == "1717986918"
