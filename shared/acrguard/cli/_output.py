"""Text output shared by the commands: a finding with its details and fix, and a progress line on a terminal."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO

from acrguard.findings import Finding
from acrguard.redact import redact_text


def finding_lines(finding: Finding, *, indent: str = "  ", details: bool = True, fix: bool = True) -> list[str]:
    """``[severity] rule: title (by who)``, then the details and the fix, indented (secrets scrubbed)."""
    who = f" (by {finding.actor.identity})" if finding.actor else ""
    lines = [f"{indent}[{finding.severity.value}] {finding.rule}: {finding.title}{who}"]
    if details:
        lines.extend(f"{indent}    {line}" for line in redact_text(finding.details).splitlines() if line.strip())
    if fix and finding.fix:
        fixes = [line for line in redact_text(finding.fix).splitlines() if line.strip()]
        if len(fixes) == 1:
            lines.append(f"{indent}    fix: {fixes[0]}")
        else:
            lines.append(f"{indent}    fix:")
            lines.extend(f"{indent}      {line}" for line in fixes)
    return lines


class Progress:
    """``checking prod, staging (2 instances)… 4 s`` on stderr, redrawn while a sweep runs; only on a terminal.

    A sweep reads every instance at once, so the line says what is being checked and for how long,
    not a count that would pretend to an order. Nothing is written when the stream is not a TTY
    (CI logs, pipes, ``--json`` consumers), and the line is erased when the sweep ends.
    """

    def __init__(self, what: str, *, stream: IO[str] | None = None, interval: float = 0.5) -> None:
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0

    def __enter__(self) -> Progress:
        if self.enabled:
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._run, name="acrguard-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._write("\r" + " " * self._width + "\r")

    def _run(self) -> None:
        while True:
            elapsed = int(time.monotonic() - self._started)
            self._draw(f"{self.what}… {elapsed} s")
            if self._stop.wait(self.interval):
                return

    def _draw(self, text: str) -> None:
        pad = max(0, self._width - len(text))
        self._width = max(self._width, len(text))
        self._write("\r" + text + " " * pad)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass


def progress_label(verb: str, names: list[str], noun: str = "instance") -> str:
    """``checking prod, staging (2 instances)``, shortened after three names."""
    shown = ", ".join(names[:3]) + (f", … (+{len(names) - 3})" if len(names) > 3 else "")
    plural = noun if len(names) == 1 else f"{noun}s"
    return f"{verb} {shown} ({len(names)} {plural})" if names else f"{verb} ({noun}s: none)"
