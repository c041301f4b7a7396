"""The environment variables that carry cloud credentials, and the values they hold now.

Function Compute 3.0 puts the function role's temporary credentials into every instance as
``ALIBABA_CLOUD_ACCESS_KEY_ID``, ``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` and
``ALIBABA_CLOUD_SECURITY_TOKEN``, and reserves the older names ``accessKeyID``, ``accessKeySecret``
and ``securityToken`` (it calls all six "temporary sensitive information": FC environment
variables, https://www.alibabacloud.com/help/en/functioncompute/fc/environment-variables and
https://help.aliyun.com/document_detail/164217.htm). The credential chain of
``alibabacloud-credentials`` also reads ``ALIBABA_CLOUD_CREDENTIALS_URI``, ``…_CREDENTIALS_FILE``,
``…_ROLE_ARN``, ``…_ROLE_SESSION_NAME``, ``…_OIDC_PROVIDER_ARN``, ``…_OIDC_TOKEN_FILE``,
``…_PROFILE`` and ``…_ECS_METADATA`` (``alibabacloud_credentials/providers.py`` and
``provider/oidc.py``); the OSS SDK reads ``OSS_ACCESS_KEY_ID``, ``OSS_ACCESS_KEY_SECRET`` and
``OSS_SESSION_TOKEN`` (``alibabacloud_oss_v2/credentials``); the Terraform provider and Alibaba's
GitHub action export ``ALICLOUD_ACCESS_KEY``, ``ALICLOUD_SECRET_KEY``, ``ALICLOUD_SECURITY_TOKEN``
and ``ALIBABACLOUD_*`` copies (aliyun/configure-aliyun-credentials-action ``index.js``).

``credential_kind`` also recognises names this list does not have yet: any variable under an
``ALIBABA_CLOUD_``/``ALIBABACLOUD_``/``ALICLOUD_`` prefix that mentions a key, secret, token,
credential, OIDC or role. Names are compared without regard to case.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

Kind = Literal["access_key_id", "access_key_secret", "security_token", "source"]

#: Known credential variables and what each holds (``source``: where credentials are fetched from).
KNOWN: dict[str, Kind] = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "access_key_id",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "access_key_secret",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "security_token",
    "ACCESSKEYID": "access_key_id",  # FC's reserved accessKeyID
    "ACCESSKEYSECRET": "access_key_secret",  # accessKeySecret
    "SECURITYTOKEN": "security_token",  # securityToken
    "ALIBABACLOUD_ACCESS_KEY_ID": "access_key_id",
    "ALIBABACLOUD_ACCESS_KEY_SECRET": "access_key_secret",
    "ALIBABACLOUD_SECURITY_TOKEN": "security_token",
    "ALICLOUD_ACCESS_KEY": "access_key_id",
    "ALICLOUD_ACCESS_KEY_ID": "access_key_id",
    "ALICLOUD_SECRET_KEY": "access_key_secret",
    "ALICLOUD_ACCESS_KEY_SECRET": "access_key_secret",
    "ALICLOUD_SECURITY_TOKEN": "security_token",
    "ALICLOUD_ACCESS_KEY_STS_TOKEN": "security_token",
    "OSS_ACCESS_KEY_ID": "access_key_id",
    "OSS_ACCESS_KEY_SECRET": "access_key_secret",
    "OSS_SESSION_TOKEN": "security_token",
    "ALIBABA_CLOUD_CREDENTIALS_URI": "source",
    "ALIBABA_CLOUD_CREDENTIALS_FILE": "source",
    "ALIBABA_CLOUD_ROLE_ARN": "source",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME": "source",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "source",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "source",
    "ALIBABA_CLOUD_PROFILE": "source",
    "ALIBABA_CLOUD_ECS_METADATA": "source",
}

_VENDOR_PREFIX = re.compile(r"^(ALIBABA_?CLOUD|ALICLOUD)_")
_SECRETISH = re.compile(r"SECRET|TOKEN|CREDENTIAL|OIDC|ROLE|KEY")
#: Values shorter than this are not treated as secrets when scrubbing text (they would match everywhere).
MIN_SECRET_LENGTH = 8


def credential_kind(name: str) -> Kind | None:
    """What a credential variable holds, or None when ``name`` is not one."""
    upper = name.upper()
    if upper in KNOWN:
        return KNOWN[upper]
    if _VENDOR_PREFIX.match(upper) and _SECRETISH.search(upper[upper.index("_") + 1:]):
        if "SECRET" in upper:
            return "access_key_secret"
        if "TOKEN" in upper and "OIDC" not in upper:
            return "security_token"
        if upper.endswith(("KEY_ID", "ACCESS_KEY")):
            return "access_key_id"
        return "source"
    return None


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The secrets and tokens the credential variables hold now (to scrub from logs and errors).

    AccessKey ids are left out: they are shown masked everywhere (``LTAI****Ab3x``) rather than
    removed. Values shorter than ``MIN_SECRET_LENGTH`` are ignored.
    """
    env = os.environ if environ is None else environ
    found = []
    for name, value in env.items():
        kind = credential_kind(name)
        if kind in ("access_key_secret", "security_token") and value and len(value.strip()) >= MIN_SECRET_LENGTH:
            found.append(value.strip())
    return tuple(dict.fromkeys(found))
