"""The HAR source (``--har``): the requests a page made, from a browser DevTools HAR export.

``load_har`` keeps every distinct method + URL the page requested cross-origin, folds preflights
into the request they announced, and reports the ``Origin`` values it saw as trusted-origin
*candidates* (never trusted on their own). HAR cookies and auth headers are handed out only when
the caller asks for them (``--har-credentials``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from cors_audit.browser import cors_unsafe_request_header_names, header_get, is_token
from cors_audit.core.errors import UsageError
from cors_audit.core.models import Target
from cors_audit.core.wire import ACRH, ACRM, url_origin
from cors_audit.inputs.sources.base import (
    Credentials,
    ImportOptions,
    Inventory,
    RequestHeaders,
    Source,
)
from cors_audit.inputs.sources.documents import Document, parse_json, ptr, read_text
from cors_audit.inputs.targets import normalize_site_origin, normalize_url, parse_method

_BROWSER_ADDED: Final = frozenset(
    {
        "cache-control",
        "pragma",
        "priority",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "purpose",
        "upgrade-insecure-requests",
        "x-client-data",
    }
)
"""Headers Chromium's network stack adds below fetch() (DevTools "disable cache", HTTP-cache
revalidation, priority hints, field trials). They appear in a HAR but never in
``Access-Control-Request-Headers`` (BROWSER-MODEL.md §3.1), so they are not request headers of the
application."""

_CORS_RESOURCE_TYPES: Final = frozenset({"xhr", "fetch", "eventsource", "preflight"})
"""DevTools ``_resourceType`` values of script-initiated requests: without an ``Origin`` header
their page decides whether they were cross-origin. Other loads (images, scripts, stylesheets)
without ``Origin`` were no-cors requests, which CORS does not govern."""

_AUTH_NAME_RE: Final = re.compile(r"auth|token|api[-_]?key|csrf|xsrf|session", re.IGNORECASE)


def _is_credential(name: str) -> bool:
    lower = name.lower()
    if lower == "cookie":
        return True
    # proxy-authorization is for a proxy, and script cannot set Sec-* / Proxy-* anyway.
    if lower.startswith(("proxy-", "sec-", ":")):
        return False
    return _AUTH_NAME_RE.search(lower) is not None


@dataclass(frozen=True, slots=True)
class _HarRequest:
    index: int
    method: str
    url: str
    initiator: str
    headers: tuple[tuple[str, str], ...]
    cookies: tuple[tuple[str, str], ...]
    started: float
    acrm: str | None


def _http_origin(value: str | None) -> str | None:
    """The origin of an http(s) URL, or ``None``."""
    if not value or not value.lower().startswith(("http://", "https://")):
        return None
    try:
        return url_origin(normalize_url(value, "har"))
    except UsageError:
        return None


def _timestamp(value: object) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except (ValueError, OverflowError, OSError):
            pass
    return float("-inf")


class _Har:
    def __init__(self, doc: Document, with_credentials: bool) -> None:
        self.doc = doc
        self.with_credentials = with_credentials
        self.counts: dict[str, int] = {}
        self.notes: list[str] = []
        expected = 'a browser DevTools HAR export: {"log": {"entries": [...]}}'
        log = doc.root.get("log") if isinstance(doc.root, dict) else None
        if not isinstance(log, dict):
            doc.fail("/log", "not a HAR file: there is no 'log' object", expected)
        entries = log.get("entries")
        if not isinstance(entries, list):
            doc.fail("/log/entries", "not a HAR file: there is no 'entries' list", expected)
        self.entries: list[object] = entries
        self.pages: dict[str, str] = {}
        pages = log.get("pages", [])
        for page in pages if isinstance(pages, list) else []:
            if isinstance(page, dict) and isinstance(page.get("id"), str):
                # Chromium writes the page URL as its title; anything else is not an origin.
                origin = _http_origin(
                    page.get("title") if isinstance(page.get("title"), str) else None
                )
                if origin is not None:
                    self.pages[page["id"]] = origin

    def _count(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1

    def _request(self, index: int, node: object) -> _HarRequest | None:
        doc = self.doc
        at = f"/log/entries/{index}"
        entry = doc.mapping(node, at, "a HAR entry object with a 'request'")
        request = doc.mapping(entry.get("request"), f"{at}/request", "a HAR request object")
        method = doc.string(request.get("method"), f"{at}/request/method", "the HTTP method")
        raw_url = doc.string(request.get("url"), f"{at}/request/url", "the request URL")
        headers = tuple(self._pairs(request.get("headers", []), f"{at}/request/headers"))
        cookies = tuple(self._pairs(request.get("cookies", []), f"{at}/request/cookies"))
        if not raw_url.lower().startswith(("http://", "https://")):
            self._count("non-http")  # data:, blob:, ws:, chrome-extension:
            return None
        resource = entry.get("_resourceType")
        resource = resource.lower() if isinstance(resource, str) else None
        if resource in ("document", "websocket"):
            self._count("no-cors")  # navigations and sockets are not CORS requests
            return None
        source = f"har:entries/{index}"
        try:
            url = normalize_url(raw_url, source)
            method = parse_method(method, source)
        except UsageError as exc:
            self.notes.append(f"{exc}; skipped")
            return None
        origin_header = header_get(headers, "Origin")
        if origin_header is not None:
            # The Origin header is what the server saw and what CORS compares
            # (BROWSER-MODEL.md §1.2).
            initiator: str | None = origin_header.strip()
        elif resource is not None and resource not in _CORS_RESOURCE_TYPES:
            self._count("no-cors")
            return None
        else:
            # Referer names the requesting document (an iframe too); the page is a fallback.
            initiator = _http_origin(header_get(headers, "Referer"))
            pageref = entry.get("pageref")
            if initiator is None and isinstance(pageref, str):
                initiator = self.pages.get(pageref)
        if initiator is None:
            self._count("unknown-origin")
            return None
        if initiator != "null" and initiator == url_origin(url):
            self._count("same-origin")
            return None
        acrm = header_get(headers, ACRM)
        if method == "OPTIONS" and acrm is None:
            self.notes.append(
                f"{source}: skipped: OPTIONS request that is not a preflight (the scan sends "
                "its own preflights to every target)"
            )
            return None
        if method == "OPTIONS" and acrm is not None:
            try:
                acrm = parse_method(acrm, f"{source} {ACRM}")
            except UsageError as exc:
                self.notes.append(f"{exc}; skipped")
                return None
        return _HarRequest(
            index=index,
            method=method,
            url=url,
            initiator=initiator,
            headers=headers,
            cookies=cookies,
            started=_timestamp(entry.get("startedDateTime")),
            acrm=acrm if method == "OPTIONS" else None,
        )

    def _pairs(self, node: object, pointer: str) -> Iterable[tuple[str, str]]:
        items = self.doc.sequence(node, pointer, "a list of {name, value} objects")
        for index, item in enumerate(items):
            here = ptr(pointer, index)
            pair = self.doc.mapping(item, here, "a {name, value} object")
            name = self.doc.string(pair.get("name"), ptr(here, "name"), "a string")
            value = self.doc.string(pair.get("value", ""), ptr(here, "value"), "a string")
            yield name, value

    def inventory(self) -> Inventory:
        requests = [
            found
            for index, node in enumerate(self.entries)
            if (found := self._request(index, node)) is not None
        ]
        order: dict[tuple[str, str], int] = {}
        names: dict[tuple[str, str], set[str]] = {}
        actual_keys: set[tuple[str, str]] = set()
        for request in requests:
            if request.acrm is None:
                key = (request.method, request.url)
                actual_keys.add(key)
                order.setdefault(key, request.index)
                unsafe = cors_unsafe_request_header_names(request.headers)
                names.setdefault(key, set()).update(
                    n for n in unsafe if n not in _BROWSER_ADDED and not n.startswith(":")
                )
        for request in requests:
            if request.acrm is None:
                continue
            # A preflight is folded into the request it announced (same method and URL).
            key = (request.acrm, request.url)
            if key not in actual_keys and key not in order:
                self.notes.append(
                    f"har:entries/{request.index}: preflight for {request.acrm} {request.url} "
                    "without a recorded actual request (the preflight probably failed); "
                    f"{request.acrm} is audited"
                )
            order.setdefault(key, request.index)
            acrh = header_get(request.headers, ACRH) or ""
            names.setdefault(key, set()).update(
                token.strip().lower() for token in acrh.split(",") if is_token(token.strip())
            )
        keys = sorted(order, key=order.__getitem__)
        targets = tuple(
            Target(url=url, method=method, source=f"har:entries/{order[(method, url)]}")
            for method, url in keys
        )
        headers: RequestHeaders = {key: tuple(sorted(names.get(key, ()))) for key in keys}
        candidates: dict[str, None] = {}
        for request in requests:
            try:
                candidates[normalize_site_origin(request.initiator, "har")] = None
            except UsageError:
                continue  # "null" and other opaque origins cannot be trusted
        by_origin = self._credentials(requests)
        target_origins = {url_origin(url) for _, url in keys}
        self._summarize(len(by_origin), bool(candidates))
        credentials: Credentials = ()
        if self.with_credentials:
            if len(target_origins) == 1 and by_origin:
                credentials = by_origin.get(next(iter(target_origins)), ())
            elif len(target_origins) > 1 and by_origin:
                self.notes.append(
                    f"the HAR's targets are on {len(target_origins)} origins, so its credentials "
                    "are given per origin only (one origin's cookies must not reach another)"
                )
        return Inventory(
            targets=targets,
            request_headers=headers,
            origin_candidates=tuple(candidates),
            credentials=credentials,
            credentials_by_origin=by_origin if self.with_credentials else {},
            notes=tuple(self.notes),
        )

    def _credentials(self, requests: Sequence[_HarRequest]) -> dict[str, Credentials]:
        """The most recent value of every credential header per target origin. Preflights carry
        none (BROWSER-MODEL.md §3.2), so only actual requests count."""
        latest: dict[str, dict[str, tuple[tuple[float, int], str, str]]] = {}
        for request in requests:
            if request.acrm is not None:
                continue
            seen: list[tuple[str, str]] = [
                (name, value) for name, value in request.headers if _is_credential(name)
            ]
            if request.cookies and not any(name.lower() == "cookie" for name, _ in seen):
                seen.append(("Cookie", "; ".join(f"{n}={v}" for n, v in request.cookies)))
            per_name = latest.setdefault(url_origin(request.url), {})
            when = (request.started, request.index)
            for name, value in seen:
                previous = per_name.get(name.lower())
                if previous is None or previous[0] <= when:
                    per_name[name.lower()] = (when, name, value)
        return {
            origin: tuple((name, value) for _, (_, name, value) in sorted(per_name.items()))
            for origin, per_name in latest.items()
            if per_name
        }

    def _summarize(self, credential_origins: int, any_candidates: bool) -> None:
        labels = {
            "same-origin": "same-origin request(s) not included (CORS does not apply)",
            "no-cors": "navigation(s) or no-cors load(s) (images, scripts, styles without an "
            "Origin header) not included",
            "non-http": "non-http(s) request(s) (data:, blob:, ws:) not included",
            "unknown-origin": "request(s) whose requesting origin cannot be told (no Origin, "
            "Referer or page) not included",
        }
        self.notes.extend(
            f"{self.counts[reason]} {label}"
            for reason, label in labels.items()
            if reason in self.counts
        )
        if any_candidates:
            self.notes.append(
                "the origins that made these requests are trusted-origin candidates only; add "
                "them to trusted_origins in the policy if the application really trusts them"
            )
        if not self.with_credentials and credential_origins:
            self.notes.append(
                f"the HAR holds cookies or auth headers for {credential_origins} origin(s); "
                "they are not used without --har-credentials"
            )
        if self.with_credentials and not credential_origins:
            self.notes.append(
                "--har-credentials: the HAR holds no cookies or auth headers (Chromium's "
                "'Export HAR (sanitized)' drops them; export 'with sensitive data')"
            )


def har_inventory(document: object, file: str, *, with_credentials: bool = False) -> Inventory:
    """Targets of an already-parsed HAR document (``file`` names it in messages). See
    ``load_har``."""
    return _Har(Document(document, file), with_credentials).inventory()


def load_har(path: Path, *, with_credentials: bool = False) -> Inventory:
    """One target per distinct method + URL a page requested cross-origin in a DevTools HAR.

    A request is cross-origin when its ``Origin`` header differs from the URL's origin, or (for
    fetch/XHR without ``Origin``) when the ``Referer``'s or page's origin does. Preflights are
    folded into the request they announced (their ``Access-Control-Request-Headers`` become its
    request headers); a preflight without an actual request still yields a target. The origins
    seen are returned as candidates. Cookies and auth headers are returned only with
    ``with_credentials``. Raises ``UsageError`` for a file that is not a HAR.
    """
    return SOURCE.load(path, ImportOptions(with_credentials=with_credentials))


class HarSource(Source):
    """``--har FILE`` (with ``--har-credentials``)."""

    name = "har"
    option = "--har"
    reads = "a browser DevTools HAR export (JSON)"
    extra_options = ("--har-credentials",)

    def read(self, path: Path) -> object:
        """A HAR is JSON only."""
        return parse_json(read_text(path), str(path))

    def inventory(self, document: object, file: str, options: ImportOptions) -> Inventory:
        return har_inventory(document, file, with_credentials=options.with_credentials)


SOURCE: Final = HarSource()
