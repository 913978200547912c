"""Tests of the browser model (cors_audit.browser): every BROWSER-MODEL.md §7 vector replayed
through simulate_fetch, plus unit tables for each public function."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.spec_vectors import BY_ID, EXPECTED_IDS, VECTORS, Expect, Vector

from cors_audit.browser import (
    FAILURE,
    AllowOriginShape,
    CorsError,
    Engine,
    FetchOutcome,
    HttpCache,
    Mode,
    PreflightCache,
    PreflightVerdict,
    SimCache,
    SimRequest,
    SimResponse,
    WireRequest,
    allow_origin_shape,
    cors_check,
    cors_unsafe_request_header_names,
    exposed_header_names,
    extract_header_list_values,
    header_get,
    is_browser_sendable_origin,
    is_cors_safelisted_method,
    is_cors_safelisted_request_header,
    is_credentials_true,
    is_forbidden_method,
    is_no_store,
    is_ok_status,
    is_redirect,
    max_age,
    needs_preflight,
    normalize_method,
    preflight_check,
    simulate_fetch,
    url_origin,
    vary_names,
)

ORIGIN = "http://a.test:8000"
H = tuple[tuple[str, str], ...]


# ------------------------------------------------------------------------------------------
# vector replay


def _server(vector: Vector) -> Callable[[WireRequest], SimResponse]:
    routes = {route.url: route for route in vector.routes}

    def answer(request: WireRequest) -> SimResponse:
        route = routes[request.url]
        if request.method == "OPTIONS" and request.acrm is not None:
            if route.preflight is None:
                return SimResponse(404)  # the harness has no preflight answer ("-")
            chosen = route.preflight
        elif route.revalidation is not None and (
            header_get(request.headers, "If-None-Match") is not None
        ):
            chosen = route.revalidation
        else:
            chosen = route.actual
        headers = chosen.headers
        if chosen.reflect_origin and request.origin is not None:
            headers = (*headers, ("Access-Control-Allow-Origin", request.origin))
        return SimResponse(chosen.status, headers)

    return answer


def _replay(
    vector: Vector, mode: Mode, engine: Engine | None = None
) -> tuple[list[FetchOutcome], list[WireRequest]]:
    cache = SimCache(preflight=PreflightCache(engine=engine))
    server = _server(vector)
    outcomes = []
    for call in vector.calls:
        request = SimRequest(
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
        outcomes.append(
            simulate_fetch(
                request,
                server,
                cache=cache,
                now=call.at,
                mode=mode,
                non_wildcard_request_headers=(
                    vector.non_wildcard_request_headers if mode == "chromium" else None
                ),
            )
        )
    wire = [w for outcome in outcomes for w in outcome.wire]
    return outcomes, wire


def _check(vector: Vector, expected: Expect, mode: Mode, engine: Engine | None = None) -> None:
    outcomes, wire = _replay(vector, mode, engine)
    assert len(outcomes) == len(expected.results)
    for index, (outcome, result) in enumerate(zip(outcomes, expected.results, strict=True)):
        where = f"{vector.id} call {index + 1} ({mode})"
        assert outcome.allowed is result.allowed, f"{where}: {outcome}"
        assert (outcome.error.value if outcome.error else None) == result.error, where
        if result.type_error:
            assert outcome.message, where
            assert not outcome.wire, where
        if result.readable is not None:
            seen = {n for n in vector.readable_probe if n in outcome.readable_headers}
            assert seen == result.readable, where
    preflights = [w for w in wire if w.preflight]
    actuals = [w for w in wire if not w.preflight]
    assert len(preflights) == expected.preflights, f"{vector.id} ({mode}) preflights"
    assert len(actuals) == expected.actuals, f"{vector.id} ({mode}) actual requests"
    if expected.acrh is not None:
        assert tuple(w.acrh for w in preflights) == expected.acrh
    if expected.acrm is not None:
        assert tuple(w.acrm for w in preflights) == expected.acrm
    if expected.preflight_origins is not None:
        assert tuple(w.origin for w in preflights) == expected.preflight_origins
    if expected.actual_origins is not None:
        assert tuple(w.origin for w in actuals) == expected.actual_origins
    assert all(not w.credentials for w in preflights), "preflights never carry credentials"


@pytest.mark.parametrize("vector", [pytest.param(v, id=v.id) for v in VECTORS])
def test_vector_chromium(vector: Vector) -> None:
    _check(vector, vector.chromium, "chromium")


@pytest.mark.parametrize("vector", [pytest.param(v, id=v.id) for v in VECTORS])
def test_vector_spec(vector: Vector) -> None:
    _check(vector, vector.spec or vector.chromium, "spec")


@pytest.mark.parametrize(
    ("vector", "engine", "expected"),
    [
        pytest.param(v, engine, expected, id=f"{v.id}-{engine}")
        for v in VECTORS
        for engine, expected in v.engines
    ],
)
def test_vector_other_engine_max_age(vector: Vector, engine: Engine, expected: Expect) -> None:
    _check(vector, expected, "chromium", engine)


def test_vector_table_is_complete() -> None:
    ids = [v.id for v in VECTORS]
    assert len(ids) == len(set(ids)), "duplicate vector ids"
    assert set(ids) == set(EXPECTED_IDS)
    assert len(EXPECTED_IDS) == 127


def test_vectors_with_a_spec_difference() -> None:
    differing = {v.id for v in VECTORS if v.spec is not None}
    assert {"p09", "p15", "h04", "a03"} <= differing


def test_vector_data_is_exact() -> None:
    # Given the table is meant for a real-browser replay, raw header lines must survive.
    assert BY_ID["s09"].routes[0].actual.headers == (
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Origin", ORIGIN),
    )
    assert BY_ID["s12"].routes[0].actual.headers[0][1] == "  http://a.test:8000  "
    assert BY_ID["p08"].calls[0].headers[0][1] == "a" * 129


def test_r01_final_hop_sent_origin_null() -> None:
    _, wire = _replay(BY_ID["r01"], "chromium")
    assert [w.url for w in wire] == ["http://b.test:8000/t/r01/0", "http://c.test:8000/t/r01/1"]
    assert wire[1].origin == "null"


def test_x04_and_l01_send_nothing_beyond_the_hop() -> None:
    outcomes, wire = _replay(BY_ID["l01"], "chromium")
    assert not wire
    assert "not a secure context" in outcomes[0].message


def test_l01_secure_context_without_permission_is_denied() -> None:
    request = SimRequest(
        url="http://b.test:8001/",
        initiator="https://a.test",
        initiator_address_space="public",
        target_address_space="loopback",
    )
    outcome = simulate_fetch(request, _unreachable)
    assert outcome.error is CorsError.LOCAL_NETWORK_ACCESS_PERMISSION_DENIED
    assert "Permission was denied" in outcome.message


def test_lna_permission_granted_proceeds() -> None:
    request = SimRequest(
        url="http://b.test:8001/",
        initiator="https://a.test",
        initiator_address_space="local",
        target_address_space="loopback",
        lna_permission=True,
    )
    outcome = simulate_fetch(request, _fixed(SimResponse(200, (("ACAO", "x"),))))
    assert outcome.error is CorsError.MISSING_ALLOW_ORIGIN_HEADER
    assert len(outcome.actuals) == 1


def _unreachable(request: WireRequest) -> SimResponse:
    raise AssertionError(f"no request may be sent, got {request}")


def _fixed(response: SimResponse) -> Callable[[WireRequest], SimResponse]:
    return lambda _request: response


# ------------------------------------------------------------------------------------------
# simulate_fetch details not covered by a vector


@pytest.mark.parametrize(
    ("method", "mode", "message"),
    [
        pytest.param("trace", "cors", "'trace' HTTP method is unsupported.", id="trace"),
        pytest.param("GE T", "cors", "'GE T' is not a valid HTTP method.", id="not-token"),
        pytest.param("PUT", "no-cors", "'PUT' is unsupported in no-cors mode.", id="no-cors-put"),
    ],
)
def test_fetch_type_errors(method: str, mode: str, message: str) -> None:
    request = SimRequest(url="http://b.test/", method=method, mode=mode)  # type: ignore[arg-type]
    outcome = simulate_fetch(request, _unreachable)
    assert not outcome
    assert outcome.error is None
    assert outcome.message == message


@pytest.mark.parametrize(
    ("field", "value"),
    [pytest.param("credentials", "always", id="credentials"), pytest.param("mode", "x", id="mode")],
)
def test_sim_request_rejects_bad_values(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"SimRequest.{field}"):
        SimRequest(url="http://b.test/", **{field: value})  # type: ignore[arg-type]


def test_same_origin_fetch_is_basic_and_sends_cookies() -> None:
    request = SimRequest(url="http://a.test:8000/x", headers=(("X-Foo", "1"),))
    response = SimResponse(200, (("X-Secret", "1"), ("Set-Cookie", "a=b")))
    outcome = simulate_fetch(request, _fixed(response))
    assert outcome.response_type == "basic"
    assert outcome.readable_headers == {"x-secret"}
    assert not outcome.preflights
    assert outcome.actuals[0].credentials
    assert outcome.actuals[0].origin is None  # no Origin on a same-origin GET


def test_same_origin_post_sends_origin() -> None:
    request = SimRequest(url="http://a.test:8000/x", method="POST")
    outcome = simulate_fetch(request, _fixed(SimResponse(200)))
    assert outcome.actuals[0].origin == ORIGIN


def test_no_cors_is_opaque_and_drops_unsafe_headers() -> None:
    request = SimRequest(
        url="http://b.test/",
        mode="no-cors",
        headers=(("X-Foo", "1"), ("Accept", "text/html"), ("Cookie", "a=b")),
    )
    outcome = simulate_fetch(request, _fixed(SimResponse(200, (("X", "1"),))))
    assert outcome.allowed
    assert outcome.response_type == "opaque"
    assert outcome.response is None
    assert outcome.readable_headers == frozenset()
    assert outcome.actuals[0].headers == (("Accept", "text/html"),)


def test_redirect_303_turns_post_into_get_and_drops_body_headers() -> None:
    seen: list[WireRequest] = []

    def server(request: WireRequest) -> SimResponse:
        seen.append(request)
        if request.url.endswith("/0"):
            return SimResponse(303, (("Location", "/1"), ("Access-Control-Allow-Origin", "*")))
        return SimResponse(200, (("Access-Control-Allow-Origin", "*"),))

    request = SimRequest(
        url="http://b.test/0", method="POST", headers=(("Content-Type", "text/plain"),)
    )
    outcome = simulate_fetch(request, server)
    assert outcome.allowed
    assert [(w.method, w.url) for w in seen] == [
        ("POST", "http://b.test/0"),
        ("GET", "http://b.test/1"),
    ]
    assert header_get(seen[1].headers, "Content-Type") is None
    assert seen[1].origin == ORIGIN  # same-origin hop: not tainted (r04)


def test_cross_origin_redirect_drops_authorization() -> None:
    seen: list[WireRequest] = []

    def server(request: WireRequest) -> SimResponse:
        seen.append(request)
        if request.preflight:
            return SimResponse(
                204, (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "*"))
            )
        if request.url.startswith("http://b.test"):
            return SimResponse(
                302, (("Location", "http://c.test/"), ("Access-Control-Allow-Origin", "*"))
            )
        return SimResponse(200, (("Access-Control-Allow-Origin", "*"),))

    request = SimRequest(url="http://b.test/", headers=(("Authorization", "Bearer x"),))
    outcome = simulate_fetch(request, server)
    assert outcome.allowed
    assert [w.url for w in outcome.preflights] == ["http://b.test/"]  # c needs no preflight
    assert header_get(outcome.actuals[-1].headers, "Authorization") is None


def test_redirect_to_unsupported_scheme() -> None:
    response = SimResponse(
        302, (("Location", "ftp://b.test/"), ("Access-Control-Allow-Origin", "*"))
    )
    outcome = simulate_fetch(SimRequest(url="http://b.test/"), _fixed(response))
    assert outcome.error is CorsError.CORS_DISABLED_SCHEME
    outcome = simulate_fetch(SimRequest(url="http://b.test/", mode="no-cors"), _fixed(response))
    assert not outcome.allowed
    assert outcome.error is None


def test_too_many_redirects() -> None:
    response = SimResponse(302, (("Location", "/loop"), ("Access-Control-Allow-Origin", "*")))
    outcome = simulate_fetch(SimRequest(url="http://b.test/"), _fixed(response))
    assert outcome.message == "net::ERR_TOO_MANY_REDIRECTS"
    assert len(outcome.actuals) == 21


def test_redirect_credentials_in_same_origin_location_are_allowed() -> None:
    def server(request: WireRequest) -> SimResponse:
        if request.url == "http://b.test/":
            return SimResponse(302, (("Location", "http://u:p@a.test:8000/"),))
        return SimResponse(200)

    request = SimRequest(url="http://b.test/", mode="no-cors")
    assert simulate_fetch(request, server).allowed


def test_spec_mode_clears_preflight_cache_on_failed_preflight() -> None:
    cache = SimCache()
    good = SimResponse(
        204,
        (("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Methods", "PUT, DELETE")),
    )
    ok = SimResponse(200, (("Access-Control-Allow-Origin", ORIGIN),))
    responses = {"OPTIONS": good, "PUT": ok, "DELETE": ok}

    def server(request: WireRequest) -> SimResponse:
        return responses[request.method]

    put = SimRequest(url="http://b.test/", method="PUT")
    assert simulate_fetch(put, server, cache=cache, mode="spec").allowed
    assert len(cache.preflight) == 2  # one method entry each
    responses["OPTIONS"] = SimResponse(500, good.headers)
    patch = SimRequest(url="http://b.test/", method="PATCH")
    outcome = simulate_fetch(patch, server, cache=cache, mode="spec")
    assert outcome.error is CorsError.PREFLIGHT_INVALID_STATUS
    assert len(cache.preflight) == 0


def test_http_cache_vary_star_and_uncacheable() -> None:
    http = HttpCache()
    http.store("u", (), SimResponse(200, (("Cache-Control", "max-age=60"), ("Vary", "*"))), 0)
    assert http.lookup("u", (), 1) is None
    http.store("v", (), SimResponse(200, (("Cache-Control", "no-store, max-age=60"),)), 0)
    http.store("w", (), SimResponse(404, (("Cache-Control", "max-age=60"),)), 0)
    assert len(http) == 1
    http.store("x", (), SimResponse(200, (("Cache-Control", "max-age=60"),)), 0)
    assert http.lookup("x", (), 59) is not None
    assert http.lookup("x", (), 60) is None  # expired, no validator


def test_revalidation_uses_last_modified() -> None:
    http = HttpCache()
    http.store(
        "u", (), SimResponse(200, (("Last-Modified", "d"), ("Cache-Control", "no-cache"))), 0
    )
    found = http.lookup("u", (), 0)
    assert found is not None
    assert found[0] == "stale"


def test_preflight_cache_ignores_firefox_uncacheable() -> None:
    cache = PreflightCache(engine="firefox")
    verdict = PreflightVerdict(True, None, ("PUT",), ())
    cache.store(ORIGIN, "u", "omit", verdict, None, 0)
    cache.store(ORIGIN, "u", "omit", PreflightVerdict(False), 5, 0)
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("entry_headers", "request_headers", "non_wildcard", "hit"),
    [
        pytest.param(("*",), ["authorization"], False, True, id="chromium-star-authorization"),
        pytest.param(("*",), ["authorization"], True, False, id="enforced-star-authorization"),
        pytest.param(("x-a",), ["x-a"], True, True, id="listed"),
    ],
)
@pytest.mark.parametrize("mode", ["chromium", "spec"])
def test_preflight_cache_header_matching(
    entry_headers: tuple[str, ...],
    request_headers: list[str],
    non_wildcard: bool,
    hit: bool,
    mode: Mode,
) -> None:
    cache = PreflightCache()
    cache.store(ORIGIN, "u", "omit", PreflightVerdict(True, None, (), entry_headers), 10, 0, mode)
    assert (
        cache.can_skip_preflight(
            ORIGIN,
            "u",
            "omit",
            "GET",
            request_headers,
            1,
            mode,
            non_wildcard_request_headers=non_wildcard,
        )
        is hit
    )


def test_spec_cache_credentials_and_expiry() -> None:
    cache = PreflightCache()
    verdict = PreflightVerdict(True, None, ("PUT",), ())
    cache.store(ORIGIN, "u", "omit", verdict, 5, 0, "spec")
    assert cache.can_skip_preflight(ORIGIN, "u", "omit", "PUT", [], 4, "spec")
    assert not cache.can_skip_preflight(ORIGIN, "u", "include", "PUT", [], 4, "spec")
    assert not cache.can_skip_preflight(ORIGIN, "u", "omit", "PUT", [], 5, "spec")
    assert not cache.can_skip_preflight(ORIGIN, "v", "omit", "PUT", [], 4, "spec")


# ------------------------------------------------------------------------------------------
# §1.1 header primitives


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param((), None, id="absent"),
        pytest.param((("access-control-allow-origin", " x "),), "x", id="ows-stripped"),
        pytest.param((("ACAO", "a"), ("Acao", "b")), "a, b", id="joined-any-case"),
        pytest.param((("ACAO", ""),), "", id="empty-value"),
    ],
)
def test_header_get(headers: H, expected: str | None) -> None:
    name = (
        "Access-Control-Allow-Origin" if headers and headers[0][0].startswith("access") else "acao"
    )
    assert header_get(headers, name) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param((), None, id="absent"),
        pytest.param(("PUT DELETE",), FAILURE, id="m12-space"),
        pytest.param(("GET,  PUT ,DELETE",), ["GET", "PUT", "DELETE"], id="m13-spaces"),
        pytest.param(("GET", "PUT"), ["GET", "PUT"], id="m14-two-lines"),
        pytest.param(("GET, PATCH,",), ["GET", "PATCH"], id="m15-trailing-comma"),
        pytest.param(('"PUT"',), FAILURE, id="m17-quoted"),
        pytest.param(("X-Foo X-Bar",), FAILURE, id="h07-space"),
        pytest.param((",,",), [], id="only-empty"),
        pytest.param(("a/b",), FAILURE, id="slash"),
    ],
)
def test_extract_list_values(lines: tuple[str, ...], expected: object) -> None:
    headers = tuple(("Access-Control-Allow-Methods", v) for v in lines)
    assert extract_header_list_values(headers, "access-control-allow-methods") == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(("600",), ["600"], id="digits"),
        pytest.param(("10", "20"), FAILURE, id="repeated"),
        pytest.param(("-1",), FAILURE, id="negative"),
        pytest.param(("5.5",), FAILURE, id="decimal"),
    ],
)
def test_extract_single_value(lines: tuple[str, ...], expected: object) -> None:
    headers = tuple(("Access-Control-Max-Age", v) for v in lines)
    assert extract_header_list_values(headers, "Access-Control-Max-Age") == expected


def test_failure_repr() -> None:
    assert repr(FAILURE) == "FAILURE"


# ------------------------------------------------------------------------------------------
# §1.3 methods


@pytest.mark.parametrize(
    ("method", "normalized"),
    [
        pytest.param("patch", "patch", id="m08-patch-kept"),
        pytest.param("put", "PUT", id="m10-put"),
        pytest.param("delete", "DELETE", id="m11-delete"),
        pytest.param("oPtIoNs", "OPTIONS", id="options"),
        pytest.param("Foo", "Foo", id="custom"),
    ],
)
def test_normalize_method(method: str, normalized: str) -> None:
    assert normalize_method(method) == normalized


def test_method_predicates() -> None:
    assert all(is_forbidden_method(m) for m in ("CONNECT", "trace", "Track"))
    assert not is_forbidden_method("GET")
    assert all(is_cors_safelisted_method(m) for m in ("GET", "HEAD", "POST"))
    assert not any(is_cors_safelisted_method(m) for m in ("get", "PUT", "OPTIONS"))


# ------------------------------------------------------------------------------------------
# §3.1 request headers


@pytest.mark.parametrize(
    ("name", "value", "chromium", "spec_mode"),
    [
        pytest.param("Accept", "application/json", True, True, id="accept"),
        pytest.param("Accept", 'a"b', False, False, id="p07-accept-quote"),
        pytest.param("Accept", "a\tb", True, True, id="accept-tab-ok"),
        pytest.param("Accept-Language", "a" * 129, False, False, id="p08-129-bytes"),
        pytest.param("Accept-Language", "a" * 128, True, True, id="128-bytes"),
        pytest.param("Content-Language", "en_US", False, False, id="lang-underscore"),
        pytest.param("Content-Type", "text/plain; charset=utf-8", True, True, id="p03"),
        pytest.param("Content-Type", "TEXT/Plain", True, True, id="ct-case"),
        pytest.param("Content-Type", "application/json", False, False, id="p04"),
        pytest.param("Content-Type", "text/plain garbage", False, False, id="ct-bad-subtype"),
        pytest.param("Content-Type", "textplain", False, False, id="ct-no-slash"),
        pytest.param("Content-Type", "text/plain(", False, False, id="ct-unsafe-byte"),
        pytest.param("Range", "bytes=0-10", True, True, id="p10"),
        pytest.param("Range", "bytes=5-", True, True, id="open-range"),
        pytest.param("Range", "bytes=-10", False, False, id="p11-suffix"),
        pytest.param("Range", "bytes=10-5", False, False, id="reversed"),
        pytest.param("Range", "Bytes=0-1", True, False, id="unit-case"),
        pytest.param("Range", "bytes=0-1,3-4", False, False, id="multi"),
        pytest.param("DPR", "2", True, False, id="p09-dpr"),
        pytest.param("DPR", "2.5", True, False, id="dpr-decimal"),
        pytest.param("DPR", "2.", False, False, id="dpr-bad"),
        pytest.param("Downlink", "1.5", True, False, id="downlink"),
        pytest.param("Width", "100", True, False, id="width"),
        pytest.param("RTT", "1.5", False, False, id="rtt-int-only"),
        pytest.param("ECT", "4g", True, False, id="ect"),
        pytest.param("ECT", "5g", False, False, id="ect-bad"),
        pytest.param("Save-Data", "On", True, False, id="save-data"),
        pytest.param("Save-Data", "off", False, False, id="save-data-off"),
        pytest.param("Intervention", "anything<>", True, False, id="p15-intervention"),
        pytest.param("X-Foo", "1", False, False, id="custom"),
        pytest.param("Accept", "\u0100" * 65, False, False, id="non-latin1-bytes"),
    ],
)
def test_safelisted_request_header(name: str, value: str, chromium: bool, spec_mode: bool) -> None:
    assert is_cors_safelisted_request_header(name, value, "chromium") is chromium
    assert is_cors_safelisted_request_header(name, value, "spec") is spec_mode


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(
            (("X-B", "1"), ("X-A", "2"), ("Content-Type", "application/json")),
            ["content-type", "x-a", "x-b"],
            id="p14-sorted",
        ),
        pytest.param((("X-A", "1"), ("x-a", "2")), ["x-a"], id="dedup"),
        pytest.param(
            (("Cookie", "a"), ("Sec-Foo", "1"), ("Proxy-X", "1"), ("Origin", "x")),
            [],
            id="forbidden",
        ),
        pytest.param((("X-HTTP-Method-Override", "GET, trace"),), [], id="override-forbidden"),
        pytest.param(
            (("X-HTTP-Method-Override", "PUT"),), ["x-http-method-override"], id="override-ok"
        ),
        pytest.param(
            tuple(("Accept", "a" * 128) for _ in range(9)), ["accept"], id="over-1024-bytes"
        ),
        pytest.param(tuple(("Accept", "a" * 128) for _ in range(8)), [], id="exactly-1024-bytes"),
        pytest.param((("User-Agent", "x"),), [], id="user-agent-chromium"),
    ],
)
def test_unsafe_header_names(headers: H, expected: list[str]) -> None:
    assert cors_unsafe_request_header_names(headers) == expected


def test_user_agent_is_unsafe_in_spec_mode() -> None:
    assert cors_unsafe_request_header_names((("User-Agent", "x"),), "spec") == ["user-agent"]


@pytest.mark.parametrize(
    ("method", "headers", "flag", "mode", "expected"),
    [
        pytest.param("GET", (), False, "chromium", False, id="simple"),
        pytest.param("post", (), False, "chromium", False, id="normalized-post"),
        pytest.param("patch", (), False, "chromium", True, id="patch"),
        pytest.param("OPTIONS", (), False, "chromium", True, id="p13"),
        pytest.param("POST", (), True, "chromium", True, id="x07-flag"),
        pytest.param("GET", (("DPR", "2"),), False, "chromium", False, id="p09-chromium"),
        pytest.param("GET", (("DPR", "2"),), False, "spec", True, id="p09-spec"),
    ],
)
def test_needs_preflight(method: str, headers: H, flag: bool, mode: Mode, expected: bool) -> None:
    assert needs_preflight(method, headers, mode, use_cors_preflight_flag=flag) is expected


# ------------------------------------------------------------------------------------------
# §2 CORS check


@pytest.mark.parametrize(
    ("origin", "credentials", "headers", "error"),
    [
        pytest.param(ORIGIN, "omit", (("ACAO", "*"),), None, id="wildcard"),
        pytest.param(ORIGIN, "include", (("ACAO", "*"),), "WildcardOriginNotAllowed", id="c01"),
        pytest.param(ORIGIN, "omit", (), "MissingAllowOriginHeader", id="missing"),
        pytest.param(ORIGIN, "omit", (("ACAO", "null"),), "AllowOriginMismatch", id="s08"),
        pytest.param("null", "omit", (("ACAO", "null"),), None, id="n01"),
        pytest.param(ORIGIN, "omit", (("ACAO", "Null"),), "InvalidAllowOriginValue", id="n05"),
        pytest.param(ORIGIN, "omit", (("ACAO", '"x"'),), "InvalidAllowOriginValue", id="s16"),
        pytest.param(ORIGIN, "omit", (("ACAO", "a.test:8000"),), "AllowOriginMismatch", id="s15"),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://*.test:8000"),), "AllowOriginMismatch", id="s14"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://"),), "InvalidAllowOriginValue", id="no-host"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://a:99999"),), "InvalidAllowOriginValue", id="port"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://a:x"),), "InvalidAllowOriginValue", id="port-x"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://[::1]:80"),), "AllowOriginMismatch", id="v6"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://[::1"),), "InvalidAllowOriginValue", id="v6-open"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://[zz]"),), "InvalidAllowOriginValue", id="v6-bad"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://[::1]x"),), "InvalidAllowOriginValue", id="v6-tail"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "http://u@b.test"),), "AllowOriginMismatch", id="userinfo"
        ),
        pytest.param(
            ORIGIN, "omit", (("ACAO", "*"), ("ACAO", "*")), "MultipleAllowOriginValues", id="s13"
        ),
        pytest.param(ORIGIN, "include", (("ACAO", ORIGIN),), "InvalidAllowCredentials", id="c02"),
        pytest.param(ORIGIN, "include", (("ACAO", ORIGIN), ("ACAC", " true ")), None, id="c09"),
        pytest.param(
            ORIGIN, "same-origin", (("ACAO", ORIGIN), ("ACAC", "nope")), None, id="c06-like"
        ),
    ],
)
def test_cors_check(origin: str, credentials: str, headers: H, error: str | None) -> None:
    headers = tuple(
        (
            n.replace("ACAO", "Access-Control-Allow-Origin").replace(
                "ACAC", "Access-Control-Allow-Credentials"
            ),
            v,
        )
        for n, v in headers
    )
    verdict = cors_check(origin, credentials, headers)  # type: ignore[arg-type]
    assert bool(verdict) is (error is None)
    assert (verdict.error.value if verdict.error else None) == error


def test_is_credentials_true() -> None:
    acac = "Access-Control-Allow-Credentials"
    assert is_credentials_true(((acac, "true"),))
    assert not is_credentials_true(((acac, "true"), (acac, "true")))
    assert not is_credentials_true(((acac, "TRUE"),))
    assert not is_credentials_true(())


def test_status_helpers() -> None:
    assert is_ok_status(200)
    assert is_ok_status(299)
    assert not is_ok_status(300)
    assert is_redirect(302, (("Location", "/x"),))
    assert not is_redirect(300, (("Location", "/x"),))
    assert not is_redirect(302, ())


def test_every_pdl_error_name_present() -> None:
    names = {e.value for e in CorsError}
    assert len(names) == 36
    assert {"PreflightAllowOriginMismatch", "PrivateNetworkAccessPermissionDenied"} <= names
    assert CorsError.MISSING_ALLOW_ORIGIN_HEADER.preflight_variant is (
        CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER
    )
    assert (
        CorsError.PREFLIGHT_INVALID_STATUS.preflight_variant is CorsError.PREFLIGHT_INVALID_STATUS
    )


# ------------------------------------------------------------------------------------------
# §3.3 preflight


def _pf(*lines: tuple[str, str]) -> H:
    return (("Access-Control-Allow-Origin", ORIGIN), *lines)


@pytest.mark.parametrize(
    ("kwargs", "status", "headers", "error"),
    [
        pytest.param({}, 302, _pf(("Location", "/x")), "PreflightDisallowedRedirect", id="q05"),
        pytest.param({}, 300, _pf(), "PreflightInvalidStatus", id="q10"),
        pytest.param({}, 204, (), "PreflightMissingAllowOriginHeader", id="q06"),
        pytest.param(
            {},
            204,
            _pf(("Access-Control-Allow-Methods", "PUT DELETE")),
            "InvalidAllowMethodsPreflightResponse",
            id="m12",
        ),
        pytest.param(
            {"unsafe": ["x-foo"]},
            204,
            _pf(("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "a b")),
            "InvalidAllowHeadersPreflightResponse",
            id="h07",
        ),
        pytest.param({}, 204, _pf(("Access-Control-Allow-Methods", "PUT")), None, id="m01"),
        pytest.param(
            {"method": "POST", "flag": True}, 204, _pf(), None, id="x07-flag-defaults-methods"
        ),
        pytest.param(
            {"method": "PATCH", "flag": True}, 204, _pf(), None, id="flag-methods-is-request"
        ),
        pytest.param(
            {"unsafe": ["authorization"]},
            204,
            _pf(("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "*")),
            None,
            id="h04-chromium",
        ),
        pytest.param(
            {"unsafe": ["authorization"], "mode": "spec"},
            204,
            _pf(("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "*")),
            "HeaderDisallowedByPreflightResponse",
            id="h04-spec",
        ),
        pytest.param(
            {"unsafe": ["authorization"], "mode": "spec"},
            204,
            _pf(
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "*, Authorization"),
            ),
            None,
            id="h05-spec",
        ),
    ],
)
def test_preflight_check(
    kwargs: dict[str, object], status: int, headers: H, error: str | None
) -> None:
    verdict = preflight_check(
        ORIGIN,
        "same-origin",
        str(kwargs.get("method", "PUT")),
        list(kwargs.get("unsafe", [])),  # type: ignore[call-overload]
        status,
        headers,
        kwargs.get("mode", "chromium"),  # type: ignore[arg-type]
        use_cors_preflight_flag=bool(kwargs.get("flag", False)),
    )
    assert (verdict.error.value if verdict.error else None) == error
    assert bool(verdict) is (error is None)
    if verdict:
        assert verdict.max_age == 5


def test_preflight_verdict_carries_parsed_lists() -> None:
    headers = _pf(
        ("Access-Control-Allow-Methods", "PUT, patch"),
        ("Access-Control-Allow-Headers", "X-Foo"),
        ("Access-Control-Max-Age", "86400"),
    )
    verdict = preflight_check(ORIGIN, "omit", "PUT", ["x-foo"], 204, headers)
    assert verdict.methods == ("PUT", "patch")
    assert verdict.headers == ("x-foo",)
    assert verdict.max_age == 7200
    assert preflight_check(ORIGIN, "omit", "PUT", ["x-foo"], 204, headers, "spec").max_age == 86400


# ------------------------------------------------------------------------------------------
# §3.5 Max-Age


@pytest.mark.parametrize(
    ("lines", "chromium", "spec_engine", "firefox", "webkit"),
    [
        pytest.param((), 5, 5, 5, 5, id="absent"),
        pytest.param(("0",), 0, 0, 0, 0, id="zero"),
        pytest.param(("-1",), 0, 5, None, 0, id="negative"),
        pytest.param(("abc",), 5, 5, None, 5, id="abc"),
        pytest.param(("5.5",), 5, 5, None, 5, id="decimal"),
        pytest.param(("10, 20",), 5, 5, None, 5, id="comma-list"),
        pytest.param(("10", "20"), 5, 5, None, 5, id="two-lines"),
        pytest.param(("600",), 600, 600, 600, 600, id="600"),
        pytest.param(("7200",), 7200, 7200, 7200, 600, id="7200"),
        pytest.param(("7201",), 7200, 7201, 7201, 600, id="7201"),
        pytest.param(("86400",), 7200, 86400, 86400, 600, id="86400"),
        pytest.param(("100000",), 7200, 100000, 86400, 600, id="over-a-day"),
        pytest.param(("+5",), 5, 5, None, 5, id="plus-sign"),
        pytest.param(("",), 5, 5, 5, 5, id="empty"),
        pytest.param(("99999999999999999999",), 5, 99999999999999999999, 86400, 5, id="overflow"),
    ],
)
def test_max_age(
    lines: tuple[str, ...],
    chromium: int | None,
    spec_engine: int | None,
    firefox: int | None,
    webkit: int | None,
) -> None:
    headers = tuple(("Access-Control-Max-Age", v) for v in lines)
    assert max_age(headers) == chromium
    assert max_age(headers, "spec") == spec_engine
    assert max_age(headers, "firefox") == firefox
    assert max_age(headers, "webkit") == webkit


# ------------------------------------------------------------------------------------------
# §4 exposure

_BASE = (
    ("X-Secret", "s"),
    ("Content-Language", "en"),
    ("Set-Cookie", "a=b"),
    ("Set-Cookie2", "c=d"),
)


@pytest.mark.parametrize(
    ("aceh", "credentials", "expected"),
    [
        pytest.param((), "omit", {"content-language"}, id="safelist-only"),
        pytest.param(("X-SECRET",), "omit", {"x-secret", "content-language"}, id="listed"),
        pytest.param(
            ("*",),
            "omit",
            {"x-secret", "content-language", "access-control-expose-headers"},
            id="star",
        ),
        pytest.param(("*",), "include", {"content-language"}, id="star-credentialed"),
        pytest.param(
            ("*, X-Secret",), "include", {"x-secret", "content-language"}, id="star-and-name"
        ),
        pytest.param(
            ("Set-Cookie, Set-Cookie2",), "omit", {"content-language"}, id="never-cookies"
        ),
        pytest.param(("X-Secret X-Other",), "omit", {"content-language"}, id="invalid"),
    ],
)
def test_exposed_header_names(aceh: tuple[str, ...], credentials: str, expected: set[str]) -> None:
    headers = _BASE + tuple(("Access-Control-Expose-Headers", v) for v in aceh)
    assert exposed_header_names(headers, credentials) == expected  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# §1.2 origins and ACAO shapes


@pytest.mark.parametrize(
    ("lines", "shape"),
    [
        pytest.param((), AllowOriginShape.ABSENT, id="absent"),
        pytest.param(("*",), AllowOriginShape.WILDCARD, id="wildcard"),
        pytest.param((" null ",), AllowOriginShape.NULL, id="null"),
        pytest.param((ORIGIN,), AllowOriginShape.ORIGIN, id="origin"),
        pytest.param((ORIGIN, ORIGIN), AllowOriginShape.MULTIPLE, id="s09-two-lines"),
        pytest.param(("*", "*"), AllowOriginShape.MULTIPLE, id="s13"),
        pytest.param((f"{ORIGIN}, http://x.test",), AllowOriginShape.MULTIPLE, id="s10-comma"),
        pytest.param((f"{ORIGIN} http://x.test",), AllowOriginShape.MULTIPLE, id="s11-space"),
        pytest.param((f"{ORIGIN}/",), AllowOriginShape.INVALID, id="s04-trailing-slash"),
        pytest.param(("HTTP://A.TEST:8000",), AllowOriginShape.INVALID, id="s05-uppercase"),
        pytest.param(("http://A.test",), AllowOriginShape.INVALID, id="uppercase-host"),
        pytest.param(("http://*.test:8000",), AllowOriginShape.INVALID, id="s14-star-host"),
        pytest.param(("*.example.com",), AllowOriginShape.INVALID, id="star-domain"),
        pytest.param(("a.test:8000",), AllowOriginShape.INVALID, id="s15-schemeless"),
        pytest.param((f'"{ORIGIN}"',), AllowOriginShape.INVALID, id="s16-quoted"),
        pytest.param(("Null",), AllowOriginShape.INVALID, id="n05-Null"),
        pytest.param(("http://a.test/path",), AllowOriginShape.INVALID, id="path"),
        pytest.param(("",), AllowOriginShape.INVALID, id="empty"),
    ],
)
def test_allow_origin_shape(lines: tuple[str, ...], shape: AllowOriginShape) -> None:
    headers = tuple(("Access-Control-Allow-Origin", v) for v in lines)
    assert allow_origin_shape(headers) is shape


@pytest.mark.parametrize(
    ("value", "sendable"),
    [
        pytest.param("null", True, id="null"),
        pytest.param("https://example.com", True, id="https"),
        pytest.param("http://a.test:8000", True, id="port"),
        pytest.param("https://xn--bcher-kva.example", True, id="punycode"),
        pytest.param("https://app.example.com_.evil.net", True, id="underscore"),
        pytest.param("https://example.com.", True, id="trailing-dot"),
        pytest.param("http://127.0.0.1:8080", True, id="ipv4"),
        pytest.param("http://[::1]", True, id="ipv6-loopback"),
        pytest.param("http://[2001:db8::1]:8080", True, id="ipv6"),
        pytest.param("http://[1::2:0:0:3:4]", True, id="ipv6-first-longest"),
        pytest.param("http://[1:0:0:2::3:4]", False, id="ipv6-not-first-longest"),
        pytest.param("http://[1:2:3:4:5:6:7:8]", True, id="ipv6-full"),
        pytest.param("http://[::ffff:102:304]", True, id="ipv4-mapped-hex"),
        pytest.param("chrome-extension://abcdefghijklmnop", True, id="extension"),
        pytest.param("http://localhost:0", True, id="port-zero"),
        pytest.param("Null", False, id="Null"),
        pytest.param("https://example.com/", False, id="trailing-slash"),
        pytest.param("https://example.com/x", False, id="path"),
        pytest.param("https://u@example.com", False, id="userinfo"),
        pytest.param("HTTPS://EXAMPLE.COM", False, id="uppercase"),
        pytest.param("https://Example.com", False, id="uppercase-host"),
        pytest.param("https://example.com:443", False, id="default-port"),
        pytest.param("http://example.com:80", False, id="default-port-http"),
        pytest.param("http://example.com:080", False, id="leading-zero-port"),
        pytest.param("http://example.com:65536", False, id="port-range"),
        pytest.param("https://bücher.example", False, id="unicode"),
        pytest.param("https://evil.com`.victim.com", False, id="backtick"),
        pytest.param("https://evil.com}.victim.com", False, id="brace"),
        pytest.param("https://evil.com%60.victim.com", False, id="percent"),
        pytest.param("https://a..b", False, id="empty-label"),
        pytest.param("https://", False, id="no-host"),
        pytest.param("evil.com", False, id="schemeless"),
        pytest.param("ftp://example.com", False, id="ftp"),
        pytest.param("file://", False, id="file"),
        pytest.param("http://[0:0:0:0:0:0:0:1]", False, id="ipv6-uncompressed"),
        pytest.param("http://[::FFFF:1.2.3.4]", False, id="ipv6-upper"),
        pytest.param("http://[::ffff:1.2.3.4]", False, id="ipv6-dotted"),
        pytest.param("http://[fe80::1%25eth0]", False, id="ipv6-zone"),
        pytest.param("http://[zz]", False, id="ipv6-garbage"),
        pytest.param("http://1.2.3", False, id="ipv4-short"),
        pytest.param("http://0x7f.0.0.1", False, id="ipv4-hex"),
        pytest.param("http://1.2.3.4.", False, id="ipv4-trailing-dot"),
        pytest.param("https://example.com, https://victim.com", False, id="list"),
    ],
)
def test_is_browser_sendable_origin(value: str, sendable: bool) -> None:
    assert is_browser_sendable_origin(value) is sendable


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        pytest.param("http://B.test:80/x", "http://b.test", id="default-port"),
        pytest.param("https://b.test:8443/", "https://b.test:8443", id="port"),
        pytest.param("http://[::1]:8000/", "http://[::1]:8000", id="ipv6"),
        pytest.param("data:text/plain,x", "null", id="opaque"),
        pytest.param("http://b.test:99999/", "http://b.test", id="bad-port"),
    ],
)
def test_url_origin(url: str, origin: str) -> None:
    assert url_origin(url) == origin


def test_wire_request_accessors() -> None:
    wire = WireRequest(
        "OPTIONS",
        "u",
        (
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-a"),
            ("Origin", ORIGIN),
        ),
        preflight=True,
    )
    assert (wire.acrm, wire.acrh, wire.origin) == ("PUT", "x-a", ORIGIN)
    assert SimResponse(302, (("Location", "/n"),)).location == "/n"


@pytest.mark.parametrize(
    ("initiator", "secure_context", "insecure"),
    [
        pytest.param("http://localhost:3000", None, False, id="localhost"),
        pytest.param("http://app.localhost", None, False, id="dot-localhost"),
        pytest.param("http://127.0.0.1:8000", None, False, id="loopback-ip"),
        pytest.param("wss://a.test", None, False, id="wss"),
        pytest.param("http://10.0.0.1", None, True, id="private-ip"),
        pytest.param(ORIGIN, True, False, id="treated-as-secure"),
    ],
)
@pytest.mark.parametrize(
    ("mode", "names"),
    [
        # Chromium 156 reports the LNA-era names (tests/browser: l01, bl01, bl02).
        pytest.param(
            "chromium",
            ("InsecureLocalNetwork", "LocalNetworkAccessPermissionDenied"),
            id="chromium",
        ),
        pytest.param(
            "spec", ("InsecurePrivateNetwork", "PrivateNetworkAccessPermissionDenied"), id="spec"
        ),
    ],
)
def test_lna_secure_context(
    initiator: str,
    secure_context: bool | None,
    insecure: bool,
    mode: Mode,
    names: tuple[str, str],
) -> None:
    request = SimRequest(
        url="http://b.test:8001/",
        initiator=initiator,
        initiator_address_space="public",
        target_address_space="local",
        secure_context=secure_context,
    )
    outcome = simulate_fetch(request, _unreachable, mode=mode)
    assert outcome.error is not None
    assert outcome.error.value == names[0 if insecure else 1]


def test_http_cache_vary_match_serves_cached_copy() -> None:
    http = HttpCache()
    stored = SimResponse(200, (("Cache-Control", "max-age=60"), ("Vary", "Origin, Accept")))
    http.store("u", (("Origin", ORIGIN),), stored, 0)
    found = http.lookup("u", (("origin", ORIGIN),), 1)
    assert found is not None
    assert found[0] == "fresh"
    assert found[1].response is stored
    assert http.lookup("u", (("Origin", "null"),), 1) is None


@pytest.mark.parametrize(
    ("lines", "names", "no_store"),
    [
        ((), frozenset(), False),
        ((("Vary", "Origin"),), frozenset({"origin"}), False),
        ((("vary", " Accept-Encoding ,origin,"),), frozenset({"accept-encoding", "origin"}), False),
        ((("Vary", "*"), ("Cache-Control", "private, no-store")), frozenset({"*"}), True),
        ((("Cache-Control", "no-store-later"),), frozenset(), False),
        ((("Cache-Control", 'max-age=60, No-Store="x"'),), frozenset(), True),
    ],
)
def test_vary_names_and_no_store(lines: H, names: frozenset[str], no_store: bool) -> None:
    assert vary_names(lines) == names
    assert is_no_store(lines) is no_store
