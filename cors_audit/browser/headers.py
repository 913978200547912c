"""The browser model's vocabulary and request side (BROWSER-MODEL.md §1.1, §1.3, §3.1): header
lists and how Fetch reads them, methods, and which request headers script may set and which make
a request need a preflight. The CORS header names themselves are ``core/wire.py``'s table.

Like every module of ``cors_audit/browser``: standard library only (and ``core/wire.py``), no
I/O, no network, no clock.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Final, Generic, Literal, ParamSpec, TypeVar, cast

from cors_audit.core.wire import ACMA, CORS_REQUEST_HEADERS

Mode = Literal["chromium", "spec"]
"""Which behaviour to model where Chromium deviates from the standard (BROWSER-MODEL.md §3.4)."""
Credentials = Literal["omit", "same-origin", "include"]
"""A request's credentials mode (BROWSER-MODEL.md §2.1)."""

HeaderList = Sequence[tuple[str, str]]
"""Ordered (name as received, latin-1 value) pairs; repeated names stay repeated."""
Headers = tuple[tuple[str, str], ...]

_HTTP_TAB_OR_SPACE: Final = " \t"
_HTTP_WHITESPACE: Final = " \t\r\n"


class Failure(Enum):
    """The Fetch standard's *failure* result of "extract header list values" (§1.1)."""

    FAILURE = "failure"

    def __repr__(self) -> str:
        return "FAILURE"


FAILURE: Final = Failure.FAILURE
"""Sentinel returned by :func:`extract_header_list_values`; test with ``is FAILURE``."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


class Remembered(Generic[_P, _R]):
    """``function``, remembered in a bounded memo (``maxsize`` questions) when its arguments
    can be hashed, as a header list given as a tuple can; answered without the memo otherwise
    (a list, a value that cannot be hashed).

    For the model's pure functions of a reply's header tuple: the scan asks them of the same
    reply many times (the planner after every round, the rules, the summaries, in both
    credentials modes) and of equal replies across the targets of one server. The function
    itself stays unremembered beside its memo, so a test can always ask the model directly.
    """

    def __init__(self, function: Callable[_P, _R], maxsize: int) -> None:
        self.function = function
        self._cache = functools.lru_cache(maxsize=maxsize)(function)
        # The same callable, seen with the function's own signature (lru_cache's is untyped).
        memo = cast("Callable[_P, _R]", self._cache)

        def ask(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return memo(*args, **kwargs)
            except TypeError:  # unhashable: a list, or a value inside that cannot be hashed
                return function(*args, **kwargs)

        self.ask = ask
        """The remembered function (a plain closure: it is called a few dozen times per
        reply, where a method call through ``__call__`` cost measurably more)."""

    def cache_clear(self) -> None:
        """Forget every answer (tests)."""
        self._cache.cache_clear()

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses and size of the memo (tests)."""
        return self._cache.cache_info()


# --------------------------------------------------------------------------------------------
# §1.1 header-list primitives


def strip_ows(value: str) -> str:
    """A header value as parsed: leading/trailing HTTP tab or space removed (§1.1, s12, c09)."""
    return value.strip(_HTTP_TAB_OR_SPACE)


def header_values(headers: HeaderList, name: str) -> list[str]:
    """Every value of ``name`` (any case), in order, each stripped of OWS (§1.1)."""
    if type(headers) is tuple:
        try:
            index = _indexed(headers)
        except TypeError:  # a value that cannot be hashed: read line by line
            pass
        else:
            return list(index.get(name.lower(), ()))
    lower = name.lower()
    return [strip_ows(v) for n, v in headers if n.lower() == lower]


HEADER_MEMO: Final = 4096
"""Most header tuples `_indexed` keeps. A target's replies are read a few dozen times each
(the planner after every round, every rule, the summaries) within the moment it is judged, so a
few thousand cover every target in flight; the bound keeps the memo small."""


@functools.lru_cache(maxsize=HEADER_MEMO)
def _indexed(headers: Headers) -> dict[str, tuple[str, ...]]:
    """``headers`` by lower-cased name: each name's values in order, stripped of OWS. Reading
    a header from it is one hash of the tuple, where walking the lines was one comparison per
    line, and the rules and the planner read each reply a few dozen times."""
    index: dict[str, list[str]] = {}
    for name, value in headers:
        index.setdefault(name.lower(), []).append(strip_ows(value))
    return {name: tuple(values) for name, values in index.items()}


def header_get(headers: HeaderList, name: str) -> str | None:
    """Fetch *get*: every value of ``name`` (any case) in order joined with ``", "``; None when
    absent (§1.1; Chromium ``GetNormalizedHeader``; s09, c05)."""
    values = header_values(headers, name)
    return ", ".join(values) if values else None


_TCHAR: Final = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def is_token(value: str) -> bool:
    """RFC 9110 ``token``: one or more tchar."""
    return bool(value) and all(c in _TCHAR for c in value)


_DELTA_SECONDS_RE: Final = re.compile(r"[0-9]+")


def extract_header_list_values(headers: HeaderList, name: str) -> list[str] | Failure | None:
    """Fetch *extract header list values* (§1.1).

    None when the header is absent. ``Access-Control-Max-Age`` is single-valued
    (``delta-seconds``): FAILURE when it is repeated or not ``1*DIGIT``. Every other name is parsed
    as a ``#token`` list (ACAM/ACAH/ACEH): each line split on ``,``, OWS trimmed, empty elements
    ignored, any non-token element → FAILURE (m12, m17, h07, e06); lines are concatenated (m14).
    """
    values = header_values(headers, name)
    if not values:
        return None
    if name.lower() == ACMA.lower():
        if len(values) != 1 or not _DELTA_SECONDS_RE.fullmatch(values[0]):
            return FAILURE
        return values
    result: list[str] = []
    for value in values:
        for element in value.split(","):
            item = strip_ows(element)
            if not item:
                continue  # m15: a trailing comma is an empty element, ignored
            if not is_token(item):
                return FAILURE
            result.append(item)
    return result


# --------------------------------------------------------------------------------------------
# §1.3 methods

_NORMALIZED_METHODS: Final = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_SAFELISTED_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
_FORBIDDEN_METHODS: Final = frozenset({"CONNECT", "TRACE", "TRACK"})


def normalize_method(method: str) -> str:
    """Upper-case the six methods fetch()/XHR normalize; keep every other method's case (m08)."""
    upper = method.upper()
    return upper if upper in _NORMALIZED_METHODS else method


def is_forbidden_method(method: str) -> bool:
    """CONNECT, TRACE, TRACK in any case: fetch() throws a TypeError (x06)."""
    return method.upper() in _FORBIDDEN_METHODS


def is_cors_safelisted_method(method: str) -> bool:
    """GET, HEAD, POST compared byte for byte (§1.3)."""
    return method in _SAFELISTED_METHODS


# --------------------------------------------------------------------------------------------
# §3.1 request headers

_FORBIDDEN_REQUEST_HEADERS: Final = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        *(name.lower() for name in CORS_REQUEST_HEADERS),  # ACRPN: PNA §5.1
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
_METHOD_OVERRIDE_HEADERS: Final = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)


def is_forbidden_request_header(name: str, value: str, mode: Mode = "chromium") -> bool:
    """A header script cannot set; fetch() silently drops it and it never counts for CORS
    (§3.1, CR-UTIL ``IsSafeHeader``). Chromium still forbids ``User-Agent`` (crbug 571722)."""
    lower = name.lower()
    if lower.startswith(("proxy-", "sec-")) or lower in _FORBIDDEN_REQUEST_HEADERS:
        return True
    if mode == "chromium" and lower == "user-agent":
        return True
    if lower in _METHOD_OVERRIDE_HEADERS:
        return any(strip_ows(m).upper() in _FORBIDDEN_METHODS for m in value.split(","))
    return False


_UNSAFE_BYTES: Final = frozenset(
    [chr(c) for c in range(0x20) if c != 0x09] + list('"():<>?@[\\]{}') + [chr(0x7F)]
)
_LANGUAGE_CHARS: Final = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz *,-.;="
)
_SAFELISTED_CONTENT_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_DOUBLE_RE: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_INT_RE: Final = re.compile(r"[0-9]+")
_RANGE_RE: Final = re.compile(r"bytes=([0-9]*)-([0-9]*)")
# Chromium's kWebEffectiveConnectionTypeMapping values (CR-CORS ``ect``).
_ECT_VALUES: Final = frozenset({"slow-2g", "2g", "3g", "4g"})


def _byte_length(value: str) -> int:
    try:
        return len(value.encode("latin-1"))
    except UnicodeEncodeError:
        return len(value.encode("utf-8"))


def _mime_essence(value: str) -> str | None:
    # WHATWG "parse a MIME type", reduced to what the essence needs (parameters never fail).
    text = value.strip(_HTTP_WHITESPACE)
    mime_type, slash, rest = text.partition("/")
    if not slash or not is_token(mime_type):
        return None
    subtype = rest.split(";", 1)[0].rstrip(_HTTP_WHITESPACE)
    if not is_token(subtype):
        return None
    return f"{mime_type}/{subtype}".lower()


def _is_simple_range(value: str) -> bool:
    # Fetch "parse a single range header value" without whitespace; suffix ranges (no start)
    # are not safelisted (p10 allowed, p11 preflighted).
    match = _RANGE_RE.fullmatch(value)
    if match is None or not match.group(1):
        return False
    start, end = match.group(1), match.group(2)
    return not end or int(start) <= int(end)


def is_cors_safelisted_request_header(name: str, value: str, mode: Mode = "chromium") -> bool:
    """Whether one (name, value) is a CORS-safelisted request header (§3.1).

    ``chromium`` mode adds Chromium's extras: Intervention, DPR, Device-Memory, Downlink, Width,
    Viewport-Width, RTT, ECT, Save-Data (CR-CORS ``IsCorsSafelistedHeader``; p09, p15).
    """
    value = strip_ows(value)
    if _byte_length(value) > 128:
        return False  # p08
    lower = name.lower()
    if lower == "accept":
        return not any(c in _UNSAFE_BYTES for c in value)  # p07
    if lower in ("accept-language", "content-language"):
        return all(c in _LANGUAGE_CHARS for c in value)
    if lower == "content-type":
        if any(c in _UNSAFE_BYTES for c in value):
            return False
        return _mime_essence(value) in _SAFELISTED_CONTENT_TYPES  # p01-p04
    if lower == "range":
        # Chromium lower-cases the value before parsing; the standard compares `bytes` exactly.
        return _is_simple_range(value.lower() if mode == "chromium" else value)
    if mode != "chromium":
        return False
    if lower == "intervention":
        return True
    if lower in ("dpr", "device-memory", "downlink"):
        return _DOUBLE_RE.fullmatch(value) is not None
    if lower in ("width", "viewport-width", "rtt"):
        return _INT_RE.fullmatch(value) is not None
    if lower == "ect":
        return value in _ECT_VALUES
    if lower == "save-data":
        return value.lower() == "on"
    return False


def cors_unsafe_request_header_names(headers: HeaderList, mode: Mode = "chromium") -> list[str]:
    """Fetch *CORS-unsafe request-header names*: lowercased, deduplicated, sorted (§3.1, p14).

    Forbidden headers are ignored (CR-UTIL). If the safelisted values add up to more than 1024
    bytes, they all become unsafe.
    """
    unsafe: set[str] = set()
    potentially_unsafe: set[str] = set()
    safelist_size = 0
    for name, value in headers:
        if is_forbidden_request_header(name, value, mode):
            continue
        if is_cors_safelisted_request_header(name, value, mode):
            potentially_unsafe.add(name.lower())
            safelist_size += _byte_length(strip_ows(value))
        else:
            unsafe.add(name.lower())
    if safelist_size > 1024:
        unsafe |= potentially_unsafe
    return sorted(unsafe)


def needs_preflight(
    method: str,
    request_headers: HeaderList,
    mode: Mode = "chromium",
    *,
    use_cors_preflight_flag: bool = False,
) -> bool:
    """Whether a cross-origin cors-mode fetch()/XHR needs a preflight, ignoring the preflight
    cache (§3.1; p01-p15)."""
    if use_cors_preflight_flag:
        return True  # x07
    if not is_cors_safelisted_method(normalize_method(method)):
        return True
    return bool(cors_unsafe_request_header_names(request_headers, mode))
