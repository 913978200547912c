"""Stack detection: guess which server or CORS middleware produced the replies of one target.

`detect_stack` reads the exchanges a scan already sent (never sends anything) and matches them
against the header conventions each CORS implementation is known to follow: its ``Server`` or
``X-Powered-By`` banner, the order and casing of the headers it writes, its default lists of
methods and headers, and how it answers a refused preflight (status and body digest). Every
convention below cites the source it was read from; the Python ones were also checked against
the real middlewares on loopback (``tests/fixes/test_stack.py``).

Each matched convention is an independent signal with a weight (how specific it is to that
stack); a stack's confidence is ``1 - Π(1 - weight)`` over its matched signals, so more
independent signals give more confidence. The best stack is named only when its confidence
reaches `GUESS_THRESHOLD` and no other stack ties it; otherwise the guess is ``unknown``.

The guess is advisory: it only picks which fix snippet to show first. It must never change,
add or drop a finding, and it knows nothing of rules, policies or reports.

One module on purpose, though above 600 lines: `SIGNALS` is one table whose weights are set
against each other (a convention shared by two stacks must weigh less than one only a single
stack follows), so the conventions stay beside it rather than scattered per stack.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from cors_audit.core.models import Exchange, Headers, ProbeKind, ResponseRecord
from cors_audit.core.models import Stack as Stack  # re-exported: the guess's types live in models
from cors_audit.core.models import StackGuess as StackGuess
from cors_audit.core.wire import ACAC, ACAH, ACAM, ACAO, ACAPN, ACMA

GUESS_THRESHOLD: Final = 0.5
"""The confidence a stack needs before it is named (one strong signal, or two weaker ones)."""


UNKNOWN: Final = StackGuess(Stack.UNKNOWN, 0.0, ())


# -- views on the exchanges ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reply:
    exchange: Exchange
    response: ResponseRecord
    by_name: dict[str, list[str]] = field(init=False, repr=False, compare=False)
    """Values per lower-cased header name, in wire order: built once, since some 25 signals ask
    each reply for headers (this ran once per signal and was ~15 % of a scan's CPU)."""

    def __post_init__(self) -> None:
        by_name: dict[str, list[str]] = {}
        for key, value in self.response.headers:
            by_name.setdefault(key.lower(), []).append(value.strip(" \t"))
        object.__setattr__(self, "by_name", by_name)

    @property
    def kind(self) -> ProbeKind:
        return self.exchange.probe.kind

    @property
    def preflight(self) -> bool:
        return self.exchange.probe.is_preflight

    @property
    def has_origin(self) -> bool:
        return self.exchange.probe.origin is not None

    @property
    def headers(self) -> Headers:
        return self.response.headers

    def values(self, name: str) -> list[str]:
        return list(self.by_name.get(name.lower(), ()))  # a copy: callers own their list

    def get(self, name: str) -> str | None:
        values = self.values(name)
        return ", ".join(values) if values else None

    def names(self) -> list[str]:
        return [key for key, _ in self.headers]

    def index(self, name: str) -> int | None:
        lower = name.lower()
        return next((i for i, key in enumerate(self.names()) if key.lower() == lower), None)

    def cors_names(self) -> list[str]:
        return [key for key in self.names() if key.lower().startswith("access-control-")]

    def body_is(self, digests: dict[str, str]) -> str | None:
        """The known text whose SHA-256 is this reply's body digest, if any."""
        if self.response.body_truncated or self.response.body_sha256 is None:
            return None
        return digests.get(self.response.body_sha256)


_Seen = tuple[ProbeKind, bool, str, ResponseRecord]
"""All a signal reads of one exchange: the probe's kind, whether it had an origin, its
requested method, and the reply."""


def _distinct(exchanges: Sequence[Exchange]) -> dict[_Seen, Exchange]:
    """The exchanges with a reply, one per distinct `_Seen`, in first-seen order. A reply
    equal in all of these to an earlier one can neither match where the earlier did not nor
    give another evidence line: dropping it leaves every signal's answer as it was. The
    targets of one server answer most probes alike, and each signal walks every reply."""
    seen: dict[_Seen, Exchange] = {}
    for e in exchanges:
        response = e.response
        if response is None:
            continue
        probe = e.probe
        seen.setdefault((probe.kind, probe.origin is not None, probe.request_method, response), e)
    return seen


def _digests(texts: Iterable[str]) -> dict[str, str]:
    return {hashlib.sha256(text.encode()).hexdigest(): text for text in texts}


def _tokens(value: str | None) -> list[str]:
    if value is None:
        return []
    return [item.strip(" \t") for item in value.split(",") if item.strip(" \t")]


# -- the conventions, per stack ------------------------------------------------------------------

Check = Callable[[list[_Reply]], str | None]
"""A signal's test: the evidence line when it matches these replies, else None."""


@dataclass(frozen=True, slots=True)
class _Signal:
    stack: Stack
    weight: float
    check: Check


def _first(replies: Iterable[_Reply], test: Callable[[_Reply], str | None]) -> str | None:
    for reply in replies:
        found = test(reply)
        if found is not None:
            return found
    return None


def _server(*prefixes: str) -> Check:
    """The ``Server`` banner starts with one of ``prefixes`` (case-insensitive)."""

    def check(replies: list[_Reply]) -> str | None:
        def test(reply: _Reply) -> str | None:
            server = reply.get("Server") or ""
            if server.lower().startswith(tuple(p.lower() for p in prefixes)):
                return f"Server: {server}"
            return None

        return _first(replies, test)

    return check


def _powered_by(value: str) -> Check:
    def check(replies: list[_Reply]) -> str | None:
        def test(reply: _Reply) -> str | None:
            header = reply.get("X-Powered-By")
            if header is not None and header.lower() == value.lower():
                return f"X-Powered-By: {header}"
            return None

        return _first(replies, test)

    return check


def _exact_header(name: str, value: str, why: str, *, preflight: bool = True) -> Check:
    """Some (preflight) reply carries ``name: value`` exactly, a stack's default."""

    def check(replies: list[_Reply]) -> str | None:
        def test(reply: _Reply) -> str | None:
            if preflight and not reply.preflight:
                return None
            if any(found == value for found in reply.values(name)):
                return f"{name}: {value} ({why})"
            return None

        return _first(replies, test)

    return check


# Starlette CORSMiddleware.preflight_response (starlette/middleware/cors.py, 0.37-1.x): a refused
# preflight is `PlainTextResponse("Disallowed CORS " + ", ".join(failures), status_code=400)`,
# failures in the order origin, method, headers, private-network; a passing one is "OK", 200.
_STARLETTE_FAILURES = ("origin", "method", "headers", "private-network")
_STARLETTE_REFUSALS = _digests(
    "Disallowed CORS " + ", ".join(combo)
    for size in range(1, len(_STARLETTE_FAILURES) + 1)
    for combo in itertools.combinations(_STARLETTE_FAILURES, size)
)
_STARLETTE_OK = _digests(["OK"])
# Same file: `SAFELISTED_HEADERS = {"Accept", "Accept-Language", "Content-Language",
# "Content-Type"}` is merged into every Allow-Headers list, which is then sorted.
_STARLETTE_SAFELISTED = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
_STARLETTE_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


def _starlette_refusal(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        text = reply.body_is(_STARLETTE_REFUSALS)
        if reply.preflight and reply.response.status == 400 and text is not None:
            return f'a preflight was refused with 400 "{text}" (Starlette CORSMiddleware)'
        return None

    return _first(replies, test)


def _starlette_ok(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        if reply.preflight and reply.response.status == 200 and reply.body_is(_STARLETTE_OK):
            return 'a preflight was answered 200 with the body "OK" (Starlette CORSMiddleware)'
        return None

    return _first(replies, test)


def _starlette_safelisted(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        names = _tokens(reply.get(ACAH))
        if set(_STARLETTE_SAFELISTED) <= set(names) and names == sorted(names):
            return (
                f"{ACAH} lists the safelisted Accept, Accept-Language, Content-Language and "
                "Content-Type, sorted (Starlette merges SAFELISTED_HEADERS)"
            )
        return None

    return _first(replies, test)


def _starlette_credentials_only(replies: list[_Reply]) -> str | None:
    # Starlette's `simple_headers` (Allow-Credentials) go on every reply to a request with an
    # Origin, allowed or not; only Allow-Origin depends on the origin check.
    def test(reply: _Reply) -> str | None:
        if reply.preflight or not reply.has_origin:
            return None
        if reply.get(ACAC) == "true" and reply.get(ACAO) is None:
            return (
                f"{ACAC}: true without {ACAO} on a reply to a refused origin "
                "(Starlette simple_headers)"
            )
        return None

    return _first(replies, test)


# flask_cors/core.py (flask-cors 4-6): ALL_METHODS is rendered by `flexible_str`, which sorts.
_FLASK_DEFAULT_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


def _flask_pna_false(replies: list[_Reply]) -> str | None:
    # get_cors_headers: `"true" if options.allow_private_network else "false"` — nobody else
    # answers a private-network preflight with an explicit "false".
    def test(reply: _Reply) -> str | None:
        if reply.kind is ProbeKind.PRIVATE_NETWORK and reply.get(ACAPN) == "false":
            return f"{ACAPN}: false on a private-network preflight (flask-cors)"
        return None

    return _first(replies, test)


def _flask_always_send(replies: list[_Reply]) -> str | None:
    # get_cors_origins: with `always_send` (the default) a request without Origin still gets
    # the literal allowed origins (or `*`).
    def test(reply: _Reply) -> str | None:
        if not reply.has_origin and not reply.preflight and reply.get(ACAO) is not None:
            return (
                f"{ACAO} sent to a request without Origin (flask-cors always_send, or a "
                "static header)"
            )
        return None

    return _first(replies, test)


def _in_order(reply: _Reply, names: Sequence[str]) -> bool:
    positions = [reply.index(name) for name in names]
    present = [p for p in positions if p is not None]
    return len(present) >= 3 and present == sorted(present) and len(present) == len(positions)


def _flask_order(replies: list[_Reply]) -> str | None:
    # get_cors_headers fills a MultiDict in the order Allow-Origin, Expose-Headers,
    # Allow-Credentials, Allow-Private-Network, Allow-Headers, Max-Age, Allow-Methods, Vary.
    def test(reply: _Reply) -> str | None:
        if not reply.preflight:
            return None
        names = [ACAO, ACAH, ACAM] if reply.get(ACMA) is None else [ACAO, ACAH, ACMA, ACAM]
        if _in_order(reply, names):
            return (
                f"preflight header order {', '.join(names)} (flask-cors get_cors_headers); "
                "Allow-Methods last"
            )
        return None

    return _first(replies, test)


def _flask_allow(replies: list[_Reply]) -> str | None:
    # Flask answers OPTIONS itself (`provide_automatic_options`) with 200, an empty body and an
    # `Allow` header; flask-cors then only adds its headers.
    def test(reply: _Reply) -> str | None:
        if (
            reply.preflight
            and reply.response.status == 200
            and reply.response.body_bytes == 0
            and reply.get("Allow") is not None
            and reply.get(ACAO) is not None
        ):
            return f"preflight answered 200 with an Allow: {reply.get('Allow')} header (Flask)"
        return None

    return _first(replies, test)


# django-cors-headers corsheaders/defaults.py and conf.py (4.x).
_DJANGO_DEFAULT_HEADERS = (
    "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with"
)
_DJANGO_DEFAULT_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT"


def _django_lowercase(replies: list[_Reply]) -> str | None:
    # corsheaders/middleware.py sets `response["access-control-allow-origin"]` etc. with
    # lowercase names, which Django keeps as given, next to Django's own Title-Case headers.
    def test(reply: _Reply) -> str | None:
        cors = reply.cors_names()
        others = [n for n in reply.names() if not n.lower().startswith("access-control-")]
        if cors and all(n == n.lower() for n in cors) and any(n != n.lower() for n in others):
            return (
                f"lowercase {cors[0]} among Title-Case headers (django-cors-headers sets "
                "lowercase names)"
            )
        return None

    return _first(replies, test)


def _django_vary(replies: list[_Reply]) -> str | None:
    # `patch_vary_headers(response, ("origin",))` on every reply of an enabled URL.
    def test(reply: _Reply) -> str | None:
        if "origin" in _tokens(reply.get("Vary")):
            return "Vary: origin in lowercase (django-cors-headers patch_vary_headers)"
        return None

    return _first(replies, test)


# expressjs/cors lib/index.js (2.8.x): defaults `methods: 'GET,HEAD,PUT,PATCH,POST,DELETE'`,
# lists joined with ',' (no space), preflight ended with `res.statusCode = 204`, and
# `vary(res, 'Access-Control-Request-Headers')` when allowedHeaders is unset (the `vary` package
# appends to the Vary already holding "Origin").
_EXPRESS_DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def _express_vary(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        vary = reply.get("Vary")
        if reply.preflight and _tokens(vary) in (
            ["Origin", "Access-Control-Request-Headers"],
            ["Access-Control-Request-Headers"],
        ):
            return f"preflight Vary: {vary} (express cors reflecting request headers)"
        return None

    return _first(replies, test)


def _express_order(replies: list[_Reply]) -> str | None:
    # cors(): configureOrigin, configureCredentials, configureMethods, configureAllowedHeaders,
    # configureMaxAge, configureExposedHeaders, in that order.
    def test(reply: _Reply) -> str | None:
        if not reply.preflight or reply.get(ACAC) is None:
            return None
        if _in_order(reply, [ACAO, ACAC, ACAM, ACAH]):
            return (
                "preflight header order Allow-Origin, Allow-Credentials, Allow-Methods, "
                "Allow-Headers (express cors)"
            )
        return None

    return _first(replies, test)


def _methods_without_origin(why: str) -> Check:
    # An origin that is not allowed still gets the static preflight headers but no Allow-Origin:
    # express cors (`value: isAllowed ? requestOrigin : false`) and an nginx `map` allowlist
    # (`add_header` skips the empty `$cors_origin`).
    def check(replies: list[_Reply]) -> str | None:
        def test(reply: _Reply) -> str | None:
            if (
                reply.preflight
                and reply.response.status == 204
                and reply.get(ACAM) is not None
                and reply.get(ACAO) is None
            ):
                return f"204 preflight with {ACAM} but no {ACAO} for a refused origin ({why})"
            return None

        return _first(replies, test)

    return check


def _comma_no_space(why: str) -> Check:
    # Express (`join(',')`), Spring (`StringUtils.collectionToCommaDelimitedString`) and ASP.NET
    # Core (`SetCommaSeparatedValues`) join the method list without spaces.
    def check(replies: list[_Reply]) -> str | None:
        def test(reply: _Reply) -> str | None:
            value = reply.get(ACAM) or ""
            if reply.preflight and "," in value and ", " not in value:
                return f"{ACAM}: {value} joined without spaces ({why})"
            return None

        return _first(replies, test)

    return check


# spring-web org/springframework/web/cors/DefaultCorsProcessor.java (5.3-6.x): processRequest
# adds `Vary: Origin`, `Vary: Access-Control-Request-Method`, `Vary: Access-Control-Request-
# Headers` as three header lines before anything else; rejectRequest answers 403 with the body
# "Invalid CORS request".
_SPRING_REFUSAL = _digests(["Invalid CORS request"])
_SPRING_VARY = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]


def _spring_refusal(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        if reply.response.status == 403 and reply.body_is(_SPRING_REFUSAL):
            return '403 "Invalid CORS request" for a refused origin (Spring DefaultCorsProcessor)'
        return None

    return _first(replies, test)


def _vary_lines(reply: _Reply) -> list[str]:
    return reply.values("Vary")


def _spring_vary(*, preflight: bool) -> Check:
    def check(replies: list[_Reply]) -> str | None:
        def test(reply: _Reply) -> str | None:
            if reply.preflight != preflight:
                return None
            vary_at = reply.index("Vary")
            cors = [reply.index(n) for n in reply.cors_names()]
            before = vary_at is not None and all(vary_at < i for i in cors if i is not None)
            if _vary_lines(reply)[:3] == _SPRING_VARY and before:
                what = "preflight" if preflight else "actual reply"
                return (
                    f"{what} with Vary: Origin / Access-Control-Request-Method / "
                    "Access-Control-Request-Headers as three lines first (Spring "
                    "DefaultCorsProcessor)"
                )
            return None

        return _first(replies, test)

    return check


def _spring_security(replies: list[_Reply]) -> str | None:
    # Spring Security's default HeaderWriters: `X-XSS-Protection: 0` and `Expires: 0` together.
    def test(reply: _Reply) -> str | None:
        if reply.get("X-XSS-Protection") == "0" and reply.get("Expires") == "0":
            return "X-XSS-Protection: 0 with Expires: 0 (Spring Security default headers)"
        return None

    return _first(replies, test)


# dotnet/aspnetcore src/Middleware/CORS CorsMiddleware.cs: "always respond to preflight
# requests" with `StatusCodes.Status204NoContent`; CorsService.ApplyResult adds nothing when the
# origin is not allowed.
def _aspnet_refused_preflight(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        if (
            reply.preflight
            and reply.has_origin
            and reply.response.status == 204
            and not reply.cors_names()
            and reply.get("Vary") is None
        ):
            return (
                "204 preflight without any Access-Control-* or Vary for a refused origin "
                "(ASP.NET Core CorsMiddleware)"
            )
        return None

    return _first(replies, test)


# rs/cors cors.go (1.9+): preflight `Vary: Origin, Access-Control-Request-Method,
# Access-Control-Request-Headers` in one line, Allow-Methods = the requested method only,
# `optionsSuccessStatus` 204 by default. Go's net/http writes the handler's header map sorted
# by canonical name, then Date / Content-Length / Content-Type (server.go extraHeader).
_RS_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def _rs_vary(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        if reply.preflight and reply.get("Vary") in (_RS_VARY, _STARLETTE_VARY):
            return f"preflight Vary: {reply.get('Vary')} in one line (rs/cors preflightVary)"
        return None

    return _first(replies, test)


def _rs_single_method(replies: list[_Reply]) -> str | None:
    allowed = [r for r in replies if r.preflight and r.get(ACAM) is not None]
    if allowed and all(r.get(ACAM) == r.exchange.probe.request_method for r in allowed):
        return f"{ACAM} is exactly the requested method on every preflight (rs/cors)"
    return None


_GO_EXTRA = {"date", "content-length", "content-type", "connection", "transfer-encoding"}
"""What net/http writes after the sorted handler headers (a handler may set Content-Type)."""


def _canonical(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _go_order(replies: list[_Reply]) -> str | None:
    def test(reply: _Reply) -> str | None:
        names = reply.names()
        date = reply.index("Date")
        if date is None or date < 2:
            return None
        head, tail = names[:date], names[date:]
        if not any(n == "Vary" or n.startswith("Access-Control-") for n in head):
            return None
        if (
            head == sorted(head)
            and all(
                n == _canonical(n) and n.lower() not in ("date", "content-length") for n in head
            )
            and all(n.lower() in _GO_EXTRA for n in tail)
        ):
            return "headers sorted by canonical name, then Date (Go net/http)"
        return None

    return _first(replies, test)


def _nginx_layout(replies: list[_Reply]) -> str | None:
    # ngx_http_header_filter_module writes Server, Date, Content-Type, Content-Length, Connection
    # first; `add_header` lines and proxied upstream headers follow.
    def test(reply: _Reply) -> str | None:
        names = [n.lower() for n in reply.names()]
        cors = [i for i, n in enumerate(names) if n.startswith("access-control-")]
        if not cors or names[:2] != ["server", "date"] or "connection" not in names:
            return None
        if names.index("connection") < min(cors):
            return "Server, Date, …, Connection before every Access-Control-* line (nginx)"
        return None

    return _first(replies, test)


SIGNALS: Final[tuple[_Signal, ...]] = (
    # Starlette / FastAPI CORSMiddleware
    _Signal(Stack.STARLETTE, 0.9, _starlette_refusal),
    _Signal(Stack.STARLETTE, 0.5, _starlette_ok),
    _Signal(Stack.STARLETTE, 0.6, _starlette_safelisted),
    _Signal(Stack.STARLETTE, 0.4, _starlette_credentials_only),
    _Signal(
        Stack.STARLETTE,
        0.5,
        _exact_header("Vary", _STARLETTE_VARY, "Starlette preflight_headers"),
    ),
    _Signal(Stack.STARLETTE, 0.3, _server("uvicorn")),
    # flask-cors
    _Signal(
        Stack.FLASK_CORS,
        0.6,
        _exact_header(ACAM, _FLASK_DEFAULT_METHODS, "flask-cors default methods"),
    ),
    _Signal(Stack.FLASK_CORS, 0.6, _flask_pna_false),
    _Signal(Stack.FLASK_CORS, 0.3, _flask_always_send),
    _Signal(Stack.FLASK_CORS, 0.35, _flask_order),
    _Signal(Stack.FLASK_CORS, 0.3, _flask_allow),
    _Signal(Stack.FLASK_CORS, 0.15, _server("Werkzeug")),
    # django-cors-headers
    _Signal(Stack.DJANGO, 0.6, _django_lowercase),
    _Signal(Stack.DJANGO, 0.5, _django_vary),
    _Signal(
        Stack.DJANGO,
        0.7,
        _exact_header(ACAH, _DJANGO_DEFAULT_HEADERS, "django-cors-headers default_headers"),
    ),
    _Signal(
        Stack.DJANGO,
        0.6,
        _exact_header(ACAM, _DJANGO_DEFAULT_METHODS, "django-cors-headers default_methods"),
    ),
    _Signal(
        Stack.DJANGO,
        0.15,
        _exact_header(ACMA, "86400", "django-cors-headers CORS_PREFLIGHT_MAX_AGE default"),
    ),
    # express + cors
    _Signal(Stack.EXPRESS, 0.4, _powered_by("Express")),
    _Signal(
        Stack.EXPRESS,
        0.7,
        _exact_header(ACAM, _EXPRESS_DEFAULT_METHODS, "express cors default methods"),
    ),
    _Signal(Stack.EXPRESS, 0.6, _express_vary),
    _Signal(Stack.EXPRESS, 0.3, _express_order),
    _Signal(Stack.EXPRESS, 0.25, _methods_without_origin("express cors")),
    _Signal(Stack.EXPRESS, 0.2, _comma_no_space("express cors join(',')")),
    # Spring
    _Signal(Stack.SPRING, 0.9, _spring_refusal),
    _Signal(Stack.SPRING, 0.45, _spring_vary(preflight=True)),
    _Signal(Stack.SPRING, 0.45, _spring_vary(preflight=False)),
    _Signal(
        Stack.SPRING,
        0.4,
        _exact_header(ACAM, "GET,HEAD,POST", "Spring CorsConfiguration default methods"),
    ),
    _Signal(Stack.SPRING, 0.3, _exact_header(ACMA, "1800", "Spring @CrossOrigin default maxAge")),
    _Signal(Stack.SPRING, 0.3, _spring_security),
    _Signal(Stack.SPRING, 0.2, _comma_no_space("Spring collectionToCommaDelimitedString")),
    # ASP.NET Core
    _Signal(Stack.ASPNETCORE, 0.5, _server("Kestrel")),
    _Signal(Stack.ASPNETCORE, 0.3, _powered_by("ASP.NET")),
    _Signal(Stack.ASPNETCORE, 0.3, _aspnet_refused_preflight),
    _Signal(Stack.ASPNETCORE, 0.2, _comma_no_space("ASP.NET Core SetCommaSeparatedValues")),
    # Go rs/cors
    _Signal(Stack.RS_CORS, 0.25, _rs_vary),
    _Signal(Stack.RS_CORS, 0.4, _rs_single_method),
    _Signal(Stack.RS_CORS, 0.35, _go_order),
    # nginx add_header
    _Signal(Stack.NGINX, 0.4, _server("nginx", "openresty")),
    _Signal(Stack.NGINX, 0.25, _nginx_layout),
    _Signal(Stack.NGINX, 0.2, _methods_without_origin("nginx map + add_header")),
)
"""Every convention, with its weight: 0.9 for a body digest only that code writes, 0.5-0.7 for
a default value or quirk of one implementation, 0.15-0.4 for a banner or a shared habit."""


def _confidence(weights: Iterable[float]) -> float:
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    return round(1.0 - miss, 3)


GUESS_MEMO: Final = 1024
"""Most distinct reply sets whose guess `detect_stack` remembers (cleared when full)."""

_guesses: dict[tuple[_Seen, ...], StackGuess] = {}


def detect_stack(exchanges: Sequence[Exchange]) -> StackGuess:
    """The most likely stack behind these replies, or ``unknown`` (never raises).

    The guess depends only on the distinct `_Seen` of the exchanges, in order, so it is
    remembered by them: the targets behind one server mostly get the same replies, and a scan
    asks once per target."""
    try:
        distinct = _distinct(exchanges)
        key = tuple(distinct)
        guess = _guesses.get(key)
    except TypeError:  # a record holding something unhashable: guessed from every reply
        return _guess([_Reply(e, e.response) for e in exchanges if e.response is not None])
    if guess is None:
        guess = _guess([_Reply(e, e.response) for e in distinct.values() if e.response])
        if len(_guesses) >= GUESS_MEMO:
            _guesses.clear()
        _guesses[key] = guess
    return guess


def _guess(replies: list[_Reply]) -> StackGuess:
    if not replies:
        return UNKNOWN
    matched: dict[Stack, list[tuple[float, str]]] = {}
    for signal in SIGNALS:
        line = signal.check(replies)
        if line is not None:
            matched.setdefault(signal.stack, []).append((signal.weight, line))
    scored = sorted(
        ((_confidence(w for w, _ in hits), stack) for stack, hits in matched.items()),
        key=lambda pair: pair[0],
        reverse=True,
    )
    if not scored:
        return UNKNOWN
    best, stack = scored[0]
    tie = len(scored) > 1 and scored[1][0] == best
    if best < GUESS_THRESHOLD or tie:
        hints = tuple(
            f"{other} {score:.2f}: {line}" for score, other in scored for _, line in matched[other]
        )
        return StackGuess(Stack.UNKNOWN, 0.0, hints)
    return StackGuess(stack, best, tuple(line for _, line in matched[stack]))
