"""Credential variables: which environment variables hold cloud credentials, and their current secrets."""

from __future__ import annotations

import pytest

from acrguard.credential_variables import credential_kind, secret_values


@pytest.mark.parametrize(("name", "kind"), [
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "access_key_id"), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "access_key_secret"),
    ("ALIBABA_CLOUD_SECURITY_TOKEN", "security_token"), ("accessKeyID", "access_key_id"),
    ("accessKeySecret", "access_key_secret"), ("securityToken", "security_token"),
    ("ALICLOUD_SECRET_KEY", "access_key_secret"), ("OSS_SESSION_TOKEN", "security_token"),
    ("ALIBABA_CLOUD_CREDENTIALS_URI", "source"), ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "source"),
    ("ALIBABA_CLOUD_ROLE_ARN", "source"), ("ALIBABA_CLOUD_NEW_STS_TOKEN", "security_token"),
    ("DINGTALK_SECRET", None), ("ALIBABA_CLOUD_REGION_ID", None), ("FC_REGION", None),
])
def test_credential_variables_are_recognised_by_name(name, kind):
    """FC's, the credential chain's, the OSS SDK's and Terraform's names are known; others are not credentials."""
    assert credential_kind(name) == kind


def test_secret_values_are_the_secrets_and_tokens_in_the_environment():
    """Secrets and tokens of credential variables are returned; ids, short values and other variables are not."""
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tAbCdEfGhIjKl", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sk-0001-abcdef",
           "securityToken": "CAIStoken0001", "OSS_SESSION_TOKEN": "short", "DINGTALK_SECRET": "SECding0001xyz"}
    assert secret_values(env) == ("sk-0001-abcdef", "CAIStoken0001")
