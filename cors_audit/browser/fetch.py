"""A whole ``fetch()`` played in memory (BROWSER-MODEL.md §2.1 redirects, §3.6 preflight cache,
§5.2 Local Network Access, §6.2 C14 HTTP cache).

:func:`simulate_fetch` runs the checks of ``check.py`` the way Chromium (or the standard) chains
them — preflight decision and cache, preflight, actual request, redirects, the HTTP cache —
against a caller-supplied server function, so every observed vector of BROWSER-MODEL.md §7 can be
replayed without a browser.

Like every module of ``cors_audit/browser``: standard library only (and ``core/wire.py``), no
I/O, no network, no clock (time is a parameter).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urljoin, urlsplit

from cors_audit.browser.cache import HttpCache, SimCache, validators
from cors_audit.browser.check import (
    NEVER_EXPOSED,
    CorsError,
    Engine,
    cors_check,
    exposed_header_names,
    is_redirect,
    max_age,
    preflight_check,
)
from cors_audit.browser.headers import (
    Credentials,
    Headers,
    Mode,
    cors_unsafe_request_header_names,
    header_get,
    is_cors_safelisted_method,
    is_cors_safelisted_request_header,
    is_forbidden_method,
    is_forbidden_request_header,
    is_token,
    needs_preflight,
    normalize_method,
    strip_ows,
)
from cors_audit.browser.origin import same_origin
from cors_audit.core.wire import ACRH, ACRM, url_origin, url_parts

RequestMode = Literal["cors", "no-cors"]
"""A request's mode as ``fetch()`` sets it."""
AddressSpace = Literal["public", "local", "loopback"]
"""Local Network Access address spaces (BROWSER-MODEL.md §5.2)."""
ResponseType = Literal["basic", "cors", "opaque", "error"]
"""The type of the response script receives (``error`` = network error / TypeError)."""

_MAX_REDIRECTS: Final = 20  # Fetch "HTTP-redirect fetch": more than 20 → network error


@dataclass(frozen=True, slots=True)
class SimRequest:
    """One ``fetch()`` call as a page would make it."""

    url: str
    initiator: str = "http://a.test:8000"
    """The page's serialized origin; ``null`` for sandboxed frames (n01-n05)."""
    method: str = "GET"
    """As passed to fetch(); normalized by the simulation."""
    headers: Headers = ()
    credentials: Credentials = "same-origin"
    mode: RequestMode = "cors"
    use_cors_preflight_flag: bool = False
    """XHR upload listeners or a ReadableStream body (x07)."""
    initiator_address_space: AddressSpace | None = None
    """LNA: the page's address space; None = LNA not modelled (§5.2)."""
    target_address_space: AddressSpace | None = None
    """LNA: the address space of every URL this fetch reaches."""
    secure_context: bool | None = None
    """None = derived from ``initiator`` (https, localhost, loopback IPs are secure)."""
    lna_permission: bool = False
    """Whether the user granted the local-network-access permission (headless denies)."""

    def __post_init__(self) -> None:
        if self.credentials not in ("omit", "same-origin", "include"):
            raise ValueError(
                f"SimRequest.credentials: expected omit, same-origin or include, "
                f"got {self.credentials!r}"
            )
        if self.mode not in ("cors", "no-cors"):
            raise ValueError(f"SimRequest.mode: expected cors or no-cors, got {self.mode!r}")


@dataclass(frozen=True, slots=True)
class SimResponse:
    """What a server answered."""

    status: int = 200
    headers: Headers = ()

    @property
    def location(self) -> str | None:
        """The Location header (redirect target) if any."""
        return header_get(self.headers, "Location")


@dataclass(frozen=True, slots=True)
class WireRequest:
    """A request as it reached the server."""

    method: str
    url: str
    headers: Headers
    preflight: bool = False
    credentials: bool = False
    """Whether cookies / HTTP auth would be attached (never on preflights, §3.2)."""

    @property
    def origin(self) -> str | None:
        """The Origin header, if sent."""
        return header_get(self.headers, "Origin")

    @property
    def acrm(self) -> str | None:
        """Access-Control-Request-Method (preflights)."""
        return header_get(self.headers, ACRM)

    @property
    def acrh(self) -> str | None:
        """Access-Control-Request-Headers (preflights), e.g. ``content-type,x-a,x-b``."""
        return header_get(self.headers, ACRH)


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What the page's fetch() resolved to, and what went over the wire."""

    allowed: bool
    """The promise resolved (True) or rejected with a TypeError (False)."""
    error: CorsError | None = None
    """The DevTools CORS error, when the failure is a CORS (or LNA) error."""
    message: str = ""
    """Why it failed, for non-CORS failures (TypeError text, network error)."""
    response_type: ResponseType = "error"
    response: SimResponse | None = None
    """The final response script sees (None for errors and opaque responses)."""
    readable_headers: frozenset[str] = frozenset()
    """Lowercased response header names ``response.headers.get`` returns non-null for."""
    wire: tuple[WireRequest, ...] = ()
    from_http_cache: bool = False

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def preflights(self) -> tuple[WireRequest, ...]:
        """Preflight requests the server saw."""
        return tuple(w for w in self.wire if w.preflight)

    @property
    def actuals(self) -> tuple[WireRequest, ...]:
        """Non-preflight requests the server saw."""
        return tuple(w for w in self.wire if not w.preflight)


def _merge_304(stored: SimResponse, fresh: SimResponse) -> SimResponse:
    # A 304 updates the stored header lines it repeats and keeps the others (RFC 9111 §4.3.4).
    updated = {n.lower() for n, _ in fresh.headers}
    kept = tuple((n, v) for n, v in stored.headers if n.lower() not in updated)
    return SimResponse(stored.status, kept + fresh.headers)


_SPACE_RANK: Final[dict[str, int]] = {"public": 0, "local": 1, "loopback": 2}


def _is_potentially_trustworthy(origin: str) -> bool:
    scheme, host, _ = url_parts(origin)
    if scheme in ("https", "wss"):
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lna_block(request: SimRequest, mode: Mode) -> FetchOutcome | None:
    # §5.2: Chromium ≥142 gates requests to a more private address space behind a permission
    # that only secure contexts can get; nothing is sent (l01). ACAPN is never consulted.
    # Chromium names the errors after LNA; spec mode keeps the PNA draft's names.
    source, target = request.initiator_address_space, request.target_address_space
    if source is None or target is None or _SPACE_RANK[target] <= _SPACE_RANK[source]:
        return None
    secure = request.secure_context
    if secure is None:
        secure = _is_potentially_trustworthy(request.initiator)
    chromium = mode == "chromium"
    if not secure:
        return FetchOutcome(
            False,
            CorsError.INSECURE_LOCAL_NETWORK if chromium else CorsError.INSECURE_PRIVATE_NETWORK,
            "The request client is not a secure context and the resource is in more-private "
            f"address space `{target}`.",
        )
    if not request.lna_permission:
        return FetchOutcome(
            False,
            CorsError.LOCAL_NETWORK_ACCESS_PERMISSION_DENIED
            if chromium
            else CorsError.PRIVATE_NETWORK_ACCESS_PERMISSION_DENIED,
            f"Permission was denied for this request to access the `{target}` address space.",
        )
    return None


_NO_CORS_HEADER_NAMES: Final = frozenset(
    {"accept", "accept-language", "content-language", "content-type"}
)
_REQUEST_BODY_HEADERS: Final = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)


def _script_headers(request: SimRequest, mode: Mode) -> list[tuple[str, str]]:
    # fetch() drops forbidden headers silently; a no-cors request keeps only no-CORS-safelisted
    # ones (Headers guard "request-no-cors").
    result: list[tuple[str, str]] = []
    for name, value in request.headers:
        clean = strip_ows(value)
        if is_forbidden_request_header(name, clean, mode):
            continue
        if request.mode == "no-cors" and not (
            name.lower() in _NO_CORS_HEADER_NAMES
            and is_cors_safelisted_request_header(name, clean, mode)
        ):
            continue
        result.append((name, clean))
    return result


def _fail(error: CorsError | None, message: str, wire: list[WireRequest]) -> FetchOutcome:
    return FetchOutcome(False, error, message or (error.value if error else ""), wire=tuple(wire))


def simulate_fetch(
    request: SimRequest,
    server: Callable[[WireRequest], SimResponse],
    *,
    cache: SimCache | None = None,
    now: float = 0.0,
    mode: Mode = "chromium",
    non_wildcard_request_headers: bool | None = None,
) -> FetchOutcome:
    """Play one fetch() against ``server`` the way Chromium (or the standard) would.

    Covers: method validation (x06), LNA (l01, l02), preflight decision and cache (§3.1, §3.6),
    preflight validation (§3.3), the CORS check on every hop (r03), redirect-taint (r01, r02,
    x05), credentials in a redirect Location (x04), the HTTP cache with Vary (v01, v02) and
    unchecked 304 revalidation (x08). ``cache`` carries state between calls; ``now`` is the
    caller's clock in seconds.
    """
    state = cache if cache is not None else SimCache()
    method = normalize_method(request.method)
    if not is_token(method):
        return _fail(None, f"'{request.method}' is not a valid HTTP method.", [])
    if is_forbidden_method(method):
        return _fail(None, f"'{method}' HTTP method is unsupported.", [])  # x06
    if request.mode == "no-cors" and not is_cors_safelisted_method(method):
        return _fail(None, f"'{method}' is unsupported in no-cors mode.", [])
    blocked = _lna_block(request, mode)
    if blocked is not None:
        return blocked

    headers = _script_headers(request, mode)
    wire: list[WireRequest] = []
    url = request.url
    initiator = request.initiator
    tainted = False
    cross_origin = not same_origin(initiator, url)
    lifetime_engine: Engine = state.preflight.engine or mode

    for _hop in range(_MAX_REDIRECTS + 1):
        serialized = "null" if tainted else initiator
        cors = request.mode == "cors" and cross_origin
        opaque = request.mode == "no-cors" and cross_origin
        preflighted = False
        if cors and needs_preflight(
            method, headers, mode, use_cors_preflight_flag=request.use_cors_preflight_flag
        ):
            preflighted = True
            unsafe = cors_unsafe_request_header_names(headers, mode)
            # Chromium never reuses a preflight made for an opaque (null) initiator: two PUTs
            # from a sandboxed iframe send two preflights (tests/browser bn08).
            opaque_initiator = mode == "chromium" and serialized == "null"
            if opaque_initiator or not state.preflight.can_skip_preflight(
                serialized,
                url,
                request.credentials,
                method,
                unsafe,
                now,
                mode,
                non_wildcard_request_headers=non_wildcard_request_headers,
                use_cors_preflight_flag=request.use_cors_preflight_flag,
            ):
                pf_headers: list[tuple[str, str]] = [
                    ("Accept", "*/*"),
                    (ACRM, method),
                ]
                if unsafe:
                    pf_headers.append((ACRH, ",".join(unsafe)))
                pf_headers.append(("Origin", serialized))
                preflight = WireRequest("OPTIONS", url, tuple(pf_headers), preflight=True)
                wire.append(preflight)
                pf_response = server(preflight)
                verdict = preflight_check(
                    serialized,
                    request.credentials,
                    method,
                    unsafe,
                    pf_response.status,
                    pf_response.headers,
                    mode,
                    use_cors_preflight_flag=request.use_cors_preflight_flag,
                    non_wildcard_request_headers=non_wildcard_request_headers,
                )
                if not verdict:
                    if mode == "spec":
                        state.preflight.clear(serialized, url)
                    return _fail(verdict.error, "", wire)
                lifetime = max_age(pf_response.headers, lifetime_engine)
                if not opaque_initiator:
                    state.preflight.store(
                        serialized, url, request.credentials, verdict, lifetime, now, mode
                    )

        send_origin = cors or method not in ("GET", "HEAD")
        actual_headers = tuple(headers) + ((("Origin", serialized),) if send_origin else ())
        credentials_sent = request.credentials == "include" or (
            request.credentials == "same-origin" and not cross_origin
        )
        response, from_cache = _actual_exchange(
            state.http, url, method, actual_headers, credentials_sent, server, wire, now
        )

        if cors:
            check = cors_check(serialized, request.credentials, response.headers)
            if check.error is not None:
                # FETCH main fetch: a network error after the preflight branch clears the
                # preflight cache; Chromium keeps the entry ([obs] k07: 1 preflight).
                if mode == "spec" and preflighted:
                    state.preflight.clear(serialized, url)
                return _fail(check.error, "", wire)

        if is_redirect(response.status, response.headers):
            location = urljoin(url, response.location or "")
            parts = urlsplit(location)
            if parts.scheme.lower() not in ("http", "https"):
                error = CorsError.CORS_DISABLED_SCHEME if request.mode == "cors" else None
                return _fail(error, f"Redirect to unsupported URL {location!r}.", wire)
            if (
                request.mode == "cors"
                and (parts.username is not None or parts.password is not None)
                and not same_origin(initiator, location)
            ):
                return _fail(CorsError.REDIRECT_CONTAINS_CREDENTIALS, "", wire)  # x04
            hop_cross = url_origin(location) != url_origin(url)
            # Redirect-taint (§2.1): a hop to another origin while the request's origin is not
            # same-origin with the URL being left makes the origin `null` (r01, r02, x05).
            if hop_cross and not same_origin(initiator, url):
                tainted = True
            if (response.status == 303 and method not in ("GET", "HEAD")) or (
                response.status in (301, 302) and method == "POST"
            ):
                method = "GET"
                headers = [(n, v) for n, v in headers if n.lower() not in _REQUEST_BODY_HEADERS]
            if hop_cross:
                headers = [(n, v) for n, v in headers if n.lower() != "authorization"]
            url = location
            cross_origin = cross_origin or not same_origin(initiator, url) or tainted
            continue

        if cors:
            return FetchOutcome(
                True,
                response_type="cors",
                response=response,
                readable_headers=exposed_header_names(response.headers, request.credentials),
                wire=tuple(wire),
                from_http_cache=from_cache,
            )
        if opaque:
            return FetchOutcome(
                True, response_type="opaque", wire=tuple(wire), from_http_cache=from_cache
            )
        readable = frozenset({n.lower() for n, _ in response.headers} - NEVER_EXPOSED)
        return FetchOutcome(
            True,
            response_type="basic",
            response=response,
            readable_headers=readable,
            wire=tuple(wire),
            from_http_cache=from_cache,
        )
    return _fail(None, "net::ERR_TOO_MANY_REDIRECTS", wire)


def _actual_exchange(
    http: HttpCache,
    url: str,
    method: str,
    headers: Headers,
    credentials_sent: bool,
    server: Callable[[WireRequest], SimResponse],
    wire: list[WireRequest],
    now: float,
) -> tuple[SimResponse, bool]:
    """Send (or serve from the HTTP cache) the actual request; returns (response, from_cache)."""
    cached = http.lookup(url, headers, now) if method == "GET" else None
    if cached is not None and cached[0] == "fresh":
        return cached[1].response, True  # v01: no request reaches the server
    conditional = validators(cached[1].response.headers) if cached is not None else ()
    sent = WireRequest(method, url, headers + conditional, credentials=credentials_sent)
    wire.append(sent)
    response = server(sent)
    if cached is not None and response.status == 304:
        # x08: the 304 itself is not CORS-checked (CR-URL is_304_for_revalidation); script gets
        # the stored response refreshed with the 304's header lines.
        merged = _merge_304(cached[1].response, response)
        http.store(url, headers, merged, now)
        return merged, True
    if method == "GET":
        http.store(url, headers, response, now)
    return response, False
