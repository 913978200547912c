"""The browser state that outlives one ``fetch()`` (BROWSER-MODEL.md §3.6, §6.2 C14): the
CORS-preflight cache, in Chromium's shape or the standard's, and a minimal HTTP cache with
``Vary`` and revalidation. ``fetch.py`` reads and fills them.

Like every module of ``cors_audit/browser``: standard library only (and ``core/wire.py``), no
I/O, no network, no clock (time is a parameter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cors_audit.browser.check import (
    Engine,
    PreflightVerdict,
    header_allowed,
    method_allowed,
)
from cors_audit.browser.headers import (
    Credentials,
    HeaderList,
    Headers,
    Mode,
    header_get,
    is_cors_safelisted_method,
)

if TYPE_CHECKING:
    from cors_audit.browser.fetch import SimResponse


@dataclass(slots=True)
class _ChromiumEntry:
    credentials: bool
    methods: frozenset[str]
    headers: frozenset[str]
    expiry: float


class PreflightCache:
    """The CORS-preflight cache (§3.6), per-URL and per serialized origin.

    ``chromium`` mode keeps one result per (origin, URL) that records whether it was made for a
    credentialed request and is replaced by each new preflight (CR-PFR ``EnsureAllowedRequest``;
    k01-k07). ``spec`` mode keeps one entry per method / header name keyed with the credentials
    flag (FETCH L7163-7264). ``engine`` overrides how Max-Age becomes a lifetime (x02, x03);
    None follows the simulation mode.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine: Engine | None = engine
        self._chromium: dict[tuple[str, str], _ChromiumEntry] = {}
        self._spec: dict[tuple[str, str, bool, str, str], float] = {}

    def __len__(self) -> int:
        return len(self._chromium) + len(self._spec)

    def can_skip_preflight(
        self,
        origin: str,
        url: str,
        credentials: Credentials,
        method: str,
        unsafe_header_names: Sequence[str],
        now: float,
        mode: Mode = "chromium",
        *,
        non_wildcard_request_headers: bool | None = None,
        use_cors_preflight_flag: bool = False,
    ) -> bool:
        """Whether a fresh entry covers this request's method and unsafe headers."""
        include = credentials == "include"
        non_wildcard = (
            mode == "spec" if non_wildcard_request_headers is None else non_wildcard_request_headers
        )
        if mode == "spec":
            # HTTP fetch 4.1: a safelisted method needs no method entry unless the
            # use-CORS-preflight flag is set (x07).
            method_ok = (
                is_cors_safelisted_method(method) and not use_cors_preflight_flag
            ) or self._spec_match(origin, url, include, "method", method, now)
            return method_ok and all(
                self._spec_match(origin, url, include, "header", name, now, non_wildcard)
                for name in unsafe_header_names
            )
        entry = self._chromium.get((origin, url))
        if entry is None:
            return False
        if now >= entry.expiry:
            del self._chromium[(origin, url)]
            return False
        if include and not entry.credentials:
            return False  # k01: a non-credentialed entry never serves a credentialed request
        if not method_allowed(method, entry.methods, include):
            return False  # k03
        return all(
            header_allowed(n, entry.headers, include, non_wildcard) for n in unsafe_header_names
        )

    def _spec_match(
        self,
        origin: str,
        url: str,
        include: bool,
        kind: str,
        value: str,
        now: float,
        non_wildcard: bool = True,
    ) -> bool:
        needle = value.lower() if kind == "header" else value
        for (e_origin, e_url, e_creds, e_kind, e_value), expiry in self._spec.items():
            if (e_origin, e_url, e_kind) != (origin, url, kind) or now >= expiry:
                continue
            if include and not e_creds:
                continue
            if e_value == needle:
                return True
            wildcard_ok = kind == "method" or not (non_wildcard and needle == "authorization")
            if e_value == "*" and not include and wildcard_ok:
                return True
        return False

    def store(
        self,
        origin: str,
        url: str,
        credentials: Credentials,
        verdict: PreflightVerdict,
        lifetime: int | None,
        now: float,
        mode: Mode = "chromium",
    ) -> None:
        """Record a passing preflight; ``lifetime`` None means "do not cache" (Firefox)."""
        if lifetime is None or not verdict.allowed:
            return
        include = credentials == "include"
        expiry = now + lifetime
        if mode == "spec":
            for method in verdict.methods:
                self._spec[(origin, url, include, "method", method)] = expiry
            for name in verdict.headers:
                self._spec[(origin, url, include, "header", name)] = expiry
            return
        self._chromium[(origin, url)] = _ChromiumEntry(
            include, frozenset(verdict.methods), frozenset(verdict.headers), expiry
        )

    def clear(self, origin: str, url: str) -> None:
        """Fetch *clear cache entries* for (origin, URL) (spec mode, after a network error)."""
        self._chromium.pop((origin, url), None)
        for key in [k for k in self._spec if k[0] == origin and k[1] == url]:
            del self._spec[key]


@dataclass(slots=True)
class _HttpEntry:
    response: SimResponse
    request_headers: Headers
    stored_at: float


def _cache_control(headers: HeaderList) -> dict[str, str]:
    directives: dict[str, str] = {}
    for item in (header_get(headers, "Cache-Control") or "").split(","):
        key, _, value = item.strip().partition("=")
        if key:
            directives[key.lower()] = value.strip('"')
    return directives


def vary_names(headers: HeaderList) -> frozenset[str]:
    """The lowercased request-header names a response varies on (``*``: on everything): a cache
    hands the stored response only to a request with the same values of these (§6.2 C14)."""
    return frozenset(
        filter(None, (v.strip().lower() for v in (header_get(headers, "Vary") or "").split(",")))
    )


def is_no_store(headers: HeaderList) -> bool:
    """Whether ``Cache-Control`` forbids storing the response (``no-store``), so no cache can hand
    it to another request."""
    return "no-store" in _cache_control(headers)


class HttpCache:
    """A minimal browser HTTP cache: GET responses keyed by URL, honouring ``max-age``,
    ``no-store``, ``no-cache``, validators and ``Vary`` (§6.2 C14; v01, v02, x08)."""

    def __init__(self) -> None:
        self._entries: dict[str, _HttpEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(
        self, url: str, request_headers: HeaderList, now: float
    ) -> tuple[Literal["fresh", "stale"], _HttpEntry] | None:
        """A matching entry and whether it can be used without revalidation."""
        entry = self._entries.get(url)
        if entry is None:
            return None
        vary = vary_names(entry.response.headers)
        if "*" in vary:
            return None
        for name in sorted(vary):
            if header_get(entry.request_headers, name) != header_get(request_headers, name):
                return None  # v02: Vary: Origin forces a refetch
        directives = _cache_control(entry.response.headers)
        lifetime = directives.get("max-age", "")
        fresh = (
            "no-cache" not in directives
            and lifetime.isdigit()
            and now < entry.stored_at + int(lifetime)
        )
        if fresh:
            return "fresh", entry
        if validators(entry.response.headers):
            return "stale", entry
        return None

    def store(
        self, url: str, request_headers: HeaderList, response: SimResponse, now: float
    ) -> None:
        """Store a response if it is cacheable."""
        directives = _cache_control(response.headers)
        if response.status != 200 or is_no_store(response.headers):
            return
        lifetime = directives.get("max-age", "")
        if (lifetime.isdigit() and int(lifetime) > 0) or validators(response.headers):
            self._entries[url] = _HttpEntry(response, tuple(request_headers), now)


def validators(headers: HeaderList) -> Headers:
    """The conditional request headers that revalidate a stored response (ETag, Last-Modified)."""
    result: list[tuple[str, str]] = []
    etag = header_get(headers, "ETag")
    if etag is not None:
        result.append(("If-None-Match", etag))
    modified = header_get(headers, "Last-Modified")
    if modified is not None:
        result.append(("If-Modified-Since", modified))
    return tuple(result)


@dataclass(slots=True)
class SimCache:
    """The browser state that outlives one fetch(): the preflight cache and the HTTP cache."""

    preflight: PreflightCache = field(default_factory=PreflightCache)
    http: HttpCache = field(default_factory=HttpCache)
