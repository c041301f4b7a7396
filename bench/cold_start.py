"""Figure 4, cold start: a fresh interpreter importing each function's handler from its built artifact.

Artifacts are built with ``acrguard.packaging.build(spec, dir, make_zip=True)`` (dependencies from
this environment, bytecode compiled) into a cache under the system temp directory keyed by a hash
of everything that goes into them (library and handler sources, ``requirements.txt``, the
interpreter), so a second run reuses them.
``python bench/run.py --build-only`` builds them alone; ``run.py`` starts the build in a background process
while the API-call benchmark runs (those are counts, not timings).

Each measurement is the wall time of ``python -S -c <code>`` run from the artifact (``-S``: no
site-packages, so every import resolves inside the artifact, as on FC), the median of N runs,
interleaved:

* bare interpreter: ``pass``;
* SDK modules: importing only ``FUNCTIONS[name].sdk_modules`` from the artifact;
* handler: ``import index`` from the artifact.

Goals: handler <= SDK modules + 50 ms; no product SDK imported that the function does not list,
checked in ``sys.modules`` after importing the handler and again after one timer invocation of
the handler against the local cloud (that invocation's wall time, imports included, is reported
too). The artifact is compared, zipped, with FC's 100 MB limit for a code package uploaded
through the API (``../shared/reference/events-fc.md`` §5).
"""

from __future__ import annotations

import hashlib
import json
import os
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
    sources += sorted((REPO / "functions").rglob("index.py")) + [REPO / "requirements.txt"]
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

    root = root or artifact_dir()
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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ACRGUARD_")) and "PROXY" not in k.upper()}
    env.update(ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", **extra)
    return env


_PROBE = """
import json, sys, time
sys.path.insert(0, {art!r})
def sdks():
    return sorted({{m.split('.')[0] for m in sys.modules if m.startswith({prefix!r})
                    and not m.startswith({excluded!r})}})
started = time.perf_counter()
import index
imported = time.perf_counter() - started
after_import = sdks()
from acrguard.runtime.context import FcFunction, LocalContext
context = LocalContext(function=FcFunction({fc_name!r}), region={region!r}, account_id={account!r})
started = time.perf_counter()
if hasattr(index, 'initialize'):
    index.initialize(context)
result = index.handler({event!r}, context)
called = time.perf_counter() - started
status = result.get('status') if isinstance(result, dict) else str(result)
events = result.get('events') if isinstance(result, dict) else None
print({mark!r} + json.dumps({{'import_s': imported, 'call_s': called, 'after_import': after_import,
                             'after_call': sdks(), 'status': status, 'events': events}}))
"""


def _timer_world(name: str) -> tuple[dict[str, Any], Any]:
    if name == "pullkey_auditor":
        return worlds.audit_world(50, 10), worlds.audit_config
    if name == "whitelist_guard":
        return worlds.whitelist_world(2), lambda cloud, path: worlds.whitelist_config(cloud, path, 2)
    if name == "endpoint_keeper":
        return worlds.keeper_world(1), lambda cloud, path: worlds.keeper_config(cloud, path, 1)
    return worlds.advisor_world(), worlds.advisor_config


def _probe_timer(name: str, art: Path) -> dict[str, Any]:
    """Import the handler from ``art`` in a fresh interpreter, then invoke it once with a timer event."""
    import yaml

    from acrguard.functions import function

    spec = function(name)
    world, make_config = _timer_world(name)
    with running_cloud(world) as cloud, scratch_dir() as tmp:
        config_path = tmp / "acrguard.yaml"
        config_path.write_text(yaml.safe_dump(make_config(cloud, str(tmp / "state.db"))), encoding="utf-8")
        event = json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "bench",
                            "payload": json.dumps({"job": name})}).encode()
        code = _PROBE.format(art=str(art), prefix=SDK_PREFIX, excluded=SDK_EXCLUDED, fc_name=spec.fc_name,
                             region=worlds.REGION, account=worlds.ACCOUNT, event=event, mark=RESULT_MARK)
        seconds, out = _fresh(code, art, _clean_env(ACRGUARD_CONFIG=str(config_path)))
    line = [x for x in out.splitlines() if x.startswith(RESULT_MARK)][-1]
    return {**json.loads(line[len(RESULT_MARK):]), "process_s": seconds}


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
    for what, code in codes.items():  # one unmeasured run each: page cache warm, as on a reused FC host
        _fresh(code, art, env)
    for _ in range(runs):
        for what, code in codes.items():
            times[what].append(_fresh(code, art, env)[0] * 1000)
    median = {k: statistics.median(v) for k, v in times.items()}
    probe = _probe_timer(name, art)
    allowed = {m.split(".")[0] for m in spec.sdk_modules}
    extra_import = sorted(set(probe["after_import"]) - allowed)
    extra_call = sorted(set(probe["after_call"]) - allowed)
    zipped = manifest["zip_bytes"] / 1024 / 1024
    timer_ok = probe["status"] == "ok" and all((e or {}).get("status") == "done" for e in probe.get("events") or [])
    details = {"runs": runs, "bare_ms": round(median["bare"], 1), "sdk_modules_ms": round(median["sdk"], 1),
               "handler_ms": round(median["handler"], 1), "samples_ms": {k: [round(x, 1) for x in v]
                                                                           for k, v in times.items()},
               "sdk_modules": list(spec.sdk_modules), "sdks_after_import": probe["after_import"],
               "sdks_after_timer_call": probe["after_call"], "timer_call_status": probe["status"],
               "timer_call_events": probe.get("events"), "timer_call_ok": timer_ok,
               "cold_timer_call_ms": round(probe["call_s"] * 1000, 1),
               "artifact_files": manifest["files"], "artifact_mb": round(manifest["bytes"] / 1024 / 1024, 1)}
    return [
        Figure(BENCH, f"{name}: handler import", round(median["handler"], 1),
               round(median["sdk"] + IMPORT_MARGIN_MS, 1), "ms",
               note=f"median of {runs}; bare interpreter {median['bare']:.0f} ms, its SDK modules "
                    f"({', '.join(m.split('.')[0] for m in spec.sdk_modules)}) {median['sdk']:.0f} ms; limit = SDK "
                    f"modules + {IMPORT_MARGIN_MS:.0f} ms. A cold timer invocation (import, initializer, one sweep "
                    f"against the local cloud) took {probe['call_s'] * 1000:.0f} ms after the import.",
               details=details),
        Figure(BENCH, f"{name}: SDKs imported but not listed", len(set(extra_import) | set(extra_call)), 0, "",
               note=("none" if not (extra_import or extra_call) else
                     f"after import: {extra_import or 'none'}; after a timer call: {extra_call or 'none'}") +
                    f"; SDKs loaded after a timer call: {probe['after_call'] or 'none'}"
                    + ("" if timer_ok else f" (the timer call did not finish: {probe['status']})"),
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

