"""``--profile NAME`` and ``--region REGION``, as the aliyun CLI has them (a temporary HOME with its config.json).

Region: flag > ``cloud.region`` in the config > the profile's ``region_id`` > cn-hangzhou. Credentials:
``--profile`` > ``cloud.credentials`` > the environment > the default chain.
"""

from __future__ import annotations

import pytest

from acrguard.cli._cloud import prepare
from acrguard.cli.exitcodes import ExitCode
from support import ACCOUNT, REGION, ROOT_KEY, base_world
from tests.cli.helpers import ak_profile, aliyun_profiles, run, whitelist_data, without_credentials, write

PROFILE_KEY, PROFILE_SECRET = "LTAI5tProfileKey000001", "profile-secret-000001"


@pytest.fixture
def world():
    """The base world with a second AccessKey of the account, held by the aliyun CLI profile."""
    data = base_world()
    data["accounts"][ACCOUNT]["access_keys"].append({"id": PROFILE_KEY, "secret": PROFILE_SECRET})
    return data


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty HOME for this test (``~/.aliyun/config.json`` is written by the test when needed)."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    for name in ("ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE", "ALICLOUD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return path


def _config(cloud, tmp_path, **cloud_section):
    data = without_credentials(whitelist_data(cloud, state=str(tmp_path / "state.db")))
    data["cloud"].update(cloud_section)
    return write(tmp_path / "acrguard.yaml", data)


def _callers(cloud) -> set[tuple[str | None, str | None]]:
    return {(r.access_key_id, r.region) for r in cloud.requests.filter(product="cr")}


def test_profile_credentials_and_region_are_used(cloud, tmp_path, home):
    """``--profile lc``: every call is signed with the profile's key, in the profile's region (none in the config)."""
    aliyun_profiles(home, ak_profile("lc", key=PROFILE_KEY, secret=PROFILE_SECRET, region=REGION))
    result = run("whitelist", "plan", "--profile", "lc", "--config", _config(cloud, tmp_path))
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert _callers(cloud) == {(PROFILE_KEY, REGION)}


def test_the_profile_beats_the_config_credentials(cloud, tmp_path, home):
    """A ``--profile`` on the command line wins over ``cloud.credentials`` (flag > config)."""
    aliyun_profiles(home, ak_profile("lc", key=PROFILE_KEY, secret=PROFILE_SECRET))
    config = _config(cloud, tmp_path, credentials={"access_key_id": ROOT_KEY, "access_key_secret": "wrong"})
    assert run("whitelist", "plan", "--profile", "lc", "--config", config).exit_code == ExitCode.ATTENTION
    assert {key for key, _ in _callers(cloud)} == {PROFILE_KEY}


def test_the_region_flag_beats_the_profile(cloud, tmp_path, home):
    """``--region`` is used even when the profile names another region."""
    aliyun_profiles(home, ak_profile("lc", key=PROFILE_KEY, secret=PROFILE_SECRET, region="cn-shanghai"))
    result = run("whitelist", "plan", "--profile", "lc", "--region", REGION, "--config", _config(cloud, tmp_path))
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert _callers(cloud) == {(PROFILE_KEY, REGION)}


def test_a_profile_region_is_used_when_the_config_has_none(cloud, tmp_path, home):
    """Without ``--region`` or ``cloud.region``, the profile's ``region_id`` is where the calls go."""
    aliyun_profiles(home, ak_profile("lc", key=PROFILE_KEY, secret=PROFILE_SECRET, region="cn-shanghai"))
    run("whitelist", "plan", "--profile", "lc", "--config", _config(cloud, tmp_path))
    assert _callers(cloud) == {(PROFILE_KEY, "cn-shanghai")}


@pytest.mark.parametrize(("config_region", "flag", "env_profile", "expected"), [
    (None, None, None, "cn-beijing"),            # the file's current profile
    ("cn-hangzhou", None, None, "cn-hangzhou"),  # config > profile
    (None, "cn-shenzhen", None, "cn-shenzhen"),  # flag > profile
    ("cn-hangzhou", "cn-shenzhen", None, "cn-shenzhen"),  # flag > config
    (None, None, "other", "cn-qingdao"),         # ALIBABA_CLOUD_PROFILE picks the profile
])
def test_region_precedence(config_region, flag, env_profile, expected, tmp_path, home, monkeypatch):
    """flag > config > profile (``--profile``, else ``ALIBABA_CLOUD_PROFILE``, else ``current``) > cn-hangzhou."""
    aliyun_profiles(home, ak_profile("default", region="cn-beijing"), ak_profile("other", region="cn-qingdao"))
    if env_profile:
        monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", env_profile)
    data = {"cloud": {"credentials": {"access_key_id": ROOT_KEY, "access_key_secret": "s"}}}
    if config_region:
        data["cloud"]["region"] = config_region
    setup = prepare(str(write(tmp_path / "acrguard.yaml", data)), region=flag)
    assert (setup.config.cloud.region, setup.factory.region) == (expected, expected)


def test_without_any_profile_the_default_region_stays(tmp_path, home):
    """No config.json at all: cn-hangzhou, and no error (a profile is only required when named)."""
    data = {"cloud": {"credentials": {"access_key_id": ROOT_KEY, "access_key_secret": "s"}}}
    assert prepare(str(write(tmp_path / "acrguard.yaml", data))).config.cloud.region == "cn-hangzhou"


def test_an_unknown_profile_is_a_config_error(cloud, tmp_path, home):
    """``--profile nope`` exits 78 naming the profiles that exist; nothing is called."""
    aliyun_profiles(home, ak_profile("lc"), ak_profile("prod"))
    result = run("whitelist", "plan", "--profile", "nope", "--config", _config(cloud, tmp_path))
    assert result.exit_code == ExitCode.CONFIG
    assert "no profile named 'nope'" in result.output and "known: lc, prod" in result.output
    assert cloud.requests.count() == 0


def test_a_profile_without_config_json_is_a_config_error(cloud, tmp_path, home):
    """``--profile`` with no ``~/.aliyun/config.json`` says where it looked and how to create the profile."""
    result = run("routes", "plan", "--profile", "lc", "--config", _config(cloud, tmp_path))
    assert result.exit_code == ExitCode.CONFIG
    assert str(home / ".aliyun" / "config.json") in result.output and "aliyun configure --profile lc" in result.output


def test_a_profile_without_a_key_is_no_credentials(cloud, tmp_path, home):
    """A profile whose AccessKey is empty gives no credentials: 78, before any call."""
    aliyun_profiles(home, ak_profile("lc", key="", secret=""))
    result = run("audit", "--profile", "lc", "--config", _config(cloud, tmp_path))
    assert result.exit_code == ExitCode.CONFIG
    assert "--profile lc: no credentials" in result.output
    assert cloud.requests.count() == 0


def test_a_malformed_region_flag_is_a_usage_error(cloud, tmp_path):
    """``--region Hangzhou`` is refused as a usage error (64), like any bad option value."""
    result = run("whitelist", "plan", "--region", "Hangzhou", "--config", _config(cloud, tmp_path))
    assert result.exit_code == ExitCode.USAGE and "region id" in result.output
