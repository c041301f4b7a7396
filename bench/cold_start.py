"""Figure 4, cold start: a fresh interpreter importing each function's handler from its built artifact.

Artifacts are built with ``acrguard.packaging.build(spec, dir, make_zip=True)`` (dependencies from
this environment, bytecode compiled) into a cache under the system temp directory keyed by a hash
of everything that goes into them (library and handler sources, ``requirements.txt``, the
interpreter), so a second run reuses them; a build for new sources removes the older sets.
``python bench/run.py --build-only`` builds them alone; ``run.py`` starts the build in a background process
while the API-call benchmark runs (those are counts, not timings).

Each measurement is the wall time of ``python -S -c <code>`` run from the artifact (``-S``: no
site-packages, so every import resolves inside the artifact, as on FC), the median of N runs,
interleaved:

* bare interpreter: ``pass``;
* SDK modules: importing only ``FUNCTIONS[name].sdk_modules`` from the artifact;
* handler: ``import index`` from the artifact.

Goals: handler <= SDK modules + 50 ms; no product SDK imported that the function does not list,
checked in ``sys.modules`` after importing the handler, after one timer invocation against the
local cloud, and after one event of the kind the function handles (made through the real SDK once
the timer sweep converged); an SDK the handler tried to import but the artifact lacks counts too,
and both invocations must finish from the artifact. The artifact is compared, zipped, with FC's
100 MB limit for a code package uploaded through the API (``../shared/reference/events-fc.md`` §5.1).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import worlds
from bench.common import Figure, running_cloud, scratch_dir

BENCH = "cold-start"
IMPORT_MARGIN_MS = 50.0
ZIP_LIMIT_MB = 100.0
REPO = Path(__file__).resolve().parents[1]
CACHE_ROOT = Path(tempfile.gettempdir()) / "acrguard-bench-artifacts"
#: Top-level product SDK packages (versioned API clients, and the OSS SDK).
SDK_PREFIX = "alibabacloud_"
SDK_EXCLUDED = ("alibabacloud_tea", "alibabacloud_credentials", "alibabacloud_gateway", "alibabacloud_openapi",
                "alibabacloud_endpoint")
RESULT_MARK = "BENCH-RESULT "


def _fingerprint() -> str:
    digest = hashlib.sha256(sys.version.encode())
    sources = sorted(p for p in (REPO / "shared" / "acrguard").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)
    sources += [*sorted((REPO / "functions").rglob("index.py")), REPO / "requirements.txt"]
    for path in sources:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def artifact_dir() -> Path:
    """Where this source tree's artifacts are (or will be) built."""
    return CACHE_ROOT / _fingerprint()


def build_all(root: Path | None = None) -> dict[str, dict[str, Any]]:
    """Build every function's artifact under ``root`` (skipping complete ones); ``{name: manifest}``."""
    from acrguard.functions import FUNCTIONS
    from acrguard.packaging import build

    if root is None:
        root = artifact_dir()
        for stale in CACHE_ROOT.glob("*"):  # artifacts of older sources: about 450 MB each set
            if stale.is_dir() and stale != root:
                shutil.rmtree(stale, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    manifests = {}
    for name, spec in FUNCTIONS.items():
        manifest_path = root / f"{name}.json"
        if manifest_path.is_file():
            manifests[name] = json.loads(manifest_path.read_text(encoding="utf-8"))
            continue
        started = time.perf_counter()
        result = build(spec, root / name, make_zip=True)
        manifests[name] = {"directory": str(result.directory), "files": result.files, "bytes": result.bytes,
                           "zip_bytes": result.zip_bytes, "build_s": round(time.perf_counter() - started, 1)}
        manifest_path.write_text(json.dumps(manifests[name]), encoding="utf-8")
    return manifests


def _fresh(code: str, cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-S", "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=120)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"python -S -c {code[:80]!r} failed in {cwd}: {done.stderr.strip()[-800:]}")
    return seconds, done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "ACRGUARD_")) and "PROXY" not in k.upper()}
    env.update(ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", **extra)
    return env


_PROBE = """
import json, sys, time
sys.path.insert(0, {art!r})
def sdks():
    return sorted({{m.split('.')[0] for m in sys.modules if m.startswith({prefix!r})
                    and not m.startswith({excluded!r})}})
def report(step, **fields):
    print({mark!r} + json.dumps({{'step': step, **fields}}), flush=True)
started = time.perf_counter()
import index
report('import', seconds=time.perf_counter() - started, sdks=sdks())
from acrguard.runtime.context import FcFunction, LocalContext
context = LocalContext(function=FcFunction({fc_name!r}), region={region!r}, account_id={account!r})
def invoke(event):
    started = time.perf_counter()
    error, status, events = None, None, None
    try:
        result = index.handler(event, context)
        status = result.get('status') if isinstance(result, dict) else str(result)
        events = result.get('events') if isinstance(result, dict) else None
    except BaseException as exc:
        error = type(exc).__name__ + ': ' + str(exc)
    return dict(seconds=time.perf_counter() - started, status=status, events=events, error=error, sdks=sdks())
started = time.perf_counter()
if hasattr(index, 'initialize'):
    index.initialize(context)
report('timer', **invoke({timer!r}))
line = sys.stdin.readline().strip()
if line:
    report('event', **invoke(line.encode()))
"""


def import_breakdown(art: Path, top: int = 5) -> list[tuple[str, float]]:
    """The slowest modules ``import index`` pulls in, by cumulative time (``-X importtime``), nested ones skipped."""
    done = subprocess.run([sys.executable, "-S", "-X", "importtime", "-c",
                           f"import sys; sys.path.insert(0, {str(art)!r}); import index"],
                          cwd=art, env=_clean_env(), capture_output=True, text=True, check=False, timeout=120)
    rows: list[tuple[int, str, float]] = []  # (depth, module, cumulative ms), children before their parent
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, label = line[len("import time:"):].split("|")
        rows.append(((len(label) - len(label.lstrip())) // 2, label.strip(), int(cumulative) / 1000))
    parent = [next((j for j in range(i + 1, len(rows)) if rows[j][0] < rows[i][0]), None) for i in range(len(rows))]

    def ancestors(i: int) -> set[int]:
        found, j = set(), parent[i]
        while j is not None:
            found.add(j)
            j = parent[j]
        return found

    chosen_rows: list[int] = []
    for i in sorted(range(len(rows)), key=lambda k: -rows[k][2]):
        name = rows[i][1]
        if name == "index" or name.startswith("acrguard.runtime") or ancestors(i) & set(chosen_rows):
            continue
        chosen_rows.append(i)
        if len(chosen_rows) == top:
            break
    chosen = [(rows[i][1], round(rows[i][2], 1)) for i in chosen_rows]
    return chosen


GIB = 1024 ** 3
ALICE_KEY, ALICE_SECRET = "LTAI5tBenchAliceKey001", "bench-alice-secret-001"


def _scenario(name: str) -> tuple[dict[str, Any], Any, Any]:
    """``(world, config maker, event maker)``: the event maker makes a change after the timer sweep and
    returns the ActionTrail (or ACR) event it produced."""
    from bench.event_path import _factory, _sdk
    from bench.minimum import ram_facts

    if name == "pullkey_auditor":
        def attach(cloud: Any) -> dict[str, Any]:
            user = ram_facts(cloud).pull_users[0]
            _sdk(_factory(cloud=cloud), "ram", "AttachPolicyToUser", policy_name="AliyunContainerRegistryFullAccess",
                 policy_type="System", user_name=user)
            return cloud.trail.take("AttachPolicyToUser")[-1]
        return worlds.audit_world(50, 10), worlds.audit_config, attach
    if name == "whitelist_guard":
        world = worlds.whitelist_world(2)
        world["accounts"][worlds.ACCOUNT]["global"]["ram"]["users"].append(
            {"name": "alice", "access_keys": [{"id": ALICE_KEY, "secret": ALICE_SECRET}]})

        def delete(cloud: Any) -> dict[str, Any]:
            _sdk(_factory(ALICE_KEY, ALICE_SECRET, cloud), "cr", "DeleteInstanceEndpointAclPolicy",
                 instance_id=worlds.instance_id(0), endpoint_type="internet", entry=worlds.declared_entries(0)[0])
            return cloud.trail.take("DeleteInstanceEndpointAclPolicy")[-1]
        return world, lambda cloud, path: worlds.whitelist_config(cloud, path, 2), delete
    if name == "endpoint_keeper":
        def unroute(cloud: Any) -> dict[str, Any]:
            root = _factory(cloud=cloud)
            rows = _sdk(root, "vpc", "DescribeRouteEntryList", region_id=worlds.REGION, route_table_id="vtb-vbr1",
                        destination_cidr_block=f"{worlds.eni(0)}/32")
            _sdk(root, "vpc", "DeleteRouteEntry", region_id=worlds.REGION, route_table_id="vtb-vbr1",
                 route_entry_id=rows.route_entrys.route_entry[0].route_entry_id)
            return cloud.trail.take("DeleteRouteEntry")[-1]
        return worlds.keeper_world(1), lambda cloud, path: worlds.keeper_config(cloud, path, 1), unroute

    def push(cloud: Any) -> dict[str, Any]:
        backend = cloud.backend("cr", worlds.ACCOUNT, worlds.REGION)
        return backend.push_image(worlds.instance_id(0), "apps", "web", "v3", 3 * GIB // 2)
    return worlds.advisor_world(), worlds.advisor_config, push


def _probe_calls(name: str, art: Path) -> dict[str, Any]:
    """In a fresh interpreter from ``art``: import the handler, invoke it with a timer event, then with one event."""
    import yaml

    from acrguard.functions import function

    spec = function(name)
    world, make_config, make_event = _scenario(name)
    steps: dict[str, Any] = {}
    with running_cloud(world) as cloud, scratch_dir() as tmp:
        config_path = tmp / "acrguard.yaml"
        config_path.write_text(yaml.safe_dump(make_config(cloud, str(tmp / "state.db"))), encoding="utf-8")
        timer = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "bench",
                            "payload": json.dumps({"job": name})}).encode()
        code = _PROBE.format(art=str(art), prefix=SDK_PREFIX, excluded=SDK_EXCLUDED, fc_name=spec.fc_name,
                             region=worlds.REGION, account=worlds.ACCOUNT, timer=timer, mark=RESULT_MARK)
        with (tmp / "stderr.txt").open("w+", encoding="utf-8") as stderr:
            child = subprocess.Popen([sys.executable, "-S", "-c", code], cwd=art, text=True, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=stderr,
                                     env=_clean_env(ACRGUARD_CONFIG=str(config_path)))
            assert child.stdin is not None and child.stdout is not None
            for line in child.stdout:
                if not line.startswith(RESULT_MARK):
                    continue
                step = json.loads(line[len(RESULT_MARK):])
                steps[step.pop("step")] = step
                if "timer" in steps and "event" not in steps and not child.stdin.closed:
                    cloud.trail.take()
                    try:
                        event = json.dumps(make_event(cloud))
                    except Exception as exc:  # the change could not be made: say so, skip the event
                        steps["event"] = {"error": f"bench could not make the event: {exc}", "sdks": []}
                        event = ""
                    child.stdin.write(event + "\n")
                    child.stdin.close()
            child.wait(timeout=120)
            stderr.seek(0)
            steps["stderr"] = stderr.read()[-2000:]
    if "import" not in steps or "timer" not in steps:
        raise RuntimeError(f"the handler of {name} could not be imported and invoked from {art}: {steps['stderr']}")
    return steps


def measure(name: str, manifest: dict[str, Any], runs: int) -> list[Figure]:
    """The cold-start figures of one function."""
    from acrguard.functions import function

    spec = function(name)
    art = Path(manifest["directory"])
    env = _clean_env()
    header = f"import sys; sys.path.insert(0, {str(art)!r}); "
    codes = {"bare": "pass", "sdk": header + "; ".join(f"import {m}" for m in spec.sdk_modules),
             "handler": header + "import index"}
    times: dict[str, list[float]] = {k: [] for k in codes}
    for code in codes.values():  # one unmeasured run each: page cache warm, as on a reused FC host
        _fresh(code, art, env)
    for _ in range(runs):
        for what, code in codes.items():
            times[what].append(_fresh(code, art, env)[0] * 1000)
    median = {k: statistics.median(v) for k, v in times.items()}
    probe = _probe_calls(name, art)
    breakdown = import_breakdown(art)
    allowed = {m.split(".")[0] for m in spec.sdk_modules}
    unlisted: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    for step in ("import", "timer", "event"):
        found = probe.get(step) or {}
        extra = set(found.get("sdks") or []) - allowed
        missing = re.findall(r"No module named '(alibabacloud_[a-z0-9_]+)", found.get("error") or "")
        extra |= {m for m in missing if m.split(".")[0] not in allowed}
        if extra:
            unlisted[step] = sorted(extra)
        if step != "import":
            events = found.get("events") or []
            if found.get("error") or found.get("status") not in (None, "ok") or \
                    any((e or {}).get("status") not in ("done", "duplicate", "ignored") for e in events):
                failed[step] = found.get("error") or f"status {found.get('status')}: {events}"
    every_unlisted = sorted({m for found in unlisted.values() for m in found})
    zipped = manifest["zip_bytes"] / 1024 / 1024
    timer, event = probe.get("timer") or {}, probe.get("event") or {}
    details = {"runs": runs, "bare_ms": round(median["bare"], 1), "sdk_modules_ms": round(median["sdk"], 1),
               "handler_ms": round(median["handler"], 1), "samples_ms": {k: [round(x, 1) for x in v]
                                                                           for k, v in times.items()},
               "sdk_modules": list(spec.sdk_modules), "sdks_after_import": (probe.get("import") or {}).get("sdks"),
               "sdks_after_timer_call": timer.get("sdks"), "sdks_after_event_call": event.get("sdks"),
               "unlisted_sdks": unlisted, "failed_calls": failed, "timer_call": timer, "event_call": event,
               "cold_timer_call_ms": round(timer.get("seconds", 0) * 1000, 1), "handler_import_top": breakdown,
               "artifact_files": manifest["files"], "artifact_mb": round(manifest["bytes"] / 1024 / 1024, 1)}
    return [
        Figure(BENCH, f"{name}: handler import", round(median["handler"], 1),
               round(median["sdk"] + IMPORT_MARGIN_MS, 1), "ms",
               note=f"median of {runs}; bare interpreter {median['bare']:.0f} ms, its SDK modules "
                    f"({', '.join(m.split('.')[0] for m in spec.sdk_modules)}) {median['sdk']:.0f} ms; limit = SDK "
                    f"modules + {IMPORT_MARGIN_MS:.0f} ms. Slowest imports of the handler: "
                    f"{', '.join(f'{n} {ms:.0f} ms' for n, ms in breakdown[:3])}. The first (timer) invocation "
                    f"then took {timer.get('seconds', 0) * 1000:.0f} ms (initializer, SDK imports, one sweep of the "
                    "local cloud).",
               details=details),
        Figure(BENCH, f"{name}: SDKs imported but not listed", len(every_unlisted), 0, "",
               note=(", ".join(f"after the {step}: {', '.join(mods)}" for step, mods in unlisted.items()) or "none")
                    + f"; listed: {', '.join(sorted(allowed))}; loaded after the timer call: "
                    f"{', '.join(timer.get('sdks') or []) or 'none'}, after the event call: "
                    f"{', '.join(event.get('sdks') or []) or 'none'}",
               details=details),
        Figure(BENCH, f"{name}: invocations failing from the artifact", len(failed), 0, "",
               note="a timer and an ActionTrail/ACR event, handled by the built artifact in a fresh interpreter"
                    + ("; " + "; ".join(f"{step}: {error}" for step, error in failed.items()) if failed else
                       ": both done"),
               details=details),
        Figure(BENCH, f"{name}: artifact zipped", round(zipped, 1), ZIP_LIMIT_MB, "MB",
               note=f"{manifest['files']:,} files, {manifest['bytes'] / 1024 / 1024:.0f} MB unzipped",
               details=details),
    ]


def run(quick: bool = False, manifests: dict[str, dict[str, Any]] | None = None) -> list[Figure]:
    """Every cold-start figure (``quick``: 3 runs instead of 7)."""
    manifests = manifests or build_all()
    figures: list[Figure] = []
    for name in sorted(manifests):
        figures += measure(name, manifests[name], 3 if quick else 7)
    return figures

