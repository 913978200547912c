"""BROWSER-MODEL.md §7.2 and §7.3 test vectors as plain data.

Each vector is what the §7.1 harness does: the page's fetch() calls (method, headers,
credentials, per-request options, timing), what the server answers (preflight, actual,
redirect hops, revalidation), written exactly (duplicate lines, leading/trailing spaces kept),
and the expected outcome in Chromium (ground truth), in ``spec`` mode where it differs, and in
other engines where BROWSER-MODEL.md gives one. Only the stdlib is used, so a real-browser harness
can replay the same table. This module has no tests of its own and never touches the network.

Server contract (as in §7.1): a request to ``Route.url`` that is ``OPTIONS`` with
``Access-Control-Request-Method`` gets ``Route.preflight``; a conditional request
(``If-None-Match``/``If-Modified-Since``) gets ``Route.revalidation`` when set; anything else gets
``Route.actual``. ``reflect_origin`` appends ``Access-Control-Allow-Origin: <request Origin>`` when
the request carried an Origin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

ORIGIN = "http://a.test:8000"
"""The initiator origin of §7.1."""
B = "http://b.test:8000"
C = "http://c.test:8000"

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"

HeaderLines = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Response:
    """One server answer, written exactly."""

    status: int
    headers: HeaderLines = ()
    reflect_origin: bool = False
    """Append ``ACAO: <request Origin>`` when the request had an Origin (v01, v02)."""


@dataclass(frozen=True, slots=True)
class Route:
    """What the server answers at one URL."""

    url: str
    actual: Response
    preflight: Response | None = None
    """Answer to OPTIONS carrying Access-Control-Request-Method; None = not defined ("-")."""
    revalidation: Response | None = None
    """Answer to a conditional request (x08)."""


@dataclass(frozen=True, slots=True)
class Call:
    """One fetch() the page makes."""

    method: str = "GET"
    headers: HeaderLines = ()
    credentials: str = "same-origin"
    mode: str = "cors"
    at: float = 0.0
    """Seconds after the vector's first call (a06-a08: 6.5)."""
    url: str | None = None
    """None = the vector's URL (its first route)."""
    use_cors_preflight_flag: bool = False
    """XHR with an upload listener (x07)."""
    body: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """The expected outcome of one call."""

    allowed: bool
    error: str | None = None
    """DevTools ``Network.CorsError`` name; None when allowed or for a plain TypeError."""
    readable: frozenset[str] | None = None
    """Which of ``Vector.readable_probe`` ``response.headers.get`` returns non-null for."""
    type_error: bool = False
    """fetch() throws before any network activity (x06)."""


@dataclass(frozen=True, slots=True)
class Expect:
    """Expected outcome of a vector in one browser/mode."""

    results: tuple[Result, ...]
    preflights: int
    actuals: int
    acrh: tuple[str | None, ...] | None = None
    """Access-Control-Request-Headers of each preflight seen, in order (None = not asserted)."""
    acrm: tuple[str, ...] | None = None
    """Access-Control-Request-Method of each preflight seen."""
    preflight_origins: tuple[str, ...] | None = None
    actual_origins: tuple[str | None, ...] | None = None
    """Origin header of each actual request seen (redirect-taint: r01, r02, x05)."""


@dataclass(frozen=True, slots=True)
class Vector:
    """One row of BROWSER-MODEL.md §7.2/§7.3."""

    id: str
    calls: tuple[Call, ...]
    routes: tuple[Route, ...]
    chromium: Expect
    spec: Expect | None = None
    """Expected outcome in spec mode; None = same as Chromium."""
    engines: tuple[tuple[str, Expect], ...] = ()
    """Other engines where the vector says what they do (Max-Age only: x02 firefox, x03 webkit)."""
    initiator: str = ORIGIN
    initiator_context: str = "page"
    """``page`` or ``sandboxed-iframe`` (``<iframe sandbox="allow-scripts">``, origin null)."""
    initiator_address_space: str | None = None
    target_address_space: str | None = None
    secure_context: bool | None = None
    browser_flags: tuple[str, ...] = ()
    """Extra Chromium command-line flags the observation used."""
    non_wildcard_request_headers: bool | None = None
    """Chromium's CorsNonWildcardRequestHeadersSupport feature forced on (x09)."""
    readable_probe: tuple[str, ...] = ()
    """Response header names the page tests with ``headers.get`` (e01-e07)."""
    section: str = "7.2"
    observed: bool = True
    """False for §7.3 rows that rest on sources only."""
    note: str = ""

    @property
    def url(self) -> str:
        """The URL of the first call (the vector's own target)."""
        return self.routes[0].url


def vurl(vid: str, n: int = 0, host: str = B) -> str:
    """The §7.1 target URL for a vector."""
    return f"{host}/t/{vid}/{n}"


def resp(status: int, *headers: tuple[str, str], reflect_origin: bool = False) -> Response:
    """A response with its header lines in order."""
    return Response(status, tuple(headers), reflect_origin)


ALLOW = Result(True)


def block(error: str | None) -> Result:
    """A blocked call with its CorsError name."""
    return Result(False, error)


def expect(
    *results: Result,
    pf: int,
    act: int,
    acrh: tuple[str | None, ...] | None = None,
    acrm: tuple[str, ...] | None = None,
    preflight_origins: tuple[str, ...] | None = None,
    actual_origins: tuple[str | None, ...] | None = None,
) -> Expect:
    """Shorthand for :class:`Expect`."""
    return Expect(tuple(results), pf, act, acrh, acrm, preflight_origins, actual_origins)


def one(
    vid: str,
    actual: Response,
    chromium: Expect,
    *,
    call: Call = Call(),
    calls: tuple[Call, ...] | None = None,
    preflight: Response | None = None,
    **extra: Any,
) -> Vector:
    """A vector with one target URL."""
    route = Route(vurl(vid), actual, preflight)
    return replace(Vector(vid, calls or (call,), (route,), chromium), **extra)


NONE = resp(200)
"""200 with no CORS headers."""
EXPOSE_BASE = (
    ("X-Secret", "s3cret"),
    ("X-Other", "o"),
    ("Content-Language", "en"),
    ("Set-Cookie", "a=b"),
    ("Server-Timing", "x"),
)
EXPOSE_PROBE = ("x-secret", "x-other", "content-language", "set-cookie", "server-timing")
TWICE = (Call("PUT"), Call("PUT"))
TWICE_LATER = (Call("PUT"), Call("PUT", at=6.5))


def readable(*names: str) -> Result:
    """An allowed call whose probed readable headers are ``names``."""
    return Result(True, None, frozenset(names))


def _s(vid: str, *acao: str, error: str | None = None) -> Vector:
    actual = resp(200, *((ACAO, v) for v in acao))
    result = ALLOW if error is None else block(error)
    return one(vid, actual, expect(result, pf=0, act=1))


SIMPLE: tuple[Vector, ...] = (
    _s("s01", "*"),
    _s("s02", ORIGIN),
    _s("s03", error="MissingAllowOriginHeader"),
    _s("s04", "http://a.test:8000/", error="AllowOriginMismatch"),
    _s("s05", "HTTP://A.TEST:8000", error="AllowOriginMismatch"),
    _s("s06", "http://a.test", error="AllowOriginMismatch"),
    _s("s07", "https://a.test:8000", error="AllowOriginMismatch"),
    _s("s08", "null", error="AllowOriginMismatch"),
    _s("s09", ORIGIN, ORIGIN, error="MultipleAllowOriginValues"),
    _s("s10", "http://a.test:8000, http://x.test", error="MultipleAllowOriginValues"),
    _s("s11", "http://a.test:8000 http://x.test", error="MultipleAllowOriginValues"),
    _s("s12", "  http://a.test:8000  "),
    _s("s13", "*", "*", error="MultipleAllowOriginValues"),
    _s("s14", "http://*.test:8000", error="AllowOriginMismatch"),
    _s("s15", "a.test:8000", error="AllowOriginMismatch"),
    _s("s16", '"http://a.test:8000"', error="InvalidAllowOriginValue"),
)


def _c(vid: str, credentials: str, *headers: tuple[str, str], error: str | None = None) -> Vector:
    result = ALLOW if error is None else block(error)
    return one(
        vid, resp(200, *headers), expect(result, pf=0, act=1), call=Call(credentials=credentials)
    )


CREDENTIALS: tuple[Vector, ...] = (
    _c("c01", "include", (ACAO, "*"), (ACAC, "true"), error="WildcardOriginNotAllowed"),
    _c("c02", "include", (ACAO, ORIGIN), error="InvalidAllowCredentials"),
    _c("c03", "include", (ACAO, ORIGIN), (ACAC, "true")),
    _c("c04", "include", (ACAO, ORIGIN), (ACAC, "True"), error="InvalidAllowCredentials"),
    _c(
        "c05",
        "include",
        (ACAO, ORIGIN),
        (ACAC, "true"),
        (ACAC, "true"),
        error="InvalidAllowCredentials",
    ),
    _c("c06", "omit", (ACAO, ORIGIN), (ACAC, "false")),
    _c("c07", "same-origin", (ACAO, "*"), (ACAC, "true")),
    _c("c08", "include", (ACAO, ORIGIN), (ACAC, "1"), error="InvalidAllowCredentials"),
    _c("c09", "include", (ACAO, ORIGIN), (ACAC, " true ")),
)

STATUS: tuple[Vector, ...] = (
    one("st1", resp(500, (ACAO, ORIGIN)), expect(ALLOW, pf=0, act=1)),
    one("st2", resp(404), expect(block("MissingAllowOriginHeader"), pf=0, act=1)),
    one("st3", resp(403, (ACAO, "*")), expect(ALLOW, pf=0, act=1)),
)

PF_O = resp(204, (ACAO, ORIGIN))
OK_O = resp(200, (ACAO, ORIGIN))
HEADER_DENIED = "HeaderDisallowedByPreflightResponse"
METHOD_DENIED = "MethodDisallowedByPreflightResponse"

PREFLIGHT_TRIGGERS: tuple[Vector, ...] = (
    one(
        "p01",
        OK_O,
        expect(ALLOW, pf=0, act=1),
        call=Call("POST", (("Content-Type", "text/plain"),), body="x"),
    ),
    one(
        "p02",
        OK_O,
        expect(ALLOW, pf=0, act=1),
        call=Call("POST", (("Content-Type", "application/x-www-form-urlencoded"),), body="a=b"),
    ),
    one(
        "p03",
        OK_O,
        expect(ALLOW, pf=0, act=1),
        call=Call("POST", (("Content-Type", "text/plain; charset=utf-8"),), body="x"),
    ),
    one(
        "p04",
        OK_O,
        expect(block(HEADER_DENIED), pf=1, act=0, acrh=("content-type",)),
        call=Call("POST", (("Content-Type", "application/json"),), body="{}"),
        preflight=PF_O,
    ),
    one(
        "p05",
        OK_O,
        expect(ALLOW, pf=1, act=1, acrh=("content-type",)),
        call=Call("POST", (("Content-Type", "application/json"),), body="{}"),
        preflight=resp(204, (ACAO, ORIGIN), (ACAH, "content-type")),
    ),
    one(
        "p06",
        OK_O,
        expect(ALLOW, pf=0, act=1),
        call=Call(
            "GET",
            (
                ("Accept", "application/json"),
                ("Content-Language", "en-US"),
                ("Accept-Language", "de"),
            ),
        ),
    ),
    one(
        "p07",
        OK_O,
        expect(block(HEADER_DENIED), pf=1, act=0, acrh=("accept",)),
        call=Call("GET", (("Accept", 'a"b'),)),
        preflight=PF_O,
    ),
    one(
        "p08",
        OK_O,
        expect(block(HEADER_DENIED), pf=1, act=0, acrh=("accept-language",)),
        call=Call("GET", (("Accept-Language", "a" * 129),)),
        preflight=PF_O,
    ),
    one(
        "p09",
        OK_O,
        expect(ALLOW, pf=0, act=1),
        call=Call("GET", (("DPR", "2"),)),
        preflight=PF_O,
        spec=expect(block(HEADER_DENIED), pf=1, act=0, acrh=("dpr",)),
        note="Chromium safelists DPR (CR-CORS); the standard does not",
    ),
    one("p10", OK_O, expect(ALLOW, pf=0, act=1), call=Call("GET", (("Range", "bytes=0-10"),))),
    one(
        "p11",
        OK_O,
        expect(block(HEADER_DENIED), pf=1, act=0, acrh=("range",)),
        call=Call("GET", (("Range", "bytes=-10"),)),
        preflight=PF_O,
    ),
    one("p12", OK_O, expect(ALLOW, pf=0, act=1), call=Call("HEAD")),
    one(
        "p13",
        OK_O,
        expect(block(METHOD_DENIED), pf=1, act=0, acrm=("OPTIONS",)),
        call=Call("OPTIONS"),
        preflight=PF_O,
    ),
    one(
        "p14",
        OK_O,
        expect(ALLOW, pf=1, act=1, acrh=("content-type,x-a,x-b",)),
        call=Call(
            "POST", (("X-B", "1"), ("X-A", "2"), ("Content-Type", "application/json")), body="{}"
        ),
        preflight=resp(204, (ACAO, ORIGIN), (ACAH, "x-a, X-B, content-type")),
    ),
    one(
        "p15",
        OK_O,
        expect(ALLOW, pf=0, act=1),
        call=Call("GET", (("Intervention", "anything<>"),)),
        preflight=PF_O,
        spec=expect(block(HEADER_DENIED), pf=1, act=0, acrh=("intervention",)),
        note="Chromium safelists Intervention (CR-CORS); the standard does not",
    ),
)


def _m(
    vid: str,
    method: str,
    *pf_headers: tuple[str, str],
    error: str | None = None,
    credentials: str = "same-origin",
    actual: Response = OK_O,
    acrm: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Vector:
    result = ALLOW if error is None else block(error)
    return one(
        vid,
        actual,
        expect(
            result,
            pf=1,
            act=0 if error else 1,
            acrm=None if acrm is None else (acrm,),
        ),
        call=Call(method, headers, credentials),
        preflight=resp(204, *pf_headers),
    )


OK_O_CRED = resp(200, (ACAO, ORIGIN), (ACAC, "true"))

METHODS: tuple[Vector, ...] = (
    _m("m01", "PUT", (ACAO, ORIGIN), (ACAM, "PUT")),
    _m("m02", "PUT", (ACAO, ORIGIN), error=METHOD_DENIED),
    _m("m03", "PUT", (ACAO, ORIGIN), (ACAM, "*")),
    _m(
        "m04",
        "PUT",
        (ACAO, ORIGIN),
        (ACAC, "true"),
        (ACAM, "*"),
        error=METHOD_DENIED,
        credentials="include",
        actual=OK_O_CRED,
    ),
    _m(
        "m05",
        "PUT",
        (ACAO, ORIGIN),
        (ACAC, "true"),
        (ACAM, "PUT"),
        credentials="include",
        actual=OK_O_CRED,
    ),
    _m(
        "m06",
        "PUT",
        (ACAO, ORIGIN),
        (ACAM, "PUT"),
        error="PreflightInvalidAllowCredentials",
        credentials="include",
        actual=OK_O_CRED,
    ),
    _m(
        "m07",
        "PUT",
        (ACAO, "*"),
        (ACAC, "true"),
        (ACAM, "PUT"),
        error="PreflightWildcardOriginNotAllowed",
        credentials="include",
        actual=OK_O_CRED,
    ),
    _m("m08", "patch", (ACAO, ORIGIN), (ACAM, "PATCH"), error=METHOD_DENIED, acrm="patch"),
    _m("m09", "PATCH", (ACAO, ORIGIN), (ACAM, "patch"), error=METHOD_DENIED, acrm="PATCH"),
    _m("m10", "put", (ACAO, ORIGIN), (ACAM, "put"), error=METHOD_DENIED, acrm="PUT"),
    _m("m11", "delete", (ACAO, ORIGIN), (ACAM, "DELETE"), acrm="DELETE"),
    _m(
        "m12",
        "PUT",
        (ACAO, ORIGIN),
        (ACAM, "PUT DELETE"),
        error="InvalidAllowMethodsPreflightResponse",
    ),
    _m("m13", "PUT", (ACAO, ORIGIN), (ACAM, "GET,  PUT ,DELETE")),
    _m("m14", "PUT", (ACAO, ORIGIN), (ACAM, "GET"), (ACAM, "PUT")),
    _m("m15", "PATCH", (ACAO, ORIGIN), (ACAM, "GET, PATCH,")),
    _m("m16", "POST", (ACAO, ORIGIN), (ACAH, "X-Foo"), headers=(("X-Foo", "1"),)),
    _m("m17", "PUT", (ACAO, ORIGIN), (ACAM, '"PUT"'), error="InvalidAllowMethodsPreflightResponse"),
)


def _q(
    vid: str,
    status: int,
    *pf_headers: tuple[str, str],
    error: str | None = None,
    actual: Response = OK_O,
    act: int | None = None,
) -> Vector:
    result = ALLOW if error is None else block(error)
    actuals = act if act is not None else (0 if error else 1)
    return one(
        vid,
        actual,
        expect(result, pf=1, act=actuals),
        call=Call("PUT"),
        preflight=resp(status, *pf_headers),
    )


PREFLIGHT_STATUS: tuple[Vector, ...] = (
    _q("q01", 200, (ACAO, ORIGIN), (ACAM, "PUT")),
    _q("q02", 299, (ACAO, ORIGIN), (ACAM, "PUT")),
    _q("q03", 404, (ACAO, ORIGIN), (ACAM, "PUT"), error="PreflightInvalidStatus"),
    _q("q04", 500, (ACAO, ORIGIN), (ACAM, "PUT"), error="PreflightInvalidStatus"),
    _q(
        "q05",
        302,
        (ACAO, ORIGIN),
        (ACAM, "PUT"),
        ("Location", "http://b.test:8000/elsewhere"),
        error="PreflightDisallowedRedirect",
    ),
    _q("q06", 204, (ACAM, "PUT"), error="PreflightMissingAllowOriginHeader"),
    _q(
        "q07",
        204,
        (ACAO, ORIGIN),
        (ACAM, "PUT"),
        error="MissingAllowOriginHeader",
        actual=NONE,
        act=1,
    ),
    _q("q08", 204, (ACAO, "*"), (ACAM, "PUT"), actual=resp(200, (ACAO, "*"))),
    _q(
        "q09",
        204,
        (ACAO, ORIGIN),
        (ACAO, ORIGIN),
        (ACAM, "PUT"),
        error="PreflightMultipleAllowOriginValues",
    ),
    _q("q10", 300, (ACAO, ORIGIN), (ACAM, "PUT"), error="PreflightInvalidStatus"),
)


def _h(
    vid: str,
    headers: tuple[tuple[str, str], ...],
    *pf_headers: tuple[str, str],
    acrh: str,
    error: str | None = None,
    credentials: str = "same-origin",
    **extra: Any,
) -> Vector:
    result = ALLOW if error is None else block(error)
    actual = OK_O_CRED if credentials == "include" else OK_O
    return one(
        vid,
        actual,
        expect(result, pf=1, act=0 if error else 1, acrh=(acrh,)),
        call=Call("GET", headers, credentials),
        preflight=resp(204, *pf_headers),
        **extra,
    )


FOO = (("X-Foo", "1"),)
FOO_BAR = (("X-Foo", "1"), ("X-Bar", "2"))
AUTH = (("Authorization", "Bearer x"),)

HEADERS: tuple[Vector, ...] = (
    _h("h01", FOO, (ACAO, ORIGIN), (ACAH, "x-foo"), acrh="x-foo"),
    _h("h02", FOO, (ACAO, ORIGIN), (ACAH, "*"), acrh="x-foo"),
    _h(
        "h03",
        FOO,
        (ACAO, ORIGIN),
        (ACAC, "true"),
        (ACAH, "*"),
        acrh="x-foo",
        error=HEADER_DENIED,
        credentials="include",
    ),
    _h(
        "h04",
        AUTH,
        (ACAO, ORIGIN),
        (ACAH, "*"),
        acrh="authorization",
        spec=expect(block(HEADER_DENIED), pf=1, act=0, acrh=("authorization",)),
        note="Authorization is the CORS non-wildcard request-header name; Chromium's "
        "CorsNonWildcardRequestHeadersSupport is disabled by default (§3.4)",
    ),
    _h("h05", AUTH, (ACAO, ORIGIN), (ACAH, "*, Authorization"), acrh="authorization"),
    _h("h06", AUTH, (ACAO, ORIGIN), (ACAH, "authorization"), acrh="authorization"),
    _h(
        "h07",
        FOO,
        (ACAO, ORIGIN),
        (ACAH, "X-Foo X-Bar"),
        acrh="x-foo",
        error="InvalidAllowHeadersPreflightResponse",
    ),
    _h("h08", FOO_BAR, (ACAO, ORIGIN), (ACAH, "X-Foo"), acrh="x-bar,x-foo", error=HEADER_DENIED),
    _h("h09", FOO_BAR, (ACAO, ORIGIN), (ACAH, "X-Foo"), (ACAH, "x-bar"), acrh="x-bar,x-foo"),
    _h(
        "h10",
        FOO,
        (ACAO, ORIGIN),
        (ACAC, "true"),
        (ACAH, "X-Foo"),
        acrh="x-foo",
        credentials="include",
    ),
    _h(
        "h11",
        AUTH,
        (ACAO, ORIGIN),
        (ACAC, "true"),
        (ACAH, "*"),
        acrh="authorization",
        error=HEADER_DENIED,
        credentials="include",
    ),
)


def _e(
    vid: str, cors: tuple[tuple[str, str], ...], *names: str, credentials: str = "same-origin"
) -> Vector:
    return one(
        vid,
        resp(200, *cors, *EXPOSE_BASE),
        expect(readable(*names), pf=0, act=1),
        call=Call(credentials=credentials),
        readable_probe=EXPOSE_PROBE,
    )


EXPOSURE: tuple[Vector, ...] = (
    _e("e01", ((ACAO, ORIGIN),), "content-language"),
    _e("e02", ((ACAO, ORIGIN), (ACEH, "X-Secret")), "x-secret", "content-language"),
    # §4 [obs] e03: every name is exposed, server-timing included.
    _e(
        "e03",
        ((ACAO, ORIGIN), (ACEH, "*")),
        "x-secret",
        "x-other",
        "content-language",
        "server-timing",
    ),
    _e(
        "e04",
        ((ACAO, ORIGIN), (ACAC, "true"), (ACEH, "*")),
        "content-language",
        credentials="include",
    ),
    _e("e05", ((ACAO, ORIGIN), (ACEH, "Set-Cookie, X-Secret")), "x-secret", "content-language"),
    _e("e06", ((ACAO, ORIGIN), (ACEH, "X-Secret X-Other")), "content-language"),
    _e(
        "e07",
        ((ACAO, ORIGIN), (ACEH, "x-secret"), (ACEH, "X-OTHER")),
        "x-secret",
        "x-other",
        "content-language",
    ),
)


def _n(
    vid: str, *headers: tuple[str, str], error: str | None = None, credentials: str = "same-origin"
) -> Vector:
    result = ALLOW if error is None else block(error)
    return one(
        vid,
        resp(200, *headers),
        expect(result, pf=0, act=1),
        call=Call(credentials=credentials),
        initiator="null",
        initiator_context="sandboxed-iframe",
    )


NULL_ORIGIN: tuple[Vector, ...] = (
    _n("n01", (ACAO, "null")),
    _n("n02", (ACAO, "*")),
    _n("n03", (ACAO, ORIGIN), error="AllowOriginMismatch"),
    _n("n04", (ACAO, "null"), (ACAC, "true"), credentials="include"),
    _n("n05", (ACAO, "Null"), error="InvalidAllowOriginValue"),
)


def _r(
    vid: str,
    hop: tuple[tuple[str, str], ...],
    final: Response,
    target_host: str,
    result: Result,
    act: int,
    origins: tuple[str | None, ...],
) -> Vector:
    final_url = vurl(vid, 1, target_host)
    routes = (
        Route(vurl(vid), resp(302, ("Location", final_url), *hop)),
        Route(final_url, final),
    )
    return Vector(vid, (Call(),), routes, expect(result, pf=0, act=act, actual_origins=origins))


REDIRECTS: tuple[Vector, ...] = (
    _r("r01", ((ACAO, ORIGIN),), OK_O, C, block("AllowOriginMismatch"), 2, (ORIGIN, "null")),
    _r("r02", ((ACAO, ORIGIN),), resp(200, (ACAO, "null")), C, ALLOW, 2, (ORIGIN, "null")),
    _r("r03", (), resp(200, (ACAO, "*")), C, block("MissingAllowOriginHeader"), 1, (ORIGIN,)),
    _r("r04", ((ACAO, ORIGIN),), OK_O, B, ALLOW, 2, (ORIGIN, ORIGIN)),
)


def _a(
    vid: str, acma: tuple[str, ...], pf: int, calls: tuple[Call, ...] = TWICE, **extra: Any
) -> Vector:
    headers = ((ACAO, ORIGIN), (ACAM, "PUT"), *((ACMA, v) for v in acma))
    return one(
        vid,
        OK_O,
        expect(ALLOW, ALLOW, pf=pf, act=2),
        calls=calls,
        preflight=resp(204, *headers),
        **extra,
    )


MAX_AGE: tuple[Vector, ...] = (
    _a("a01", (), 1),
    _a("a02", ("0",), 2),
    _a(
        "a03",
        ("-1",),
        2,
        spec=expect(ALLOW, ALLOW, pf=1, act=2),
        note="spec: `-1` is not delta-seconds → failure → 5 s; Chromium clamps negatives to 0",
    ),
    _a("a04", ("abc",), 1),
    _a("a05", ("600",), 1),
    _a("a06", (), 2, TWICE_LATER),
    _a("a07", ("abc",), 2, TWICE_LATER),
    _a("a08", ("5.5",), 2, TWICE_LATER),
    _a("a09", ("10", "20"), 1),
)

HTTP_CACHE: tuple[Vector, ...] = (
    one(
        "v01",
        resp(200, ("Cache-Control", "max-age=600"), reflect_origin=True),
        expect(ALLOW, block("MissingAllowOriginHeader"), pf=0, act=1),
        calls=(Call(mode="no-cors"), Call()),
        note="the no-cors copy (no ACAO) is served from the HTTP cache to the CORS fetch",
    ),
    one(
        "v02",
        resp(200, ("Cache-Control", "max-age=600"), ("Vary", "Origin"), reflect_origin=True),
        expect(ALLOW, ALLOW, pf=0, act=2),
        calls=(Call(mode="no-cors"), Call()),
        note="Vary: Origin forces a refetch for the CORS request",
    ),
)

K_PF = resp(204, (ACAO, ORIGIN), (ACAM, "PUT"), (ACMA, "600"))

PREFLIGHT_CACHE: tuple[Vector, ...] = (
    one(
        "k01",
        OK_O_CRED,
        expect(ALLOW, ALLOW, pf=2, act=2),
        calls=(Call("PUT", credentials="omit"), Call("PUT", credentials="include")),
        preflight=resp(204, (ACAO, ORIGIN), (ACAC, "true"), (ACAM, "PUT"), (ACMA, "600")),
    ),
    one(
        "k02",
        OK_O_CRED,
        expect(ALLOW, ALLOW, pf=1, act=2),
        calls=(Call("PUT", credentials="include"), Call("PUT", credentials="omit")),
        preflight=resp(204, (ACAO, ORIGIN), (ACAC, "true"), (ACAM, "PUT"), (ACMA, "600")),
    ),
    one(
        "k03",
        OK_O,
        expect(ALLOW, block(METHOD_DENIED), pf=2, act=1, acrm=("PUT", "DELETE")),
        calls=(Call("PUT"), Call("DELETE")),
        preflight=K_PF,
    ),
    one(
        "k04",
        OK_O,
        expect(ALLOW, ALLOW, pf=1, act=2),
        calls=(Call("PUT"), Call("DELETE")),
        preflight=resp(204, (ACAO, ORIGIN), (ACAM, "*"), (ACMA, "600")),
    ),
    one(
        "k05",
        OK_O,
        expect(ALLOW, block(HEADER_DENIED), pf=2, act=1, acrh=("x-foo", "x-bar,x-foo")),
        calls=(Call(headers=(("X-Foo", "1"),)), Call(headers=(("X-Foo", "1"), ("X-Bar", "1")))),
        preflight=resp(204, (ACAO, ORIGIN), (ACAH, "X-Foo"), (ACMA, "600")),
    ),
    one(
        "k06",
        OK_O,
        expect(ALLOW, ALLOW, pf=1, act=2, acrh=("x-foo",)),
        calls=(Call(headers=(("X-Foo", "1"),)), Call(headers=(("X-Foo", "1"), ("X-Bar", "1")))),
        preflight=resp(204, (ACAO, ORIGIN), (ACAH, "*"), (ACMA, "600")),
    ),
    one(
        "k07",
        NONE,
        expect(block("MissingAllowOriginHeader"), block("MissingAllowOriginHeader"), pf=1, act=2),
        calls=TWICE,
        preflight=K_PF,
        spec=expect(
            block("MissingAllowOriginHeader"), block("MissingAllowOriginHeader"), pf=2, act=2
        ),
        note="BROWSER-MODEL.md §7.2 says 'same', but FETCH main fetch clears the preflight cache "
        "after a network error (§3.6), so spec mode re-preflights; Chromium does not",
    ),
)

LNA_OVERRIDE = "--ip-address-space-overrides=127.0.0.1:8000=public"

LOCAL_NETWORK: tuple[Vector, ...] = (
    Vector(
        "l01",
        (Call(),),
        (
            Route(
                vurl("l01", host="http://b.test:8001"),
                resp(200, (ACAO, ORIGIN), (ACAPN, "true")),
                resp(204, (ACAO, ORIGIN), (ACAPN, "true")),
            ),
        ),
        expect(block("InsecureLocalNetwork"), pf=0, act=0),
        spec=expect(block("InsecurePrivateNetwork"), pf=0, act=0),
        initiator_address_space="public",
        target_address_space="loopback",
        browser_flags=(LNA_OVERRIDE,),
        note="with --unsafely-treat-insecure-origin-as-secure: permission denied instead",
    ),
    Vector(
        "l02",
        (Call(),),
        (Route(vurl("l02"), OK_O),),
        expect(ALLOW, pf=0, act=1),
        initiator_address_space="public",
        target_address_space="public",
        browser_flags=(LNA_OVERRIDE,),
    ),
)


PF_STAR = resp(204, (ACAO, "*"), (ACAM, "PUT"))

MORE: tuple[Vector, ...] = (
    one(
        "x01",
        OK_O,
        expect(ALLOW, ALLOW, pf=2, act=2),
        calls=(Call("PUT"), Call("PUT", at=3 * 3600)),
        preflight=resp(204, (ACAO, ORIGIN), (ACAM, "PUT"), (ACMA, "86400")),
        spec=expect(ALLOW, ALLOW, pf=1, act=2),
        section="7.3",
        observed=False,
        note="Chromium caps at 7200 s; spec mode imposes no limit",
    ),
    one(
        "x02",
        OK_O,
        expect(ALLOW, ALLOW, pf=1, act=2),
        calls=TWICE,
        preflight=resp(204, (ACAO, ORIGIN), (ACAM, "PUT"), (ACMA, "abc")),
        engines=(("firefox", expect(ALLOW, ALLOW, pf=2, act=2)),),
        section="7.3",
        observed=False,
        note="Firefox does not cache an invalid Max-Age",
    ),
    one(
        "x03",
        OK_O,
        expect(ALLOW, ALLOW, pf=1, act=2),
        calls=(Call("PUT"), Call("PUT", at=11 * 60)),
        preflight=resp(204, (ACAO, ORIGIN), (ACAM, "PUT"), (ACMA, "3600")),
        engines=(("webkit", expect(ALLOW, ALLOW, pf=2, act=2)),),
        section="7.3",
        observed=False,
        note="WebKit caps at 600 s; Chromium's 7200 s cap keeps it",
    ),
    Vector(
        "x04",
        (Call(),),
        (
            Route(
                vurl("x04"),
                resp(302, ("Location", "http://u:p@c.test:8000/t/x04/1"), (ACAO, ORIGIN)),
            ),
            Route(vurl("x04", 1, C), OK_O),
        ),
        expect(block("RedirectContainsCredentials"), pf=0, act=1),
        section="7.3",
    ),
    Vector(
        "x05",
        (Call("PUT"),),
        (
            Route(vurl("x05"), resp(302, ("Location", vurl("x05", 1, C)), (ACAO, "*")), PF_STAR),
            Route(vurl("x05", 1, C), resp(200, (ACAO, "*")), PF_STAR),
        ),
        expect(
            ALLOW, pf=2, act=2, preflight_origins=(ORIGIN, "null"), actual_origins=(ORIGIN, "null")
        ),
        section="7.3",
    ),
    one(
        "x06",
        OK_O,
        expect(Result(False, None, type_error=True), pf=0, act=0),
        call=Call("CONNECT"),
        section="7.3",
    ),
    one(
        "x07",
        OK_O,
        expect(ALLOW, pf=1, act=1, acrm=("POST",), acrh=(None,)),
        call=Call(
            "POST", (("Content-Type", "text/plain"),), use_cors_preflight_flag=True, body="x"
        ),
        preflight=PF_O,
        section="7.3",
        observed=False,
        note="XHR with an upload.onprogress listener; ACAM absent → methods = [POST]",
    ),
    Vector(
        "x08",
        (Call(), Call(at=1)),
        (
            Route(
                vurl("x08"),
                resp(200, (ACAO, ORIGIN), ("Cache-Control", "no-cache"), ("ETag", '"v1"')),
                revalidation=resp(304, ("ETag", '"v1"')),
            ),
        ),
        expect(ALLOW, ALLOW, pf=0, act=2),
        section="7.3",
        observed=False,
        note="the 304 revalidation response has no ACAO and is not CORS-checked",
    ),
    one(
        "x09",
        OK_O,
        expect(block(HEADER_DENIED), pf=1, act=0, acrh=("authorization",)),
        call=Call("GET", AUTH),
        preflight=resp(204, (ACAO, ORIGIN), (ACAH, "*")),
        non_wildcard_request_headers=True,
        browser_flags=("--enable-features=CorsNonWildcardRequestHeadersSupport",),
        section="7.3",
        note="h04 with spec enforcement on",
    ),
    one(
        "x10",
        OK_O,
        expect(ALLOW, ALLOW, ALLOW, pf=2, act=3),
        calls=(Call("PUT"), Call("PUT", at=7199), Call("PUT", at=7200)),
        preflight=resp(204, (ACAO, ORIGIN), (ACAM, "PUT"), (ACMA, "7201")),
        spec=expect(ALLOW, ALLOW, ALLOW, pf=1, act=3),
        section="7.3",
        observed=False,
        note="7201 is clamped to 7200 s in Chromium (7200 itself unit-tested); no cap in spec",
    ),
)

VECTORS: tuple[Vector, ...] = (
    SIMPLE
    + CREDENTIALS
    + STATUS
    + PREFLIGHT_TRIGGERS
    + METHODS
    + PREFLIGHT_STATUS
    + HEADERS
    + EXPOSURE
    + NULL_ORIGIN
    + REDIRECTS
    + MAX_AGE
    + HTTP_CACHE
    + PREFLIGHT_CACHE
    + LOCAL_NETWORK
    + MORE
)
"""Every vector of BROWSER-MODEL.md §7.2 and §7.3, in document order."""

BY_ID: dict[str, Vector] = {v.id: v for v in VECTORS}


def _ids(prefix: str, count: int, width: int = 2) -> list[str]:
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


EXPECTED_IDS: tuple[str, ...] = tuple(
    _ids("s", 16)
    + _ids("c", 9)
    + _ids("st", 3, 1)
    + _ids("p", 15)
    + _ids("m", 17)
    + _ids("q", 10)
    + _ids("h", 11)
    + _ids("e", 7)
    + _ids("n", 5)
    + _ids("r", 4)
    + _ids("a", 9)
    + _ids("v", 2)
    + _ids("k", 7)
    + _ids("l", 2)
    + _ids("x", 10)
)
"""The ids BROWSER-MODEL.md §7.2/§7.3 list; a test proves VECTORS has exactly these."""
