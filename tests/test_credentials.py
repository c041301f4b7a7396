"""Credentials: the aliyun CLI profile file, and "no credentials" as a configuration error, not a network fault."""

from __future__ import annotations

import pytest
from alibabacloud_cr20181201 import models as cr_models
from alibabacloud_credentials.client import Client
from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider

from acrguard import credentials
from acrguard.clients import ClientFactory, EndpointOverride, call
from acrguard.errors import CloudCallError, ConfigError, TransientCloudError
from support import FAST_RETRY, REGION, ROOT_KEY, ROOT_SECRET
from tests.cli.helpers import ak_profile, aliyun_profiles


def test_read_profile_takes_the_named_profile_and_its_region(tmp_path):
    """The profile's name, mode and ``region_id`` come from ``$HOME/.aliyun/config.json``."""
    aliyun_profiles(tmp_path, ak_profile("default", region="cn-beijing"), ak_profile("lc", region=None))
    found = credentials.read_profile("lc", required=True, environ={"HOME": str(tmp_path)})
    assert (found.name, found.mode, found.region) == ("lc", "AK", None)
    assert found.path == tmp_path / ".aliyun" / "config.json"


def test_the_environment_then_current_names_the_profile(tmp_path):
    """Without a name: ``ALIBABA_CLOUD_PROFILE`` (and its aliases), else the file's ``current``."""
    aliyun_profiles(tmp_path, ak_profile("a", region="cn-beijing"), ak_profile("b", region="cn-qingdao"), current="b")
    home = {"HOME": str(tmp_path)}
    assert credentials.read_profile(None, required=False, environ=home).region == "cn-qingdao"
    assert credentials.read_profile(None, required=False, environ={**home, "ALICLOUD_PROFILE": "a"}).name == "a"


def test_a_missing_file_or_profile_is_none_unless_required(tmp_path):
    """Only a profile named on the command line must exist; the others are just absent."""
    home = {"HOME": str(tmp_path)}
    assert credentials.read_profile(None, required=False, environ=home) is None
    with pytest.raises(ConfigError, match="does not exist"):
        credentials.read_profile("lc", required=True, environ=home)
    aliyun_profiles(tmp_path, ak_profile("lc"))
    assert credentials.read_profile("other", required=False, environ=home) is None
    with pytest.raises(ConfigError, match=r"no profile named 'other'.*known: lc"):
        credentials.read_profile("other", required=True, environ=home)


def test_profile_client_reads_the_profile_with_the_sdk(tmp_path):
    """The SDK's own CLI-profile provider gives the profile's AccessKey."""
    aliyun_profiles(tmp_path, ak_profile("lc", key=ROOT_KEY, secret=ROOT_SECRET))
    profile = credentials.read_profile("lc", required=True, environ={"HOME": str(tmp_path)})
    found = credentials.profile_client(profile).get_credential()
    assert (found.access_key_id, found.access_key_secret) == (ROOT_KEY, ROOT_SECRET)


def test_require_turns_a_failing_provider_into_no_credentials(tmp_path):
    """A provider that finds nothing is ``NoCredentialsError``: a ConfigError with the hint and the SDK's reason."""
    empty = Client(provider=CLIProfileCredentialsProvider(profile_name="x", profile_file=str(tmp_path / "none.json")))
    with pytest.raises(credentials.NoCredentialsError) as caught:
        credentials.require(empty)
    assert isinstance(caught.value, ConfigError)
    assert "no credentials: set cloud.credentials" in str(caught.value) and "none.json" in str(caught.value)


def test_an_sdk_call_without_credentials_is_a_permanent_error(cloud, tmp_path):
    """The SDK's CredentialException becomes CloudCallError NoCredentials, not a transient "NetworkError" to retry."""
    empty = Client(provider=CLIProfileCredentialsProvider(profile_name="x", profile_file=str(tmp_path / "none.json")))
    factory = ClientFactory(REGION, override=EndpointOverride(cloud.endpoints()["openapi"]), retry=FAST_RETRY,
                            credential_client=empty)
    with pytest.raises(CloudCallError) as caught:
        call("cr", "ListInstance", factory.cr().list_instance, cr_models.ListInstanceRequest())
    assert caught.value.code == "NoCredentials" and not isinstance(caught.value, TransientCloudError)
    assert "no credentials" in str(caught.value)
    assert cloud.requests.count() == 0
