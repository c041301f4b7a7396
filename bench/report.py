"""Render a benchmark run: a plain-text table for the terminal, Markdown for ``bench/RESULTS.md``."""

from __future__ import annotations

import os
import platform
from typing import Any

from bench.common import Figure

TITLES = {"api-calls": "1. API calls (calls made / minimum the world requires)",
          "latency": "2. Wall time at 30 ms latency and rate limits (wall / lower bound)",
          "event-path": "3. Event path (one ActionTrail event through the real handler)",
          "cold-start": "4. Cold start: a first invocation beyond its SDK modules (fresh interpreter, built artifact)",
          "alert-burst": "5. Alert burst (1,000 findings in a minute)"}


def _derivations(figures: list[Figure]) -> list[tuple[Figure, list[str], dict[str, int]]]:
    return [(f, f.details["minimum_derivation"], f.details.get("difference_by_action") or {})
            for f in figures if f.bench == "api-calls" and f.details.get("minimum_derivation")]


def _durations(result: dict[str, Any]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["durations_s"].items()) + \
        f"; total {result['total_s']:.1f} s"


def machine() -> str:
    """The machine the figures come from."""
    return f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def table(result: dict[str, Any]) -> str:
    """The figures as a plain-text table, then the notes, the minimum derivations and the durations."""
    figures: list[Figure] = result["_figures"]
    rows = [("figure", "value", "limit", "")]
    notes: list[str] = []
    current = None
    lines: list[str] = [f"acrguard benchmarks, {result['date']} ({result['command']}; {machine()}; load average "
                        f"{result.get('load_average_at_start')} at start)", ""]
    for figure in figures:
        if figure.bench != current:
            current = figure.bench
            rows.append((f"[{TITLES.get(current, current)}]", "", "", ""))
        notes.append(figure.note)
        rows.append((f"  ({len(notes)}) {figure.name}", figure.value_text(), figure.limit_text(), figure.mark))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    lines += ["", "Notes:"]
    lines += [f"  ({number}) {note}" for number, note in enumerate(notes, 1) if note]
    derivations = _derivations(figures)
    if derivations:
        lines += ["", "How each minimum is derived (list pages + one fetch per distinct object + one write per "
                      "change, from the world):"]
        for figure, steps, difference in derivations:
            lines.append(f"  {figure.name}: {figure.details['minimum']:,} calls; made {figure.details['calls']:,}")
            lines += [f"    - {step}" for step in steps]
            if difference:
                lines.append("    made - minimum, by action: "
                             + ", ".join(f"{a} {n:+,}" for a, n in difference.items()))
    lines += ["", "Durations: " + _durations(result)]
    for name, error in result["errors"].items():
        lines += ["", f"ERROR in {name}:", error]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(result: dict[str, Any]) -> str:
    """The run as Markdown: one table per benchmark, then the minimum derivations and the durations."""
    figures: list[Figure] = result["_figures"]
    lines = ["# Benchmark results", "",
             f"Measured {result['date']} with `{result['command']}` on {machine()} (load average "
             f"{result.get('load_average_at_start')} at the start: the machine may be shared); "
             f"the whole run took {result['total_s']:.0f} s. Regenerate with "
             "`python bench/run.py --markdown bench/RESULTS.md`; what each figure means is in "
             "docs/performance.md.", ""]
    current = None
    for figure in figures:
        if figure.bench != current:
            current = figure.bench
            lines += ["", f"## {TITLES.get(current, current)}", "", "| figure | value | limit | | note |",
                      "|---|---:|---:|---|---|"]
        lines.append(f"| {_cell(figure.name)} | {figure.value_text()} | {_cell(figure.limit_text())} | "
                     f"{figure.mark} | {_cell(figure.note)} |")
    derivations = _derivations(figures)
    if derivations:
        lines += ["", "## How each minimum is derived", "",
                  "List pages + one fetch per distinct object + one write per change, counted from the world the "
                  "local cloud holds (`bench/minimum.py`), never from acrguard's code.", ""]
        for figure, steps, difference in derivations:
            lines.append(f"**{figure.name}**: minimum {figure.details['minimum']:,}, made "
                         f"{figure.details['calls']:,}")
            lines.append("")
            lines += [f"- {step}" for step in steps]
            if difference:
                lines.append("- made − minimum: " + ", ".join(f"{a} {n:+,}" for a, n in difference.items()))
            lines.append("")
    lines += ["", f"Durations: {_durations(result)}."]
    for name, error in result["errors"].items():
        lines += ["", f"**{name} could not run:**", "", "```", error.strip(), "```"]
    return "\n".join(lines).rstrip() + "\n"
