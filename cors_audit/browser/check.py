"""The checks Chromium runs on a reply (BROWSER-MODEL.md §2, §3.3-§3.5, §4): the CORS check and its
DevTools error names, the preflight response check, the Access-Control-Max-Age lifetime per
engine, and which response headers script can read.

Like every module of ``cors_audit/browser``: standard library only (and ``core/wire.py``), no
I/O, no network, no clock.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from cors_audit.browser.headers import (
    FAILURE,
    Credentials,
    HeaderList,
    Mode,
    Remembered,
    extract_header_list_values,
    header_get,
    is_cors_safelisted_method,
)
from cors_audit.core.wire import ACAC, ACAH, ACAM, ACAO, ACEH, ACMA

Engine = Literal["chromium", "spec", "firefox", "webkit"]
"""Whose Access-Control-Max-Age rules to apply (BROWSER-MODEL.md §3.5)."""

_DEFAULT_MAX_AGE: Final = 5  # every engine's default (§3.5)
_CHROMIUM_MAX_AGE_CAP: Final = 7200  # CR-PFR kMaxTimeout = base::Hours(2)
_FIREFOX_MAX_AGE_CAP: Final = 86400  # FF AddResultToCache "Cap at 24 hours"
_WEBKIT_MAX_AGE_CAP: Final = 600  # WK maxPreflightCacheTimeout
_INT64_MAX: Final = 2**63 - 1


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


CHECK_MEMO: Final = 4096
"""Most distinct (origin, credentials, headers) questions `remembered_cors_check` keeps: a
scan's replies repeat (one server answers the targets behind it alike), so a few thousand
cover it, and the bound keeps the memo small however many replies a scan sees."""


_remembered = Remembered(cors_check, CHECK_MEMO)
remembered_cors_check = _remembered.ask
"""`cors_check`, remembered for a header tuple: the scan asks the same question of the
same reply many times (the planner after every round, the summary, the rules, in both
credentials modes) and of equal replies across the targets of one server. The same verdict
as `cors_check` (`Remembered`)."""


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


def method_allowed(method: str, methods: Iterable[str], include: bool) -> bool:
    """Whether ``methods`` (an ACAM list) admits ``method``: byte-exact membership, ``*`` only
    without credentials (m03, m04, m08-m11)."""
    allowed = set(methods)
    if method in allowed or is_cors_safelisted_method(method):
        return True
    return not include and "*" in allowed


def header_allowed(name: str, names: Iterable[str], include: bool, non_wildcard: bool) -> bool:
    """Whether ``names`` (an ACAH list) admits the lowercased request-header ``name``:
    case-insensitive membership, ``*`` only without credentials (h02, h03), and per the standard
    never for Authorization, the CORS non-wildcard request-header name (h04, x09)."""
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
    if not method_allowed(method, method_list, include):
        return PreflightVerdict(False, CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE)
    for name in unsafe_header_names:
        if not header_allowed(name.lower(), name_list, include, non_wildcard_request_headers):
            return PreflightVerdict(False, CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE)
    return PreflightVerdict(True, None, method_list, name_list, max_age(headers, mode))


_remembered_preflight = Remembered(preflight_check, CHECK_MEMO)
remembered_preflight_check = _remembered_preflight.ask
"""`preflight_check` (without its keyword-only options), remembered for a header tuple: the
rules ask it of each preflight reply in both credentials modes, and equal replies repeat
across the targets of one server. The same verdict as `preflight_check`, which itself stays
unremembered, as `remembered_cors_check` does for `cors_check`; shares `CHECK_MEMO`."""


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
NEVER_EXPOSED: Final = frozenset({"set-cookie", "set-cookie2"})
"""Response headers script never reads, on any response type (§4; e05)."""


def exposed_header_names(headers: HeaderList, credentials: Credentials) -> frozenset[str]:
    """Lowercased names of the response's headers that script can read on a CORS response (§4):
    the safelisted names plus ACEH names; ACEH ``*`` without include exposes every name (e03);
    invalid ACEH exposes only the safelist (e06); never Set-Cookie/Set-Cookie2 (e05)."""
    present = {n.lower() for n, _ in headers} - NEVER_EXPOSED
    listed = extract_header_list_values(headers, ACEH)
    exposed = set(_SAFELISTED_RESPONSE_HEADERS)
    if isinstance(listed, list):
        lowered = {n.lower() for n in listed}
        if "*" in lowered and credentials != "include":
            return frozenset(present)
        exposed |= lowered
    return frozenset(present & exposed)
