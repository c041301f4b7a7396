"""Where the cloud credentials come from, in the documented order.

1. explicit config (``credentials:`` in the config file, for local runs and the local cloud);
2. the FC environment: ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``_SECURITY_TOKEN`` (all FC 3.0
   runtimes set them; python3.12 has nothing else);
3. ``context.credentials`` of the FC handler (python3.9/3.10 runtimes);
4. the ``alibabacloud-credentials`` default chain (env, OIDC/RRSA, ``~/.aliyun/config.json``,
   credentials file, ECS RAM role unless ``ALIBABA_CLOUD_ECS_METADATA_DISABLED=true``).

On the command line, ``--profile NAME`` comes first: the named profile of the aliyun CLI's
``~/.aliyun/config.json``, read by the SDK's own ``CLIProfileCredentialsProvider`` (every mode it
knows: AK, StsToken, RamRoleArn, EcsRamRole, OIDC, ChainableRamRoleArn, CloudSSO, OAuth, External).

Sources: FC passes credentials in ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``_SECURITY_TOKEN``
and ``context.credentials`` (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/
environment-variables, https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/context-3);
the default chain and the profile file are ``alibabacloud_credentials/provider/default.py`` and
``provider/cli_profile.py`` (alibabacloud-credentials 1.0.12); the profile file's format (``current``,
``profiles[].name``, ``mode``, ``region_id``) and the profile-name variables are the aliyun CLI's
``config/configuration.go`` and ``config/profile.go`` (github.com/aliyun/aliyun-cli).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acrguard.errors import ConfigError
from acrguard.redact import mask_access_key_id

#: What to do when no credentials are found: printed with every "no credentials" error.
NO_CREDENTIALS_HINT = ("no credentials: set cloud.credentials in the config, ALIBABA_CLOUD_ACCESS_KEY_ID and "
                       "ALIBABA_CLOUD_ACCESS_KEY_SECRET in the environment, or --profile NAME (a profile of "
                       "~/.aliyun/config.json, see `aliyun configure`)")

#: The aliyun CLI's variables naming the profile to use, in its order (``config/configuration.go``).
PROFILE_VARIABLES = ("ALIBABACLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE")


@dataclass(frozen=True)
class StaticCredentials:
    """An AccessKey pair, with an STS token when temporary. Never printed in full."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    source: str = "explicit"

    def __repr__(self) -> str:
        token = ", security_token=****" if self.security_token else ""
        return (f"StaticCredentials(access_key_id={mask_access_key_id(self.access_key_id)!r}, "
                f"access_key_secret=****{token}, source={self.source!r})")

    __str__ = __repr__


def from_environment(environ: Mapping[str, str] | None = None) -> StaticCredentials | None:
    """The FC-injected (or exported) AccessKey, if both id and secret are set."""
    env = os.environ if environ is None else environ
    key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "").strip()
    secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "").strip()
    if not key_id or not secret:
        return None
    token = env.get("ALIBABA_CLOUD_SECURITY_TOKEN", "").strip() or None
    return StaticCredentials(key_id, secret, token, source="environment")


def from_context(context: Any) -> StaticCredentials | None:
    """``context.credentials`` of an FC invocation (absent on python3.12)."""
    creds = getattr(context, "credentials", None)
    if creds is None:
        return None
    key_id = getattr(creds, "access_key_id", None) or getattr(creds, "accessKeyId", None)
    secret = getattr(creds, "access_key_secret", None) or getattr(creds, "accessKeySecret", None)
    token = getattr(creds, "security_token", None) or getattr(creds, "securityToken", None)
    if not key_id or not secret:
        return None
    return StaticCredentials(key_id, secret, token or None, source="fc-context")


def resolve(explicit: StaticCredentials | None = None, *, environ: Mapping[str, str] | None = None,
            context: Any = None) -> StaticCredentials | None:
    """The first credentials found in the documented order; None means "use the default chain"."""
    return explicit or from_environment(environ) or from_context(context)


class NoCredentialsError(ConfigError):
    """No credentials can be found: a configuration error (exit 78), never a network fault to retry."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("credentials", [NO_CREDENTIALS_HINT + (f" ({detail})" if detail else "")])


@dataclass(frozen=True)
class CliProfile:
    """One profile of the aliyun CLI's ``config.json``: its name, authentication mode and region."""

    name: str
    mode: str
    region: str | None
    path: Path


def aliyun_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$HOME/.aliyun/config.json``, with ``HOME`` read now (the SDK reads it once, at import)."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    return Path(home) / ".aliyun" / "config.json"


def profile_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The profile named by ``ALIBABACLOUD_PROFILE``/``ALIBABA_CLOUD_PROFILE``/``ALICLOUD_PROFILE``, if any."""
    env = os.environ if environ is None else environ
    return next((env[name].strip() for name in PROFILE_VARIABLES if env.get(name, "").strip()), None)


def read_profile(name: str | None, *, required: bool, environ: Mapping[str, str] | None = None) -> CliProfile | None:
    """The profile ``name`` (None: the environment's, else the file's ``current``) of the aliyun CLI config.

    With ``required`` (``--profile NAME``) a missing file or profile is an error naming what was
    looked for; otherwise it is None (there is simply no profile to take a region from).
    """
    path = aliyun_config_path(environ)
    wanted = name or profile_from_environment(environ)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise ConfigError("--profile", [f"{path} does not exist; create the profile with "
                                            f"`aliyun configure --profile {wanted}`"]) from None
        return None
    except (OSError, ValueError) as exc:
        if required:
            raise ConfigError(str(path), [f"cannot read the aliyun CLI config: {exc}"]) from None
        return None
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, list):
        if required:
            raise ConfigError(str(path), ["expected a JSON object with a 'profiles' list"])
        return None
    wanted = wanted or (data.get("current") if isinstance(data.get("current"), str) else None) or "default"
    for entry in profiles:
        if isinstance(entry, dict) and entry.get("name") == wanted:
            region = entry.get("region_id")
            return CliProfile(wanted, str(entry.get("mode") or ""), region if isinstance(region, str) and region
                              else None, path)
    if required:
        known = sorted(str(p.get("name")) for p in profiles if isinstance(p, dict) and p.get("name"))
        raise ConfigError("--profile", [f"no profile named {wanted!r} in {path}; known: {', '.join(known) or 'none'}"])
    return None


def profile_client(profile: CliProfile) -> Any:
    """An ``alibabacloud_credentials`` client reading ``profile`` through the SDK's CLI-profile provider."""
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider

    return Client(provider=CLIProfileCredentialsProvider(profile_name=profile.name, profile_file=str(profile.path)))


def require(client: Any) -> None:
    """Ask ``client`` (an ``alibabacloud_credentials`` client) for credentials once; ``NoCredentialsError`` if none.

    The default chain raises ``CredentialException`` listing every provider it tried; a profile
    with an empty key raises ``ValueError``. Either way the run cannot authenticate.
    """
    try:
        client.get_credential()
    except Exception as exc:  # CredentialException, ValueError: nothing usable
        raise NoCredentialsError(_brief(exc)) from None


def _brief(exc: Exception) -> str:
    from acrguard.redact import redact_text

    message = getattr(exc, "message", None) or str(exc)
    return redact_text(str(message))[:600]
