"""Stage 1, the browser model: what Chromium decides about a reply (the CORS check, the preflight,
exposed headers, private-network access, the preflight and HTTP caches, a whole simulated fetch).
Takes header lists and request facts; gives verdicts. The planner, the rules and the verifier ask
it; ``tests/browser`` replays its vectors in a real Chromium. ``BROWSER-MODEL.md`` beside it says
what it decides and why, with the Fetch sections and Chromium source files it follows.

Modules, by BROWSER-MODEL.md section: ``headers`` (§1.1 header lists, §1.3 methods, §3.1 request
headers), ``origin`` (§1.2), ``check`` (§2 the CORS check, §3.3-§3.5 the preflight and Max-Age,
§4 exposure), ``cache`` (§3.6 preflight cache, the HTTP cache), ``fetch`` (a whole simulated
fetch: redirects, §5.2 Local Network Access). The CORS header names, default ports and the origin
serializer are ``core/wire.py``'s, re-exported here. Every module is standard library only.
"""

from cors_audit.browser.cache import HttpCache, PreflightCache, SimCache, is_no_store, vary_names
from cors_audit.browser.check import (
    CorsError,
    Engine,
    PreflightVerdict,
    Verdict,
    cors_check,
    exposed_header_names,
    is_credentials_true,
    is_ok_status,
    is_redirect,
    max_age,
    preflight_check,
    remembered_cors_check,
    remembered_preflight_check,
)
from cors_audit.browser.fetch import (
    AddressSpace,
    FetchOutcome,
    RequestMode,
    ResponseType,
    SimRequest,
    SimResponse,
    WireRequest,
    simulate_fetch,
)
from cors_audit.browser.headers import (
    FAILURE,
    Credentials,
    Failure,
    HeaderList,
    Headers,
    Mode,
    Remembered,
    cors_unsafe_request_header_names,
    extract_header_list_values,
    header_get,
    is_cors_safelisted_method,
    is_cors_safelisted_request_header,
    is_forbidden_method,
    is_forbidden_request_header,
    is_token,
    needs_preflight,
    normalize_method,
)
from cors_audit.browser.origin import (
    AllowOriginShape,
    allow_origin_shape,
    is_browser_sendable_origin,
    remembered_allow_origin_shape,
)
from cors_audit.browser.private_network import private_network_check
from cors_audit.core.wire import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, url_origin

__all__ = [
    "ACAC",
    "ACAH",
    "ACAM",
    "ACAO",
    "ACAPN",
    "ACEH",
    "ACMA",
    "FAILURE",
    "AddressSpace",
    "AllowOriginShape",
    "CorsError",
    "Credentials",
    "Engine",
    "Failure",
    "FetchOutcome",
    "HeaderList",
    "Headers",
    "HttpCache",
    "Mode",
    "PreflightCache",
    "PreflightVerdict",
    "Remembered",
    "RequestMode",
    "ResponseType",
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
    "is_no_store",
    "is_ok_status",
    "is_redirect",
    "is_token",
    "max_age",
    "needs_preflight",
    "normalize_method",
    "preflight_check",
    "private_network_check",
    "remembered_allow_origin_shape",
    "remembered_cors_check",
    "remembered_preflight_check",
    "simulate_fetch",
    "url_origin",
    "vary_names",
]
