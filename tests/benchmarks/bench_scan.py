"""Speed, scale and politeness benchmark for cors-audit (issue 8). A script, not a pytest test.

    python tests/benchmarks/bench_scan.py [--quick | --full] [--sizes 100,2000] [--large N]
                                          [--json out.json] [--profile scan.prof]

It starts a loopback server that is not the bottleneck (nginx with a generated config when
``nginx`` is installed, else a multi-process asyncio server) on 127.0.0.2-127.0.0.21 serving four
kinds of endpoint: a correct dynamic allowlist (``map $http_origin``), a reflecting one, a static
``*`` and one without CORS. Then, each measurement in a fresh child process (so its peak RSS is
its own):

* cors-audit's ``scan()`` on 100 and 1 000 targets (and 10 000 unless ``--quick``): requests per
  target by endpoint kind, requests/s, targets/s, peak RSS;
* the very requests that scan sent (recorded from its exchanges), replayed by a raw aiohttp loop
  and a raw httpx loop (default transport) with the same concurrency limits (``--concurrency``
  20 overall, ``--per-host`` 6), for the throughput ratio (never at 100 000 targets: the
  replay would hold millions of request records);
* the ``cors-audit`` command against an asyncio server that counts requests in flight per
  address and timestamps them: ``--rate 50/s`` accuracy and the ``--per-host`` cap;
* ``cors-audit --help`` start-up time and the slowest imports (``python -X importtime``);
* the whole ``cors-audit scan`` command (scan, report, files written) at the last size with the
  JSON report, and (unless ``--quick``) with every report format; ``--dry-run --json`` on
  100 000 targets (10 000 with ``--quick``); with ``--full``, the whole command on 100 000
  targets (``--json-detail compact``): peak RSS, time, requests/s, exit code, file sizes, beside
  the goals (peak RSS of the whole command <= 150 MB at 10 000 targets, <= 250 MB at 100 000).

Only loopback addresses and free ports are used. Must not be collected by pytest (the file name
does not match ``test_*.py``) and must not change anything outside a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HOSTS = [f"127.0.0.{n}" for n in range(2, 22)]
KINDS = ("allow", "reflect", "wildcard", "none")
TRUSTED = ("https://app.example.com", "https://admin.example.com")
CONCURRENCY = 20
PER_HOST = 6
POLICY = f"""\
trusted_origins = {json.dumps(list(TRUSTED))}
allow_credentials = true
allowed_methods = ["GET", "POST", "PATCH"]
allowed_headers = ["Content-Type", "Authorization"]

[[override]]
match = "*/wildcard/*"
public = true
allow_credentials = false
"""
BODY = '{"ok":true}'
GOALS_MB = {10_000: 150.0, 100_000: 250.0}
"""Issue 18: peak RSS of the whole ``cors-audit scan`` command by number of targets."""
ALL_FORMATS = {
    "json": "report.json",
    "html": "report.html",
    "sarif": "report.sarif",
    "junit": "junit.xml",
    "markdown": "summary.md",
    "codequality": "codequality.json",
    "openmetrics": "metrics.prom",
    "ndjson": "report.ndjson",
}
"""Every report option of ``cors-audit scan`` and the file name it writes to."""

# ---- servers -----------------------------------------------------------------------------------


def free_port(hosts: list[str]) -> int:
    """A port free on every one of ``hosts``."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        ok = True
        for host in hosts[1:]:
            with socket.socket() as s:
                try:
                    s.bind((host, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError("no port free on every loopback address")


def nginx_config(root: Path, port: int) -> str:
    listens = "\n".join(f"    listen {host}:{port} reuseport backlog=4096;" for host in HOSTS)
    trusted = "\n".join(f'    "{origin}" $http_origin;' for origin in TRUSTED)
    trusted_true = "\n".join(f'    "{origin}" "true";' for origin in TRUSTED)
    return f"""
worker_processes 1;
daemon off;
master_process on;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  default_type application/json;
  map $http_origin $allow_acao {{
    default "";
{trusted}
  }}
  map $http_origin $allow_acac {{
    default "";
{trusted_true}
  }}
  map $http_origin $regex_acao {{
    default "";
    "~^https://dashboard\\.example\\.com" $http_origin;
  }}
  map $regex_acao $regex_acac {{
    "" "";
    default "true";
  }}
  map $allow_acao $allow_acam2 {{
    "" "";
    default "GET, POST, PATCH";
  }}
  map $allow_acao $allow_acah {{
    "" "";
    default "Content-Type, Authorization";
  }}
  server {{
{listens}
    location /allow/ {{
      add_header Vary Origin always;
      add_header Access-Control-Allow-Origin $allow_acao always;
      add_header Access-Control-Allow-Credentials $allow_acac always;
      add_header Access-Control-Allow-Methods $allow_acam2 always;
      add_header Access-Control-Allow-Headers $allow_acah always;
      if ($request_method = OPTIONS) {{ return 204; }}
      return 200 '{BODY}';
    }}
    location /reflect/ {{
      add_header Access-Control-Allow-Origin $http_origin always;
      add_header Access-Control-Allow-Credentials true always;
      add_header Access-Control-Allow-Methods "GET, POST, PATCH, PUT, DELETE" always;
      add_header Access-Control-Allow-Headers $http_access_control_request_headers always;
      if ($request_method = OPTIONS) {{ return 204; }}
      return 200 '{BODY}';
    }}
    location /regex/ {{
      add_header Vary Origin always;
      add_header Access-Control-Allow-Origin $regex_acao always;
      add_header Access-Control-Allow-Credentials $regex_acac always;
      if ($request_method = OPTIONS) {{ return 204; }}
      return 200 '{BODY}';
    }}
    location /static-null/ {{
      add_header Access-Control-Allow-Origin null always;
      add_header Access-Control-Allow-Credentials true always;
      if ($request_method = OPTIONS) {{ return 204; }}
      return 200 '{BODY}';
    }}
    location /wildcard/ {{
      add_header Access-Control-Allow-Origin * always;
      if ($request_method = OPTIONS) {{ return 204; }}
      return 200 '{BODY}';
    }}
    location / {{
      return 200 '{BODY}';
    }}
  }}
}}
"""


class Server:
    """The target server: nginx, or the asyncio fallback in two processes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port(HOSTS)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.kind = "nginx" if shutil.which("nginx") or Path("/usr/sbin/nginx").exists() else "py"

    def start(self) -> None:
        if self.kind == "nginx":
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            conf = self.root / "nginx.conf"
            conf.write_text(nginx_config(self.root, self.port))
            self.procs.append(
                subprocess.Popen(
                    [nginx, "-p", str(self.root), "-c", str(conf)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        else:
            spec = json.dumps({"hosts": HOSTS, "port": self.port, "delay": 0, "reuse": True})
            self.procs.extend(
                subprocess.Popen(
                    [sys.executable, __file__, "--child", "server", spec],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
                for _ in range(2)
            )
        wait_listening(HOSTS, self.port)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.stdin is not None:
                proc.stdin.close()
            else:
                proc.send_signal(signal.SIGQUIT)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_listening(hosts: list[str], port: int) -> None:
    deadline = time.monotonic() + 10
    for host in hosts:
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start on {host}:{port}") from None
                time.sleep(0.05)


class Tally:
    """Requests in flight per local address (max), and every request's arrival time."""

    def __init__(self) -> None:
        self.inflight: Counter[str] = Counter()
        self.max_inflight: Counter[str] = Counter()
        self.arrivals: list[float] = []


def cors_headers(path: str, method: str, headers: dict[str, str]) -> list[tuple[str, str]]:
    origin = headers.get("origin")
    kind = path.split("/")[1] if path.count("/") >= 1 else ""
    out: list[tuple[str, str]] = []
    if kind == "allow":
        out.append(("Vary", "Origin"))
        if origin in TRUSTED:
            out += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "GET, POST, PATCH"),
                ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
            ]
    elif kind == "reflect" and origin is not None:
        out += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE"),
        ]
        if "access-control-request-headers" in headers:
            out.append(("Access-Control-Allow-Headers", headers["access-control-request-headers"]))
    elif kind == "wildcard":
        out.append(("Access-Control-Allow-Origin", "*"))
    elif kind == "regex":
        out.append(("Vary", "Origin"))
        if origin is not None and re.match(r"https://dashboard\.example\.com", origin):
            out += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            ]
    elif kind == "static-null":
        out += [
            ("Access-Control-Allow-Origin", "null"),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    return out


async def serve(hosts: list[str], port: int, delay: float, reuse: bool, tally: Tally) -> None:
    """An HTTP/1.1 keep-alive server on every host; stops when stdin closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        local = writer.get_extra_info("sockname")[0]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                tally.arrivals.append(time.monotonic())
                tally.inflight[local] += 1
                tally.max_inflight[local] = max(tally.max_inflight[local], tally.inflight[local])
                try:
                    if delay:
                        await asyncio.sleep(delay)
                    status = "204 No Content" if method == "OPTIONS" else "200 OK"
                    body = b"" if method == "OPTIONS" else BODY.encode()
                    extra = cors_headers(path, method, headers)
                    out = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
                    out += [f"{k}: {v}" for k, v in extra]
                    writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
                    await writer.drain()
                finally:
                    tally.inflight[local] -= 1
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    servers = [
        await asyncio.start_server(handle, host, port, reuse_port=reuse, backlog=4096)
        for host in hosts
    ]
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(0, 4096) else None)
    await stop.wait()
    for server in servers:
        server.close()


# ---- children: one measurement per fresh process -----------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def kind_of(url: str) -> str:
    return url.split("/")[3]


class Recorder:
    """A scan observer that writes every request sent to a file (for the replays).

    It is part of the measured scan, so it must cost next to nothing: a request is one short
    line (method, head number, URL), and each distinct head (the engine shares one record among
    the requests that have it) is numbered on first sight and written once, as JSON, by
    `close` after the clock stops. ``json.dumps`` of every request's headers took about 4 % of
    the scan's time.
    """

    def __init__(self, out: Any) -> None:
        self.out = out
        self.errors = 0
        self._heads: dict[Any, int] = {}

    def on_exchange(self, exchange: Any) -> None:
        req = exchange.request
        number = self._heads.get(req.headers)
        if number is None:
            number = self._heads[req.headers] = len(self._heads)
        self.out.write(f"{req.method}\t{number}\t{req.url}\n")
        self.errors += exchange.error is not None

    def close(self) -> None:
        """Write the heads (``Host`` left out: the replay's client sets its own)."""
        for head, number in self._heads.items():
            headers = [(k, v) for k, v in head if k.lower() != "host"]
            self.out.write(f"H\t{number}\t{json.dumps(headers)}\n")


def child_scan(spec: dict[str, Any]) -> dict[str, Any]:
    from cors_audit.app.scan import ScanOptions, scan
    from cors_audit.inputs.policy import load_policy
    from cors_audit.inputs.targets import read_target_lines
    from cors_audit.sending.engine import EngineOptions

    targets = read_target_lines(Path(spec["targets"]).read_text(), "bench")
    policy = load_policy(Path(spec["policy"]))
    options = ScanOptions(
        # The engine's defaults (aiohttp; `--no-fast-transport` is the "httpx" variant below).
        engine=EngineOptions(concurrency=CONCURRENCY, per_host=PER_HOST),
        label="bench",
    )
    transport = None
    if spec.get("transport") == "httpx":
        import httpx

        # What the engine used before it switched to aiohttp (same limits).
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        transport = httpx.AsyncHTTPTransport(limits=limits)
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    # The requests are recorded as they complete. As the command runs it, the scan hands each
    # finished target over (here: its kind, request count and error) and keeps no list of them.
    by_kind: dict[str, list[int]] = {k: [] for k in KINDS}
    failed = 0

    def finished(result: Any) -> None:
        nonlocal failed
        by_kind[kind_of(result.target.url)].append(result.requests)
        failed += result.error is not None

    with open(spec["replay"], "w") as replay:
        recorder = Recorder(replay)
        started = time.perf_counter()
        scan(
            targets,
            policy,
            options,
            transport=transport,
            observer=recorder,
            on_target=finished,
            keep_results=False,
        )
        elapsed = time.perf_counter() - started
        recorder.close()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["profile"])
    rss = peak_rss_mb()
    errors = recorder.errors + failed
    total = sum(sum(v) for v in by_kind.values())
    count = sum(len(v) for v in by_kind.values())
    return {
        "targets": count,
        "requests": total,
        "seconds": elapsed,
        "requests_per_s": total / elapsed,
        "targets_per_s": count / elapsed,
        "peak_rss_mb": rss,
        "cpu_s": cpu_seconds(),
        "errors": errors,
        "requests_per_target": {
            kind: {
                "min": min(v),
                "median": statistics.median(v),
                "max": max(v),
                "mean": round(statistics.fmean(v), 2),
            }
            for kind, v in by_kind.items()
            if v
        },
    }


def read_replay(path: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The requests a `Recorder` wrote, in the order they completed."""
    heads: dict[str, list[tuple[str, str]]] = {}
    sent: list[tuple[str, str, str]] = []
    with open(path) as f:
        for line in f:
            first, number, rest = line.rstrip("\n").split("\t", 2)
            if first == "H":
                heads[number] = [(k, v) for k, v in json.loads(rest)]
            else:
                sent.append((first, number, rest))
    return [(method, url, heads[number]) for method, number, url in sent]


def host_key(url: str) -> str:
    return url.split("/")[2]


async def replay_aiohttp(requests: list[Any]) -> int:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=PER_HOST)
    overall = asyncio.Semaphore(CONCURRENCY)
    hosts: dict[str, asyncio.Semaphore] = {}
    errors = 0
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:

        async def one(method: str, url: str, headers: list[tuple[str, str]]) -> None:
            nonlocal errors
            host = hosts.setdefault(host_key(url), asyncio.Semaphore(PER_HOST))
            async with host, overall:
                try:
                    async with session.request(
                        method, url, headers=headers, allow_redirects=False
                    ) as response:
                        await response.read()
                except aiohttp.ClientError:
                    errors += 1

        await bounded(one(*r) for r in requests)
    return errors


async def replay_httpx(requests: list[Any]) -> int:
    import httpx

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    overall = asyncio.Semaphore(CONCURRENCY)
    hosts: dict[str, asyncio.Semaphore] = {}
    errors = 0
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

        async def one(method: str, url: str, headers: list[tuple[str, str]]) -> None:
            nonlocal errors
            host = hosts.setdefault(host_key(url), asyncio.Semaphore(PER_HOST))
            async with host, overall:
                try:
                    response = await client.request(method, url, headers=headers)
                    response.read()
                except httpx.HTTPError:
                    errors += 1

        await bounded(one(*r) for r in requests)
    return errors


async def bounded(coros: Iterator[Any], window: int = 1000) -> None:
    """Run coroutines with at most ``window`` tasks alive (the loop stays lean)."""
    gate = asyncio.Semaphore(window)
    tasks: set[asyncio.Task[None]] = set()
    for coro in coros:
        await gate.acquire()
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(lambda t: (tasks.discard(t), gate.release()))
    while tasks:
        await asyncio.gather(*list(tasks))


def child_replay(spec: dict[str, Any]) -> dict[str, Any]:
    requests = read_replay(spec["replay"])
    runner = replay_aiohttp if spec["client"] == "aiohttp" else replay_httpx
    started = time.perf_counter()
    errors = asyncio.run(runner(requests))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(requests),
        "seconds": elapsed,
        "requests_per_s": len(requests) / elapsed,
        "errors": errors,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_s": cpu_seconds(),
    }


def child_server(spec: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    print("ready", flush=True)
    asyncio.run(serve(spec["hosts"], spec["port"], spec["delay"], spec["reuse"], tally))
    return {"max_inflight": dict(tally.max_inflight), "arrivals": tally.arrivals}


def child_command(spec: dict[str, Any]) -> dict[str, Any]:
    """The whole ``cors-audit scan`` command (scan, report, JSON file) in this process, for
    its peak RSS."""
    from cors_audit.cli import main as command

    sys.argv = ["cors-audit", "scan", *spec["args"]]
    code: Any = None
    started = time.perf_counter()
    try:
        command.main()
    except SystemExit as exit_:
        code = exit_.code
    return {"seconds": time.perf_counter() - started, "exit": code, "peak_rss_mb": peak_rss_mb()}


BUDGET_KINDS = (*KINDS, "regex", "static-null")
"""Endpoint kinds of the requests-per-target measurement: the throughput kinds, a regex anchored
at the start only around an origin that is not the target's own (``^https://dashboard…``: only
discovery finds it without a policy) and a static ``Access-Control-Allow-Origin: null`` with
credentials."""
SITE_ORIGIN = "https://api.example.com"
"""The site origin of the requests-per-target scans that give the targets a domain."""


def child_budget(spec: dict[str, Any]) -> dict[str, Any]:
    """Requests per target and the rules found, by endpoint kind, for one policy mode."""
    from cors_audit.app.scan import ScanOptions, scan
    from cors_audit.core.models import Target
    from cors_audit.inputs.policy import load_policy
    from cors_audit.sending.engine import EngineOptions

    policy = load_policy(Path(spec["policy"])) if spec.get("policy") else None
    site = spec.get("site_origin")
    targets = [
        Target(url=f"http://{HOSTS[0]}:{spec['port']}/{kind}/1", site_origin=site)
        for kind in BUDGET_KINDS
    ]
    options = ScanOptions(engine=EngineOptions(concurrency=CONCURRENCY, per_host=PER_HOST))
    results = scan(targets, policy, options)
    return {
        kind: {
            "requests": result.requests,
            "rules": sorted({f.rule for f in result.findings}),
            "error": None if result.error is None else result.error.message,
        }
        for kind, result in zip(BUDGET_KINDS, results, strict=True)
    }


def request_budget(root: Path, server: Server) -> dict[str, Any]:
    """Requests per target by endpoint kind: with the policy (IP site, as the throughput runs),
    with the policy and a domain site origin, and without a policy (domain site origin: the
    first run a new user makes, where discovery does the work)."""
    policy = str(root / "cors-policy.toml")
    modes = {
        "policy": {"policy": policy},
        "policy, site api.example.com": {"policy": policy, "site_origin": SITE_ORIGIN},
        "no policy, site api.example.com": {"site_origin": SITE_ORIGIN},
    }
    return {
        mode: run_child("budget", {**spec, "port": server.port}) for mode, spec in modes.items()
    }


def child_dry_run(spec: dict[str, Any]) -> dict[str, Any]:
    """``cors-audit scan --dry-run --json`` on ``count`` targets in this process: its peak RSS
    (the plan is streamed, so it should not grow with the targets) and the file's size."""
    from cors_audit.cli import main as command

    root = Path(spec["root"])
    urls = root / "dry-run-urls.txt"
    with urls.open("w") as out:
        for i in range(spec["count"]):
            out.write(f"https://h{i % 50}.example.com/api/{i}\n")
    plan = root / "dry-run-plan.json"
    sys.argv = ["cors-audit", "scan", "-f", str(urls), "--dry-run", "--json", str(plan), "-q"]
    started = time.perf_counter()
    try:
        command.main()
    except SystemExit as exit_:
        code = exit_.code
    result = {
        "targets": spec["count"],
        "seconds": time.perf_counter() - started,
        "exit": code,
        "peak_rss_mb": peak_rss_mb(),
        "plan_mb": plan.stat().st_size / 1e6,
    }
    plan.unlink()
    urls.unlink()
    return result


CHILDREN = {
    "budget": child_budget,
    "dry-run": child_dry_run,
    "scan": child_scan,
    "replay": child_replay,
    "server": child_server,
    "command": child_command,
}


def tail(stream: Any, size: int) -> str:
    """The last ``size`` bytes of a file opened in binary mode, as text."""
    stream.seek(0, os.SEEK_END)
    stream.seek(max(0, stream.tell() - size))
    return str(stream.read().decode("utf-8", "replace"))


def run_child(kind: str, spec: dict[str, Any], stderr_tail: int = 0) -> dict[str, Any]:
    """Run one measurement in a fresh process. Its output goes to temporary files of which only
    the tail is read, so however much a child prints, the parent holds little of it (with
    ``stderr_tail``, the result keeps that many last characters of its standard error)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        done = subprocess.run(
            [sys.executable, __file__, "--child", kind, json.dumps(spec)],
            stdout=out,
            stderr=err,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"child {kind} failed:\n{tail(err, 3000)}")
        result = dict(json.loads(tail(out, 64_000).strip().splitlines()[-1]))
        if stderr_tail:
            result["stderr_tail"] = tail(err, stderr_tail)
        return result


# ---- measurements ------------------------------------------------------------------------------


def write_targets(path: Path, count: int, port: int, hosts: list[str]) -> None:
    with path.open("w") as out:  # line by line: 100 000 targets are never a list here
        for i in range(count):
            kind = KINDS[(i // len(hosts)) % len(KINDS)]
            out.write(f"http://{hosts[i % len(hosts)]}:{port}/{kind}/{i}\n")


def throughput(
    root: Path,
    server: Server,
    count: int,
    httpx_too: bool,
    profile: str | None,
) -> dict[str, Any]:
    targets = root / f"targets-{count}.txt"
    policy = root / "cors-policy.toml"
    replay = root / f"replay-{count}.txt"
    write_targets(targets, count, server.port, HOSTS)
    spec = {"targets": str(targets), "policy": str(policy), "replay": str(replay)}
    if profile:  # a separate run: the profiler slows the scan down
        run_child("scan", {**spec, "profile": profile})
    row: dict[str, Any] = {"targets": count, "scan": run_child("scan", spec)}
    row["aiohttp"] = run_child("replay", {"replay": str(replay), "client": "aiohttp"})
    if httpx_too:
        row["httpx"] = run_child("replay", {"replay": str(replay), "client": "httpx"})
    row["ratio_vs_aiohttp"] = row["scan"]["requests_per_s"] / row["aiohttp"]["requests_per_s"]
    if httpx_too:
        row["ratio_vs_httpx"] = row["scan"]["requests_per_s"] / row["httpx"]["requests_per_s"]
    replay.unlink()
    targets.unlink()
    return row


def report_summary(path: Path) -> dict[str, Any]:
    """The ``summary`` object of a JSON report (full or compact), read from the file's head
    (it comes before the lists that grow with the scan), so a large report is never loaded."""
    with path.open() as f:
        head = f.read(1_000_000)
    found = re.search(r'"summary":\s*', head)
    if found is None:
        return {}
    summary, _ = json.JSONDecoder().raw_decode(head, found.end())
    return dict(summary)


def whole_command(
    root: Path, server: Server, count: int, formats: tuple[str, ...], *extra: str
) -> dict[str, Any]:
    """The whole ``cors-audit scan`` command (scan, report, every file in ``formats`` written)
    on ``count`` targets, in a child process: time, peak RSS, exit code, requests/s (requests
    from the JSON report's summary, over the whole command's time) and the size of each file
    written (the files are deleted once measured)."""
    out_dir = Path(tempfile.mkdtemp(prefix=f"command-{count}-", dir=root))
    targets = out_dir.with_suffix(".txt")
    write_targets(targets, count, server.port, HOSTS)
    args = ["-f", str(targets), "--policy", str(root / "cors-policy.toml"), "-q"]
    for name in formats:
        args += [f"--{name}", str(out_dir / ALL_FORMATS[name])]
    row: dict[str, Any] = {"targets": count, "formats": list(formats), "options": list(extra)}
    try:
        row |= run_child("command", {"args": [*args, "--allow-errors", *extra]}, 2000)
    except RuntimeError as failure:  # e.g. killed: keep what the other runs measured
        print(f"  {failure}", flush=True)
        shutil.rmtree(out_dir, ignore_errors=True)
        targets.unlink()
        return row | {"failed": str(failure)[-2000:]}
    try:
        row["files_mb"] = {p.name: p.stat().st_size / 1e6 for p in sorted(out_dir.iterdir())}
        report = out_dir / ALL_FORMATS["json"]
        summary = report_summary(report) if "json" in formats and report.exists() else {}
        if row["exit"] not in (0, 1) or len(row["files_mb"]) < len(formats):
            print(f"  the command failed (exit {row['exit']}):\n{row['stderr_tail']}", flush=True)
        else:
            del row["stderr_tail"]
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
        targets.unlink()
    row["total_mb"] = sum(row["files_mb"].values())
    row["requests"] = summary.get("requests")
    row["requests_per_s"] = row["requests"] / row["seconds"] if row["requests"] else None
    row["errors"] = summary.get("errors")
    row["findings"] = summary.get("findings")
    goal = GOALS_MB.get(count)
    row["goal_mb"] = goal
    row["goal_met"] = None if goal is None else row["peak_rss_mb"] <= goal
    return row


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    nginx_version = None
    if nginx:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
            nginx_version = (done.stderr or done.stdout).strip().removeprefix("nginx version: ")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "nginx": nginx_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


class PoliteServer:
    def __init__(self, hosts: list[str], delay: float) -> None:
        self.port = free_port(hosts)
        self.hosts = hosts
        spec = json.dumps({"hosts": hosts, "port": self.port, "delay": delay, "reuse": False})
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", "server", spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()
        wait_listening(hosts, self.port)

    def stop(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        self.proc.wait(30)
        return dict(json.loads(out.strip().splitlines()[-1]))


def cli(root: Path, *args: str) -> None:
    exe = Path(sys.executable).with_name("cors-audit")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cors_audit"]
    subprocess.run(
        [*command, "scan", *args, "--allow-errors", "-q"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def politeness(root: Path, window: float) -> dict[str, Any]:
    """``--rate 50/s`` accuracy and the ``--per-host`` cap, measured at the server."""
    hosts = HOSTS[:4]
    # Rate: enough no-CORS targets to keep the scan busy for about ``window`` seconds.
    server = PoliteServer(hosts, delay=0.0)
    targets = root / "polite-rate.txt"
    write_targets(targets, max(4, int(window * 50 / 9)), server.port, hosts)
    cli(root, "-f", str(targets), "--rate", "50/s", "--concurrency", "20")
    arrivals = sorted(server.stop()["arrivals"])
    span = arrivals[-1] - arrivals[0]
    rate = (len(arrivals) - 1) / span if span > 0 else 0.0
    busiest = max(
        sum(1 for t in arrivals[i:] if t < start + 1.0) for i, start in enumerate(arrivals)
    )
    # Per-host: slow replies so requests pile up against the cap.
    per_host = 3
    server = PoliteServer(hosts, delay=0.03)
    targets = root / "polite-host.txt"
    write_targets(targets, 24, server.port, hosts)
    cli(root, "-f", str(targets), "--per-host", str(per_host), "--concurrency", "20")
    tally = server.stop()
    return {
        "rate_limit": 50.0,
        "window_s": round(span, 2),
        "requests": len(arrivals),
        "measured_rate": rate,
        "rate_error_pct": (rate - 50.0) / 50.0 * 100,
        "busiest_1s_window": busiest,
        "per_host_limit": per_host,
        "max_inflight_per_host": max(tally["max_inflight"].values()),
        "hosts": len(tally["max_inflight"]),
    }


def startup() -> dict[str, Any]:
    exe = Path(sys.executable).with_name("cors-audit")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import cors_audit.cli.main"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) <= 3:  # top-level imports (and their direct children)
            rows.append((int(m.group(2)), m.group(4)))
    top = sorted(rows, reverse=True)[:8]
    return {
        "help_s_best": min(times),
        "help_s_median": statistics.median(times),
        "top_imports_ms": {name: round(us / 1000, 1) for us, name in top},
    }


# ---- CORScanner ---------------------------------------------------------------------------------

CORSCANNER_VENV = Path(tempfile.gettempdir()) / "cors-audit-bench-corscanner"
CORSCANNER_WORKERS = 50  # its default (gevent greenlets)
CORSCANNER_URLS = 1000

# Runs CORScanner's own main() with two guards: name resolution refuses anything that is not a
# loopback address (the benchmark never sends traffic elsewhere), and tldextract uses its bundled
# suffix list instead of downloading one.
CORSCANNER_RUNNER = """
import ipaddress, socket, sys
from CORScanner import cors_scan  # applies gevent's monkey patching
import tldextract
tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_resolve = socket.getaddrinfo
def loopback_only(host, *args, **kwargs):
    infos = _resolve(host, *args, **kwargs)
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_loopback:
            raise OSError(f"benchmark guard: {host} is not a loopback address")
    return infos
socket.getaddrinfo = loopback_only
sys.argv = ["cors_scan", "-i", sys.argv[1], "-t", sys.argv[2]]
cors_scan.main()
"""


def corscanner_python() -> Path | None:
    """CORScanner (PyPI ``corscanner``) in its own cached virtualenv: it pins gevent and
    requests, which must not enter cors-audit's environment. ``None`` when it cannot be
    installed (e.g. offline)."""
    python = CORSCANNER_VENV / "bin" / "python"
    if python.exists():
        return python
    base = getattr(sys, "_base_executable", sys.executable)
    try:
        subprocess.run([base, "-m", "venv", str(CORSCANNER_VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "corscanner"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(CORSCANNER_VENV, ignore_errors=True)
        return None
    return python


def versus_corscanner(root: Path, server: Server, count: int) -> dict[str, Any]:
    """Wall time of CORScanner (50 workers) and of the ``cors-audit scan`` command (default
    options, JSON report written) on the same URL list, each from process start to exit."""
    python = corscanner_python()
    if python is None:
        return {"skipped": "CORScanner could not be installed (pip install corscanner failed)"}
    urls = root / f"corscanner-{count}.txt"
    write_targets(urls, count, server.port, HOSTS)
    runner = root / "corscanner_runner.py"
    runner.write_text(CORSCANNER_RUNNER)
    env = {**os.environ, "NO_PROXY": "*", "no_proxy": "*"}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), str(runner), str(urls), str(CORSCANNER_WORKERS)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    corscanner_s = time.perf_counter() - started
    if done.returncode != 0:
        return {"skipped": f"CORScanner failed: {done.stderr.strip()[-500:]}"}
    started = time.perf_counter()
    cli(root, "-f", str(urls), "--policy", str(root / "cors-policy.toml"), "--json", "v.json")
    cors_audit_s = time.perf_counter() - started
    report = json.loads((root / "v.json").read_text())
    return {
        "urls": count,
        "corscanner_workers": CORSCANNER_WORKERS,
        "corscanner_s": corscanner_s,
        "cors_audit_s": cors_audit_s,
        "cors_audit_requests": report["summary"].get("requests"),
        "speedup": corscanner_s / cors_audit_s,
    }


# ---- report ------------------------------------------------------------------------------------


def budget_table(budget: dict[str, Any]) -> str:
    out = ["requests per target by endpoint kind (one target each; rules found):"]
    for mode, kinds in budget.items():
        out.append(f"  {mode}:")
        for kind, row in kinds.items():
            detail = row["error"] or ", ".join(row["rules"]) or "no findings"
            out.append(f"    {kind:<12} {row['requests']:>3}  {detail}")
    return "\n".join(out)


def command_label(row: dict[str, Any]) -> str:
    formats = row["formats"]
    label = f"all {len(formats)} formats" if len(formats) == len(ALL_FORMATS) else "+".join(formats)
    if "--json-detail" in row["options"]:
        label += f" ({row['options'][row['options'].index('--json-detail') + 1]})"
    return label


def goal_cell(row: dict[str, Any]) -> str:
    if row["goal_mb"] is None:
        return "-"
    return f"<={row['goal_mb']:.0f} MB {'met' if row['goal_met'] else 'NOT MET'}"


def commands_table(commands: list[dict[str, Any]]) -> str:
    out = [
        "the whole cors-audit scan command (a child process: scan, report, files; req/s over the "
        "whole command):",
        f"{'targets':>7} {'reports':<22} {'seconds':>8} {'requests':>9} {'req/s':>6} "
        f"{'RSS MB':>7} {'goal (peak RSS)':<17} {'exit':>4} {'errors':>6} {'files MB':>8}",
    ]
    for row in commands:
        if "failed" in row:
            out.append(f"{row['targets']:>7} {command_label(row):<22} the child process failed")
            continue
        rate = f"{row['requests_per_s']:6.0f}" if row["requests_per_s"] else f"{'-':>6}"
        requests = row["requests"] if row["requests"] is not None else "-"
        errors = row["errors"] if row["errors"] is not None else "-"
        out.append(
            f"{row['targets']:>7} {command_label(row):<22} {row['seconds']:>8.1f} "
            f"{requests:>9} {rate} {row['peak_rss_mb']:>7.1f} {goal_cell(row):<17} "
            f"{row['exit']!s:>4} {errors:>6} {row['total_mb']:>8.1f}"
        )
        files = ", ".join(f"{name} {mb:.1f}" for name, mb in row["files_mb"].items())
        out.append(f"{'':>8}files (MB): {files}")
    if any("failed" in row or row["errors"] or row["exit"] not in (0, 1) for row in commands):
        out.append(
            "  warning: a run above has errors (targets it could not scan) or an exit code other "
            "than 0/1 (findings): its figures do not measure a normal scan"
        )
    return "\n".join(out)


def goals_table(figures: dict[str, Any]) -> str:
    """Issue 18's goals, each beside the largest peak RSS of a whole-command run at that size."""
    out = ["goals (issue 18), peak RSS of the whole cors-audit scan command:"]
    for count, goal in GOALS_MB.items():
        runs = [
            c for c in figures.get("commands", []) if c["targets"] == count and "failed" not in c
        ]
        if not runs:
            if any(c["targets"] == count for c in figures.get("commands", [])):
                hint = "the child process failed"
            elif count <= 10_000:
                hint = "measured when the last scan size is 10 000: the default run, --full"
            elif figures.get("mode") == "full":
                hint = "--large was not 100 000"
            else:
                hint = "only --full measures it"
            out.append(f"  <= {goal:.0f} MB at {count:>7} targets: not measured ({hint})")
            continue
        worst = max(runs, key=lambda c: c["peak_rss_mb"])
        verdict = "met" if worst["peak_rss_mb"] <= goal else "NOT MET"
        out.append(
            f"  <= {goal:.0f} MB at {count:>7} targets: {verdict}, {worst['peak_rss_mb']:.1f} MB "
            f"({command_label(worst)}; largest of {len(runs)} run(s) at this size)"
        )
    return "\n".join(out)


def table(figures: dict[str, Any]) -> str:
    m = figures["machine"]
    out = [
        f"machine: {m['cpus']} CPUs ({m['cpu_model'] or 'model unknown'}), {m['ram_gb']} GB RAM, "
        f"Python {m['python']}, {m['nginx'] or 'nginx not installed'}; load average "
        f"{'/'.join(str(x) for x in m['load_average_at_start'])} at start, "
        f"{'/'.join(str(x) for x in m.get('load_average_at_end', []))} at end",
        f"mode: {figures['mode']}; server: {figures['server']}, "
        f"concurrency {CONCURRENCY}, per-host {PER_HOST}, {len(HOSTS)} addresses",
    ]
    out.append("")
    out.append("requests per target (min / median / max, mean) by endpoint kind:")
    for row in figures["throughput"]:
        cells = ", ".join(
            f"{k} {v['min']}/{v['median']:g}/{v['max']} ({v['mean']})"
            for k, v in row["scan"]["requests_per_target"].items()
        )
        out.append(f"  {row['targets']:>6} targets: {cells}")
    out.append("")
    out.append(budget_table(figures.get("budget", {})))
    dry = figures.get("dry_run")
    if dry is not None:
        out.append(
            f"--dry-run --json on {dry['targets']} targets: peak RSS {dry['peak_rss_mb']:.0f} MB, "
            f"{dry['seconds']:.0f} s, {dry['plan_mb']:.0f} MB plan file (exit {dry['exit']})"
        )
    out.append("")
    header = (
        f"{'targets':>7} {'requests':>8} {'scan req/s':>10} {'aiohttp':>8} {'httpx':>8} "
        f"{'vs aio':>6} {'vs httpx':>8} {'targets/s':>9} {'RSS MB':>7} {'errors':>6}"
    )
    out.append(header)
    for row in figures["throughput"]:
        s = row["scan"]
        httpx_rate = f"{row['httpx']['requests_per_s']:8.0f}" if "httpx" in row else f"{'-':>8}"
        vs_httpx = f"{row['ratio_vs_httpx']:8.0%}" if "ratio_vs_httpx" in row else f"{'-':>8}"
        out.append(
            f"{row['targets']:>7} {s['requests']:>8} {s['requests_per_s']:>10.0f} "
            f"{row['aiohttp']['requests_per_s']:>8.0f} {httpx_rate} "
            f"{row['ratio_vs_aiohttp']:>6.0%} {vs_httpx} {s['targets_per_s']:>9.1f} "
            f"{s['peak_rss_mb']:>7.1f} {s['errors']:>6}"
        )
    if figures.get("commands"):
        out.append("")
        out.append(commands_table(figures["commands"]))
    p = figures["politeness"]
    out.append("")
    out.append(
        f"--rate 50/s: {p['measured_rate']:.2f} req/s over {p['window_s']} s "
        f"({p['rate_error_pct']:+.1f} %), busiest 1 s window {p['busiest_1s_window']} requests"
    )
    out.append(
        f"--per-host {p['per_host_limit']}: max in flight per address {p['max_inflight_per_host']}"
        f" (over {p['hosts']} addresses)"
    )
    vs = figures.get("corscanner")
    if vs is not None and "skipped" in vs:
        out.append(f"CORScanner: skipped ({vs['skipped']})")
    elif vs is not None:
        out.append(
            f"same {vs['urls']} URLs: CORScanner ({vs['corscanner_workers']} workers) "
            f"{vs['corscanner_s']:.1f} s, cors-audit scan {vs['cors_audit_s']:.1f} s "
            f"({vs['cors_audit_requests']} requests, preflights included): "
            f"{vs['speedup']:.1f}x faster"
        )
    out.append("")
    out.append(goals_table(figures))
    st = figures["startup"]
    out.append(
        f"cors-audit --help: best {st['help_s_best']:.3f} s, median {st['help_s_median']:.3f} s"
    )
    out.append(
        "  slowest imports (ms, cumulative): "
        + ", ".join(f"{k} {v}" for k, v in st["top_imports_ms"].items())
    )
    return "\n".join(out)


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive: {text!r}")
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        help="100 and 1 000 targets (the httpx replay at 100 only), a 10 000-target --dry-run, a "
        "shorter rate window (under 3 min)",
    )
    mode.add_argument(
        "--full",
        action="store_true",
        help="the default run plus the whole command on 100 000 targets (--json-detail compact); "
        "about 30 min (an estimate)",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        help="comma-separated target counts of the scan measurements instead of the mode's "
        "(e.g. 100,2000); the JSON-report command runs at the last one, and the every-format "
        "command too unless --quick",
    )
    parser.add_argument(
        "--large",
        type=int,
        default=100_000,
        help="targets of the --dry-run plan (not with --quick: 10 000) and of the --full command "
        "run (default 100 000; e.g. --full --sizes 100,1000 --large 2000 to try the code paths)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--profile", help="cProfile the 1 000-target scan into this file")
    parser.add_argument(
        "--no-corscanner", action="store_true", help="skip the comparison with CORScanner"
    )
    parser.add_argument(
        "--budget-only", action="store_true", help="only the requests-per-target measurement"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large < 1:
        parser.error("--large must be positive")
    if args.child:
        kind, spec = args.child
        print(json.dumps(CHILDREN[kind](json.loads(spec))), flush=True)
        return

    started = time.perf_counter()

    def progress(what: str) -> None:
        print(f"  {what} ({time.perf_counter() - started:.0f} s so far)", flush=True)

    mode_name = "quick" if args.quick else "full" if args.full else "default"
    with tempfile.TemporaryDirectory(prefix="cors-audit-bench-") as tmp:
        root = Path(tmp)
        (root / "cors-policy.toml").write_text(POLICY)
        server = Server(root)
        server.start()
        figures: dict[str, Any] = {
            "machine": machine(),
            "server": server.kind,
            "mode": mode_name,
            "quick": args.quick,
            "goals_mb": {str(k): v for k, v in GOALS_MB.items()},
            "throughput": [],
            "commands": [],
        }
        if args.budget_only:
            try:
                figures["budget"] = request_budget(root, server)
            finally:
                server.stop()
            print(budget_table(figures["budget"]))
            return
        try:
            sizes = args.sizes or ([100, 1000] if args.quick else [100, 1000, 10000])
            figures["sizes"] = sizes
            # The raw httpx replay is slow (about 30 s at 1 000 targets, 90 s on a busy box):
            # up to 1 000 targets, up to 100 with --quick.
            httpx_up_to = 100 if args.quick else 1000
            for count in sizes:
                profile = str(Path(args.profile).resolve()) if args.profile else None
                figures["throughput"].append(
                    throughput(
                        root,
                        server,
                        count,
                        count <= httpx_up_to,
                        profile if count == 1000 else None,
                    )
                )
                row = figures["throughput"][-1]
                rates = ", ".join(
                    f"{name} {row[name]['requests_per_s']:.0f} req/s"
                    for name in ("scan", "aiohttp", "httpx")
                    if name in row
                )
                progress(f"{count} targets: {rates}")
            figures["budget"] = request_budget(root, server)
            progress("requests per target measured")
            # The whole command at the last size: the JSON report (as in every earlier round),
            # then every format (issue 18's goal is about the whole command).
            last = sizes[-1]
            figures["commands"].append(whole_command(root, server, last, ("json",)))
            progress(f"whole command on {last} targets (JSON report) measured")
            if not args.quick:
                figures["commands"].append(whole_command(root, server, last, tuple(ALL_FORMATS)))
                progress(f"whole command on {last} targets (every format) measured")
            count = 10_000 if args.quick else args.large
            figures["dry_run"] = run_child("dry-run", {"root": str(root), "count": count})
            progress(f"--dry-run on {count} targets measured")
            if args.full:
                compact = ("--json-detail", "compact")
                figures["commands"].append(
                    whole_command(root, server, args.large, ("json",), *compact)
                )
                progress(f"whole command on {args.large} targets (compact JSON) measured")
            if not args.no_corscanner:
                figures["corscanner"] = versus_corscanner(root, server, CORSCANNER_URLS)
                progress("CORScanner comparison done")
        finally:
            server.stop()
        (root / "cors-policy.toml").unlink()  # the politeness scans are policy-free
        figures["politeness"] = politeness(root, 5.0 if args.quick else 10.0)
        figures["startup"] = startup()
    figures["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    figures["total_seconds"] = time.perf_counter() - started
    print(table(figures))
    print(f"total {figures['total_seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
