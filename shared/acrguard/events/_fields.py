"""Reading typed fields out of decoded JSON, with the JSON path of every problem.

Events come from several producers whose key casing is not stable (``eventName`` and
``EventName`` are both seen), so keys are looked up exactly first and then case-insensitively.
Every getter takes a ``Ctx`` (where we are, and the event id when known) so that an error says
precisely which field of which event is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from acrguard.events.errors import MalformedEventError

#: longest identifier-like string accepted (ids, names, types); the whole event is bounded separately
MAX_NAME_CHARS = 1024
_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def describe_type(value: Any) -> str:
    """A JSON-flavoured name for the type of ``value`` (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def short(text: str, limit: int = 60) -> str:
    """``text`` made printable and cut to ``limit`` characters (for error messages)."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


@dataclass(frozen=True)
class Ctx:
    """Where a value sits in the event (``path``) and which event it is (``event_id``)."""

    path: str = "$"
    event_id: str | None = None

    def key(self, name: str) -> Ctx:
        """The context of member ``name`` of the object at this path."""
        if _SIMPLE_KEY.match(name):
            return Ctx(f"{self.path}.{name}", self.event_id)
        return Ctx(f"{self.path}[{json.dumps(short(name, 60))}]", self.event_id)

    def index(self, i: int) -> Ctx:
        """The context of item ``i`` of the list at this path."""
        return Ctx(f"{self.path}[{i}]", self.event_id)

    def with_id(self, event_id: str | None) -> Ctx:
        """The same path, now knowing the event id."""
        return Ctx(self.path, event_id)

    def fail(self, problem: str) -> NoReturn:
        """Raise ``MalformedEventError`` for this path."""
        raise MalformedEventError(problem, path=self.path, event_id=self.event_id)


def find_key(obj: Mapping[str, Any], name: str) -> str | None:
    """The key of ``obj`` that means ``name``: exact match first, then case-insensitive."""
    if name in obj:
        return name
    lowered = name.lower()
    for key in obj:
        if isinstance(key, str) and key.lower() == lowered:
            return key
    return None


def lookup(obj: Mapping[str, Any], *names: str) -> tuple[str | None, Any]:
    """The first of ``names`` present in ``obj`` (case-insensitively) and its value, or ``(None, None)``."""
    for name in names:
        key = find_key(obj, name)
        if key is not None:
            return key, obj[key]
    return None, None


def get_str(obj: Mapping[str, Any], name: str, ctx: Ctx, *, required: bool = False, numbers: bool = True,
            max_chars: int = MAX_NAME_CHARS, aliases: tuple[str, ...] = ()) -> str | None:
    """A string field; numbers become strings when ``numbers``; ``""`` and ``null`` count as absent.

    A required field that is absent, null or empty is an error, as is any other type.
    """
    key, value = lookup(obj, name, *aliases)
    where = ctx.key(key or name)
    if value is None or value == "":
        if required:
            where.fail("is missing" if key is None else ("is null" if value is None else "is empty"))
        return None
    if isinstance(value, str):
        if len(value) > max_chars:
            where.fail(f"is {len(value)} characters long; at most {max_chars} are accepted")
        return value
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    where.fail(f"expected a string, found {describe_type(value)}")


def get_bool(obj: Mapping[str, Any], name: str, ctx: Ctx) -> bool | None:
    """A true/false field that may also be written as the strings ``"true"``/``"false"``."""
    key, value = lookup(obj, name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    ctx.key(key or name).fail(f"expected true/false, found {describe_type(value)}")


def as_object(value: Any, ctx: Ctx, *, what: str = "an object") -> dict[str, Any]:
    """``value`` as a JSON object, decoding it first when it is a JSON string (some producers do that)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError as exc:
                ctx.fail(f"is a string that looks like JSON but does not parse: {exc.msg} "
                         f"(line {exc.lineno} column {exc.colno})")
            except RecursionError:
                ctx.fail("is a string holding JSON nested too deeply")
    if isinstance(value, Mapping):
        return dict(value)
    ctx.fail(f"expected {what}, found {describe_type(value)}")


def get_object(obj: Mapping[str, Any], name: str, ctx: Ctx, *, required: bool = False,
               aliases: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """An object field (or a JSON string holding one); absent or null gives None unless ``required``."""
    key, value = lookup(obj, name, *aliases)
    if value is None:
        if required:
            ctx.key(key or name).fail("is missing" if key is None else "is null")
        return None
    return as_object(value, ctx.key(key or name))
