"""Run acrguard's benchmarks against the local cloud and print every figure with the limit it is compared to.

    python bench/run.py            # the table, notes and per-benchmark durations
    python bench/run.py --json     # the same figures as one JSON document on stdout
    python bench/run.py --quick    # smaller worlds and fewer repetitions (about a minute once artifacts exist)
    python bench/run.py --only api-calls latency
    python bench/run.py --only audit-calls   # only the pull-key audit's API-call figures (part of api-calls)
    python bench/run.py --markdown bench/RESULTS.md   # also write the results as Markdown
    python bench/run.py --build-only   # build (and cache) the function artifacts the cold-start figures use

Benchmarks print figures; a figure that misses its goal is marked FAIL but does not change the exit
status. The exit status is 1 only when a benchmark could not run (its error is printed).

The wall-time figures (``latency``) run under the published flow-control quotas: the keeper's figure at
20 instances is paced by the CEN write quota (3/1(s)) and takes about a minute on its own.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# ``python bench/run.py`` puts bench/ first on the path; its modules are imported as ``bench.*`` instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
for _path in (REPO / "shared", REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.common import Figure, prepare_environment  # noqa: E402
from bench.report import markdown, table  # noqa: E402

prepare_environment()

ORDER = ("api-calls", "latency", "event-path", "cold-start", "alert-burst", "org")
#: figure sets ``--only`` also takes, each part of one in ``ORDER`` (so a full run has them already)
PARTS = ("audit-calls",)
_BUILD = ("import json, sys; sys.path[:0] = [{shared!r}, {repo!r}]; "
          "from bench.common import prepare_environment; prepare_environment(); "
          "from bench.cold_start import build_all; print(json.dumps(build_all()))")


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class ArtifactBuild:
    """The function artifacts, built in a background process (CPU work that overlaps the call counting)."""

    def __init__(self) -> None:
        code = _BUILD.format(shared=str(REPO / "shared"), repo=str(REPO))
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=REPO)

        self._manifests: dict[str, Any] | None = None
        self.error: str | None = None

    def wait(self) -> None:
        """Let the build finish (timed benchmarks must not share the CPU with it)."""
        if self._manifests is not None or self.error is not None:
            return
        out, err = self.process.communicate()
        if self.process.returncode != 0:
            self.error = f"building the function artifacts failed:\n{err.strip()[-2000:]}"
        else:
            self._manifests = json.loads(out.strip().splitlines()[-1])

    def result(self) -> dict[str, Any]:
        """The manifests by function name (waits for the build)."""
        self.wait()
        if self._manifests is None:
            raise RuntimeError(self.error)
        return self._manifests


def _runners(quick: bool, build: ArtifactBuild | None) -> dict[str, Callable[[], list[Figure]]]:
    from bench import alert_burst, api_calls, cold_start, event_path, latency

    def cold() -> list[Figure]:
        manifests = build.result() if build is not None else cold_start.build_all()
        return cold_start.run(quick, manifests)

    return {"api-calls": lambda: api_calls.run(quick), "audit-calls": lambda: api_calls.audit_figures(quick),
            "latency": lambda: latency.run(quick),
            "event-path": lambda: event_path.run(quick), "cold-start": cold,
            "alert-burst": lambda: alert_burst.run(quick), "org": lambda: _org(quick)}


def _org(quick: bool) -> list[Figure]:
    """An organisation's sweep (``bench/org.py``)."""
    from bench import org

    return org.run(quick)


def run(names: list[str], quick: bool) -> dict[str, Any]:
    """Run the named benchmarks in order; figures, durations and errors."""
    build = ArtifactBuild() if "cold-start" in names else None
    runners = _runners(quick, build)
    figures: list[Figure] = []
    durations: dict[str, float] = {}
    errors: dict[str, str] = {}
    started = time.perf_counter()
    load = [round(x, 2) for x in os.getloadavg()]
    for name in names:
        if build is not None and name != "api-calls" and build.process.poll() is None:
            _progress("bench: waiting for the function artifacts to finish building ...")
            began = time.perf_counter()
            build.wait()
            durations["(artifact build, waited)"] = round(time.perf_counter() - began, 1)
        _progress(f"bench: {name} ...")
        began = time.perf_counter()
        try:
            found = runners[name]()
        except Exception:  # report and go on: the other benchmarks still print their figures
            errors[name] = traceback.format_exc()
            found = []
        durations[name] = round(time.perf_counter() - began, 1)
        figures += found
        _progress(f"bench: {name} done in {durations[name]:.1f} s ({len(found)} figures)")
    if build is not None and build.process.poll() is None:
        build.process.kill()
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": "python bench/run.py" + (" --quick" if quick else "") +
                       (f" --only {' '.join(names)}" if list(names) != list(ORDER) else ""), "quick": quick,
            "python": sys.version.split()[0], "load_average_at_start": load, "durations_s": durations,
            "total_s": round(time.perf_counter() - started, 1), "figures": [f.to_dict() for f in figures],
            "errors": errors, "_figures": figures}


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print; 1 when a benchmark could not run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of the table")
    parser.add_argument("--quick", action="store_true", help="smaller worlds, fewer repetitions")
    parser.add_argument("--only", nargs="+", choices=ORDER + PARTS, metavar="NAME",
                        help=f"some of: {', '.join(ORDER + PARTS)}")
    parser.add_argument("--markdown", metavar="PATH", help="also write the results as Markdown (bench/RESULTS.md)")
    parser.add_argument("--build-only", action="store_true", help="build and cache the function artifacts, then stop")
    args = parser.parse_args(argv)
    if args.build_only:
        from bench.cold_start import build_all

        print(json.dumps(build_all(), indent=2))
        return 0
    names = [n for n in ORDER + PARTS if n in args.only] if args.only else list(ORDER)
    result = run(names, args.quick)
    if args.markdown:
        Path(args.markdown).write_text(markdown(result), encoding="utf-8")
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}, indent=2, default=str))
    else:
        print(table(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
