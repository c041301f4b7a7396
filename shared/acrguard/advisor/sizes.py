"""Image sizes: bytes to human-readable text, and sizes written in config (``1GiB``, ``800MB``)."""

from __future__ import annotations

import re

GiB = 1024 ** 3

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000 ** 2, "mb": 1000 ** 2, "g": 1000 ** 3, "gb": 1000 ** 3,
          "t": 1000 ** 4, "tb": 1000 ** 4, "ki": 1024, "kib": 1024, "mi": 1024 ** 2, "mib": 1024 ** 2,
          "gi": 1024 ** 3, "gib": 1024 ** 3, "ti": 1024 ** 4, "tib": 1024 ** 4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(value: int | str) -> int:
    """Bytes from an integer or a text such as ``1GiB``, ``1.5 GB``, ``800MiB`` (``ValueError`` otherwise)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 1GiB or a number of bytes, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative, got {value}")
        return value
    match = _SIZE.match(str(value))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"expected a size such as 1GiB, 800MB or a number of bytes, got {value!r}")
    return int(float(match.group(1)) * _UNITS[unit])


def human_size(size: int) -> str:
    """``1717986918`` -> ``1.6 GiB`` (binary units, one decimal above KiB)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
