"""Load a YAML config file into ``AcrguardConfig``, with one precise message per problem.

Every message names where the problem is (``instances[0].routes.targets[1].route_table_id``) and
what was expected. ``${NAME}`` as a whole string value is replaced by the environment variable
``NAME`` (so secrets stay out of the file); a missing variable is an error at its path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from acrguard.config.model import AcrguardConfig
from acrguard.errors import ConfigError

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def format_path(loc: tuple[Any, ...]) -> str:
    """``('instances', 0, 'name')`` -> ``instances[0].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _expand_env(value: Any, environ: Mapping[str, str], path: tuple[Any, ...], problems: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _expand_env(v, environ, (*path, k), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, environ, (*path, i), problems) for i, v in enumerate(value)]
    if isinstance(value, str):
        match = _ENV_REF.match(value)
        if match:
            name = match.group(1)
            if name not in environ:
                problems.append(f"{format_path(path)}: environment variable {name} is not set")
                return value
            return environ[name]
    return value


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the tag pydantic inserts for discriminated unions and model names of plain unions."""
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
    from pydantic import BaseModel

    model: Any = AcrguardConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates for c in (c, *getattr(c, "__args__", ()))
                  if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return sorted(getattr(model, "model_fields", {}))


def describe(error: dict[str, Any], data: Any) -> str:
    """One line for one pydantic error: ``path: what was expected``."""
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
    data = _expand_env(data, os.environ if environ is None else environ, (), problems)
    try:
        config = AcrguardConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(describe(error, data) for error in exc.errors())
        config = None
    if problems:
        raise ConfigError(source, problems)
    assert config is not None
    return config


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> AcrguardConfig:
    """Read and validate a config file (raises ``ConfigError``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), [f"{where}not valid YAML: {problem}"]) from None
    return load_config_data(data, source=str(path), environ=environ)


def redacted_dump(config: AcrguardConfig) -> dict[str, Any]:
    """The normalized config as plain data, with secrets replaced by ``****``."""
    data = config.model_dump(mode="json")
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
