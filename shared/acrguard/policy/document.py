"""Parse RAM policy documents into typed statements, or say exactly what is wrong and where.

Grammar (policy structure and syntax, https://www.alibabacloud.com/help/document_detail/93739.html):
``{"Version": "1", "Statement": [...]}``; ``Statement`` is a list, or a single object as seen in
the wild. Each statement has ``Effect`` (``Allow``/``Deny``), exactly one of ``Action`` /
``NotAction`` (a string or a list of strings ``<service>:<action>`` or ``*``), ``Resource`` (string
or list) and an optional ``Condition`` (``{operator: {key: value | [values]}}``). ``NotResource``
appears only in an older revision of the grammar; it is accepted here and evaluated
conservatively (see ``evaluate``). ``Principal`` belongs to resource and trust policies, not to the
identity policies this module reads, so it is refused.

acrguard's own choices, stated so they can be argued with: ``Effect`` is accepted in any case
(``allow``) because refusing would make the auditor fail on a document RAM served; unknown keys
(``Actions``) are errors with a hint, because silently ignoring one could hide a grant; duplicate
JSON keys are errors, because which one RAM honours is not documented; an empty ``Condition`` object
imposes nothing and counts as no condition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acrguard.errors import BadInputError
from acrguard.policy.matching import placeholders

_TOP_KEYS = ("Version", "Statement")
_STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")
_EFFECTS = {"allow": "Allow", "deny": "Deny"}


class PolicyDocumentError(BadInputError):
    """A policy document that cannot be read; ``problems`` holds ``(json_path, message)`` pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {path}: {message}" for path, message in problems)
        super().__init__(f"{source}: malformed policy document ({len(problems)} problem(s)):\n{lines}")


class _KeyedObject(dict):  # type: ignore[type-arg]
    """A JSON object that remembers keys that appeared more than once."""

    duplicates: tuple[str, ...] = ()


def _object_hook(pairs: list[tuple[str, Any]]) -> _KeyedObject:
    obj = _KeyedObject()
    seen: list[str] = []
    for key, value in pairs:
        if key in obj:
            seen.append(key)
        obj[key] = value
    obj.duplicates = tuple(seen)
    return obj


def load_json_text(text: str | bytes, source: str) -> Any:
    """Decode JSON text, keeping duplicate-key information; errors name the line and column."""
    try:
        return json.loads(text, object_pairs_hook=_object_hook)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise PolicyDocumentError(source, [("$", f"not valid JSON: {exc.msg} at {where}")]) from None
    except UnicodeDecodeError as exc:
        raise PolicyDocumentError(source, [("$", f"not UTF-8 text: {exc.reason}")]) from None


@dataclass(frozen=True)
class Statement:
    """One statement of a policy; ``index`` is its 0-based position (``Statement[index]``)."""

    index: int
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    condition: Mapping[str, Any] | None
    sid: str | None
    raw: Mapping[str, Any]

    @property
    def is_allow(self) -> bool:
        """Whether this is an ``Allow`` statement."""
        return self.effect == "Allow"

    @property
    def is_conditional(self) -> bool:
        """Whether the statement only applies when its ``Condition`` holds."""
        return bool(self.condition)

    def placeholders(self) -> list[str]:
        """Unresolved placeholders (``$regionid``, ``${...}``) in the actions and resources."""
        found: list[str] = []
        for value in (*self.actions, *self.resources):
            found.extend(placeholders(value))
        return found


@dataclass(frozen=True)
class PolicyDocument:
    """A parsed policy document."""

    version: str
    statements: tuple[Statement, ...]
    raw: Mapping[str, Any]


def parse_document(data: Any, *, source: str = "policy document") -> PolicyDocument:
    """Parse a policy document given as JSON text, bytes or an already-decoded mapping.

    Raises ``PolicyDocumentError`` listing every problem with its JSON path (``$.Statement[1].Action``).
    """
    if isinstance(data, (str, bytes)):
        data = load_json_text(data, source)
    problems: list[tuple[str, str]] = []
    if not isinstance(data, Mapping):
        raise PolicyDocumentError(source, [("$", f"expected a JSON object, got {_kind(data)}")])
    _check_keys(data, "$", _TOP_KEYS, problems)
    version = data.get("Version")
    if "Version" not in data:
        problems.append(("$.Version", 'missing; a RAM policy document needs "Version": "1"'))
    elif version != "1":
        problems.append(("$.Version", f'must be the string "1", got {json.dumps(version)}'))
    statements: list[Statement] = []
    raw_statements = data.get("Statement")
    if "Statement" not in data:
        problems.append(("$.Statement", "missing; expected a list of statements"))
    elif isinstance(raw_statements, Mapping):
        statements.extend(_statements([raw_statements], "$.Statement", problems, single=True))
    elif isinstance(raw_statements, list):
        statements.extend(_statements(raw_statements, "$.Statement", problems, single=False))
    else:
        problems.append(("$.Statement", f"expected a list of statements or one statement object, got "
                                        f"{_kind(raw_statements)}"))
    if problems:
        raise PolicyDocumentError(source, problems)
    return PolicyDocument(version="1", statements=tuple(statements), raw=data)


def _statements(items: list[Any], path: str, problems: list[tuple[str, str]], *, single: bool) -> list[Statement]:
    out = []
    for index, item in enumerate(items):
        where = path if single else f"{path}[{index}]"
        statement = _statement(item, index, where, problems)
        if statement is not None:
            out.append(statement)
    return out


def _statement(item: Any, index: int, where: str, problems: list[tuple[str, str]]) -> Statement | None:
    if not isinstance(item, Mapping):
        problems.append((where, f"expected a statement object, got {_kind(item)}"))
        return None
    before = len(problems)
    _check_keys(item, where, _STATEMENT_KEYS, problems)
    effect = item.get("Effect")
    if "Effect" not in item:
        problems.append((f"{where}.Effect", 'missing; expected "Allow" or "Deny"'))
    elif not isinstance(effect, str) or effect.lower() not in _EFFECTS:
        problems.append((f"{where}.Effect", f'expected "Allow" or "Deny", got {json.dumps(effect)}'))
    actions, not_action = _one_of(item, where, "Action", "NotAction", problems, _check_action)
    resources, not_resource = _one_of(item, where, "Resource", "NotResource", problems, None)
    condition = _condition(item.get("Condition"), f"{where}.Condition", problems) if "Condition" in item else None
    sid = item.get("Sid")
    if sid is not None and not isinstance(sid, str):
        problems.append((f"{where}.Sid", f"expected a string, got {_kind(sid)}"))
    if len(problems) > before:
        return None
    return Statement(index=index, effect=_EFFECTS[effect.lower()], actions=actions, not_action=not_action,
                     resources=resources, not_resource=not_resource, condition=condition or None, sid=sid, raw=item)


def _one_of(item: Mapping[str, Any], where: str, key: str, not_key: str, problems: list[tuple[str, str]],
            check: Any) -> tuple[tuple[str, ...], bool]:
    if key in item and not_key in item:
        problems.append((where, f"has both {key} and {not_key}; a statement takes exactly one"))
        return (), False
    if key not in item and not_key not in item:
        problems.append((f"{where}.{key}", f"missing; a statement needs {key} (or {not_key})"))
        return (), False
    used = key if key in item else not_key
    values = _string_list(item[used], f"{where}.{used}", problems, check)
    return values, used == not_key


def _string_list(value: Any, path: str, problems: list[tuple[str, str]], check: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items, paths = [value], [path]
    elif isinstance(value, list):
        if not value:
            problems.append((path, "is an empty list"))
            return ()
        items, paths = value, [f"{path}[{i}]" for i in range(len(value))]
    else:
        problems.append((path, f"expected a string or a list of strings, got {_kind(value)}"))
        return ()
    out = []
    for item, where in zip(items, paths, strict=True):
        if not isinstance(item, str):
            problems.append((where, f"expected a string, got {_kind(item)}"))
        elif not item.strip():
            problems.append((where, "is an empty string"))
        elif check is not None and (message := check(item)):
            problems.append((where, message))
        else:
            out.append(item.strip())
    return tuple(out)


def _check_action(action: str) -> str | None:
    action = action.strip()
    if action == "*" or ":" in action:
        service = action.split(":", 1)[0]
        if ":" in action and not service:
            return f"{json.dumps(action)} has no service before ':'"
        return None
    return f"{json.dumps(action)} is not '<service>:<action>' or '*'"


def _condition(value: Any, path: str, problems: list[tuple[str, str]]) -> Mapping[str, Any] | None:
    if not isinstance(value, Mapping):
        problems.append((path, f"expected an object {{operator: {{key: value}}}}, got {_kind(value)}"))
        return None
    _check_duplicates(value, path, problems)
    for operator, block in value.items():
        where = f"{path}.{operator}"
        if not isinstance(block, Mapping) or not block:
            problems.append((where, f"expected a non-empty object {{key: value}}, got {_kind(block)}"))
            continue
        _check_duplicates(block, where, problems)
        for key, operand in block.items():
            operands = operand if isinstance(operand, list) else [operand]
            if not operands or not all(isinstance(o, (str, int, float, bool)) for o in operands):
                problems.append((f"{where}.{key}",
                                 f"expected a value or a non-empty list of values, got {_kind(operand)}"))
    return value


def _check_keys(obj: Mapping[str, Any], where: str, allowed: tuple[str, ...], problems: list[tuple[str, str]]) -> None:
    _check_duplicates(obj, where, problems)
    for key in obj:
        if key in allowed:
            continue
        if key == "Principal":
            problems.append((f"{where}.Principal", "Principal belongs to resource and trust policies, not to a policy "
                                                   "attached to a RAM user or group"))
            continue
        hint = next((a for a in allowed if a.lower() == str(key).lower() or a.lower() + "s" == str(key).lower()), None)
        suggestion = f"; did you mean {hint}?" if hint else f"; expected one of {', '.join(allowed)}"
        problems.append((f"{where}.{key}", f"unknown key{suggestion}"))


def _check_duplicates(obj: Mapping[str, Any], where: str, problems: list[tuple[str, str]]) -> None:
    for key in getattr(obj, "duplicates", ()):
        problems.append((f"{where}.{key}", "appears more than once; which one RAM honours is undefined"))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
