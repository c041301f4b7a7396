"""``acrguard event explain FILE [--json]``: what an event is and what acrguard would do with it.

Reads the event exactly as FC would pass it (bytes: one JSON object, or a list as a batch), types
it, routes it, and prints the result; nothing is called, nothing is changed. ``--json`` prints
``kind``, ``handled``, ``functions``, ``resources``, ``reason`` (plus ``id``, ``source``,
``type``, ``actor`` and more when known); a batch prints the same keys for the whole batch and the
per-event results under ``events``.

Exit codes (``docs/exit-codes.md``): 0 when the event is handled or deliberately ignored; 65 when
it is malformed (not JSON, not an event, over the size limit); 66 when FILE does not exist or
cannot be read; 64 usage.
"""

from __future__ import annotations

import json
from typing import Any

import click

from acrguard.cli.exitcodes import ContractGroup, ExitCode, exit_epilog
from acrguard.events.decode import MAX_EVENT_BYTES, decode_events
from acrguard.events.errors import MalformedEventError
from acrguard.events.routing import JOBS, RouteResult, route

EXIT_MALFORMED = int(ExitCode.DATAERR)


@click.group("event", cls=ContractGroup)
def command() -> None:
    """Inspect events as the functions receive them."""


def _read(file: str) -> bytes:
    """The file's bytes (stdin for ``-``), reading one byte past the limit so that size is reported, not loaded."""
    with click.open_file(file, "rb") as handle:
        return handle.read(MAX_EVENT_BYTES + 1)


def _batch_json(results: list[RouteResult]) -> dict[str, Any]:
    functions = {f for r in results for f in r.functions}
    resources: list[dict[str, str]] = []
    for result in results:
        resources.extend(x.to_json() for x in result.resources if x.to_json() not in resources)
    handled = sum(r.handled for r in results)
    return {"kind": "batch", "handled": handled > 0, "functions": [j for j in JOBS if j in functions],
            "resources": resources, "reason": f"a batch of {len(results)} events, {handled} handled",
            "events": [r.to_json() for r in results]}


def _text(result: RouteResult) -> str:
    head = result.correlation_id or result.kind
    lines = [f"{head}  ({result.kind}{', ' + result.type if result.type else ''})"]
    if result.summary:
        lines.append(f"  what:      {result.summary}")
    if result.handled:
        scope = "full sweep" if result.sweep else "only what the event touched"
        lines.append(f"  handled:   yes, by {', '.join(result.functions)} ({scope})")
    else:
        lines.append("  handled:   no, deliberately ignored")
    if result.resources:
        lines.append(f"  resources: {', '.join(str(r) for r in result.resources)}")
    if result.details:
        lines.append("  details:   " + "  ".join(f"{k}={v}" for k, v in result.details.items()))
    lines.append(f"  why:       {result.reason}")
    lines.extend(f"  warning:   {w}" for w in result.warnings)
    return "\n".join(lines)


@command.command("explain", epilog=exit_epilog(ok="handled or deliberately ignored",
                                              errors=(ExitCode.DATAERR, ExitCode.NOINPUT)))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="print JSON: kind, handled, functions, resources, reason")
def explain(file: str, as_json: bool) -> None:
    """Say what the event in FILE is and what acrguard would do with it ('-' reads stdin)."""
    try:
        raw = _read(file)
    except OSError as exc:
        click.echo(f"cannot read {file}: {exc.strerror or exc}", err=True)
        raise SystemExit(int(ExitCode.NOINPUT)) from None
    try:
        if len(raw) > MAX_EVENT_BYTES:
            raise MalformedEventError(f"event is more than {MAX_EVENT_BYTES} bytes, the most acrguard accepts "
                                      "(FC async payloads are at most 128 KB)")
        results = [route(event) for event in decode_events(raw)]
    except MalformedEventError as exc:
        if as_json:
            click.echo(json.dumps({"kind": "malformed", "handled": False, "functions": [], "resources": [],
                                   "reason": str(exc), "id": exc.event_id, "error": exc.to_json()}, indent=2))
        else:
            click.echo(f"{file}: {exc}", err=True)
        raise SystemExit(EXIT_MALFORMED) from None
    if as_json:
        payload = results[0].to_json() if len(results) == 1 else _batch_json(results)
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        if len(results) > 1:
            click.echo(f"a batch of {len(results)} events\n")
        click.echo("\n\n".join(_text(r) for r in results))
