"""Can an export destination be written? Asked by ``routes plan``, ``config check`` and before ``routes apply`` writes.

A local destination is checked without writing anything: its directory must exist, be a
directory, and let this user create a file in it (the export is written to a temporary file
beside the target and renamed over it, so the directory's permissions are what matter, not the
file's); the destination itself must not be a directory or a protected system file.

An ``oss://`` destination is *not* checked here. OSS offers no way to ask "may I write this key"
without writing it (``PutObject`` has no dry-run form; ``GetBucketInfo`` and ``HeadObject`` need
other permissions than ``oss:PutObject`` and would fail or pass regardless of it). What can be
checked without writing already is: the plan reads the previous export (``GetObject``), which
finds a missing bucket (``NoSuchBucket``) and a denied read. A role that may read but not write
the key is found only by ``apply``, after the cloud writes; ``routes.export-failed`` then says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from acrguard.routes.exports.write import is_protected

if TYPE_CHECKING:
    from acrguard.config.model import AcrguardConfig


def unwritable(destination: str) -> str | None:
    """Why the local ``destination`` cannot be written (None when it can, or when it is an OSS object)."""
    if destination.startswith("oss://"):
        return None
    path = Path(destination)
    if is_protected(path):  # the writer's own rule (``write.is_protected``)
        return "a system file: acrguard will not overwrite it with its own lines only"
    target = path.resolve() if path.is_symlink() else path
    directory = target.parent
    if not directory.exists():
        return f"directory {directory} does not exist: create it, or point the destination elsewhere"
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if target.is_dir():
        return "is a directory: name a file inside it"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"this user ({_user()}) cannot create files in {directory}"
    return None


def export_problems(config: AcrguardConfig) -> list[str]:
    """One line per local export destination of the config's instances that cannot be written."""
    problems = []
    for index, instance in enumerate(config.instances):
        if instance.routes is None:
            continue
        for number, export in enumerate(instance.routes.exports):
            problem = unwritable(export.destination)
            if problem:
                problems.append(f"instances[{index}].routes.exports[{number}] ({export.destination}): {problem}")
    return problems


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"
