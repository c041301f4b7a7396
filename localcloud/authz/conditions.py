"""The ``Condition`` block of a RAM policy statement: operators over the request's condition keys.

A ``Condition`` maps operators to ``{key: value or [values]}``. Every operator in the block and
every key under an operator must hold (AND); a key with several values holds when any value
matches (OR), and a negated operator holds when none does. Operator families (RAM's "Policy
elements" and "Condition operators" pages, https://help.aliyun.com/en/ram/policy-elements and
https://www.alibabacloud.com/help/en/ram/conditional-operator): String (``StringEquals``,
``StringNotEquals``, ``StringEqualsIgnoreCase``, ``StringNotEqualsIgnoreCase``, ``StringLike``,
``StringNotLike`` with ``*`` and ``?``), Numeric (``NumericEquals``, ``NumericNotEquals``,
``NumericLessThan[Equals]``, ``NumericGreaterThan[Equals]``), Date (``DateEquals``, ``DateNotEquals``,
``DateLessThan[Equals]``, ``DateGreaterThan[Equals]``, ISO 8601 times), ``Bool`` and IP address
(``IpAddress``, ``NotIpAddress`` with addresses or CIDR blocks). Key names compare case-insensitively.

A condition the local cloud cannot evaluate (an operator it does not know, a key the request does
not carry, a value it cannot parse) gives ``None``, "unknown". The caller then reads it the safe
way: an ``Allow`` whose condition is unknown does not apply, a ``Deny`` whose condition is unknown
applies (the emulator's choice; RAM's own answer for keys it does not define is not published).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

#: Condition keys the local cloud can fill in, lower-cased (see ``authorizer.condition_keys``).
KNOWN_KEYS = ("acs:sourceip", "acs:currenttime", "acs:securetransport", "acs:mfapresent")


def glob_to_regex(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """RAM's wildcard syntax: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one character."""
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _strings(values: list[Any]) -> list[str]:
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def _string_op(compare: Callable[[str, str], bool]) -> Callable[[list[str], list[Any]], bool | None]:
    def apply(actual: list[str], expected: list[Any]) -> bool | None:
        return any(compare(a, e) for a in actual for e in _strings(expected))
    return apply


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _numeric_op(compare: Callable[[float, float], bool]) -> Callable[[list[str], list[Any]], bool | None]:
    def apply(actual: list[str], expected: list[Any]) -> bool | None:
        left = [_number(a) for a in actual]
        right = [_number(e) for e in expected]
        if None in left or None in right:
            return None
        return any(compare(a, e) for a in left for e in right)  # type: ignore[arg-type]
    return apply


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _date_op(compare: Callable[[datetime, datetime], bool]) -> Callable[[list[str], list[Any]], bool | None]:
    def apply(actual: list[str], expected: list[Any]) -> bool | None:
        left = [_moment(a) for a in actual]
        right = [_moment(e) for e in expected]
        if None in left or None in right:
            return None
        return any(compare(a, e) for a in left for e in right)  # type: ignore[arg-type]
    return apply


def _ip_in(actual: list[str], expected: list[Any]) -> bool | None:
    try:
        addresses = [ipaddress.ip_address(a) for a in actual]
        networks = [ipaddress.ip_network(str(e), strict=False) for e in expected]
    except ValueError:
        return None
    return any(address in network for address in addresses for network in networks
               if address.version == network.version)


def _bool(actual: list[str], expected: list[Any]) -> bool | None:
    wanted = _strings(expected)
    if any(w.lower() not in ("true", "false") for w in wanted):
        return None
    return any(a.lower() == w.lower() for a in actual for w in wanted)


def _like(value: str, pattern: str) -> bool:
    return glob_to_regex(pattern).fullmatch(value) is not None


_POSITIVE: dict[str, Callable[[list[str], list[Any]], bool | None]] = {
    "stringequals": _string_op(lambda a, e: a == e),
    "stringequalsignorecase": _string_op(lambda a, e: a.lower() == e.lower()),
    "stringlike": _string_op(_like),
    "numericequals": _numeric_op(lambda a, e: a == e),
    "numericlessthan": _numeric_op(lambda a, e: a < e),
    "numericlessthanequals": _numeric_op(lambda a, e: a <= e),
    "numericgreaterthan": _numeric_op(lambda a, e: a > e),
    "numericgreaterthanequals": _numeric_op(lambda a, e: a >= e),
    "dateequals": _date_op(lambda a, e: a == e),
    "datelessthan": _date_op(lambda a, e: a < e),
    "datelessthanequals": _date_op(lambda a, e: a <= e),
    "dategreaterthan": _date_op(lambda a, e: a > e),
    "dategreaterthanequals": _date_op(lambda a, e: a >= e),
    "bool": _bool,
    "ipaddress": _ip_in,
}

#: Negated operator -> the positive operator it negates.
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
}

OPERATORS = tuple(sorted({*_POSITIVE, *_NEGATED}))


def evaluate_condition(block: Any, keys: Mapping[str, list[str]]) -> bool | None:
    """Whether a statement's ``Condition`` holds for a request with these condition ``keys`` (None: unknown).

    ``keys`` maps lower-cased key names to their values; a key that is absent cannot be evaluated.
    """
    if block is None:
        return True
    if not isinstance(block, dict):
        return None
    outcome: bool | None = True
    for operator, tests in block.items():
        name = str(operator).lower()
        negated = name in _NEGATED
        apply = _POSITIVE.get(_NEGATED.get(name, name))
        if apply is None or not isinstance(tests, dict):
            outcome = None
            continue
        for key, expected in tests.items():
            actual = keys.get(str(key).lower())
            values = expected if isinstance(expected, list) else [expected]
            result = None if actual is None or not values else apply(list(actual), values)
            if result is not None and negated:
                result = not result
            if result is False:
                return False
            if result is None:
                outcome = None
    return outcome
