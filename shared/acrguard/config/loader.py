"""Load a YAML config file into ``AcrguardConfig``, with one precise message per problem.

Every message names where the problem is (``instances[0].routes.targets[1].route_table_id``) and
what was expected. ``${NAME}`` as a whole string value is replaced by the environment variable
``NAME`` (so secrets stay out of the file); a missing variable is an error at its path.

The file is read with ``acrguard.boundedyaml`` (size, alias, nesting and expansion limits), so a
small hostile file cannot take minutes and gigabytes to load.

Credential variables (``acrguard.credential_variables``: the function role's
``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``SECURITY_TOKEN``, FC's older ``accessKeyID``/
``accessKeySecret``/``securityToken``, the credential chain's ``ALIBABA_CLOUD_CREDENTIALS_URI``,
``ROLE_ARN``, ``OIDC_*`` and the like) are refused everywhere, with one exception: the matching field
of ``cloud.credentials`` (``access_key_id`` ← an AccessKey id variable, ``access_key_secret`` ← a
secret variable, ``security_token`` ← a token variable). That exception is safe because those
three fields go nowhere but into the SDK's request signing, to the endpoints the function's own
environment credentials are sent to anyway (``cloud.endpoint`` may only name loopback or
``*.aliyuncs.com``, see ``acrguard.config.cloud``), and are masked by ``config check`` and scrubbed
from the decision log. Anywhere else (a channel keyword or URL, a comment) a credential would be
sent out with every message. For the same reason a variable read into ``cloud.credentials`` may
not be used elsewhere, and no other expanded value may contain the value of a credential variable
of the environment.

Every expanded value is treated as a secret: error messages name the variable (``${NAME}``), never
its value, and ``redacted_dump`` shows ``${NAME}`` in its place.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from acrguard import boundedyaml
from acrguard.config.model import AcrguardConfig
from acrguard.config.schema import ValidationError, allowed_keys
from acrguard.credential_variables import MIN_SECRET_LENGTH, credential_kind
from acrguard.errors import ConfigError

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
#: The config fields that may read a credential variable, and the kind of variable each may read.
CREDENTIAL_FIELDS: dict[tuple[str, ...], str] = {
    ("cloud", "credentials", "access_key_id"): "access_key_id",
    ("cloud", "credentials", "access_key_secret"): "access_key_secret",
    ("cloud", "credentials", "security_token"): "security_token",
}


def format_path(loc: tuple[Any, ...]) -> str:
    """``('instances', 0, 'name')`` -> ``instances[0].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class Expansion:
    """One ``${NAME}`` reference: where it is, the variable, and the value it took (a secret)."""

    path: tuple[Any, ...]
    name: str
    value: str = field(repr=False)


def _expand_env(value: Any, environ: Mapping[str, str], path: tuple[Any, ...], problems: list[str],
                expansions: list[Expansion]) -> Any:
    if isinstance(value, dict):
        return {k: _expand_env(v, environ, (*path, k), problems, expansions) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, environ, (*path, i), problems, expansions) for i, v in enumerate(value)]
    if isinstance(value, str):
        match = _ENV_REF.match(value)
        if match:
            name = match.group(1)
            kind = credential_kind(name)
            allowed = CREDENTIAL_FIELDS.get(tuple(path))
            if kind is not None and kind != allowed:
                where = f"only cloud.credentials.{kind} may read it" if kind != "source" else \
                    "it is never read into the config"
                problems.append(f"{format_path(path)}: ${{{name}}} is a credential variable; {where} (a credential "
                                "anywhere else would be sent out with messages or logs)")
                return value
            if name not in environ:
                problems.append(f"{format_path(path)}: environment variable {name} is not set")
                return value
            expansions.append(Expansion(tuple(path), name, environ[name]))
            return environ[name]
    return value


def _credential_leaks(expansions: list[Expansion], environ: Mapping[str, str]) -> list[str]:
    """Expanded values outside ``cloud.credentials`` that carry a credential (see the module docstring)."""
    in_credentials = [e for e in expansions if e.path in CREDENTIAL_FIELDS]
    known: dict[str, str] = {}  # credential value -> where it comes from
    for name, value in environ.items():
        if credential_kind(name) in ("access_key_id", "access_key_secret", "security_token") and \
                len(value.strip()) >= MIN_SECRET_LENGTH:
            known.setdefault(value.strip(), f"the credential variable {name}")
    for expansion in in_credentials:
        if len(expansion.value.strip()) >= MIN_SECRET_LENGTH:
            known.setdefault(expansion.value.strip(), f"${{{expansion.name}}}, read into "
                                                      f"{format_path(expansion.path)}")
    names = {e.name for e in in_credentials}
    problems = []
    for expansion in expansions:
        if expansion.path in CREDENTIAL_FIELDS:
            continue
        if expansion.name in names:
            problems.append(f"{format_path(expansion.path)}: ${{{expansion.name}}} is read into cloud.credentials; "
                            "a credential may not be used anywhere else in the config")
            continue
        source = next((where for secret, where in known.items() if secret in expansion.value), None)
        if source is not None:
            problems.append(f"{format_path(expansion.path)}: ${{{expansion.name}}} holds the value of {source}; "
                            "a credential may not be used anywhere else in the config")
    return problems


def scrub(text: str, expansions: list[Expansion] | tuple[Expansion, ...]) -> str:
    """``text`` with every expanded value (and its quoted forms) replaced by ``${NAME}``.

    Values shorter than 4 characters are replaced only in their quoted forms (``'ab'``), so that
    short values do not garble the rest of a message.
    """
    for expansion in sorted(expansions, key=lambda e: -len(e.value)):
        placeholder = f"${{{expansion.name}}}"
        for raw in dict.fromkeys((expansion.value, expansion.value.strip())):
            if not raw:
                continue
            for form in (repr(raw), json.dumps(raw, ensure_ascii=False), json.dumps(raw)):
                text = text.replace(form, placeholder)
            if len(raw) >= 4:
                text = text.replace(raw, placeholder)
    return text


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop a discriminated union's tag and a plain union's model name from an error's location (pydantic
    puts them there; ``acrguard.config.schema`` does not, and a location without them is left as it is)."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part not in node and \
                (node.get("type") == part or part[:1].isupper() or "[" in part):
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model at ``loc`` (for "unknown key" messages)."""
    return allowed_keys(AcrguardConfig, loc[:-1])


def describe(error: dict[str, Any], data: Any) -> str:
    """One line for one validation error (``acrguard.config.schema``, pydantic-shaped): ``path: what was expected``."""
    loc = _clean_loc(tuple(error.get("loc", ())), data)
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if not loc:
        return message  # model-level validators name their own paths
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"{format_path(loc)}: unknown key{hint}"
    if kind == "missing":
        return f"{format_path(loc)}: required key is missing"
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"{format_path(loc)}: expected {expected}, got {error.get('input')!r}"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"{format_path(loc)}: unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"{format_path(loc)}: 'type' is required; it selects the kind of entry"
    return f"{format_path(loc)}: {message}"


def load_config_data(data: Any, *, source: str = "<config>", environ: Mapping[str, str] | None = None
                     ) -> AcrguardConfig:
    """Validate already-parsed YAML data (raises ``ConfigError`` with every problem)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, [f"(top level): expected a mapping of sections, got {type(data).__name__}"])
    problems: list[str] = []
    expansions: list[Expansion] = []
    env = os.environ if environ is None else environ
    data = _expand_env(data, env, (), problems, expansions)
    problems.extend(_credential_leaks(expansions, env))
    expanded_at = {e.path: e.name for e in expansions}
    try:
        config = AcrguardConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            line = describe(error, data)
            name = expanded_at.get(_clean_loc(tuple(error.get("loc", ())), data))
            if name is not None:
                line += f" (the value comes from ${{{name}}} and is not shown)"
            problems.append(line)
        config = None
    if problems:
        raise ConfigError(source, [scrub(p, expansions) for p in problems])
    assert config is not None
    config._expansions = tuple(expansions)
    return config


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> AcrguardConfig:
    """Read and validate a config file (raises ``ConfigError``)."""
    path = Path(path)
    limits = boundedyaml.DEFAULT_LIMITS
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ConfigError(str(path), [f"the file is {size:,} bytes; a config file may be at most "
                                          f"{limits.max_bytes:,}"])
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [f"not UTF-8 text: {exc.reason} at byte {exc.start}"]) from None
    try:
        data = boundedyaml.load(text, str(path), limits)
    except boundedyaml.YamlLimitError as exc:
        raise ConfigError(str(path), [exc.located]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), [f"{where}not valid YAML: {problem}"]) from None
    if data is None:  # an empty file is a mistake (a wrong path, a failed copy), not "nothing to do"
        raise ConfigError(str(path), ["the file is empty (or holds only comments): expected a mapping of sections"])
    from acrguard.config.paths import resolve_relative_paths

    return resolve_relative_paths(load_config_data(data, source=str(path), environ=environ), path.parent)


def redacted_dump(config: AcrguardConfig) -> dict[str, Any]:
    """The normalized config as plain data: secrets ``****``, values from the environment ``${NAME}``."""
    data = _redacted_secrets(config.model_dump(mode="json"))
    expansions = config.expansions
    for expansion in expansions:
        _replace_at(data, expansion.path, f"${{{expansion.name}}}")
    return _scrub_all(data, expansions)


def _replace_at(data: Any, path: tuple[Any, ...], value: str) -> None:
    """Set the string at ``path`` in ``data`` to ``value`` (nothing when the path is not there)."""
    if not path:
        return
    node = data
    for part in path[:-1]:
        node = _child(node, part)
        if node is None:
            return
    last = path[-1]
    if isinstance(_child(node, last), str):
        node[last] = value


def _child(node: Any, part: Any) -> Any:
    """``node[part]`` for a mapping key or an index in range, else None."""
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _scrub_all(data: Any, expansions: tuple[Expansion, ...]) -> Any:
    if isinstance(data, dict):
        return {k: _scrub_all(v, expansions) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrub_all(v, expansions) for v in data]
    if isinstance(data, str):
        return scrub(data, expansions)
    return data


def _redacted_secrets(data: dict[str, Any]) -> dict[str, Any]:
    creds = (data.get("cloud") or {}).get("credentials")
    if creds:
        from acrguard.redact import mask_access_key_id

        creds["access_key_id"] = mask_access_key_id(creds["access_key_id"])
        creds["access_key_secret"] = "****"
        if creds.get("security_token"):
            creds["security_token"] = "****"
    for channel in (data.get("alerts") or {}).get("channels") or []:
        from acrguard.redact import redact_url

        channel["url"] = redact_url(channel["url"])
        if channel.get("secret"):
            channel["secret"] = "****"
    return data
