"""How the demo lab's handlers are built: what a handler sees of a request and what it answers,
what an `Endpoint` of the lab is, and reply builders that emulate the CORS middleware
configurations the lab's endpoints show (an echoing allowlist, a static header set, a proxy
adding its own line).

Handlers are pure functions of the request; the server writes exactly the header list they
return (repeated lines kept, so two layers can both add ``Access-Control-Allow-Origin``) and only
adds ``Content-Length``. Standard library only (and the header names of ``core/wire.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

from cors_audit.core.models import Headers
from cors_audit.core.wire import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, ACRH, ACRPN
from cors_audit.demo.policy import MAX_AGE, POLICY_HEADERS, POLICY_METHODS

_PREFLIGHT_VARY: Final = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


# -- requests and replies ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestView:
    """What a handler sees of a request."""

    method: str
    path: str
    """The path without the query string."""
    headers: Headers = ()
    """Every header line as received, in order (values decoded as latin-1)."""

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)

    def get(self, name: str) -> str | None:
        """The values of ``name`` combined with ``", "`` (RFC 9110 §5.3), or ``None``."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header, or ``None`` for a non-CORS request."""
        return self.get("Origin")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers; the server writes ``headers`` exactly (plus Content-Length)."""

    status: int
    headers: Headers = ()
    body: bytes = b""


Handler = Callable[[RequestView], Reply]
Matcher = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One URL of the lab: its behaviour and what a correct scan reports for it."""

    path: str
    title: str
    """Human description for the README and the demo output."""
    method: str
    """The method the application uses on this URL (the scan's target method)."""
    expected: frozenset[str]
    """Rule ids a correct scan with the demo policy reports (empty for the correct ones); for
    the lab's own table, what the rules name this path for (``endpoints.py``)."""
    handler: Handler
    expected_policy_free: frozenset[str] | None = None
    """Rule ids a correct scan *without* a policy reports; ``None``: the same as ``expected``."""

    @property
    def expected_without_policy(self) -> frozenset[str]:
        """What a policy-free scan (site origin still given) must report."""
        if self.expected_policy_free is not None:
            return self.expected_policy_free
        return self.expected


# -- reply builders ----------------------------------------------------------------------------


def json_reply(status: int, data: object, headers: Headers = ()) -> Reply:
    """A JSON reply with ``headers`` after its Content-Type."""
    body = json.dumps(data).encode()
    return Reply(status, (("Content-Type", "application/json"), *headers), body)


ME = {"user": "alice", "email": "alice@example.com", "account": "ACME-4711", "balance": "1234.56"}
"""Per-user data, what a private endpoint protects."""
POST_BODY = {"id": 20, "title": "Quarterly numbers", "updated_by": "alice", "draft": True}
"""A document a preflighted write (PATCH) edits."""
CATALOG = {"products": [{"sku": "A-1", "name": "Widget", "price": "9.99"}]}
"""Public data anyone may read."""
FEED = {"items": [{"id": 1, "title": "Status: all systems operational"}]}
"""Anonymous (cookie-less) data that is not public."""


def _not_allowed(method: str) -> Reply:
    return json_reply(405, {"error": "method not allowed"}, (("Allow", f"OPTIONS, {method}"),))


def not_found() -> Reply:
    """The reply for a path outside the table: 404 and no CORS headers."""
    return json_reply(404, {"error": "not found"})


def _allow(origin: str, credentials: bool) -> list[tuple[str, str]]:
    lines = [(ACAO, origin)]
    if credentials:
        lines.append((ACAC, "true"))
    return lines


def dynamic(
    allows: Matcher,
    *,
    method: str = "GET",
    body: object = ME,
    credentials: bool = True,
    vary: bool = True,
    allow_methods: str = POLICY_METHODS,
    allow_headers: str | None = POLICY_HEADERS,
    max_age: str | None = MAX_AGE,
    expose: str | None = None,
    private_network: bool = False,
    actual_cors: bool = True,
    proxy_lines: Headers = (),
    extra: Headers = (),
) -> Handler:
    """An application that echoes the request origin when ``allows(origin)`` holds.

    ``allow_headers=None`` echoes ``Access-Control-Request-Headers``; ``actual_cors=False``
    answers CORS on the preflight only; ``proxy_lines`` are added to every reply by another
    layer in front of the application.
    """

    def handler(request: RequestView) -> Reply:
        origin = request.origin
        allowed = origin is not None and allows(origin)
        lines = list(proxy_lines)
        if request.method == "OPTIONS":
            if origin is not None and allowed:
                lines += _allow(origin, credentials)
                lines.append((ACAM, allow_methods))
                headers = allow_headers if allow_headers is not None else request.get(ACRH)
                if headers:
                    lines.append((ACAH, headers))
                if max_age is not None:
                    lines.append((ACMA, max_age))
                if private_network and (request.get(ACRPN) or "").lower() == "true":
                    lines.append((ACAPN, "true"))
            if vary:
                lines.append(("Vary", _PREFLIGHT_VARY))
            return Reply(204, tuple(lines))
        if request.method != method:
            return _not_allowed(method)
        if actual_cors:
            if origin is not None and allowed:
                lines += _allow(origin, credentials)
                if expose is not None:
                    lines.append((ACEH, expose))
            if vary:
                lines.append(("Vary", "Origin"))
        return json_reply(200, body, (*extra, *lines))

    return handler


def static(
    lines: Headers,
    *,
    body: object,
    allow_methods: str = POLICY_METHODS,
    allow_headers: str = POLICY_HEADERS,
) -> Handler:
    """A configuration that sends the same CORS lines to every request, whatever its origin."""
    preflight = (*lines, (ACAM, allow_methods), (ACAH, allow_headers), (ACMA, MAX_AGE))

    def handler(request: RequestView) -> Reply:
        if request.method == "OPTIONS":
            return Reply(204, preflight)
        if request.method != "GET":
            return _not_allowed("GET")
        return json_reply(200, body, lines)

    return handler


def without_origin(handler: Handler, lines: Headers) -> Handler:
    """``handler`` with ``lines`` added to its replies to requests that carry no ``Origin``
    (curl, health checks, same-origin navigations): what a middleware answers outside CORS."""

    def wrapped(request: RequestView) -> Reply:
        reply = handler(request)
        if request.origin is not None:
            return reply
        return replace(reply, headers=(*reply.headers, *lines))

    return wrapped
