"""What changed between the previous and the new rendering: a unified diff, and paste-ready commands.

A rendering *changed* when its lines differ once the volatile ones (the generation time, the
SOA serial; ``acrguard.routes.exports.text.is_volatile``) are set aside; only then is it written
and announced. The change alert carries:

* ``unified_diff``: the classic ``diff -u`` of the whole file, with the file name (and the two
  generation times) in the ``---``/``+++`` lines, ``/dev/null`` for a first rendering; it
  applies with ``patch`` to the previous copy;
* ``paste_commands`` (route formats): what to type into the router to go from the previous to
  the new state, removals first (``no ip route …``, ``undo ip route-static …``,
  ``delete routing-options static route …``, ``ip route del …``) then additions, because the
  route files themselves only add.
"""

from __future__ import annotations

import difflib

from acrguard.routes.exports.render import ROUTE_MODULES
from acrguard.routes.exports.text import comparable, generated_at


def changed(previous: str | None, new: str) -> bool:
    """Whether ``new`` differs from ``previous`` in anything but its volatile lines (None: no previous)."""
    return previous is None or comparable(previous) != comparable(new)


def _lines(text: str) -> list[str]:
    return [line + "\n" for line in text.splitlines()]


def unified_diff(previous: str | None, new: str, location: str, *, context: int = 3) -> str | None:
    """The unified diff from ``previous`` to ``new`` named after ``location``; None when unchanged."""
    if not changed(previous, new):
        return None
    before = _lines(previous) if previous is not None else []
    lines = difflib.unified_diff(before, _lines(new), fromfile="/dev/null" if previous is None else location,
                                 tofile=location, fromfiledate=generated_at(previous or "") or "",
                                 tofiledate=generated_at(new) or "", n=context)
    return "".join(lines)


def paste_commands(export_format: str, previous: str | None, new: str) -> list[str] | None:
    """Router commands from ``previous`` to ``new`` (removals, then additions); None for DNS formats."""
    module = ROUTE_MODULES.get(export_format)
    if module is None:
        return None
    old_statements = [line for line in comparable(previous or "") if module.STATEMENT.match(line)]
    new_statements = [line for line in comparable(new) if module.STATEMENT.match(line)]
    kept_old, kept_new = set(old_statements), set(new_statements)
    removed = [line for line in old_statements if line not in kept_new]
    added = [line for line in new_statements if line not in kept_old]
    return [module.undo(line) for line in removed] + added
