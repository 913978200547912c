"""Real CORS middlewares served on loopback for ``test_middlewares.py``.

Each ``serve_*`` context manager starts one server on ``127.0.0.1`` with an OS-chosen port in a
daemon thread, yields its base URL once it accepts connections, and stops it (and joins the
thread) on exit. The apps are configured exactly as their users would configure them: the
middlewares' own code decides every CORS header. The only hand-written CORS logic is the
nginx emulation, which follows the nginx directives quoted in its docstrings.

It must never listen on anything but loopback, and it knows nothing of cors-audit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn
from flask import Flask
from flask_cors import CORS
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from werkzeug.serving import WSGIRequestHandler, make_server

HOST = "127.0.0.1"
API_PATH = "/api/data"
"""The one resource every app serves (GET, POST and PATCH)."""
APP_METHODS = ("GET", "POST", "PATCH")


# -- serving --------------------------------------------------------------------------------------


class _StartedServer(uvicorn.Server):
    """A uvicorn server that signals when its sockets are listening (no polling, no sleep)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on loopback; yields ``http://127.0.0.1:<port>``.

    The socket is bound here (port 0) and handed to uvicorn, so the port is known before the
    server starts. uvicorn installs no signal handlers outside the main thread.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="critical", access_log=False, lifespan="off", ws="none", http="h11"
    )
    server = _StartedServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(10) or not server.started:
            raise RuntimeError("uvicorn did not start")
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class _QuietWerkzeugHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: the scan's evidence is the record."""


@contextlib.contextmanager
def serve_wsgi(app: Callable[..., Any]) -> Iterator[str]:
    """Serve a WSGI app with werkzeug's threaded server on loopback; yields the base URL."""
    server = make_server(HOST, 0, app, threaded=True, request_handler=_QuietWerkzeugHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextlib.contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve a stdlib request handler on loopback; yields the base URL."""
    server = ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


# -- Starlette ------------------------------------------------------------------------------------


async def _starlette_endpoint(request: Request) -> Response:
    return JSONResponse({"user": "alice", "method": request.method})


def starlette_app(**cors: Any) -> Starlette:
    """A Starlette app whose only CORS logic is ``CORSMiddleware(**cors)``."""
    return Starlette(
        routes=[Route(API_PATH, _starlette_endpoint, methods=list(APP_METHODS))],
        middleware=[Middleware(CORSMiddleware, **cors)],
    )


# -- flask-cors -----------------------------------------------------------------------------------


def flask_app(**cors: Any) -> Flask:
    """A Flask app whose only CORS logic is ``flask_cors.CORS(app, **cors)``."""
    app = Flask("middleware_flask")

    @app.route(API_PATH, methods=list(APP_METHODS))
    def data() -> dict[str, str]:
        return {"user": "alice"}

    CORS(app, **cors)
    return app


# -- django-cors-headers ------------------------------------------------------------------------


def django_app(**settings: Any) -> Callable[..., Any]:
    """A minimal Django WSGI app with ``corsheaders`` configured by ``settings``
    (``CORS_ALLOWED_ORIGINS`` and friends). Django's settings are process-global, so this can
    be called once per process."""
    # Imported here: django is optional, and only this app needs it.
    import django
    from django.conf import settings as django_settings
    from django.core.wsgi import get_wsgi_application

    if not django_settings.configured:
        django_settings.configure(
            DEBUG=False,
            SECRET_KEY="middleware-test-only",  # a throwaway key: nothing is signed
            ALLOWED_HOSTS=[HOST],
            ROOT_URLCONF=__name__,
            INSTALLED_APPS=["corsheaders"],
            MIDDLEWARE=[
                "corsheaders.middleware.CorsMiddleware",
                "django.middleware.common.CommonMiddleware",
            ],
            USE_TZ=True,
            **settings,
        )
        django.setup()
    return get_wsgi_application()


def _django_view(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"user": "alice", "method": request.method})


def _django_urlpatterns() -> list[Any]:
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    return [path(API_PATH.lstrip("/"), csrf_exempt(_django_view))]


def __getattr__(name: str) -> Any:
    # Django resolves ROOT_URLCONF = this module's ``urlpatterns`` lazily; building it lazily
    # keeps django an optional import for the other tests.
    if name == "urlpatterns":
        return _django_urlpatterns()
    raise AttributeError(name)


# -- nginx emulation ----------------------------------------------------------------------------


class NginxHandler(BaseHTTPRequestHandler):
    """The shape of a typical nginx CORS ``location`` block:

    .. code-block:: nginx

        location /api/ {
            add_header Access-Control-Allow-Origin $cors_origin always;
            add_header Access-Control-Allow-Credentials true always;
            if ($request_method = OPTIONS) {
                add_header Access-Control-Allow-Origin $cors_origin always;
                add_header Access-Control-Allow-Credentials true always;
                add_header Access-Control-Allow-Methods "GET, POST, PATCH" always;
                add_header Access-Control-Allow-Headers "Content-Type, Authorization" always;
                add_header Access-Control-Max-Age 600 always;
                return 204;
            }
            proxy_pass http://app;
        }

    ``add_header`` with an empty value sends nothing (nginx skips empty header values), and
    ``vary`` says whether ``add_header Vary Origin always;`` is in the block too.
    """

    protocol_version = "HTTP/1.1"
    vary = False

    def cors_origin(self) -> str:
        """The value of ``$cors_origin`` for this request."""
        raise NotImplementedError

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def _cors_headers(self) -> list[tuple[str, str]]:
        headers = [
            ("Access-Control-Allow-Origin", self.cors_origin()),
            ("Access-Control-Allow-Credentials", "true"),
        ]
        if self.vary:
            headers.append(("Vary", "Origin"))
        return [(name, value) for name, value in headers if value]

    def _send(self, status: int, headers: Sequence[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _actual(self) -> None:
        self._drain()
        body = b'{"user": "alice"}'
        self._send(200, [("Content-Type", "application/json"), *self._cors_headers()], body)

    do_GET = do_POST = do_PATCH = _actual

    def do_OPTIONS(self) -> None:
        self._drain()
        headers = [
            *self._cors_headers(),
            ("Access-Control-Allow-Methods", "GET, POST, PATCH"),
            ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
            ("Access-Control-Max-Age", "600"),
        ]
        self._send(204, headers, b"")


class NginxReflectHandler(NginxHandler):
    """``$cors_origin`` is ``$http_origin``: the copy-pasted "allow everything" snippet
    (``add_header Access-Control-Allow-Origin $http_origin always;``), no ``Vary``."""

    def cors_origin(self) -> str:
        return self.headers.get("Origin") or ""


class NginxMapHandler(NginxHandler):
    """The allowlist done right:

    .. code-block:: nginx

        map $http_origin $cors_origin {
            default "";
            "https://app.example.com" $http_origin;
        }

    plus ``add_header Vary Origin always;``. nginx ``map`` string keys compare
    case-insensitively, which changes nothing here: browsers send lowercase origins.
    """

    vary = True
    allowed = ("https://app.example.com",)

    def cors_origin(self) -> str:
        origin = self.headers.get("Origin") or ""
        return origin if origin.lower() in self.allowed else ""


class NginxStaticHandler(NginxHandler):
    """One fixed trusted origin sent on every reply, CORS request or not:

    .. code-block:: nginx

        add_header Access-Control-Allow-Origin https://app.example.com always;

    Fetch "CORS protocol and HTTP caches" recommends exactly this for a static origin, without
    ``Vary``: no cache can hand one origin a reply made for another, because all are the same.
    """

    def cors_origin(self) -> str:
        return "https://app.example.com"
