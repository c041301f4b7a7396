"""ACR artifact events (tolerant: few samples are published) and the legacy webhook body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acrguard.events import LegacyAcrWebhook, MalformedEventError, decode_event

FIXTURES = Path(__file__).parent / "fixtures"


def test_published_build_completed_sample_is_read():
    """The BuildCompleted sample's PascalCase keys fill the typed fields."""
    art = decode_event((FIXTURES / "cr_artifact_build_completed.json").read_bytes()).artifact
    assert (art.event, art.instance_id, art.namespace, art.repository, art.tag, art.status, art.repo_id) == (
        "BuildCompleted", "cri-test0000000000001", "scan", "mix-vuls", "mix-vuls", "SUCCESS", "crr-8441203b7uzi0001")
    assert art.image_update == "2021-11-15 20:49:40"


def test_push_completed_gives_digest_and_size():
    """A push names the image, its digest and (when sent) its size in bytes."""
    art = decode_event((FIXTURES / "cr_artifact_push_completed.json").read_bytes()).artifact
    assert art.image == "apps/web:v1.4.2"
    assert art.digest.startswith("sha256:3b1f") and art.image_size == 1717986918


def test_other_key_spellings_and_unknown_keys_are_tolerated():
    """Lower-case and alternative key names are found; the instance comes from the subject; raw data is kept."""
    art = decode_event((FIXTURES / "cr_artifact_push_completed_sparse.json").read_bytes()).artifact
    assert (art.instance_id, art.namespace, art.repository, art.tag, art.digest) == (
        "cri-test0000000000001", "apps", "worker", "latest", None)
    assert art.raw["SomethingNew"] == {"nested": {"deeper": True}}


def test_artifact_event_without_data_is_empty_not_an_error():
    """An artifact event with no data gives empty fields (the job then sweeps)."""
    doc = json.loads((FIXTURES / "cr_artifact_push_completed.json").read_text())
    doc.pop("data")
    doc["subject"] = "acs.cr:cn-hangzhou:1234567890123456:318044"
    art = decode_event(doc).artifact
    assert art.instance_id is None and art.image is None


@pytest.mark.parametrize(("key", "value", "path"), [
    ("Tag", {"name": "v1"}, "$.data.Tag"),
    ("ImageSize", "big", "$.data.ImageSize"),
    ("ImageSize", -1, "$.data.ImageSize"),
])
def test_known_artifact_fields_of_the_wrong_type_are_errors(key, value, path):
    """A known field holding the wrong type is reported at its path."""
    doc = json.loads((FIXTURES / "cr_artifact_push_completed.json").read_text())
    doc["data"][key] = value
    with pytest.raises(MalformedEventError) as caught:
        decode_event(doc)
    assert caught.value.path == path


def test_a_wrong_typed_alias_is_ignored_when_another_alias_has_the_value():
    """``Repository`` as an object does not matter when ``RepoName`` is present."""
    doc = json.loads((FIXTURES / "cr_artifact_push_completed.json").read_text())
    doc["data"]["Repository"] = {"Name": "web"}
    assert decode_event(doc).artifact.repository == "web"


def test_legacy_webhook_is_typed():
    """The per-repository webhook body gives the pushed tag, digest and repository."""
    hook = decode_event((FIXTURES / "legacy_acr_webhook.json").read_bytes())
    assert isinstance(hook, LegacyAcrWebhook)
    assert (hook.repo_full_name, hook.tag, hook.region, hook.pushed_at) == (
        "apps/web", "latest", "cn-hangzhou", "2024-05-14 15:12:26")


def test_legacy_webhook_with_a_non_object_member_is_an_error():
    """``push_data`` must be an object."""
    doc = json.loads((FIXTURES / "legacy_acr_webhook.json").read_text())
    doc["push_data"] = "latest"
    with pytest.raises(MalformedEventError) as caught:
        decode_event(doc)
    assert caught.value.path == "$.push_data"
