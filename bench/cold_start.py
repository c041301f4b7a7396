"""Figure 4, cold start: what a new function instance spends beyond the SDK modules its first invocation loads.

Artifacts are built with ``acrguard.packaging.build(spec, dir, make_zip=True)`` (dependencies from
this environment, bytecode compiled, as ``python -m acrguard package`` ships them) into a cache under
the system temp directory keyed by a hash of everything that goes into them (library and handler
sources, ``requirements.txt``, the interpreter), so a second run reuses them; a build for new sources
removes the older sets. ``python bench/run.py --build-only`` builds them alone; ``run.py`` starts the
build in a background process while the API-call benchmark runs (those are counts, not timings).
``python -m bench.cold_start [NAME ...] [--runs N] [--state oss]`` prints the figure with its parts.

Every timing is taken in a fresh ``python -S`` run from the artifact (``-S``: no site-packages, so
every import resolves inside the artifact, as on FC), timed inside the child from just before its
first import, so the interpreter's own start is in neither side:

* **(a) the first invocation**: ``import index``, ``index.initialize(context)`` (which loads the
  config) and ``index.handler(timer, context)``: a full sweep of a small world against a freshly
  started local cloud (a new cloud each sample, so every sample does the same work: writes, status
  polls, a signed DingTalk notice through the local robot; the state in SQLite as the other figures
  keep it, or with ``--state oss`` in the local cloud's OSS as ``s.yaml`` deploys it). The whitelist
  guard's config holds a hostname entry as well as CIDRs, so its sweep resolves a name (dnspython) as
  the keeper's does. The context is a plain object built before the clock starts (FC builds its own).
* **(b) the SDK modules it loaded**: after (a), every module in ``sys.modules`` that belongs to an
  Alibaba Cloud SDK distribution (``alibabacloud-*``, ``darabonba-*``) or to the dependency closure of
  those the function loaded (``aiohttp``, ``requests``, ``urllib3``, ``cryptography``...), in the
  order (a) loaded them; a fresh interpreter imports exactly those names (and with them the standard
  library modules they need). ``dnspython``, ``PyYAML`` and acrguard itself are not SDK dependencies,
  so they count in the figure.
* **network**: the time, within the first invocation, during which the local cloud was answering one
  of its requests (``bench.cloudtime.ServerTimer`` on the OpenAPI, registry and DNS front ends, here
  also on the OSS and chat front ends), at zero injected latency. No call waits for its quota: the
  keeper's config raises the CEN write quota its world would otherwise wait about 3 s for
  (``UNBOUND_QUOTAS``; waiting for a quota is paid warm as well, it is not start-up).

**figure = (a) − (b) − network**; the goal is at most 50 ms. It is the median over interleaved
samples of (a) and (b) (after one unmeasured sample of each: page cache warm, as on a reused FC
host). Its parts, printed with it:

* the three steps of (a);
* **warm**: after (a), the parent resets the world (``load_world``) and the child runs the same sweep
  again with a state of its own: the in-process time of that second, warm invocation is the job's
  own work, which every invocation pays; the rest of the figure is **cold start proper** (imports
  and first-time setup);
* the same in **CPU time** of the child process (all its threads), which counts no wait and nothing of
  another process, so it holds still on a shared machine where the wall times move;
* the **TLS contexts** ``ssl.create_default_context`` built, with their CPU time: the SDK
  (``darabonba.core``) builds one for each endpoint session at its first request, even over plain
  http, loading the whole CA store; both probes load ``ssl`` before the clock starts to count them;
* the import time of (a) by who pulled each module in (``python -X importtime``, three runs, one with
  ``--quick``, each module's fastest): a module (b) loads too is the SDK's; any other goes to its
  nearest importer that is not the standard library (acrguard by package, ``dnspython``, ``PyYAML``).

On a concurrent sweep the cloud's busy time overlaps some of the function's own work, so the wall
figure can understate that part a little; the CPU figure has no such overlap.

Also checked: no product SDK imported that the function does not list, in ``sys.modules`` after
importing the handler, after one timer invocation against the local cloud, and after one event of
the kind the function handles (made through the real SDK once the timer sweep converged); an SDK the
handler tried to import but the artifact lacks counts too, and both invocations must finish from the
artifact. The artifact is compared, zipped, with FC's 100 MB limit for a code package uploaded
through the API (https://alibabacloud.com/help/tc/functioncompute/fc-3-0/product-overview/limits-of-usage).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata as metadata
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import worlds
from bench.cloudtime import ServerTimer
from bench.common import Figure, running_cloud, scratch_dir

BENCH = "cold-start"
COLD_START_GOAL_MS = 50.0
ZIP_LIMIT_MB = 100.0
REPO = Path(__file__).resolve().parents[1]
CACHE_ROOT = Path(tempfile.gettempdir()) / "acrguard-bench-artifacts"
#: Top-level product SDK packages (versioned API clients, and the OSS SDK).
SDK_PREFIX = "alibabacloud_"
SDK_EXCLUDED = ("alibabacloud_tea", "alibabacloud_credentials", "alibabacloud_gateway", "alibabacloud_openapi",
                "alibabacloud_endpoint")
#: Distributions that are Alibaba Cloud's SDK (clients, Tea runtime, credentials, OSS v2, Darabonba).
SDK_DISTRIBUTIONS = re.compile(r"^(alibabacloud|darabonba)[-_]", re.IGNORECASE)
RESULT_MARK = "BENCH-RESULT "
STATE_BUCKET = "acrguard-bench-state"
ROBOT_TOKEN, ROBOT_SECRET = "bench-cold-start-robot", "SECbenchcoldstartsigningsecret0001"
EGRESS_HOST, EGRESS_IP = "egress.idc.example.com", "198.51.100.200"


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


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "ACRGUARD_")) and "PROXY" not in k.upper()}
    env.update(ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", **extra)
    return env


def _child(code: str, art: Path, env: dict[str, str], *, options: tuple[str, ...] = ()
           ) -> tuple[dict[str, Any], str]:
    """Run ``code`` (from stdin) in a fresh ``python -S`` in ``art``; its ``RESULT_MARK`` line, and its stderr."""
    done = subprocess.run([sys.executable, "-S", *options, "-"], input=code, cwd=art, env=env, capture_output=True,
                          text=True, check=False, timeout=300)
    found = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not found:
        raise RuntimeError(f"a fresh interpreter in {art} failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-1500:]}")
    return json.loads(found[-1][len(RESULT_MARK):]), done.stderr


# -- (a) the first invocation ---------------------------------------------------------------------

#: Both probes load ``ssl`` before the clock starts (the SDK loads it anyway) and count the TLS contexts
#: ``ssl.create_default_context`` builds, with their CPU time: the SDK builds one per endpoint session.
_TLS_COUNTER = """
import ssl
tls_contexts = []
def _counted(*args, _build=ssl.create_default_context, **kwargs):
    started = time.thread_time()
    try:
        return _build(*args, **kwargs)
    finally:
        tls_contexts.append(time.thread_time() - started)
ssl.create_default_context = _counted
"""

#: The clock starts before ``import index``; the context is a plain object (FC builds its own).
_FIRST = """
import sys, time
sys.path.insert(0, {art!r})
""" + _TLS_COUNTER + """
class _Function:
    name, handler, memory, timeout = {fc_name!r}, "index.handler", 512, 300
class _Context:
    request_id, credentials, function = "bench-cold-start", None, _Function()
    region, account_id = {region!r}, {account!r}
context, event = _Context(), {timer!r}
c0, t0 = time.process_time(), time.perf_counter()
import index
t1 = time.perf_counter()
index.initialize(context)
t2 = time.perf_counter()
result = index.handler(event, context)
t3, c3 = time.perf_counter(), time.process_time()
import json
modules = [(name, getattr(module, "__file__", None)) for name, module in list(sys.modules.items())]
print({mark!r} + json.dumps({{"t": [t0, t1, t2, t3], "cpu": c3 - c0, "result": result, "modules": modules,
                             "tls": tls_contexts}}, default=str), flush=True)
if sys.stdin.readline().strip() == "warm":  # the same sweep again, warm: world and state reset by then
    import os
    os.environ["ACRGUARD_CONFIG"] = os.environ["BENCH_WARM_CONFIG"]
    c0, t0 = time.process_time(), time.perf_counter()
    result = index.handler(event, context)
    t1, c1 = time.perf_counter(), time.process_time()
    print({mark!r} + json.dumps({{"t": [t0, t1], "cpu": c1 - c0, "result": result}}, default=str), flush=True)
"""

#: Imports exactly the given modules, in order, timed the same way.
_SDK_ONLY = """
import sys, time
sys.path.insert(0, {art!r})
""" + _TLS_COUNTER + """
names, failed = {names!r}, []
c0, t0 = time.process_time(), time.perf_counter()
for name in names:
    try:
        __import__(name)
    except Exception as exc:
        failed.append(name + ": " + type(exc).__name__)
t1, c1 = time.perf_counter(), time.process_time()
import json
print({mark!r} + json.dumps({{"seconds": t1 - t0, "cpu": c1 - c0, "failed": failed, "modules": list(sys.modules),
                             "tls": tls_contexts}}), flush=True)
"""


def _timer_event(name: str) -> bytes:
    return json.dumps({"triggerTime": "2026-11-25T10:00:00Z", "triggerName": "sweep",
                       "payload": json.dumps({"job": name, "reason": "scheduled sweep"})}).encode()


def cold_scenario(name: str, state: str = "sqlite") -> tuple[dict[str, Any], Any]:
    """``(world, config maker)`` of one function's first invocation: a small world the sweep must change.

    Every config sends findings to a signed DingTalk robot in the local cloud; the whitelist guard
    also declares a hostname. ``state``: ``sqlite`` (a file, as the other figures use), or ``oss``
    (an object in the local cloud's OSS, as ``s.yaml`` deploys it).
    """
    if name == "pullkey_auditor":
        world, make = worlds.audit_world(10, 2, seed=1), worlds.audit_config  # one pull user among ten
    elif name == "whitelist_guard":
        world = worlds.whitelist_world(1)
        world["dns"] = {"records": {EGRESS_HOST: {"A": [EGRESS_IP]}}}

        def make(cloud: Any, path: str) -> dict[str, Any]:
            config = worlds.whitelist_config(cloud, path, 1)
            host, port = cloud.endpoints()["dns"].split(":")
            whitelist = config["instances"][0]["whitelist"]
            whitelist["entries"].append({"host": EGRESS_HOST, "comment": "idc egress by name"})
            whitelist.update(nameservers=[host], dns_port=int(port), dns_timeout_s=0.5)
            return config
    elif name == "endpoint_keeper":
        world, make = worlds.keeper_world(1), lambda cloud, path: worlds.keeper_config(cloud, path, 1)
    else:
        world, make = worlds.advisor_world(), worlds.advisor_config
    world = worlds.with_chat(world, {"dingtalk": {ROBOT_TOKEN: {"secret": ROBOT_SECRET}}})
    world["oss"] = {"buckets": [{"name": STATE_BUCKET, "account": worlds.ACCOUNT, "region": worlds.REGION}]}

    def config(cloud: Any, path: str) -> dict[str, Any]:
        data = copy.deepcopy(make(cloud, path))
        endpoints = cloud.endpoints()
        if state == "oss":
            data["state"] = {"backend": "oss", "bucket": STATE_BUCKET, "key": f"state/{name}.json",
                             "region": worlds.REGION, "endpoint": endpoints["oss"]}
        data["alerts"] = {"channels": [{
            "name": "ops", "type": "dingtalk", "secret": ROBOT_SECRET,
            "url": f"http://{endpoints['chat']}/dingtalk/robot/send?access_token={ROBOT_TOKEN}"}]}
        if name == "endpoint_keeper":
            data.setdefault("cloud", {})["flow_control"] = UNBOUND_QUOTAS
        return data
    return world, config


#: The keeper's world writes more CEN routes than CEN's write quota (3/1(s)) lets through in one window, so
#: paced to it the sweep would wait about 3 s for its places: the quota's wait, paid warm as well, not start-up.
#: Its CEN quotas are raised here; the pacing code still runs (and its figures load) for every call.
UNBOUND_QUOTAS = {"operations": {"cbn:*": {"limit": 10_000, "period_s": 1}}}


class _CloudTimer(ServerTimer):
    """``ServerTimer`` that also times the OSS and chat front ends (state document, chat notices)."""

    def __init__(self, cloud: Any) -> None:
        super().__init__(cloud)
        endpoints = cloud.endpoints()
        for server in getattr(cloud, "_servers", []):
            address = getattr(server, "address", None)
            owner = getattr(getattr(server, "httpd", None), "RequestHandlerClass", None)
            method = {endpoints["oss"]: "_handle", endpoints["chat"]: "do_POST"}.get(address)
            if owner is not None and method is not None:
                self._targets.append((owner, method, getattr(owner, method)))


@contextmanager
def _fresh_cloud(name: str, state: str = "sqlite") -> Iterator[tuple[Any, dict[str, Any], Path, Path]]:
    """A local cloud seeded with ``name``'s cold-start world, the world, and two config files pointing at it: the
    first invocation's, and the warm one's (the same but for a state of its own, so it starts from nothing too)."""
    import yaml

    world, make_config = cold_scenario(name, state)
    with running_cloud(copy.deepcopy(world)) as cloud, scratch_dir() as tmp:
        paths = []
        for label in ("first", "warm"):
            data = make_config(cloud, str(tmp / f"state-{label}.db"))
            if data["state"].get("backend") == "oss":
                data["state"]["key"] = data["state"]["key"].replace(".json", f"-{label}.json")
            paths.append(tmp / f"acrguard-{label}.yaml")
            paths[-1].write_text(yaml.safe_dump(data), encoding="utf-8")
        yield cloud, world, paths[0], paths[1]


def _read_result(child: subprocess.Popen[str]) -> dict[str, Any] | None:
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    return None


def _problem(result: Any) -> str | None:
    result = result if isinstance(result, dict) else {"status": str(result)}
    events = result.get("events") or []
    if result.get("status") != "ok" or any((e or {}).get("status") != "done" for e in events):
        return f"status {result.get('status')}: {json.dumps(result, default=str)[:400]}"
    return None


def first_invocation(name: str, art: Path, *, importtime: bool = False, state: str = "sqlite") -> dict[str, Any]:
    """(a) in a fresh interpreter against a fresh local cloud: the times of its steps, the network time, its modules;
    then the same sweep again in the same interpreter (the world and the state reset first): a warm invocation."""
    from acrguard.functions import function

    spec = function(name)
    code = _FIRST.format(art=str(art), fc_name=spec.fc_name, region=worlds.REGION, account=worlds.ACCOUNT,
                         timer=_timer_event(name), mark=RESULT_MARK)
    with _fresh_cloud(name, state) as (cloud, world, config, warm_config), _CloudTimer(cloud) as timer, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        before = len(cloud.requests.all())
        child = subprocess.Popen([sys.executable, "-S", *(("-X", "importtime") if importtime else ()), "-c", code],
                                 cwd=art, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                 env=_clean_env(ACRGUARD_CONFIG=str(config), BENCH_WARM_CONFIG=str(warm_config)))
        assert child.stdin is not None
        try:
            found = _read_result(child)
            calls = len(cloud.requests.all()) - before
            messages = len(cloud.chat.accepted("dingtalk"))
            cloud.load_world(copy.deepcopy(world))  # the same world again, for the warm invocation
            child.stdin.write("warm\n")
            child.stdin.flush()
            warm = _read_result(child) if found is not None else None
            child.stdin.close()
            child.wait(timeout=300)
        finally:
            if child.poll() is None:
                child.kill()
        stderr.seek(0)
        errors = stderr.read()
        if found is None or warm is None:
            raise RuntimeError(f"a fresh interpreter in {art} failed (exit {child.returncode}): {errors[-1500:]}")
        t0, t1, t2, t3 = found["t"]
        w0, w1 = warm["t"]
        network, warm_network = timer.busy(t0, t3), timer.busy(w0, w1)
    return {"import_ms": (t1 - t0) * 1000, "initialize_ms": (t2 - t1) * 1000, "invocation_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000, "cpu_ms": found["cpu"] * 1000, "network_ms": network * 1000,
            "warm_ms": (w1 - w0) * 1000, "warm_cpu_ms": warm["cpu"] * 1000, "warm_network_ms": warm_network * 1000,
            "calls": calls, "messages": messages, "modules": found["modules"],
            "tls_contexts": len(found["tls"]), "tls_ms": sum(found["tls"]) * 1000,
            "problem": _problem(found["result"]) or _problem(warm["result"]), "stderr": errors}


def sdk_only(names: list[str], art: Path) -> dict[str, Any]:
    """(b): wall and CPU milliseconds to import exactly ``names`` in a fresh interpreter, the names that failed, and
    every module it ended with."""
    found, _ = _child(_SDK_ONLY.format(art=str(art), names=names, mark=RESULT_MARK), art, _clean_env())
    return {"ms": found["seconds"] * 1000, "cpu_ms": found["cpu"] * 1000, "failed": found["failed"],
            "modules": found["modules"], "tls_contexts": len(found["tls"]), "tls_ms": sum(found["tls"]) * 1000}


# -- which modules are the SDK's -------------------------------------------------------------------

def _top_levels(dist: metadata.Distribution) -> set[str]:
    """The top-level import names a distribution installs (from its RECORD)."""
    names = set()
    for file in dist.files or ():
        first = file.parts[0] if file.parts else ""
        if not first or first.endswith((".dist-info", ".data")) or first in ("..", "__pycache__"):
            continue
        names.add(first.split(".")[0] if first.endswith((".py", ".so", ".pyd")) else first)
    return names


def distribution_tops(art: Path) -> dict[str, str]:
    """``{top-level import name: distribution name}`` of everything installed in the artifact."""
    tops: dict[str, str] = {}
    for dist in metadata.distributions(path=[str(art)]):
        for top in _top_levels(dist):
            tops.setdefault(top, dist.metadata["Name"])
    return tops


def sdk_modules(modules: list[tuple[str, str | None]], art: Path) -> tuple[list[str], list[str]]:
    """The names (in load order) of the modules that belong to the SDK distributions loaded, or to their
    dependency closure; and those distributions."""
    from acrguard.packaging import dependency_closure

    tops = distribution_tops(art)
    loaded = {tops[name.split(".")[0]] for name, _ in modules if name.split(".")[0] in tops}
    roots = tuple(sorted(d for d in loaded if SDK_DISTRIBUTIONS.match(d)))
    closure = {d.metadata["Name"].lower().replace("_", "-") for d in dependency_closure(roots)}
    sdk_tops = {top for top, dist in tops.items() if dist.lower().replace("_", "-") in closure}
    names = [name for name, _ in modules if name.split(".")[0] in sdk_tops]
    return names, sorted(closure)


# -- the import-time breakdown ------------------------------------------------------------------------

def _stdlib(top: str) -> bool:
    return top in sys.stdlib_module_names or (top.startswith("_") and top[1:] in sys.stdlib_module_names) or \
        top.startswith("_sysconfigdata")


def _importtime_rows(importtime: str) -> list[tuple[int, str, float]]:
    """``(depth, module, own ms)`` of each ``-X importtime`` line; children come before their importer."""
    rows = []
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _, label = line[len("import time:"):].split("|")
        rows.append(((len(label) - len(label.lstrip())) // 2, label.strip(), max(int(own), 0) / 1000))
    return rows


def import_owners(importtimes: list[str], tops: dict[str, str], sdk_dists: list[str],
                  sdk_loaded: Collection[str] = ()) -> dict[str, float]:
    """Milliseconds of import time by who pulled the modules in (``-X importtime`` outputs of the same run; each
    module's smallest own time counts, so that one disturbed run does not skew the parts).

    A module (b) loads too is the SDK's, whoever imported it first. Each other module's own time goes
    to its nearest importer (itself included) that is not in the standard library: ``acrguard``, an
    SDK distribution (``SDK``), or the distribution's name; a standard-library module imported
    straight from a function (a lazy import) is ``stdlib (direct)``. acrguard's modules are counted by
    package (``acrguard.alerts``; the handler and ``acrguard.runtime`` as ``acrguard.runtime``).
    """
    runs = [_importtime_rows(text) for text in importtimes]
    fastest: dict[str, float] = {}
    for rows in runs:
        for _, module, own in rows:
            fastest[module] = min(own, fastest.get(module, own))
    sdk = {d.lower().replace("_", "-") for d in sdk_dists}
    owners: Counter[str] = Counter()
    stack: list[tuple[int, str]] = []  # the importers of the current row, walking the rows backwards
    for depth, module, _ in reversed(runs[0]):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        chain = [module, *(m for _, m in reversed(stack))]
        stack.append((depth, module))
        owner = next((m for m in chain if not _stdlib(m.split(".")[0])), None)
        top = owner.split(".")[0] if owner else ""
        if module in sdk_loaded:
            label = "SDK"
        elif owner is None:
            label = "stdlib (direct)"
        elif top in ("acrguard", "index"):
            parts = owner.split(".")
            label = "acrguard.runtime" if top == "index" or len(parts) < 2 else f"acrguard.{parts[1]}"
        elif top in tops:
            dist = tops[top]
            label = "SDK" if dist.lower().replace("_", "-") in sdk else dist
        else:
            label = top
        owners[label] += fastest[module]
    return {k: round(v, 1) for k, v in owners.most_common()}


# -- the figures ----------------------------------------------------------------------------------------

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
        code = _PROBE.format(art=str(art), prefix=SDK_PREFIX, excluded=SDK_EXCLUDED, fc_name=spec.fc_name,
                             region=worlds.REGION, account=worlds.ACCOUNT, timer=_timer_event(name), mark=RESULT_MARK)
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
        world["accounts"][worlds.ACCOUNT]["global"]["ram"]["users"].append(  # the local cloud authorizes her call
            {"name": "alice", "access_keys": [{"id": ALICE_KEY, "secret": ALICE_SECRET}],
             "policies": [{"name": "AliyunContainerRegistryFullAccess", "type": "System"}]})

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


def cold_start(name: str, art: Path, runs: int, state: str = "sqlite") -> dict[str, Any]:
    """The cold-start figure of one function and its parts (medians of ``runs`` interleaved samples)."""
    primer = first_invocation(name, art, state=state)  # unmeasured: page cache warm; gives the modules (a) loads
    if primer["problem"]:
        raise RuntimeError(f"{name}: the first invocation did not finish from the artifact: {primer['problem']}; "
                           f"{primer['stderr'][-1000:]}")
    names, sdk_dists = sdk_modules(primer["modules"], art)
    sdk_primer = sdk_only(names, art)  # unmeasured, as the primer
    sdk_loaded = set(sdk_primer["modules"])
    samples: list[dict[str, Any]] = []
    failed: list[str] = []
    for _ in range(runs):
        first = first_invocation(name, art, state=state)
        sdk = sdk_only(names, art)
        sdk_ms, sdk_cpu_ms, failed = sdk["ms"], sdk["cpu_ms"], sdk["failed"]
        over = first["total_ms"] - sdk_ms - first["network_ms"]
        warm = first["warm_ms"] - first["warm_network_ms"]
        samples.append({**{k: first[k] for k in ("import_ms", "initialize_ms", "invocation_ms", "total_ms", "cpu_ms",
                                                 "network_ms", "warm_ms", "warm_cpu_ms", "warm_network_ms", "calls",
                                                 "messages", "tls_contexts", "tls_ms", "problem")},
                        "sdk_ms": sdk_ms, "sdk_cpu_ms": sdk_cpu_ms, "sdk_tls_ms": sdk["tls_ms"], "over_ms": over,
                        "over_cpu_ms":
                        first["cpu_ms"] - sdk_cpu_ms, "warm_inprocess_ms": warm, "cold_only_ms": over - warm,
                        "cold_only_cpu_ms": first["cpu_ms"] - sdk_cpu_ms - first["warm_cpu_ms"]})
    profiles = 3 if runs >= 5 else 1
    profiled = [first_invocation(name, art, importtime=True, state=state)["stderr"] for _ in range(profiles)]
    tops = distribution_tops(art)
    owners = import_owners(profiled, tops, sdk_dists, sdk_loaded)
    median = {k: statistics.median(s[k] for s in samples)
              for k in ("import_ms", "initialize_ms", "invocation_ms", "total_ms", "cpu_ms", "network_ms", "sdk_ms",
                        "sdk_cpu_ms", "over_ms", "over_cpu_ms", "warm_ms", "warm_cpu_ms", "warm_network_ms",
                        "warm_inprocess_ms", "cold_only_ms", "cold_only_cpu_ms", "tls_ms", "sdk_tls_ms")}
    loaded = Counter(tops.get(m.split(".")[0], "stdlib" if _stdlib(m.split(".")[0]) else m.split(".")[0])
                     for m, _ in primer["modules"])
    return {"median": median, "samples": samples, "sdk_module_count": len(names), "sdk_distributions": sdk_dists,
            "sdk_import_failures": failed, "modules_loaded": len(primer["modules"]),
            "modules_by_distribution": dict(loaded.most_common()), "import_time_by_owner_ms": owners,
            "calls": primer["calls"], "messages": primer["messages"], "tls_contexts": primer["tls_contexts"],
            "sdk_tls_contexts": sdk_primer["tls_contexts"],
            "problems": [s["problem"] for s in samples if s["problem"]]}


def _owners_text(owners: dict[str, float]) -> str:
    """``acrguard 47 ms (alerts 12, ...), dnspython 18 ms, ...``: the import time outside the SDK's."""
    ours = {k.split(".", 1)[1]: v for k, v in owners.items() if k.startswith("acrguard.")}
    others = [(k, v) for k, v in owners.items() if k != "SDK" and not k.startswith("acrguard") and v >= 1]
    parts = []
    if ours:
        top = sorted(ours.items(), key=lambda kv: -kv[1])[:5]
        parts.append(f"acrguard {sum(ours.values()):.0f} ms ({', '.join(f'{k} {v:.0f}' for k, v in top)})")
    parts += [f"{k} {v:.0f} ms" for k, v in others[:5]]
    return ", ".join(parts) or "none"


def _cold_note(name: str, cold: dict[str, Any], runs: int) -> str:
    m = cold["median"]
    return (f"median of {runs} samples: (a) first invocation {m['total_ms']:.0f} ms = import index "
            f"{m['import_ms']:.0f} + initialize {m['initialize_ms']:.0f} + timer sweep {m['invocation_ms']:.0f} "
            f"({cold['calls']} cloud calls, {cold['messages']} DingTalk notice(s)); (b) its "
            f"{cold['sdk_module_count']} SDK modules alone {m['sdk_ms']:.0f} ms; network (the local cloud "
            f"answering) {m['network_ms']:.0f} ms; (a) - (b) - network = {m['over_ms']:.0f} ms. Of that, the same "
            f"sweep run again warm (world and state reset) takes {m['warm_inprocess_ms']:.0f} ms in-process: the "
            f"job's own work, paid by every invocation; cold start proper is the other {m['cold_only_ms']:.0f} ms. "
            f"In CPU time, which no wait and no other process counts in: (a) {m['cpu_ms']:.0f} - (b) "
            f"{m['sdk_cpu_ms']:.0f} = {m['over_cpu_ms']:.0f} ms, warm {m['warm_cpu_ms']:.0f} ms, cold start proper "
            f"{m['cold_only_cpu_ms']:.0f} ms, of which {m['tls_ms'] - m['sdk_tls_ms']:.0f} ms for the "
            f"{cold['tls_contexts'] - cold['sdk_tls_contexts']} TLS context(s) the SDK builds at its first requests "
            f"(one per endpoint session, even over http) beyond the {cold['sdk_tls_contexts']} its imports build. "
            f"Import time outside the SDK's (-X importtime): "
            f"{_owners_text(cold['import_time_by_owner_ms'])}"
            + (f"; problems: {'; '.join(cold['problems'])}" if cold["problems"] else ""))


def measure(name: str, manifest: dict[str, Any], runs: int) -> list[Figure]:
    """The cold-start figures of one function."""
    from acrguard.functions import function

    spec = function(name)
    art = Path(manifest["directory"])
    cold = cold_start(name, art, runs)
    probe = _probe_calls(name, art)
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
    details = {"runs": runs, "cold_start": cold, "sdk_modules": list(spec.sdk_modules),
               "sdks_after_import": (probe.get("import") or {}).get("sdks"),
               "sdks_after_timer_call": timer.get("sdks"), "sdks_after_event_call": event.get("sdks"),
               "unlisted_sdks": unlisted, "failed_calls": failed, "timer_call": timer, "event_call": event,
               "artifact_files": manifest["files"], "artifact_mb": round(manifest["bytes"] / 1024 / 1024, 1)}
    return [
        Figure(BENCH, f"{name}: first invocation over its SDK modules", round(cold["median"]["over_ms"], 1),
               COLD_START_GOAL_MS, "ms", note=_cold_note(name, cold, runs), details=details),
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
    """Every cold-start figure (``quick``: 3 samples instead of 7)."""
    manifests = manifests or build_all()
    figures: list[Figure] = []
    for name in sorted(manifests):
        figures += measure(name, manifests[name], 3 if quick else 7)
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.cold_start [--runs N] [NAME ...]``: print each function's figure with its parts."""
    import argparse

    from bench.common import prepare_environment

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("names", nargs="*", help="functions (default: all)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--state", choices=("sqlite", "oss"), default="sqlite", help="the state backend")
    args = parser.parse_args(argv)
    prepare_environment()
    manifests = build_all()
    for name in args.names or sorted(manifests):
        art = Path(manifests[name]["directory"])
        cold = cold_start(name, art, args.runs, args.state)
        print(f"{name}: {cold['median']['over_ms']:.1f} ms  ({_cold_note(name, cold, args.runs)})")
        print("   samples (a, b, network, figure; warm in-process; CPU figure): " + "; ".join(
            f"{s['total_ms']:.0f}, {s['sdk_ms']:.0f}, {s['network_ms']:.0f}, {s['over_ms']:.0f}; "
            f"{s['warm_inprocess_ms']:.0f}; {s['over_cpu_ms']:.0f}" for s in cold["samples"]))
        print("   import time by owner: " + ", ".join(f"{k} {v:.1f}" for k, v in
                                                        cold["import_time_by_owner_ms"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
