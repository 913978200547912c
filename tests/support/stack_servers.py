"""Loopback servers for ``test_stack.py`` and ``test_remediation.py``.

Three kinds, all on ``127.0.0.1`` with an OS-chosen port, stopped (and joined) on exit:

* ``serve_django`` — the REAL django-cors-headers from ``middleware_servers.py``, with the
  ``CORS_*`` settings of one scan applied through ``override_settings``.
* ``serve_nginx`` — the REAL nginx binary (when installed) running a config built from a
  snippet, as a non-daemon child process.
* ``serve_convention`` — RECORDED CONVENTION FIXTURES for stacks that cannot run here (express
  ``cors``, nginx, Spring, ASP.NET Core, Go ``rs/cors``). They are NOT the real middlewares: each
  reproduces, header by header, what its source writes (quoted in each fixture's docstring):
  status, header names and casing, order, default values and refusal bodies. The server writes
  exactly the fixture's status line, headers and body, adding nothing.

It knows nothing of cors-audit and never listens on anything but loopback.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from support import middleware_servers as ms

HOST = ms.HOST
API_PATH = ms.API_PATH
BODY = b'{"user": "alice"}'

Lines = list[tuple[str, str]]


@dataclass(frozen=True)
class Request:
    method: str
    headers: Mapping[str, str]
    """Request headers, looked up case-insensitively (an ``email.message.Message``)."""

    def get(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def origin(self) -> str | None:
        return self.get("Origin")

    @property
    def preflight(self) -> bool:
        return self.method == "OPTIONS" and self.get("Access-Control-Request-Method") is not None


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Lines
    body: bytes = b""


Respond = Callable[[Request], Reply]


@dataclass(frozen=True)
class Config:
    """What the emulated application was configured with (the same for every fixture)."""

    origins: tuple[str, ...] = ("https://app.example.com",)
    credentials: bool = True
    methods: tuple[str, ...] | None = ("GET", "POST", "PATCH")
    """``None``: the middleware's default methods."""
    headers: tuple[str, ...] | None = ("Content-Type", "Authorization")
    """``None``: the middleware's default (often: reflect the requested headers)."""
    max_age: int | None = 600


def _date() -> str:
    return formatdate(usegmt=True)


def _allowed(config: Config, request: Request) -> bool:
    return request.origin is not None and request.origin in config.origins


# -- recorded convention fixtures ----------------------------------------------------------------


def express_cors(config: Config) -> Respond:
    """RECORDED CONVENTION FIXTURE of express 4 + ``cors`` 2.8.5 (``app.use(cors({origin:
    [...], credentials, maxAge}))``), from expressjs/cors ``lib/index.js``: defaults
    ``methods: 'GET,HEAD,PUT,PATCH,POST,DELETE'``; lists joined with ``','``; headers set in the
    order configureOrigin (Allow-Origin, ``Vary: Origin``), configureCredentials,
    configureMethods, configureAllowedHeaders (reflects Access-Control-Request-Headers and
    ``vary(res, 'Access-Control-Request-Headers')`` when unset), configureMaxAge; a preflight
    ends with ``statusCode = 204`` and ``Content-Length: 0``. express sets ``X-Powered-By:
    Express`` first; node appends Date, Connection and Keep-Alive."""
    methods = ",".join(config.methods) if config.methods else "GET,HEAD,PUT,PATCH,POST,DELETE"

    def respond(request: Request) -> Reply:
        lines: Lines = [("X-Powered-By", "Express")]
        vary = ["Origin"]
        if _allowed(config, request):
            lines.append(("Access-Control-Allow-Origin", request.origin or ""))
        lines.append(("Vary", ""))  # value filled below, position kept (node's setHeader)
        if config.credentials:
            lines.append(("Access-Control-Allow-Credentials", "true"))
        if request.method == "OPTIONS":
            lines.append(("Access-Control-Allow-Methods", methods))
            allow_headers = (
                ",".join(config.headers)
                if config.headers is not None
                else request.get("Access-Control-Request-Headers")
            )
            if config.headers is None:
                vary.append("Access-Control-Request-Headers")
            if allow_headers:
                lines.append(("Access-Control-Allow-Headers", allow_headers))
            if config.max_age:
                lines.append(("Access-Control-Max-Age", str(config.max_age)))
            lines = [(n, ", ".join(vary) if n == "Vary" else v) for n, v in lines]
            lines += [("Content-Length", "0"), ("Date", _date()), ("Connection", "keep-alive")]
            lines.append(("Keep-Alive", "timeout=5"))
            return Reply(204, lines)
        lines = [(n, ", ".join(vary) if n == "Vary" else v) for n, v in lines]
        lines += [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(BODY))),
            ("ETag", 'W/"11-y6MhgwBHvbdjrNfVXXqDTcEN0ns"'),
            ("Date", _date()),
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=5"),
        ]
        return Reply(200, lines, BODY)

    return respond


def nginx_map(config: Config) -> Respond:
    """RECORDED CONVENTION FIXTURE of nginx 1.22 with the ``map $http_origin $cors_origin``
    allowlist and ``add_header … always`` lines (the shape of ``middleware_servers.NginxMapHandler``
    but with nginx's own head): ngx_http_header_filter_module writes ``Server: nginx/1.22.1``,
    Date, Content-Type, Content-Length, ``Connection: keep-alive`` first, then every
    ``add_header`` line; ``return 204`` sends no Content-Type/Length; an empty ``$cors_origin``
    sends no header."""
    methods = ", ".join(config.methods or ("GET", "POST"))
    headers = ", ".join(config.headers or ())

    def respond(request: Request) -> Reply:
        head: Lines = [("Server", "nginx/1.22.1"), ("Date", _date())]
        cors: Lines = []
        if _allowed(config, request):
            cors.append(("Access-Control-Allow-Origin", request.origin or ""))
        if config.credentials:
            cors.append(("Access-Control-Allow-Credentials", "true"))
        if request.method == "OPTIONS":
            cors.append(("Access-Control-Allow-Methods", methods))
            if headers:
                cors.append(("Access-Control-Allow-Headers", headers))
            if config.max_age:
                cors.append(("Access-Control-Max-Age", str(config.max_age)))
            return Reply(204, [*head, ("Connection", "keep-alive"), *cors])
        cors.append(("Vary", "Origin"))
        body = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(BODY))),
            ("Connection", "keep-alive"),
        ]
        return Reply(200, [*head, *body, *cors], BODY)

    return respond


_SPRING_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")


def spring(config: Config) -> Respond:
    """RECORDED CONVENTION FIXTURE of Spring Boot 3 (Tomcat) with a ``CorsConfiguration``
    (``@CrossOrigin`` defaults: ``maxAge`` 1800, methods GET, HEAD, POST), from spring-web
    ``DefaultCorsProcessor``: three ``Vary`` lines first on every reply; a refused origin,
    method or header gets ``rejectRequest``: 403 and the body ``Invalid CORS request``;
    Allow-Methods joined by ``collectionToCommaDelimitedString`` (no space), Allow-Headers by
    ``", "`` and holding the requested headers. Spring Security adds its default headers
    (``X-XSS-Protection: 0``, ``Expires: 0``…); Tomcat sends no Server header and appends Date,
    Keep-Alive, Connection."""
    methods = config.methods or ("GET", "HEAD", "POST")
    allowed_headers = {h.lower() for h in config.headers or ()}
    max_age = config.max_age or 1800

    def respond(request: Request) -> Reply:
        vary: Lines = [("Vary", v) for v in _SPRING_VARY]
        # Spring Security's default header writers (HeadersConfigurer), then Tomcat's own.
        tail: Lines = [
            ("X-Content-Type-Options", "nosniff"),
            ("X-XSS-Protection", "0"),
            ("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate"),
            ("Pragma", "no-cache"),
            ("Expires", "0"),
            ("X-Frame-Options", "DENY"),
            ("Date", _date()),
            ("Keep-Alive", "timeout=60"),
            ("Connection", "keep-alive"),
        ]
        refused = Reply(
            403,
            [*vary, ("Content-Length", "20"), *tail],
            b"Invalid CORS request",
        )
        if request.origin is None:
            body = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
            return Reply(200, [*vary, *body, *tail], BODY)
        if not _allowed(config, request):
            return refused
        cors: Lines = [("Access-Control-Allow-Origin", request.origin)]
        if request.preflight:
            wanted = request.get("Access-Control-Request-Method") or ""
            asked = [
                h.strip()
                for h in (request.get("Access-Control-Request-Headers") or "").split(",")
                if h.strip()
            ]
            if wanted not in methods or any(h.lower() not in allowed_headers for h in asked):
                return refused
            cors.append(("Access-Control-Allow-Methods", ",".join(methods)))
            if asked:
                cors.append(("Access-Control-Allow-Headers", ", ".join(asked)))
        if config.credentials:
            cors.append(("Access-Control-Allow-Credentials", "true"))
        if request.preflight:
            cors.append(("Access-Control-Max-Age", str(max_age)))
            return Reply(200, [*vary, *cors, ("Content-Length", "0"), *tail])
        body = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
        return Reply(200, [*vary, *cors, *body, *tail], BODY)

    return respond


def aspnetcore(config: Config) -> Respond:
    """RECORDED CONVENTION FIXTURE of ASP.NET Core 8 on Kestrel (``AddCors`` + ``WithOrigins``
    + ``WithMethods`` + ``WithHeaders`` + ``AllowCredentials`` + ``SetPreflightMaxAge``), from
    dotnet/aspnetcore ``CorsMiddleware`` (every preflight answered ``204 No Content``) and
    ``CorsService.ApplyResult`` (nothing at all for a refused origin; lists written by
    ``SetCommaSeparatedValues``, i.e. joined with ``,``; ``Vary: Origin`` only when the policy
    has more than one origin). Kestrel writes Content-Length, Date and ``Server: Kestrel``
    before the application's headers."""
    methods = ",".join(config.methods or ("GET", "POST"))
    headers = ",".join(config.headers or ())

    def respond(request: Request) -> Reply:
        head: Lines = [("Date", _date()), ("Server", "Kestrel")]
        cors: Lines = []
        if _allowed(config, request):
            if config.credentials:
                cors.append(("Access-Control-Allow-Credentials", "true"))
            if request.preflight:
                if headers:
                    cors.append(("Access-Control-Allow-Headers", headers))
                cors.append(("Access-Control-Allow-Methods", methods))
            cors.append(("Access-Control-Allow-Origin", request.origin or ""))
            if request.preflight and config.max_age:
                cors.append(("Access-Control-Max-Age", str(config.max_age)))
            if len(config.origins) > 1:
                cors.append(("Vary", "Origin"))
        if request.preflight:
            return Reply(204, [*head, *cors])
        body = [
            ("Content-Length", str(len(BODY))),
            ("Content-Type", "application/json; charset=utf-8"),
        ]
        return Reply(200, [*body, *head, *cors], BODY)

    return respond


def rs_cors(config: Config) -> Respond:
    """RECORDED CONVENTION FIXTURE of Go net/http + ``rs/cors`` 1.11 (``cors.New(cors.Options{
    AllowedOrigins, AllowCredentials, AllowedMethods, AllowedHeaders, MaxAge})``), from rs/cors
    ``cors.go``: preflight ``Vary: Origin, Access-Control-Request-Method,
    Access-Control-Request-Headers`` in one line, Allow-Methods = the requested method,
    Allow-Headers = the requested header list as sent, status ``optionsSuccessStatus`` 204;
    actual replies get ``Vary: Origin``. net/http writes the header map sorted by canonical
    name, then Date and Content-Length (``server.go`` extraHeader)."""
    methods = config.methods or ("GET", "POST", "HEAD")
    allowed_headers = {h.lower() for h in config.headers or ("accept", "content-type")}

    def respond(request: Request) -> Reply:
        handler: dict[str, str] = {}
        if request.preflight:
            handler["Vary"] = (
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
            )
            wanted = request.get("Access-Control-Request-Method") or ""
            asked = request.get("Access-Control-Request-Headers") or ""
            names = {h.strip().lower() for h in asked.split(",") if h.strip()}
            if _allowed(config, request) and wanted in methods and names <= allowed_headers:
                handler["Access-Control-Allow-Origin"] = request.origin or ""
                handler["Access-Control-Allow-Methods"] = wanted
                if asked:
                    handler["Access-Control-Allow-Headers"] = asked
                if config.credentials:
                    handler["Access-Control-Allow-Credentials"] = "true"
                if config.max_age:
                    handler["Access-Control-Max-Age"] = str(config.max_age)
            return Reply(204, [*sorted(handler.items()), ("Date", _date())])
        handler["Vary"] = "Origin"
        if _allowed(config, request) and request.method in methods:
            handler["Access-Control-Allow-Origin"] = request.origin or ""
            if config.credentials:
                handler["Access-Control-Allow-Credentials"] = "true"
        handler["Content-Type"] = "application/json"
        tail = [("Date", _date()), ("Content-Length", str(len(BODY)))]
        return Reply(200, [*sorted(handler.items()), *tail], BODY)

    return respond


FIXTURES: dict[str, Callable[[Config], Respond]] = {
    "express-cors": express_cors,
    "nginx": nginx_map,
    "spring": spring,
    "aspnetcore": aspnetcore,
    "go-rs-cors": rs_cors,
}
"""Stack name (``cors_audit.fixes.stack.Stack`` value) → its recorded convention fixture."""


class _ReplayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    respond: Respond

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        reply = type(self).respond(Request(self.command, self.headers))  # type: ignore[arg-type]
        self.send_response_only(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if reply.body and self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch


@contextlib.contextmanager
def serve_convention(respond: Respond) -> Iterator[str]:
    """Serve a convention fixture on loopback; yields the base URL."""
    handler = type("Replay", (_ReplayHandler,), {"respond": staticmethod(respond)})
    with ms.serve_handler(handler) as base:
        yield base


# -- apps without CORS, for snippets to configure -------------------------------------------------


def bare_starlette() -> Any:
    """A Starlette app serving the API path with no middleware: a snippet adds CORSMiddleware."""
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def endpoint(request: StarletteRequest) -> JSONResponse:
        return JSONResponse({"user": "alice", "method": request.method})

    return Starlette(routes=[Route(API_PATH, endpoint, methods=list(ms.APP_METHODS))])


def bare_flask() -> Any:
    """A Flask app serving the API path without flask-cors: a snippet calls ``CORS(app, …)``."""
    from flask import Flask

    app = Flask("stack_flask")

    @app.route(API_PATH, methods=list(ms.APP_METHODS))
    def data() -> dict[str, str]:
        return {"user": "alice"}

    return app


# -- policies ------------------------------------------------------------------------------------


def write_policy(folder: Path, name: str, text: str) -> Any:
    """Load a policy TOML written to ``folder/name.toml``."""
    from cors_audit.inputs.policy import load_policy

    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


# -- real django-cors-headers ------------------------------------------------------------------

DJANGO_BASE = {
    "CORS_ALLOWED_ORIGINS": ["https://app.example.com"],
    "CORS_ALLOW_CREDENTIALS": True,
    "CORS_ALLOW_METHODS": ["GET", "POST", "PATCH"],
    "CORS_ALLOW_HEADERS": ["content-type", "authorization"],
    "CORS_PREFLIGHT_MAX_AGE": 600,
}
"""The settings ``test_middlewares.py`` configures Django with. Django settings are
process-global and ``middleware_servers.django_app`` configures them only once, so this module
configures them the same way (whichever test file runs first) and applies each scan's own
``CORS_*`` settings with ``override_settings``."""


@contextlib.contextmanager
def serve_django(settings: Mapping[str, object]) -> Iterator[str]:
    """The real django-cors-headers with ``settings`` in force while the server runs."""
    from django.test.utils import override_settings

    app = ms.django_app(**DJANGO_BASE)
    with override_settings(**settings), ms.serve_wsgi(app) as base:
        yield base


# -- real nginx ----------------------------------------------------------------------------------


def nginx_binary() -> str | None:
    """The nginx executable, if installed."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )


@dataclass
class NginxSite:
    http: str = ""
    """Directives for the ``http {}`` context (maps…)."""
    location: str = ""
    """Directives for ``location / {}``; the content is ``return 200 <BODY>``."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _config(folder: Path, port: int, site: NginxSite) -> str:
    temp = "\n".join(
        f"    {name}_temp_path {folder / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
daemon off;
master_process off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    default_type application/json;
{site.http}
    server {{
        listen {HOST}:{port};
        location / {{
{site.location}
            return 200 '{BODY.decode()}';
        }}
    }}
}}
"""


@contextlib.contextmanager
def serve_nginx(site: NginxSite, folder: Path) -> Iterator[str]:
    """Run the real nginx with ``site`` on a loopback port; yields the base URL.

    The port is picked by binding port 0 and released just before nginx binds it. Startup is
    awaited by connecting (bounded: 10 s); a config error fails with nginx's own message.
    """
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    port = _free_port()
    conf = folder / "nginx.conf"
    conf.write_text(_config(folder, port, site), encoding="utf-8")
    check = subprocess.run(
        [binary, "-t", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected the config:\n{check.stderr}\n{conf.read_text()}")
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"nginx exited: {process.stderr.read() if process.stderr else ''}"
                )
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                threading.Event().wait(0.02)  # startup readiness only, never a test timing
        yield f"http://{HOST}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


Serve = Callable[[], contextlib.AbstractContextManager[str]]
"""Starts a server and yields its base URL: what the stack and remediation tests scan."""


def starlette(**cors: object) -> Serve:
    return lambda: ms.serve_asgi(ms.starlette_app(**cors))


def flask(**cors: object) -> Serve:
    return lambda: ms.serve_wsgi(ms.flask_app(**cors))


def django(**settings: object) -> Serve:
    return lambda: serve_django(settings)
