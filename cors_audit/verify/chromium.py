"""The one Chromium driver: ``scan --verify-browser`` and the test suites that drive Chromium
(tests/browser, the HTML report test) all start and read it through this module.

Chromium is started by this module (not by Playwright, whose launch flags turn off
CORS-relevant features, e.g. ``AvoidCorsURLLoaderRestartOnRedirect``) on a fresh profile, and
Playwright attaches over CDP (``connect_over_cdp``); the process is killed on exit. The caller
adds its own flags to `BASE_FLAGS`, which only keep a run quiet and offline and touch neither
CORS nor the caches: ``--verify-browser`` adds the resolver rules of `resolver_rules` and turns
off Local Network Access and HTTPS-Upgrades (``replay.py``); the model-vs-Chromium harness maps
``*.test`` to loopback and adds a vector's own flags.

Pages: `serve_page` opens a page whose document is served at any origin by interception (no
network, no certificate, no DNS; the route is removed once it has loaded, so later requests go
over the real network stack untouched); `open_page` just navigates. A page's script runs its
fetches; `NetworkEvents` collects DevTools' ``Network.*`` events of one page or out-of-process
frame, and `match_requests` pairs each call with its request id, so a failure's CorsError name
is read from ``Network.loadingFailed.corsErrorStatus`` (BROWSER-MODEL.md §8). ``null``-origin
calls run in a sandboxed ``srcdoc`` iframe (BROWSER-MODEL.md §6.0 (1)) made by `SANDBOX_JS` and
found by `sandbox_frame`. `PageLog` keeps a page's console errors, page errors and dialogs.

This module must not import Playwright at import time (only for type checking), so importing it
never needs a browser; a missing Playwright or Chromium is `BrowserUnavailable` with the way to
install it.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import urlsplit

from cors_audit.core.errors import CorsAuditError
from cors_audit.core.wire import DEFAULT_PORTS

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        CDPSession,
        ConsoleMessage,
        Dialog,
        Frame,
        Page,
        Playwright,
    )

CHROMIUM_ENV: Final = "CORS_AUDIT_CHROMIUM"
CHROMIUM_CANDIDATES: Final = ("chromium", "chromium-browser", "google-chrome", "chrome")
INSTALL_HINT: Final = (
    "install the browser extra and a Chromium: pip install 'cors-audit[browser]' and "
    f"apt-get install chromium (or set {CHROMIUM_ENV}=/path/to/chromium)"
)
START_TIMEOUT_S: Final = 30.0
"""Longest wait for Chromium's DevTools port (or the caller's timeout, if longer)."""

T = TypeVar("T")

BASE_FLAGS: Final = (
    "--headless=new",
    "--no-sandbox",
    # Keep a run quiet and offline; none of these touch CORS or the caches.
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
)

SANDBOX_JS: Final = r"""
function makeSandbox() {
  // BROWSER-MODEL.md §6.0 (1): the page's #runner script in a sandboxed srcdoc frame (origin
  // null), answering startSandbox(args) with runJobs(...args) through postMessage.
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.name = 'sandbox';
    const code = document.getElementById('runner').textContent +
      "window.addEventListener('message', async (e) => {" +
      "  parent.postMessage({results: await runJobs(...e.data.args)}, '*'); });" +
      "parent.postMessage({ready: true}, '*');";
    frame.srcdoc = '<script>' + code + '<' + '/script>';
    window.__sandboxResults = new Promise((done) => {
      window.addEventListener('message', (e) => {
        if (e.source !== frame.contentWindow) return;
        if (e.data.ready) resolve(true);
        else if (e.data.results) done(e.data.results);
      });
    });
    document.body.appendChild(frame);
  });
}
function startSandbox(args) {
  document.querySelector('iframe[name=sandbox]').contentWindow.postMessage({args}, '*');
}
"""
"""``makeSandbox()`` adds the sandboxed iframe (resolves once it runs), ``startSandbox(args)``
starts its jobs; their results are ``window.__sandboxResults``."""


class BrowserUnavailable(CorsAuditError):
    """Playwright or a Chromium binary is missing, or Chromium does not start."""


def page_html(title: str, runner_js: str) -> str:
    """A page whose ``#runner`` script defines ``runJobs`` (run by the page itself, and by the
    sandboxed iframe of `SANDBOX_JS`)."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<script id='runner'>{runner_js}</script><script>{SANDBOX_JS}</script></head>"
        "<body></body></html>"
    )


# ---- the binary -------------------------------------------------------------------------------


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium binary: ``explicit``, else ``$CORS_AUDIT_CHROMIUM``, else the first of
    ``chromium``, ``chromium-browser``, ``google-chrome``, ``chrome`` on PATH."""
    wanted = explicit or os.environ.get(CHROMIUM_ENV)
    if wanted:
        found = wanted if Path(wanted).is_file() else shutil.which(wanted)
        if found is None:
            source = "chromium" if explicit else f"${CHROMIUM_ENV}"
            raise BrowserUnavailable(
                f"{source}: Chromium binary {wanted!r} not found; {INSTALL_HINT}"
            )
        return found
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(f"no Chromium binary on PATH; {INSTALL_HINT}")


def require_playwright() -> None:
    """Raise ``BrowserUnavailable`` unless the Playwright client is importable."""
    if importlib.util.find_spec("playwright") is None:
        raise BrowserUnavailable(f"the Python package playwright is not installed; {INSTALL_HINT}")


def browser_name(product: str, executable: str) -> str:
    """``Browser.getVersion``'s ``product`` (``Chrome/156.0.8078.108``) as ``Chromium 156.…``."""
    version = product.split("/", 1)[1] if "/" in product else product
    brand = "Google Chrome" if "google-chrome" in Path(executable).name else "Chromium"
    return f"{brand} {version}"


def product(browser: Browser) -> str:
    """What the running browser calls itself over CDP (``Chrome/156.0.8078.108``)."""
    session = browser.new_browser_cdp_session()
    return str(session.send("Browser.getVersion")["product"])


def version_line(executable: str) -> str:
    """``chromium --version`` (``Chromium 156.0… built on Debian…``), for test summaries."""
    done = subprocess.run(  # noqa: S603 - the user's configured browser, a fixed argument
        [executable, "--version"], capture_output=True, text=True, check=False, timeout=30
    )
    return done.stdout.strip()


# ---- where traffic may go ---------------------------------------------------------------------


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> str:
    # The scanner's own resolver (the system's), so the browser goes where the scan went.
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    address = str(infos[0][4][0])
    return f"[{address}]" if ":" in address else address


def resolver_rules(urls: Iterable[str]) -> tuple[str, dict[str, str]]:
    """``--host-resolver-rules`` that send each URL's host where the system resolver sends it
    (IP literals are excluded from mapping) and nothing else anywhere, plus ``{host: reason}``
    for hosts that do not resolve."""
    rules: list[str] = []
    failed: dict[str, str] = {}
    seen: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or host in seen:
            continue
        seen.add(host)
        if _is_ip(host):
            rules.append(f"EXCLUDE {host}")
            if ":" in host:
                rules.append(f"EXCLUDE [{host}]")
            continue
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
        try:
            rules.append(f"MAP {host} {_resolve(host, port)}")
        except OSError as exc:
            failed[host] = f"cannot resolve {host}: {exc}"
    rules.append("MAP * ~NOTFOUND")
    return ", ".join(rules), failed


# ---- the process ------------------------------------------------------------------------------


@contextmanager
def launch_chromium(
    playwright: Playwright, executable: str, flags: Sequence[str], timeout: float
) -> Iterator[Browser]:
    """Chromium on a fresh profile with `BASE_FLAGS` plus ``flags``, attached over CDP (not
    launched by Playwright, whose own flags change CORS behaviour); killed on exit. Raises
    `BrowserUnavailable` when it cannot start or opens no DevTools port in time."""
    profile = tempfile.TemporaryDirectory(prefix="cors-audit-chromium-")
    command = [
        executable,
        *BASE_FLAGS,
        *flags,
        f"--user-data-dir={profile.name}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    try:
        # The binary is the user's configured browser; the arguments are fixed flags.
        process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
    except OSError as exc:
        profile.cleanup()
        raise BrowserUnavailable(f"cannot start Chromium {executable!r}: {exc}") from None
    browser: Browser | None = None
    try:
        active = Path(profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + max(START_TIMEOUT_S, timeout)
        while browser is None:
            if process.poll() is not None:
                raise BrowserUnavailable(
                    f"Chromium {executable!r} exited with status {process.returncode} at start"
                )
            if time.monotonic() > deadline:
                raise BrowserUnavailable(
                    f"Chromium {executable!r} did not open its DevTools port in time"
                )
            text = active.read_text() if active.exists() else ""
            if "\n" in text:
                port = text.split("\n", 1)[0]
                browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            else:
                time.sleep(0.05)  # polling for the DevToolsActivePort file, bounded above
        yield browser
    finally:
        if browser is not None:
            with suppress(Exception):
                browser.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        profile.cleanup()


@contextmanager
def running_chromium(
    executable: str, flags: Sequence[str], timeout: float = START_TIMEOUT_S
) -> Iterator[Browser]:
    """`launch_chromium` inside its own Playwright session."""
    require_playwright()
    from playwright.sync_api import sync_playwright

    with (
        sync_playwright() as playwright,
        launch_chromium(playwright, executable, flags, timeout) as browser,
    ):
        yield browser


# ---- pages and what they did ------------------------------------------------------------------


class NetworkEvents:
    """``Network.*`` events of one CDP session (a page, or an out-of-process frame): the request
    ids of each URL's requests of the given ``types``, in order, and failures by request id."""

    def __init__(self, session: CDPSession, types: Iterable[str] = ("Fetch",)) -> None:
        self.types = frozenset(types)
        self.started: dict[str, list[str]] = {}
        self.failed: dict[str, dict[str, Any]] = {}
        session.on("Network.requestWillBeSent", self._on_request)
        session.on("Network.loadingFailed", self._on_failed)
        session.send("Network.enable")

    def _on_request(self, params: dict[str, Any]) -> None:
        # A redirect re-announces the same requestId with redirectResponse; keep the first URL.
        if params.get("type") not in self.types or "redirectResponse" in params:
            return
        self.started.setdefault(params["request"]["url"], []).append(params["requestId"])

    def _on_failed(self, params: dict[str, Any]) -> None:
        self.failed[params["requestId"]] = params


@dataclass(frozen=True, slots=True)
class PageCall:
    """One call a page made, as `match_requests` needs it."""

    url: str | None
    """The URL it fetched (without fragment); ``None`` when it never reached the network."""
    failed: bool = False
    """It failed, so a ``loadingFailed`` event must be there."""
    optional: bool = False
    """It may never have been announced (it timed out before the browser sent it)."""


def match_requests(events: NetworkEvents, calls: Sequence[PageCall]) -> list[str | None] | None:
    """The request id of each call (``None`` for one that never reached the network), or
    ``None`` while events are still missing. Calls to one URL run one after another, so the
    n-th request to a URL is the n-th call that used it."""
    ids: list[str | None] = []
    used: dict[str, int] = {}
    for call in calls:
        if call.url is None:
            ids.append(None)
            continue
        position = used.get(call.url, 0)
        used[call.url] = position + 1
        started = events.started.get(call.url, [])
        if position >= len(started):
            if call.optional:
                ids.append(None)
                continue
            return None
        request_id = started[position]
        if call.failed and request_id not in events.failed:
            return None
        ids.append(request_id)
    return ids


def wait_for(page: Page, check: Callable[[], T | None], timeout: float) -> T | None:
    """``check()`` until it is not ``None`` (``match_requests`` while CDP events are pending),
    for at most ``timeout`` seconds; its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while value is None and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver pending CDP events
        value = check()
    return value


def failure_of(failed: dict[str, Any] | None) -> tuple[str | None, str | None, str | None]:
    """A ``loadingFailed`` event as (CorsError name, net error, blocked reason)."""
    failed = failed or {}
    cors = failed.get("corsErrorStatus") or {}
    return (
        cors.get("corsError") or None,
        failed.get("errorText") or None,
        failed.get("blockedReason") or None,
    )


def serve_page(
    context: BrowserContext,
    origin: str,
    html: str,
    timeout: float,
    types: Iterable[str] = ("Fetch",),
) -> tuple[Page, NetworkEvents]:
    """A page whose document is ``html``, served at ``origin`` by interception, with its
    network events (recorded from before it loads)."""
    page = context.new_page()
    events = NetworkEvents(context.new_cdp_session(page), types)
    prefix = origin + "/"
    page.route(
        lambda url: url.startswith(prefix),
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    page.goto(prefix, timeout=timeout * 1000)
    # From here on nothing is intercepted: the page's fetches go over the real network stack.
    page.unroute_all(behavior="ignoreErrors")
    return page, events


def open_page(
    context: BrowserContext, url: str, types: Iterable[str] = ("Fetch",)
) -> tuple[Page, NetworkEvents]:
    """A page navigated to ``url`` (served by the network), with its network events."""
    page = context.new_page()
    events = NetworkEvents(context.new_cdp_session(page), types)
    page.goto(url)
    return page, events


def sandbox_frame(page: Page, timeout: float) -> Frame:
    """The sandboxed iframe ``makeSandbox()`` added to ``page``.

    It is usually an out-of-process frame: Playwright learns of it from the frame's own
    DevTools target, which can arrive after ``makeSandbox`` has resolved in the page, so wait
    for it.
    """
    deadline = time.monotonic() + timeout
    while True:
        element = page.query_selector("iframe[name=sandbox]")
        frame = element.content_frame() if element is not None else None
        if frame is not None:
            return frame
        if time.monotonic() >= deadline:
            raise RuntimeError(f"the sandboxed iframe never reached Playwright in {timeout:g} s")
        page.wait_for_timeout(20)  # lets Playwright deliver the pending frame events


def frame_events(
    context: BrowserContext, frame: Frame, types: Iterable[str] = ("Fetch",)
) -> NetworkEvents:
    """The network events of an out-of-process frame (its requests go to its own session;
    creating one fails for an in-process frame, whose requests its page's session sees)."""
    return NetworkEvents(context.new_cdp_session(frame), types)


@dataclass
class PageLog:
    """What a page said: console errors, uncaught errors, dialogs (each dismissed)."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @classmethod
    def watch(cls, page: Page) -> PageLog:
        """Start recording ``page``'s console errors, page errors and dialogs."""
        log = cls(page)
        page.on("console", log._on_console)
        page.on("pageerror", lambda error: log.page_errors.append(str(error)))
        page.on("dialog", log._on_dialog)
        return log

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()
