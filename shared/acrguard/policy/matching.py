"""Wildcard matching for RAM policy actions and resources.

RAM patterns use ``*`` (any run of characters, also ``:`` and ``/``) and ``?`` (one character)
anywhere in the value: ``cr:Get*``, ``cr:Get*Token``, ``ram:*ResourceGroup*``,
``acs:cr:*:*:repository/cri-xxx/*`` (policy elements doc, document_detail/93739).

Actions are matched case-insensitively (RAM: "action values are generally case-insensitive").
Resources are matched in two modes, because the docs do not say whether resource matching is
case-sensitive: ``might`` (case-insensitive, used when crediting an Allow, so a grant is never
missed) and ``surely`` (case-sensitive, used when crediting a Deny, so a Deny is only credited when
it certainly applies). This asymmetry is acrguard's own conservative choice.

An ARN is matched segment by segment (``acs``, service, region, account, relative id), so the
``*`` of ``acs:cr:*:*:repository/ns/*`` stands for one region and one account and cannot swallow
``…:repository/cri-x/``; the relative id is matched as a whole, where ``*`` spans ``/``. A value
that is not a full ARN (``*``, ``acs:cr:*``) is matched as one string.

Besides matching a pattern against a value, the evaluator needs two relations between patterns:
``covers(outer, inner)`` (every value ``inner`` matches, ``outer`` matches too; sound but not
complete: it may answer ``False`` for exotic pairs such as ``a*?`` vs ``a?*``, which only makes
acrguard credit a Deny less often) and ``intersects(a, b)`` (some value matches both; exact).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\$[A-Za-z][A-Za-z0-9_]*|\{#[^}]*\}|<[^<>]+>")


@lru_cache(maxsize=4096)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """Whether ``value`` matches the RAM wildcard ``pattern`` (``*`` and ``?`` anywhere)."""
    return _compile(pattern, ignore_case).fullmatch(value) is not None


def has_wildcard(pattern: str) -> bool:
    """Whether ``pattern`` contains ``*`` or ``?``."""
    return "*" in pattern or "?" in pattern


def is_universal(pattern: str) -> bool:
    """Whether ``pattern`` matches every action or resource (``*``, ``**``, ``*:*``)."""
    return pattern in ("*:*",) or (pattern != "" and set(pattern) == {"*"})


def _same(a: str, b: str, ignore_case: bool) -> bool:
    return a.casefold() == b.casefold() if ignore_case else a == b


def covers(outer: str, inner: str, *, ignore_case: bool) -> bool:
    """Whether every value matched by pattern ``inner`` is matched by pattern ``outer``.

    Sound (``True`` is always right) but not complete; see the module docstring.
    """

    @cache
    def walk(i: int, j: int) -> bool:
        if i == len(outer):
            return j == len(inner)
        if outer[i] == "*":
            return walk(i + 1, j) or (j < len(inner) and walk(i, j + 1))
        if j == len(inner) or inner[j] == "*":
            return False
        if outer[i] == "?":
            return walk(i + 1, j + 1)
        if inner[j] == "?":
            return False
        return _same(outer[i], inner[j], ignore_case) and walk(i + 1, j + 1)

    return walk(0, 0)


def intersects(a: str, b: str, *, ignore_case: bool) -> bool:
    """Whether some value is matched by both patterns ``a`` and ``b`` (exact)."""

    @cache
    def walk(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*" and walk(i + 1, j):
            return True
        if j < len(b) and b[j] == "*" and walk(i, j + 1):
            return True
        if i < len(a) and j < len(b):
            ca, cb = a[i], b[j]
            if ca == "*" and cb != "*":
                return walk(i, j + 1)
            if cb == "*" and ca != "*":
                return walk(i + 1, j)
            if ca == "*" and cb == "*":
                return False  # both skips were tried above
            if ca == "?" or cb == "?" or _same(ca, cb, ignore_case):
                return walk(i + 1, j + 1)
        return False

    return walk(0, 0)


# --- actions -------------------------------------------------------------------------------------

def split_action(action: str) -> tuple[str, str]:
    """``"cr:PullRepository"`` -> ``("cr", "PullRepository")``; ``"*"`` -> ``("*", "*")``."""
    if ":" not in action:
        return (action, action) if is_universal(action) else ("", action)
    service, _, name = action.partition(":")
    return service, name


def action_matches(pattern: str, action: str) -> bool:
    """Whether the Action pattern ``pattern`` matches the concrete ``action`` (case-insensitive)."""
    return glob_match(pattern, action, ignore_case=True)


def action_covers(outer: str, inner: str) -> bool:
    """Whether Action pattern ``outer`` matches every action ``inner`` matches."""
    return is_universal(outer) or covers(outer, inner, ignore_case=True)


def action_intersects(a: str, b: str) -> bool:
    """Whether some action is matched by both Action patterns."""
    return is_universal(a) or is_universal(b) or intersects(a, b, ignore_case=True)


def service_can_be(pattern: str, service: str) -> bool:
    """Whether the Action pattern can match some action of ``service`` (``*:Get*`` can be ``ram``)."""
    return action_intersects(pattern, f"{service}:*")


# --- resources -----------------------------------------------------------------------------------

def _segments(value: str) -> list[str] | None:
    """``acs:<service>:<region>:<account>:<relative>`` as five segments, or None for other shapes."""
    if not value.startswith("acs:") or value.count(":") < 4:
        return None
    return value.split(":", 4)


def _by_segment(a: str, b: str, test: Callable[[str, str], bool]) -> bool:
    """Apply ``test`` per ARN segment when both are full ARNs (a ``*`` in the region cannot swallow
    the account and path), else to the whole strings."""
    sa, sb = _segments(a), _segments(b)
    if sa is None or sb is None:
        return test(a, b)
    return all(test(x, y) for x, y in zip(sa, sb, strict=True))


def resource_matches(pattern: str, resource: str, *, surely: bool = False) -> bool:
    """Whether Resource pattern ``pattern`` matches the concrete ``resource``.

    ``surely=False`` matches case-insensitively (crediting an Allow), ``surely=True``
    case-sensitively (crediting a Deny).
    """
    if is_universal(pattern):
        return True
    return _by_segment(pattern, resource, lambda p, r: glob_match(p, r, ignore_case=not surely))


def resource_covers(outer: str, inner: str) -> bool:
    """Whether ``outer`` surely matches every resource ``inner`` may match (case-sensitive)."""
    if is_universal(outer):
        return True
    return _by_segment(outer, inner, lambda o, i: covers(o, i, ignore_case=False))


def resource_intersects(a: str, b: str) -> bool:
    """Whether some resource may be matched by both patterns (case-insensitive)."""
    if is_universal(a) or is_universal(b):
        return True
    return _by_segment(a, b, lambda x, y: intersects(x, y, ignore_case=True))


def resource_service(pattern: str) -> str | None:
    """The literal service segment of an ``acs:<service>:…`` pattern, or None when any service may match."""
    if not pattern.startswith("acs:"):
        return None
    service = pattern.split(":", 2)[1] if pattern.count(":") >= 2 else ""
    if not service or has_wildcard(service):
        return None
    return service.lower()


def ee_repository_pattern(instance_id: str | None) -> str:
    """The ARN pattern of an Enterprise Edition instance's repositories (any instance when None)."""
    return f"acs:cr:*:*:repository/{instance_id or 'cri-*'}/*"


def ee_instance_pattern(instance_id: str | None) -> str:
    """The ARN pattern of an Enterprise Edition instance (any instance when None)."""
    return f"acs:cr:*:*:instance/{instance_id or 'cri-*'}"


# --- placeholders --------------------------------------------------------------------------------

def placeholders(value: str) -> list[str]:
    """Unresolved template placeholders in ``value``: ``${x}``, ``$regionid``, ``{#regionId}``, ``<instanceId>``."""
    return _PLACEHOLDER.findall(value)


def widen_placeholders(value: str) -> str:
    """``value`` with every placeholder replaced by ``*`` (the worst case it could stand for)."""
    return _PLACEHOLDER.sub("*", value)
