"""The BROWSER-MODEL.md §7.1 harness: a loopback server, a Chromium driver, the model replay.

Three parts, all driven by the plain vector data of ``support.spec_vectors`` / ``browser_vectors``:

* :class:`VectorServer` — one stdlib HTTP server on ``127.0.0.1:0`` that routes by ``Host``: ``/``
  on any host is the initiator page, ``/t/<id>/<n>`` on ``b.test``/``c.test`` answers with the
  vector's response, header lines written byte for byte (duplicates, surrounding spaces). It logs
  every request that reaches it (what "preflights seen" / "actual reqs seen" count).
* :class:`ChromiumDriver` — runs vectors in a real Chromium through the product's driver
  (``cors_audit/verify/chromium.py``, the one ``scan --verify-browser`` uses): started on a fresh
  profile with the §7.1 flags (plus a vector's own flags) and driven over the DevTools protocol
  through Playwright's ``connect_over_cdp``. Each initiator origin gets one page; ``null``-origin
  vectors run inside one ``<iframe sandbox="allow-scripts" srcdoc=…>`` that reports through
  ``postMessage``. The CorsError name comes from ``Network.loadingFailed.corsErrorStatus`` (§8).
* :func:`simulate` — the same vector replayed through ``cors_audit.browser.simulate_fetch`` in
  ``chromium`` mode, answered by the very function the real server uses (:func:`answer`).

Both sides produce an :class:`Observation`; :func:`compare` diffs them field by field.

This module must not talk to anything but 127.0.0.1 (``*.test`` is mapped there by Chromium's
host-resolver rules), must not edit the vector tables, and imports Playwright only when a browser
is actually started, so importing it never needs a browser.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from support.spec_vectors import ORIGIN, Call, Expect, HeaderLines, Response, Route, Vector

from cors_audit.browser import (
    SimCache,
    SimRequest,
    SimResponse,
    WireRequest,
    header_get,
    simulate_fetch,
)
from cors_audit.verify.chromium import (
    NetworkEvents,
    PageCall,
    failure_of,
    frame_events,
    launch_chromium,
    match_requests,
    open_page,
    page_html,
    sandbox_frame,
    version_line,
    wait_for,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

HARNESS_FLAGS: Final = ("--host-resolver-rules=MAP *.test 127.0.0.1",)
"""§7.1's flags besides the driver's ``BASE_FLAGS`` (headless, no sandbox, quiet and offline)."""
EVENT_TYPES: Final = ("Fetch", "XHR")
"""The requests a vector's calls make, as DevTools types them."""
RECORDED_PORT: Final = "8000"
"""The port the vector tables are written with (§7.1); replaced by the real one on replay."""
RECORDED_PORT_2: Final = "8001"
"""§7.1's second listener (l01)."""
CONCURRENCY: Final = 8
"""Vectors a page runs at once; each has its own URL, so they cannot share cache entries."""
CALL_TIMEOUT_MS: Final = 20_000
EVENT_WAIT_S: Final = 10.0


# ------------------------------------------------------------------------------------------
# vector data: port mapping and the server contract


def localize(value: Any, port: int, port2: int) -> Any:
    """``value`` (a vector or any part of one) with §7.1's ports 8000/8001 replaced by the real
    ones in every string: URLs, header values (``s15`` ``a.test:8000``), Location, flags."""
    if isinstance(value, str):
        return value.replace(f":{RECORDED_PORT_2}", f":{port2}").replace(
            f":{RECORDED_PORT}", f":{port}"
        )
    if isinstance(value, tuple):
        return tuple(localize(item, port, port2) for item in value)
    if isinstance(value, frozenset):
        return frozenset(localize(item, port, port2) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: localize(getattr(value, f.name), port, port2) for f in fields(value)}
        return replace(value, **changes)
    return value


def _route_key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}", parts.path


def _get(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    return header_get(tuple(headers), name)


def _no_body(status: int) -> bool:
    return status < 200 or status in (204, 304)


def answer(route: Route | None, method: str, headers: HeaderLines) -> tuple[int, HeaderLines]:
    """What the §7.1 server answers (the contract in ``support.spec_vectors``' docstring), shared
    by the real server and the model so both see byte-identical header lines.

    ``OPTIONS`` with ``Access-Control-Request-Method`` gets the preflight response (404 when the
    vector defines none), a conditional request gets ``revalidation`` when set, anything else the
    actual response. Every body is empty; ``Content-Length: 0`` frames it.
    """
    chosen: Response | None
    if route is None:
        chosen = None
    elif method == "OPTIONS" and _get(headers, "Access-Control-Request-Method") is not None:
        chosen = route.preflight
    elif route.revalidation is not None and (
        _get(headers, "If-None-Match") is not None or _get(headers, "If-Modified-Since") is not None
    ):
        chosen = route.revalidation
    else:
        chosen = route.actual
    if chosen is None:
        return 404, (("Content-Length", "0"),)
    lines = chosen.headers
    origin = _get(headers, "Origin")
    if chosen.reflect_origin and origin is not None:
        lines = (*lines, ("Access-Control-Allow-Origin", origin))
    if not _no_body(chosen.status):
        lines = (*lines, ("Content-Length", "0"))
    return chosen.status, lines


@dataclass(frozen=True, slots=True)
class Wire:
    """One request as it reached the server (or the model's server function)."""

    method: str
    url: str
    origin: str | None
    acrm: str | None
    acrh: str | None

    @property
    def preflight(self) -> bool:
        """A CORS preflight: OPTIONS carrying Access-Control-Request-Method."""
        return self.method == "OPTIONS" and self.acrm is not None


def _vector_id(path: str) -> str | None:
    parts = path.split("/")
    return parts[2] if len(parts) >= 4 and parts[1] == "t" else None


# ------------------------------------------------------------------------------------------
# the loopback server


class _State:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.log: dict[str, list[Wire]] = {}
        self.stray: list[str] = []
        self.page = b""
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest's output clean; the request log is :attr:`VectorServer.log`."""

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Every method (PUT, patch, Foo, OPTIONS…) reaches one handler; the stdlib would answer
        # 501 for a method without a do_<METHOD>.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        state = self.server.state
        host = (self.headers.get("Host") or "").lower()
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._write(200, (("Content-Type", "text/html; charset=utf-8"),), state.page)
            return
        headers = tuple(self.headers.items())
        wire = Wire(
            self.command,
            f"http://{host}{path}",
            self.headers.get("Origin"),
            self.headers.get("Access-Control-Request-Method"),
            self.headers.get("Access-Control-Request-Headers"),
        )
        vid = _vector_id(path)
        with state.lock:
            route = state.routes.get((host, path))
            if vid is not None:
                state.log.setdefault(vid, []).append(wire)
            if route is None and vid is not None:
                state.stray.append(f"{self.command} {wire.url}")
        status, lines = answer(route, self.command, headers)
        self._write(status, lines, b"")

    def _write(self, status: int, lines: HeaderLines, body: bytes) -> None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        if body:
            lines = (*lines, ("Content-Length", str(len(body))))
        # Raw lines, exactly as the vector wrote them (§7.1: duplicates and spaces survive).
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in lines)
        self.wfile.write(head.encode("latin-1") + b"\r\n" + body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class VectorServer:
    """Two loopback listeners (§7.1's :8000 and :8001) sharing one route table and log."""

    def __init__(self) -> None:
        self._state = _State()
        self._servers = [_Server(self._state), _Server(self._state)]
        self._threads = [
            threading.Thread(target=s.serve_forever, name="vector-server", daemon=True)
            for s in self._servers
        ]
        self._state.page = _page_html().encode()

    @property
    def port(self) -> int:
        """The real port standing for 8000."""
        return int(self._servers[0].server_address[1])

    @property
    def port2(self) -> int:
        """The real port standing for 8001."""
        return int(self._servers[1].server_address[1])

    def start(self) -> VectorServer:
        """Start serving; returns self."""
        for thread in self._threads:
            thread.start()
        return self

    def close(self) -> None:
        """Stop both listeners."""
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def add(self, vectors: Iterable[Vector]) -> None:
        """Serve these (already localized) vectors' routes."""
        with self._state.lock:
            for vector in vectors:
                for route in vector.routes:
                    self._state.routes[_route_key(route.url)] = route

    def wire(self, vector_id: str) -> tuple[Wire, ...]:
        """Every request that reached the server for one vector, in arrival order."""
        with self._state.lock:
            return tuple(self._state.log.get(vector_id, ()))

    @property
    def stray(self) -> tuple[str, ...]:
        """Requests to /t/… URLs no vector defines (a harness bug if not empty)."""
        with self._state.lock:
            return tuple(self._state.stray)


# ------------------------------------------------------------------------------------------
# observations and their comparison


@dataclass(frozen=True, slots=True)
class CallObservation:
    """What one fetch()/XHR resolved to, as script sees it."""

    allowed: bool
    """The promise resolved (XHR: ``load`` fired)."""
    error: str | None
    """DevTools ``Network.CorsError`` name when blocked by CORS/LNA, else None."""
    threw: bool
    """fetch() threw before any network activity (x06: forbidden method)."""
    response_type: str | None
    """``cors``/``basic``/``opaque``/``error``; None when not observable (XHR)."""
    status: int | None
    """The status script sees on a cors/basic response."""
    readable: frozenset[str]
    """Lowercased names ``response.headers`` yields (``getAllResponseHeaders`` for XHR)."""
    detail: str = field(default="", compare=False)
    """Free text for diagnostics (the TypeError, the net error); never compared."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One vector's outcome: each call plus what reached the server."""

    calls: tuple[CallObservation, ...]
    wire: tuple[Wire, ...]

    @property
    def preflights(self) -> tuple[Wire, ...]:
        """Preflights that reached the server."""
        return tuple(w for w in self.wire if w.preflight)

    @property
    def actuals(self) -> tuple[Wire, ...]:
        """Every other request that reached the server."""
        return tuple(w for w in self.wire if not w.preflight)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One field on which Chromium and the model (or the recorded expectation) differ."""

    vector: str
    field: str
    browser: object
    other: object
    other_name: str = "model"

    def __str__(self) -> str:
        return (
            f"{self.vector}: {self.field}: chromium={self.browser!r} "
            f"{self.other_name}={self.other!r}"
        )


def _fmt(value: object) -> object:
    return sorted(value) if isinstance(value, frozenset) else value


def compare(vector_id: str, browser: Observation, model: Observation) -> list[Mismatch]:
    """Every difference between Chromium and the model for one vector: per call allowed,
    CorsError, threw, response type, status and readable header names; then the number of
    preflights and actual requests that reached the server and their Origin/ACRM/ACRH."""
    out: list[Mismatch] = []

    def diff(name: str, seen: object, modelled: object) -> None:
        if seen != modelled:
            out.append(Mismatch(vector_id, name, _fmt(seen), _fmt(modelled)))

    diff("calls", len(browser.calls), len(model.calls))
    for index, (seen, modelled) in enumerate(zip(browser.calls, model.calls, strict=False)):
        where = f"call {index + 1} "
        diff(where + "allowed", seen.allowed, modelled.allowed)
        diff(where + "cors error", seen.error, modelled.error)
        diff(where + "threw before network", seen.threw, modelled.threw)
        if seen.response_type is not None:
            diff(where + "response type", seen.response_type, modelled.response_type)
        diff(where + "status", seen.status, modelled.status)
        diff(where + "readable headers", seen.readable, modelled.readable)
    diff("preflights seen", len(browser.preflights), len(model.preflights))
    diff("actual requests seen", len(browser.actuals), len(model.actuals))
    diff(
        "preflights (url, Origin, ACRM, ACRH)",
        [(w.url, w.origin, w.acrm, w.acrh) for w in browser.preflights],
        [(w.url, w.origin, w.acrm, w.acrh) for w in model.preflights],
    )
    diff(
        "actual requests (method, url, Origin)",
        [(w.method, w.url, w.origin) for w in browser.actuals],
        [(w.method, w.url, w.origin) for w in model.actuals],
    )
    return out


def check_expect(vector: Vector, expected: Expect, seen: Observation) -> list[Mismatch]:
    """Where an observation departs from a vector's recorded expectation (the table's Chromium
    column): the same fields test_spec asserts for the model."""
    out: list[Mismatch] = []

    def diff(name: str, observed: object, recorded: object) -> None:
        if observed != recorded:
            out.append(Mismatch(vector.id, name, _fmt(observed), _fmt(recorded), "recorded"))

    diff("calls", len(seen.calls), len(expected.results))
    for index, (call, result) in enumerate(zip(seen.calls, expected.results, strict=False)):
        where = f"call {index + 1} "
        diff(where + "allowed", call.allowed, result.allowed)
        diff(where + "cors error", call.error, result.error)
        if result.type_error:
            diff(where + "threw before network", call.threw, True)
        if result.readable is not None:
            probed = frozenset(n for n in vector.readable_probe if n in call.readable)
            diff(where + "readable (probed)", probed, result.readable)
    diff("preflights seen", len(seen.preflights), expected.preflights)
    diff("actual requests seen", len(seen.actuals), expected.actuals)
    if expected.acrh is not None:
        diff("ACRH", tuple(w.acrh for w in seen.preflights), expected.acrh)
    if expected.acrm is not None:
        diff("ACRM", tuple(w.acrm for w in seen.preflights), expected.acrm)
    if expected.preflight_origins is not None:
        diff(
            "preflight origins",
            tuple(w.origin for w in seen.preflights),
            expected.preflight_origins,
        )
    if expected.actual_origins is not None:
        diff("actual origins", tuple(w.origin for w in seen.actuals), expected.actual_origins)
    return out


# ------------------------------------------------------------------------------------------
# the model side


def _sim_request(vector: Vector, call: Call) -> SimRequest:
    return SimRequest(
        url=call.url or vector.url,
        initiator=vector.initiator,
        method=call.method,
        headers=call.headers,
        credentials=call.credentials,  # type: ignore[arg-type]
        mode=call.mode,  # type: ignore[arg-type]
        use_cors_preflight_flag=call.use_cors_preflight_flag,
        initiator_address_space=vector.initiator_address_space,  # type: ignore[arg-type]
        target_address_space=vector.target_address_space,  # type: ignore[arg-type]
        secure_context=vector.secure_context,
    )


def simulate(vector: Vector) -> Observation:
    """Replay a (localized) vector through ``simulate_fetch`` in ``chromium`` mode, with one
    browser state (preflight + HTTP cache) for all its calls and ``now`` = the call's ``at``.

    ``spec`` is looked up at call time, so a monkeypatched model is what runs (self-check).
    """
    routes = {_route_key(route.url): route for route in vector.routes}

    def server(request: WireRequest) -> SimResponse:
        status, lines = answer(routes.get(_route_key(request.url)), request.method, request.headers)
        return SimResponse(status, lines)

    cache = SimCache()
    calls: list[CallObservation] = []
    wire: list[Wire] = []
    for call in vector.calls:
        outcome = simulate_fetch(
            _sim_request(vector, call),
            server,
            cache=cache,
            now=call.at,
            mode="chromium",
            non_wildcard_request_headers=vector.non_wildcard_request_headers,
        )
        shown = outcome.response_type in ("cors", "basic") and outcome.response is not None
        calls.append(
            CallObservation(
                allowed=outcome.allowed,
                error=outcome.error.value if outcome.error is not None else None,
                threw=not outcome.allowed and outcome.error is None and not outcome.wire,
                response_type=outcome.response_type,
                status=outcome.response.status if shown and outcome.response else None,
                readable=outcome.readable_headers,
                detail=outcome.message,
            )
        )
        wire.extend(Wire(w.method, w.url, w.origin, w.acrm, w.acrh) for w in outcome.wire)
    return Observation(tuple(calls), tuple(wire))


# ------------------------------------------------------------------------------------------
# the browser side: the page script

_RUNNER_JS: Final = r"""
function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
function names(raw) {
  return raw.trim().split(/\r?\n/).filter((l) => l)
    .map((l) => l.split(':')[0].trim().toLowerCase());
}
function runXhr(c) {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    try {
      x.open(c.method, c.url);
      x.withCredentials = c.credentials === 'include';
      for (const [n, v] of c.headers) x.setRequestHeader(n, v);
      // An upload listener sets the use-CORS-preflight flag (x07).
      if (c.use_cors_preflight_flag) x.upload.onprogress = () => {};
      x.onload = () => resolve({outcome: 'ok', type: null, status: x.status,
                                readable: names(x.getAllResponseHeaders())});
      x.onerror = () => resolve({outcome: 'network-error', message: 'XHR error event'});
      x.send(c.body);
    } catch (e) {
      resolve({outcome: 'exception', message: String(e)});
    }
  });
}
async function runFetch(c) {
  const init = {method: c.method, mode: c.mode, credentials: c.credentials, headers: c.headers};
  if (c.body !== null) init.body = c.body;
  let r;
  try {
    r = await fetch(c.url, init);
  } catch (e) {
    const network = e instanceof TypeError && e.message === 'Failed to fetch';
    return {outcome: network ? 'network-error' : 'exception', message: String(e)};
  }
  try { await r.arrayBuffer(); } catch (e) { /* the body is empty; nothing to report */ }
  return {outcome: 'ok', type: r.type, status: r.status, readable: [...r.headers.keys()]};
}
function runCall(c) {
  const work = c.use_cors_preflight_flag ? runXhr(c) : runFetch(c);
  const timeout = sleep(CALL_TIMEOUT_MS).then(() => ({outcome: 'timeout', message: 'timeout'}));
  return Promise.race([work, timeout]);
}
async function runVector(v) {
  const out = [];
  let t0 = null;
  for (const c of v.calls) {
    if (t0 === null) t0 = performance.now();
    const wait = t0 + c.at * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
    out.push(await runCall(c));
  }
  return out;
}
async function runJobs(jobs, limit) {
  const results = {};
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const job = jobs[next++];
      results[job.id] = await runVector(job);
    }
  }
  await Promise.all(Array.from({length: limit}, worker));
  return results;
}
"""


def _page_html() -> str:
    """The initiator page: the runner, and the driver's sandbox for null-origin vectors (n01-n05:
    a sandboxed srcdoc frame that reports through postMessage)."""
    runner = _RUNNER_JS.replace("CALL_TIMEOUT_MS", str(CALL_TIMEOUT_MS))
    return page_html("cors-audit harness", runner)


def _job(vector: Vector) -> dict[str, Any]:
    return {
        "id": vector.id,
        "calls": [
            {
                "url": call.url or vector.url,
                "method": call.method,
                "headers": [list(h) for h in call.headers],
                "credentials": call.credentials,
                "mode": call.mode,
                "at": call.at,
                "body": call.body,
                "use_cors_preflight_flag": call.use_cors_preflight_flag,
            }
            for call in vector.calls
        ],
    }


# ------------------------------------------------------------------------------------------
# the browser side: CDP events → CorsError per call


@dataclass(slots=True)
class _Group:
    vectors: list[Vector]
    page: Page
    events: NetworkEvents
    sandboxed: bool = False
    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _request_ids(group: _Group) -> dict[tuple[str, int], str] | None:
    """requestId of every call that reached the network, or None while events are missing.

    Calls of one vector run one after another, so the n-th request to a URL is the n-th call
    that used it (``chromium.match_requests``); a call that threw before the network (x06) has
    no request.
    """
    ids: dict[tuple[str, int], str] = {}
    for vector in group.vectors:
        calls = [
            PageCall(None)
            if result["outcome"] == "exception"
            else PageCall(call.url or vector.url, failed=result["outcome"] != "ok")
            for call, result in zip(vector.calls, group.raw[vector.id], strict=True)
        ]
        matched = match_requests(group.events, calls)
        if matched is None:
            return None
        ids.update(
            ((vector.id, index), request_id)
            for index, request_id in enumerate(matched)
            if request_id is not None
        )
    return ids


def _call_observation(result: dict[str, Any], failed: dict[str, Any] | None) -> CallObservation:
    outcome = result["outcome"]
    if outcome == "ok":
        kind = result["type"]
        return CallObservation(
            allowed=True,
            error=None,
            threw=False,
            response_type=kind,
            status=result["status"] if kind in ("cors", "basic", None) else None,
            readable=frozenset(result["readable"]),
        )
    cors_error, net_error, _ = failure_of(failed)
    return CallObservation(
        allowed=False,
        error=cors_error,
        threw=outcome == "exception",
        response_type="error",
        status=None,
        readable=frozenset(),
        detail=f"{result.get('message', '')} {net_error or ''}".strip(),
    )


class ChromiumDriver:
    """Starts one Chromium per flag set (through ``cors_audit.verify.chromium``) and runs
    vectors in it."""

    def __init__(self, playwright: Playwright, executable: str, server: VectorServer) -> None:
        self._playwright = playwright
        self._executable = executable
        self._server = server

    def run(self, vectors: Sequence[Vector]) -> dict[str, Observation]:
        """Run (localized) vectors; one browser per distinct ``browser_flags``."""
        self._server.add(vectors)
        by_flags: dict[tuple[str, ...], list[Vector]] = {}
        for vector in vectors:
            by_flags.setdefault(vector.browser_flags, []).append(vector)
        results: dict[str, Observation] = {}
        for flags, group in by_flags.items():
            with launch_chromium(
                self._playwright, self._executable, [*HARNESS_FLAGS, *flags], 30
            ) as browser:
                results.update(self._run_in(browser, group))
        return results

    @staticmethod
    def _order(vectors: Iterable[Vector]) -> list[Vector]:
        # Vectors that wait (a06-a08: 6.5 s) start first so the waits overlap the rest.
        return sorted(vectors, key=lambda v: -max(c.at for c in v.calls))

    def _run_in(self, browser: Browser, vectors: list[Vector]) -> dict[str, Observation]:
        context = browser.contexts[0]
        by_origin: dict[str, list[Vector]] = {}
        sandboxed: list[Vector] = []
        for vector in vectors:
            if vector.initiator_context == "sandboxed-iframe":
                sandboxed.append(vector)
            else:
                by_origin.setdefault(vector.initiator, []).append(vector)
        home_origin = localize(ORIGIN, self._server.port, self._server.port2)
        if sandboxed:
            by_origin.setdefault(home_origin, [])
        groups: list[_Group] = []
        home: Page | None = None
        for origin, members in by_origin.items():
            page, events = open_page(context, f"{origin}/", EVENT_TYPES)
            if members:
                groups.append(_Group(self._order(members), page, events))
                page.evaluate(
                    "([jobs, limit]) => { window.__results = runJobs(jobs, limit); }",
                    [[_job(v) for v in groups[-1].vectors], CONCURRENCY],
                )
            if origin == home_origin:
                home = page
        if sandboxed:
            assert home is not None
            groups.append(self._sandbox_group(context, home, sandboxed))
        for group in groups:
            script = (
                "() => window.__sandboxResults" if group.sandboxed else "() => window.__results"
            )
            group.raw = group.page.evaluate(script)
        return self._collect(groups)

    def _sandbox_group(self, context: BrowserContext, home: Page, vectors: list[Vector]) -> _Group:
        home.evaluate("() => makeSandbox()")
        frame = sandbox_frame(home, EVENT_WAIT_S)
        # A sandboxed frame is an out-of-process frame: its requests are reported to its own
        # DevTools session, not the page's.
        events = frame_events(context, frame, EVENT_TYPES)
        group = _Group(self._order(vectors), home, events, sandboxed=True)
        home.evaluate(
            "(args) => startSandbox(args)", [[_job(v) for v in group.vectors], CONCURRENCY]
        )
        return group

    def _collect(self, groups: list[_Group]) -> dict[str, Observation]:
        results: dict[str, Observation] = {}
        for group in groups:
            ids = wait_for(group.page, lambda group=group: _request_ids(group), EVENT_WAIT_S)
            for vector in group.vectors:
                calls = []
                for index, result in enumerate(group.raw[vector.id]):
                    request_id = (ids or {}).get((vector.id, index))
                    failed = group.events.failed.get(request_id) if request_id else None
                    calls.append(_call_observation(result, failed))
                results[vector.id] = Observation(tuple(calls), self._server.wire(vector.id))
        return results


@dataclass(frozen=True, slots=True)
class BrowserRun:
    """Everything one session learned from Chromium, kept for every test (and the self-check)."""

    version: str
    port: int
    vectors: dict[str, Vector]
    """Localized vectors by id (the ones that ran)."""
    observations: dict[str, Observation]
    seconds: float
    stray: tuple[str, ...]


def run_in_chromium(executable: str, vectors: Sequence[Vector]) -> BrowserRun:
    """Start the server, localize the vectors to its ports, run them all in Chromium."""
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    server = VectorServer().start()
    try:
        local = [localize(v, server.port, server.port2) for v in vectors]
        with sync_playwright() as playwright:
            driver = ChromiumDriver(playwright, executable, server)
            observations = driver.run(local)
        version = version_line(executable)
        return BrowserRun(
            version,
            server.port,
            {v.id: v for v in local},
            observations,
            time.monotonic() - started,
            server.stray,
        )
    finally:
        server.close()


def dump(observation: Observation) -> str:
    """A compact JSON rendering for failure messages."""
    return json.dumps(
        {
            "calls": [
                {
                    "allowed": c.allowed,
                    "error": c.error,
                    "threw": c.threw,
                    "type": c.response_type,
                    "status": c.status,
                    "readable": sorted(c.readable),
                    "detail": c.detail,
                }
                for c in observation.calls
            ],
            "wire": [[w.method, w.url, w.origin, w.acrm, w.acrh] for w in observation.wire],
        },
        indent=1,
    )
