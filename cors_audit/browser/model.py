"""The browser model: how Chromium (and the Fetch standard) judges CORS.

This stage answers "would a browser let this origin read this response / send this request?"
from plain data: request origin, credentials mode, method, request headers, response status and
the response header list exactly as received. Every rule of the auditor asks this module instead
of matching strings. Semantics and sources: ``BROWSER-MODEL.md`` (section numbers and vector ids are
cited in comments).

Two modes where the standard and the shipping browser differ (BROWSER-MODEL.md §3.4): ``chromium``
(default; checked against headless Chromium) and ``spec`` (the WHATWG Fetch text).

Besides the pure checks, :func:`simulate_fetch` plays a whole ``fetch()`` (preflight, preflight
cache, HTTP cache, redirects, Local Network Access) against a caller-supplied server function, so
every observed vector of BROWSER-MODEL.md §7 can be replayed in memory.

This module must stay pure: stdlib only, no I/O, no network, no clock (time is a parameter), no
imports from the rest of the package.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Final, Literal
from urllib.parse import urljoin, urlsplit

__all__ = [
    "FAILURE",
    "AddressSpace",
    "AllowOriginShape",
    "CorsError",
    "Credentials",
    "Engine",
    "Failure",
    "FetchOutcome",
    "HeaderList",
    "HttpCache",
    "Mode",
    "PreflightCache",
    "PreflightVerdict",
    "RequestMode",
    "SimCache",
    "SimRequest",
    "SimResponse",
    "Verdict",
    "WireRequest",
    "allow_origin_shape",
    "cors_check",
    "cors_unsafe_request_header_names",
    "exposed_header_names",
    "extract_header_list_values",
    "header_get",
    "is_browser_sendable_origin",
    "is_cors_safelisted_method",
    "is_cors_safelisted_request_header",
    "is_credentials_true",
    "is_forbidden_method",
    "is_forbidden_request_header",
    "is_ok_status",
    "is_redirect",
    "is_token",
    "max_age",
    "needs_preflight",
    "normalize_method",
    "preflight_check",
    "simulate_fetch",
    "url_origin",
]

Mode = Literal["chromium", "spec"]
"""Which behaviour to model where Chromium deviates from the standard (BROWSER-MODEL.md §3.4)."""
Credentials = Literal["omit", "same-origin", "include"]
"""A request's credentials mode (BROWSER-MODEL.md §2.1)."""
Engine = Literal["chromium", "spec", "firefox", "webkit"]
"""Whose Access-Control-Max-Age rules to apply (BROWSER-MODEL.md §3.5)."""
RequestMode = Literal["cors", "no-cors"]
"""A request's mode as ``fetch()`` sets it."""
AddressSpace = Literal["public", "local", "loopback"]
"""Local Network Access address spaces (BROWSER-MODEL.md §5.2)."""
ResponseType = Literal["basic", "cors", "opaque", "error"]
"""The type of the response script receives (``error`` = network error / TypeError)."""

HeaderList = Sequence[tuple[str, str]]
"""Ordered (name as received, latin-1 value) pairs; repeated names stay repeated."""
Headers = tuple[tuple[str, str], ...]

ACAO: Final = "access-control-allow-origin"
ACAC: Final = "access-control-allow-credentials"
ACAM: Final = "access-control-allow-methods"
ACAH: Final = "access-control-allow-headers"
ACEH: Final = "access-control-expose-headers"
ACMA: Final = "access-control-max-age"
ACAPN: Final = "access-control-allow-private-network"

_HTTP_TAB_OR_SPACE: Final = " \t"
_HTTP_WHITESPACE: Final = " \t\r\n"
_DEFAULT_MAX_AGE: Final = 5  # every engine's default (§3.5)
_CHROMIUM_MAX_AGE_CAP: Final = 7200  # CR-PFR kMaxTimeout = base::Hours(2)
_FIREFOX_MAX_AGE_CAP: Final = 86400  # FF AddResultToCache "Cap at 24 hours"
_WEBKIT_MAX_AGE_CAP: Final = 600  # WK maxPreflightCacheTimeout
_INT64_MAX: Final = 2**63 - 1
_MAX_REDIRECTS: Final = 20  # Fetch "HTTP-redirect fetch": more than 20 → network error


class CorsError(StrEnum):
    """DevTools ``Network.CorsError`` names (BROWSER-MODEL.md §8, CR-PDL); value = exact name."""

    DISALLOWED_BY_MODE = "DisallowedByMode"
    INVALID_RESPONSE = "InvalidResponse"
    WILDCARD_ORIGIN_NOT_ALLOWED = "WildcardOriginNotAllowed"
    MISSING_ALLOW_ORIGIN_HEADER = "MissingAllowOriginHeader"
    MULTIPLE_ALLOW_ORIGIN_VALUES = "MultipleAllowOriginValues"
    INVALID_ALLOW_ORIGIN_VALUE = "InvalidAllowOriginValue"
    ALLOW_ORIGIN_MISMATCH = "AllowOriginMismatch"
    INVALID_ALLOW_CREDENTIALS = "InvalidAllowCredentials"
    CORS_DISABLED_SCHEME = "CorsDisabledScheme"
    PREFLIGHT_INVALID_STATUS = "PreflightInvalidStatus"
    PREFLIGHT_DISALLOWED_REDIRECT = "PreflightDisallowedRedirect"
    PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED = "PreflightWildcardOriginNotAllowed"
    PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER = "PreflightMissingAllowOriginHeader"
    PREFLIGHT_MULTIPLE_ALLOW_ORIGIN_VALUES = "PreflightMultipleAllowOriginValues"
    PREFLIGHT_INVALID_ALLOW_ORIGIN_VALUE = "PreflightInvalidAllowOriginValue"
    PREFLIGHT_ALLOW_ORIGIN_MISMATCH = "PreflightAllowOriginMismatch"
    PREFLIGHT_INVALID_ALLOW_CREDENTIALS = "PreflightInvalidAllowCredentials"
    PREFLIGHT_MISSING_ALLOW_EXTERNAL = "PreflightMissingAllowExternal"
    PREFLIGHT_INVALID_ALLOW_EXTERNAL = "PreflightInvalidAllowExternal"
    PREFLIGHT_MISSING_ALLOW_PRIVATE_NETWORK = "PreflightMissingAllowPrivateNetwork"
    PREFLIGHT_INVALID_ALLOW_PRIVATE_NETWORK = "PreflightInvalidAllowPrivateNetwork"
    INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE = "InvalidAllowMethodsPreflightResponse"
    INVALID_ALLOW_HEADERS_PREFLIGHT_RESPONSE = "InvalidAllowHeadersPreflightResponse"
    METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE = "MethodDisallowedByPreflightResponse"
    HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE = "HeaderDisallowedByPreflightResponse"
    REDIRECT_CONTAINS_CREDENTIALS = "RedirectContainsCredentials"
    INSECURE_PRIVATE_NETWORK = "InsecurePrivateNetwork"
    INVALID_PRIVATE_NETWORK_ACCESS = "InvalidPrivateNetworkAccess"
    UNEXPECTED_PRIVATE_NETWORK_ACCESS = "UnexpectedPrivateNetworkAccess"
    NO_CORS_REDIRECT_MODE_NOT_FOLLOW = "NoCorsRedirectModeNotFollow"
    PREFLIGHT_MISSING_PRIVATE_NETWORK_ACCESS_ID = "PreflightMissingPrivateNetworkAccessId"
    PREFLIGHT_MISSING_PRIVATE_NETWORK_ACCESS_NAME = "PreflightMissingPrivateNetworkAccessName"
    PRIVATE_NETWORK_ACCESS_PERMISSION_UNAVAILABLE = "PrivateNetworkAccessPermissionUnavailable"
    PRIVATE_NETWORK_ACCESS_PERMISSION_DENIED = "PrivateNetworkAccessPermissionDenied"
    # Local Network Access names, which Chromium 156 reports in Network.loadingFailed for the
    # LNA blocks of §5.2 (observed with tests/browser: l01, bl01, bl02).
    INSECURE_LOCAL_NETWORK = "InsecureLocalNetwork"
    LOCAL_NETWORK_ACCESS_PERMISSION_DENIED = "LocalNetworkAccessPermissionDenied"

    @property
    def preflight_variant(self) -> CorsError:
        """The ``Preflight…`` name Chromium reports when this access error hits a preflight
        (CR-PFC ``CheckPreflightAccess``, §2.3); other errors map to themselves."""
        return _PREFLIGHT_VARIANT.get(self, self)


_PREFLIGHT_VARIANT: Final[dict[CorsError, CorsError]] = {
    CorsError.WILDCARD_ORIGIN_NOT_ALLOWED: CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED,
    CorsError.MISSING_ALLOW_ORIGIN_HEADER: CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER,
    CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES: CorsError.PREFLIGHT_MULTIPLE_ALLOW_ORIGIN_VALUES,
    CorsError.INVALID_ALLOW_ORIGIN_VALUE: CorsError.PREFLIGHT_INVALID_ALLOW_ORIGIN_VALUE,
    CorsError.ALLOW_ORIGIN_MISMATCH: CorsError.PREFLIGHT_ALLOW_ORIGIN_MISMATCH,
    CorsError.INVALID_ALLOW_CREDENTIALS: CorsError.PREFLIGHT_INVALID_ALLOW_CREDENTIALS,
}


class Failure(Enum):
    """The Fetch standard's *failure* result of "extract header list values" (§1.1)."""

    FAILURE = "failure"

    def __repr__(self) -> str:
        return "FAILURE"


FAILURE: Final = Failure.FAILURE
"""Sentinel returned by :func:`extract_header_list_values`; test with ``is FAILURE``."""


# --------------------------------------------------------------------------------------------
# §1.1 header-list primitives


def _strip_ows(value: str) -> str:
    # A header value never has leading/trailing HTTP tab or space once parsed (§1.1, s12, c09).
    return value.strip(_HTTP_TAB_OR_SPACE)


def _values(headers: HeaderList, name: str) -> list[str]:
    lower = name.lower()
    if not lower.isascii():
        return [_strip_ows(v) for n, v in headers if n.lower() == lower]
    size = len(lower)
    # The length test first, as it is cheap: every character that lowercases to ASCII does so
    # to one character, so a name of another length cannot match.
    return [_strip_ows(v) for n, v in headers if len(n) == size and n.lower() == lower]


def header_get(headers: HeaderList, name: str) -> str | None:
    """Fetch *get*: every value of ``name`` (any case) in order joined with ``", "``; None when
    absent (§1.1; Chromium ``GetNormalizedHeader``; s09, c05)."""
    values = _values(headers, name)
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
    values = _values(headers, name)
    if not values:
        return None
    if name.lower() == ACMA:
        if len(values) != 1 or not _DELTA_SECONDS_RE.fullmatch(values[0]):
            return FAILURE
        return values
    result: list[str] = []
    for value in values:
        for element in value.split(","):
            item = _strip_ows(element)
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
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",  # PNA §5.1
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
        return any(_strip_ows(m).upper() in _FORBIDDEN_METHODS for m in value.split(","))
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
    value = _strip_ows(value)
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
            safelist_size += _byte_length(_strip_ows(value))
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


# --------------------------------------------------------------------------------------------
# §1.2 origins


def _url_parts(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, host, port


_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}


def url_origin(url: str) -> str:
    """ASCII serialization of a URL's origin (scheme://host[:port], default port dropped);
    ``null`` for schemes without a tuple origin."""
    scheme, host, port = _url_parts(url)
    if scheme not in _DEFAULT_PORTS or not host:
        return "null"
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _same_origin(origin: str, url: str) -> bool:
    # An opaque origin ("null") is never same-origin with anything (§1.2).
    return origin != "null" and origin == url_origin(url)


_SENDABLE_SCHEMES: Final = frozenset(
    {"http", "https", "chrome-extension", "moz-extension", "safari-web-extension"}
)
_ORIGIN_RE: Final = re.compile(r"([a-z][a-z0-9+.\-]*)://(\[[^\]]*\]|[^:/\[\]]*)(?::([0-9]+))?")
_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _whatwg_ipv6(address: ipaddress.IPv6Address) -> str:
    # WHATWG IPv6 serializer: lowercase hex, first longest run (>1) of zero pieces as "::".
    packed = address.packed
    pieces = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    best_start, best_len, i = -1, 1, 0
    while i < 8:
        if pieces[i] == 0:
            j = i
            while j < 8 and pieces[j] == 0:
                j += 1
            if j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    if best_start < 0:
        return ":".join(f"{p:x}" for p in pieces)
    head = ":".join(f"{p:x}" for p in pieces[:best_start])
    tail = ":".join(f"{p:x}" for p in pieces[best_start + best_len :])
    return f"{head}::{tail}"


def _is_canonical_host(host: str) -> bool:
    if host.startswith("["):
        inner = host[1:-1]
        try:
            address = ipaddress.IPv6Address(inner)
        except ValueError:
            return False
        return "%" not in inner and _whatwg_ipv6(address) == inner
    # Lowercase ASCII (punycode for IDNs), `_` accepted as Chromium does (§6.1 P-SPECIAL);
    # backtick, braces and the like are Safari-only at best and are not sendable here.
    if not host or any(c not in _HOST_CHARS for c in host):
        return False
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]  # one trailing dot is kept by browsers
    if any(label == "" for label in labels):
        return False
    last = labels[-1]
    # WHATWG "ends in a number": decimal digits, or 0x/0X followed by hex digits only (so
    # "0xg" is an ordinary label).
    hexa = last[:2] in ("0x", "0X") and all(c in "0123456789abcdefABCDEF" for c in last[2:])
    if last.isdigit() or hexa:
        # The URL parser reads this host as IPv4 and serializes it canonically.
        try:
            return str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            return False
    return True


def is_browser_sendable_origin(value: str) -> bool:
    """Whether a browser can put ``value`` in an ``Origin`` header (§1.2): ``null``, or
    ``scheme://host[:port]`` in canonical form (lowercase, punycode, no path or trailing slash,
    no userinfo, default port omitted, IPv6 compressed in brackets)."""
    if value == "null":
        return True
    match = _ORIGIN_RE.fullmatch(value)
    if match is None:
        return False
    scheme, host, port = match.group(1), match.group(2), match.group(3)
    if scheme not in _SENDABLE_SCHEMES or not _is_canonical_host(host):
        return False
    if port is None:
        return True
    if (port != "0" and port.startswith("0")) or int(port) > 65535:
        return False
    return int(port) != _DEFAULT_PORTS.get(scheme)


class AllowOriginShape(StrEnum):
    """What an ``Access-Control-Allow-Origin`` header looks like (§2.1 ABNF, §6.2 C13)."""

    ABSENT = "absent"
    WILDCARD = "wildcard"
    NULL = "null"
    ORIGIN = "origin"
    MULTIPLE = "multiple"
    INVALID = "invalid"


def allow_origin_shape(headers: HeaderList) -> AllowOriginShape:
    """Classify ACAO: absent, ``*``, ``null``, one serialized origin, several values (repeated
    lines, a comma or a space inside; s09-s11, s13) or anything else (s04-s05, s14-s16, n05)."""
    values = _values(headers, ACAO)
    if not values:
        return AllowOriginShape.ABSENT
    if len(values) > 1:
        return AllowOriginShape.MULTIPLE
    value = values[0]
    if value == "*":
        return AllowOriginShape.WILDCARD
    if value == "null":
        return AllowOriginShape.NULL
    if any(c in value for c in ", \t"):
        return AllowOriginShape.MULTIPLE
    if is_browser_sendable_origin(value):
        return AllowOriginShape.ORIGIN
    return AllowOriginShape.INVALID


# --------------------------------------------------------------------------------------------
# §2 the CORS check


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of a CORS check."""

    allowed: bool
    error: CorsError | None = None
    """The DevTools error name when blocked."""

    def __bool__(self) -> bool:
        return self.allowed


_ALLOWED: Final = Verdict(allowed=True)
_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:")
_SPECIAL_SCHEMES: Final = frozenset({"http", "https", "ws", "wss", "ftp"})
_BAD_HOST_CHARS: Final = frozenset(' \t\r\n#/:<>?@[\\]^|%"')


def _gurl_is_valid(value: str) -> bool:
    # Approximation of Chromium's GURL(value).is_valid(), which only picks the diagnostic
    # (InvalidAllowOriginValue vs AllowOriginMismatch, §2.3): a scheme is needed (s16 `"…"`,
    # n05 `Null` fail), any syntactically valid scheme is accepted (s15 `a.test:8000` passes),
    # and special schemes need a usable host and port (s14 `*` in a host passes).
    match = _SCHEME_RE.match(value)
    if match is None:
        return False
    scheme = match.group(0)[:-1].lower()
    if scheme not in _SPECIAL_SCHEMES:
        return True
    rest = value[match.end() :].lstrip("/\\")
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        host, bracket, port_part = authority[1:].partition("]")
        if not bracket:
            return False
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        port = port_part[1:] if port_part.startswith(":") else port_part
        if port_part and not port_part.startswith(":"):
            return False
    else:
        host, _, port = authority.partition(":")
        if not host or any(c in _BAD_HOST_CHARS for c in host):
            return False
    return not port or (port.isdigit() and int(port) <= 65535)


def cors_check(origin: str, credentials: Credentials, headers: HeaderList) -> Verdict:
    """The CORS check on a response (§2.1), with Chromium's error names and order (§2.3).

    ``origin`` is the request's serialized origin (``null`` when opaque or redirect-tainted).
    The status is not looked at (st1, st3).
    """
    include = credentials == "include"
    acao = header_get(headers, ACAO)
    if acao == "*":
        if include:
            return Verdict(False, CorsError.WILDCARD_ORIGIN_NOT_ALLOWED)  # c01
        return _ALLOWED  # ACAC ignored (c07)
    if acao is None:
        return Verdict(False, CorsError.MISSING_ALLOW_ORIGIN_HEADER)
    if acao != origin:
        if " " in acao or "," in acao:
            return Verdict(False, CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES)  # s09-s11, s13
        if acao == "null":
            return Verdict(False, CorsError.ALLOW_ORIGIN_MISMATCH)  # s08
        if not _gurl_is_valid(acao):
            return Verdict(False, CorsError.INVALID_ALLOW_ORIGIN_VALUE)  # s16, n05
        return Verdict(False, CorsError.ALLOW_ORIGIN_MISMATCH)
    if include and not is_credentials_true(headers):
        return Verdict(False, CorsError.INVALID_ALLOW_CREDENTIALS)  # c02, c04, c05, c08
    return _ALLOWED


def is_credentials_true(headers: HeaderList) -> bool:
    """ACAC is exactly ``true`` (one line, OWS stripped; c04 ``True``, c05 two lines, c09)."""
    return header_get(headers, ACAC) == "true"


def is_ok_status(status: int) -> bool:
    """Fetch *ok status*: 200-299 inclusive (CR-HDR; q01-q04, q10)."""
    return 200 <= status <= 299


def is_redirect(status: int, headers: HeaderList) -> bool:
    """Whether the network stack follows this response as a redirect: 301/302/303/307/308 with a
    Location (a 300 without Location is a plain non-ok response, q10)."""
    return status in (301, 302, 303, 307, 308) and bool(header_get(headers, "Location"))


# --------------------------------------------------------------------------------------------
# §3.3-§3.5 the preflight


@dataclass(frozen=True, slots=True)
class PreflightVerdict:
    """The result of validating a preflight response (§3.3)."""

    allowed: bool
    error: CorsError | None = None
    methods: tuple[str, ...] = ()
    """ACAM as parsed (case kept), or ``(method,)`` under the use-CORS-preflight flag."""
    headers: tuple[str, ...] = ()
    """ACAH as parsed, lowercased."""
    max_age: int | None = None
    """Cache lifetime in seconds for the verdict's mode (§3.5); set only when allowed."""

    def __bool__(self) -> bool:
        return self.allowed


def _method_allowed(method: str, methods: Iterable[str], include: bool) -> bool:
    # Byte-exact membership; `*` only without credentials (m03, m04, m08-m11).
    allowed = set(methods)
    if method in allowed or is_cors_safelisted_method(method):
        return True
    return not include and "*" in allowed


def _header_allowed(name: str, names: Iterable[str], include: bool, non_wildcard: bool) -> bool:
    # Case-insensitive membership; `*` only without credentials (h02, h03), and per the
    # standard never for Authorization, the CORS non-wildcard request-header name (h04, x09).
    lowered = {n.lower() for n in names}
    if name in lowered:
        return True
    if include or "*" not in lowered:
        return False
    return not (non_wildcard and name == "authorization")


def preflight_check(
    origin: str,
    credentials: Credentials,
    method: str,
    unsafe_header_names: Sequence[str],
    status: int,
    headers: HeaderList,
    mode: Mode = "chromium",
    *,
    use_cors_preflight_flag: bool = False,
    non_wildcard_request_headers: bool | None = None,
) -> PreflightVerdict:
    """Validate a preflight response for the actual request (§3.3, Chromium order §2.3).

    ``method`` is the normalized actual method; ``unsafe_header_names`` its CORS-unsafe
    request-header names (lowercase). ``credentials`` is the actual request's mode (m06, m07).
    ``non_wildcard_request_headers`` models Chromium's ``CorsNonWildcardRequestHeadersSupport``
    feature; None means off in ``chromium`` mode (h04 allowed) and on in ``spec`` mode (x09).
    """
    if non_wildcard_request_headers is None:
        non_wildcard_request_headers = mode == "spec"
    if is_redirect(status, headers):
        return PreflightVerdict(False, CorsError.PREFLIGHT_DISALLOWED_REDIRECT)  # q05
    access = cors_check(origin, credentials, headers)
    if access.error is not None:
        return PreflightVerdict(False, access.error.preflight_variant)  # q06, q09
    if not is_ok_status(status):
        return PreflightVerdict(False, CorsError.PREFLIGHT_INVALID_STATUS)  # q03, q04, q10
    methods = extract_header_list_values(headers, ACAM)
    if methods is FAILURE:
        return PreflightVerdict(False, CorsError.INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE)
    names = extract_header_list_values(headers, ACAH)
    if names is FAILURE:
        return PreflightVerdict(False, CorsError.INVALID_ALLOW_HEADERS_PREFLIGHT_RESPONSE)
    if methods is None and use_cors_preflight_flag:
        methods = [method]  # x07
    method_list = tuple(methods or ())
    name_list = tuple(n.lower() for n in names or ())
    include = credentials == "include"
    if not _method_allowed(method, method_list, include):
        return PreflightVerdict(False, CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE)
    for name in unsafe_header_names:
        if not _header_allowed(name.lower(), name_list, include, non_wildcard_request_headers):
            return PreflightVerdict(False, CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE)
    return PreflightVerdict(True, None, method_list, name_list, max_age(headers, mode))


_SIGNED_INT_RE: Final = re.compile(r"[+-]?[0-9]+")


def _parse_int64(value: str) -> int | None:
    # base::StringToInt64 / WTF::parseInteger<int64_t>: optional sign, digits, no garbage,
    # no overflow.
    if not _SIGNED_INT_RE.fullmatch(value):
        return None
    number = int(value)
    return number if -_INT64_MAX - 1 <= number <= _INT64_MAX else None


def max_age(headers: HeaderList, engine: Engine = "chromium") -> int | None:
    """Effective preflight-cache lifetime in seconds per engine (§3.5); None = not cached.

    chromium: absent/invalid 5, negative 0, capped at 7200 (a01-a09, x01, x10); spec: failure 5,
    no cap; firefox: absent 5, any non-digit → not cached, cap 86400 (x02); webkit: invalid 5,
    negative 0, cap 600 (x03).
    """
    if engine == "spec":
        values = extract_header_list_values(headers, ACMA)
        if values is None or values is FAILURE:
            return _DEFAULT_MAX_AGE
        return int(values[0])
    raw = header_get(headers, ACMA)
    if engine == "firefox":
        if not raw:
            return _DEFAULT_MAX_AGE
        if not (raw.isascii() and raw.isdigit()):
            return None
        return min(int(raw), _FIREFOX_MAX_AGE_CAP)
    number = None if raw is None else _parse_int64(raw)
    if number is None:
        return _DEFAULT_MAX_AGE
    cap = _CHROMIUM_MAX_AGE_CAP if engine == "chromium" else _WEBKIT_MAX_AGE_CAP
    return max(0, min(number, cap))


# --------------------------------------------------------------------------------------------
# §4 exposure

_SAFELISTED_RESPONSE_HEADERS: Final = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
_NEVER_EXPOSED: Final = frozenset({"set-cookie", "set-cookie2"})


def exposed_header_names(headers: HeaderList, credentials: Credentials) -> frozenset[str]:
    """Lowercased names of the response's headers that script can read on a CORS response (§4):
    the safelisted names plus ACEH names; ACEH ``*`` without include exposes every name (e03);
    invalid ACEH exposes only the safelist (e06); never Set-Cookie/Set-Cookie2 (e05)."""
    present = {n.lower() for n, _ in headers} - _NEVER_EXPOSED
    listed = extract_header_list_values(headers, ACEH)
    exposed = set(_SAFELISTED_RESPONSE_HEADERS)
    if isinstance(listed, list):
        lowered = {n.lower() for n in listed}
        if "*" in lowered and credentials != "include":
            return frozenset(present)
        exposed |= lowered
    return frozenset(present & exposed)


# --------------------------------------------------------------------------------------------
# Fetch simulation (§2.1 redirects, §3.6 preflight cache, §5.2 LNA, §6.2 C14 HTTP cache)


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
        return header_get(self.headers, "Access-Control-Request-Method")

    @property
    def acrh(self) -> str | None:
        """Access-Control-Request-Headers (preflights), e.g. ``content-type,x-a,x-b``."""
        return header_get(self.headers, "Access-Control-Request-Headers")


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
        if not _method_allowed(method, entry.methods, include):
            return False  # k03
        return all(
            _header_allowed(n, entry.headers, include, non_wildcard) for n in unsafe_header_names
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
        vary = [
            v.strip().lower() for v in (header_get(entry.response.headers, "Vary") or "").split(",")
        ]
        if "*" in vary:
            return None
        for name in filter(None, vary):
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
        if _validators(entry.response.headers):
            return "stale", entry
        return None

    def store(
        self, url: str, request_headers: HeaderList, response: SimResponse, now: float
    ) -> None:
        """Store a response if it is cacheable."""
        directives = _cache_control(response.headers)
        if response.status != 200 or "no-store" in directives:
            return
        lifetime = directives.get("max-age", "")
        if (lifetime.isdigit() and int(lifetime) > 0) or _validators(response.headers):
            self._entries[url] = _HttpEntry(response, tuple(request_headers), now)


def _validators(headers: HeaderList) -> Headers:
    result: list[tuple[str, str]] = []
    etag = header_get(headers, "ETag")
    if etag is not None:
        result.append(("If-None-Match", etag))
    modified = header_get(headers, "Last-Modified")
    if modified is not None:
        result.append(("If-Modified-Since", modified))
    return tuple(result)


def _merge_304(stored: SimResponse, fresh: SimResponse) -> SimResponse:
    # A 304 updates the stored header lines it repeats and keeps the others (RFC 9111 §4.3.4).
    updated = {n.lower() for n, _ in fresh.headers}
    kept = tuple((n, v) for n, v in stored.headers if n.lower() not in updated)
    return SimResponse(stored.status, kept + fresh.headers)


@dataclass(slots=True)
class SimCache:
    """The browser state that outlives one fetch(): the preflight cache and the HTTP cache."""

    preflight: PreflightCache = field(default_factory=PreflightCache)
    http: HttpCache = field(default_factory=HttpCache)


_SPACE_RANK: Final[dict[str, int]] = {"public": 0, "local": 1, "loopback": 2}


def _is_potentially_trustworthy(origin: str) -> bool:
    scheme, host, _ = _url_parts(origin)
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
        clean = _strip_ows(value)
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
    cross_origin = not _same_origin(initiator, url)
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
                    ("Access-Control-Request-Method", method),
                ]
                if unsafe:
                    pf_headers.append(("Access-Control-Request-Headers", ",".join(unsafe)))
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
                and not _same_origin(initiator, location)
            ):
                return _fail(CorsError.REDIRECT_CONTAINS_CREDENTIALS, "", wire)  # x04
            hop_cross = url_origin(location) != url_origin(url)
            # Redirect-taint (§2.1): a hop to another origin while the request's origin is not
            # same-origin with the URL being left makes the origin `null` (r01, r02, x05).
            if hop_cross and not _same_origin(initiator, url):
                tainted = True
            if (response.status == 303 and method not in ("GET", "HEAD")) or (
                response.status in (301, 302) and method == "POST"
            ):
                method = "GET"
                headers = [(n, v) for n, v in headers if n.lower() not in _REQUEST_BODY_HEADERS]
            if hop_cross:
                headers = [(n, v) for n, v in headers if n.lower() != "authorization"]
            url = location
            cross_origin = cross_origin or not _same_origin(initiator, url) or tainted
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
        readable = frozenset({n.lower() for n, _ in response.headers} - _NEVER_EXPOSED)
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
    conditional = _validators(cached[1].response.headers) if cached is not None else ()
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
