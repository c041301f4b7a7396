"""What the commands that talk to the cloud share: the config file, ``--profile``, ``--region``, ``--instance``.

Region, in order: ``--region``; ``cloud.region`` written in the config; the ``region_id`` of the
aliyun CLI profile (``--profile NAME``, else ``ALIBABA_CLOUD_PROFILE`` and its aliases, else the
file's ``current``); ``cn-hangzhou``. Credentials, in order: ``--profile NAME``;
``cloud.credentials``; the environment; the ``alibabacloud-credentials`` default chain (see
``acrguard.credentials``). No credentials at all is a configuration error (exit 78), found
before the first API call, never a network fault to retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from acrguard.cli.exitcodes import code_for, fail
from acrguard.errors import ConfigError

if TYPE_CHECKING:
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig

F = Callable[..., Any]


def _region(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from acrguard.config.cloud import CloudConfig
    from acrguard.config.schema import ValidationError

    try:
        CloudConfig(region=value)
    except ValidationError:
        raise click.BadParameter(f"expected a region id such as cn-hangzhou, got {value!r}") from None
    return value


def profile_option(command: F) -> F:
    """``--profile NAME``: credentials (and a default region) from the aliyun CLI's ``~/.aliyun/config.json``."""
    return click.option("--profile", "profile", metavar="NAME",
                        help="aliyun CLI profile (~/.aliyun/config.json) for credentials and default region")(command)


def region_option(command: F) -> F:
    """``--region REGION``: overrides the config's ``cloud.region``."""
    return click.option("--region", "region", metavar="REGION", callback=_region,
                        help="region (default: cloud.region, else the profile's region_id, else cn-hangzhou)")(command)


def instance_option(command: F) -> F:
    """``--instance NAME`` (repeatable): limit the run to these instances (name or id)."""
    return click.option("--instance", "instances", multiple=True, metavar="NAME",
                        help="only this instance (name or id); repeat for several")(command)


def cloud_options(command: F) -> F:
    """``--profile`` and ``--region``."""
    return profile_option(region_option(command))


def load_config_file(path: str, *, as_json: bool = False) -> AcrguardConfig:
    """The config at ``path``, or exit: 66 when the file cannot be read, 78 when it is invalid."""
    from acrguard.config import load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        report_config_error(exc, as_json=as_json)


def report_config_error(exc: ConfigError, *, as_json: bool = False) -> NoReturn:
    """Print a config error (``--json``: ``{"valid": false, ...}`` on stdout) and exit with its code."""
    if as_json:
        click.echo(json.dumps({"valid": False, "source": exc.source, "errors": exc.problems}, indent=2))
        raise SystemExit(int(code_for(exc)))
    fail(code_for(exc), str(exc))


@dataclass(frozen=True)
class CloudSetup:
    """The config as the command line amended it, and the client factory built from both."""

    config: AcrguardConfig
    factory: ClientFactory
    source: Path | None


def select_instances(config: AcrguardConfig, wanted: Sequence[str], source: str) -> AcrguardConfig:
    """``config`` with only the instances named (by name or id); an unknown one is a usage error (64)."""
    if not wanted:
        return config
    known = {key: instance for instance in config.instances for key in (instance.name, instance.instance_id)}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        names = ", ".join(i.name for i in config.instances) or "none"
        raise click.UsageError(f"--instance {', '.join(unknown)}: not in {source} (configured: {names})")
    chosen = {id(known[name]) for name in wanted}
    return config.model_copy(update={"instances": tuple(i for i in config.instances if id(i) in chosen)})


def effective_region(config: AcrguardConfig, region: str | None, profile: Any) -> str | None:
    """The region to use instead of ``cloud.region``, if any (flag > config > profile > default)."""
    if region:
        return region
    if "region" in config.cloud.model_fields_set:
        return None
    return getattr(profile, "region", None)


def prepare(config_path: str | None, *, profile: str | None = None, region: str | None = None,
            instances: Sequence[str] = (), dry_run: bool = False, as_json: bool = False,
            credentials_needed: bool = True) -> CloudSetup:
    """Load the config (None: the defaults), apply the command line, build the factory, make sure it has credentials.

    Exits 66/78 for the config file, 78 for a profile or credentials that cannot be had, 64 for
    an unknown ``--instance``.
    """
    from acrguard import credentials
    from acrguard.clients import ClientFactory
    from acrguard.config.model import AcrguardConfig

    config = load_config_file(config_path, as_json=as_json) if config_path else AcrguardConfig()
    config = select_instances(config, instances, config_path or "the config")
    try:
        chosen = credentials.read_profile(profile, required=bool(profile))
    except ConfigError as exc:
        report_config_error(exc, as_json=as_json)
    new_region = effective_region(config, region, chosen)
    if new_region and new_region != config.cloud.region:
        config = config.model_copy(update={"cloud": config.cloud.model_copy(update={"region": new_region})})
    if dry_run and not config.dry_run:
        config = config.model_copy(update={"dry_run": True})
    client = credentials.profile_client(chosen) if profile and chosen is not None else None
    factory = ClientFactory.from_config(config, credential_client=client)
    if credentials_needed and factory.credentials is None:
        try:
            credentials.require(factory.credential_client())
        except ConfigError as exc:
            if profile:
                exc = ConfigError(exc.source, [f"--profile {profile}: {p}" for p in exc.problems])
            report_config_error(exc, as_json=as_json)
    return CloudSetup(config, factory, Path(config_path) if config_path else None)
