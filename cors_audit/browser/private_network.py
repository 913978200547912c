"""Private Network Access (BROWSER-MODEL.md §5.1): whether the reply to a private-network
preflight grants the requesting page access to a private or loopback service.

Under the older WICG draft the reply must pass the CORS check *and* answer
``Access-Control-Allow-Private-Network: true``; a refusal of the CORS check grants nothing,
whatever the private-network header says. Chromium 142 and later no longer consult the header
(§5.2, ``fetch.py``), but browsers that implement the draft honour it, so the rules still ask.

Like every module of ``cors_audit/browser``: standard library only (and ``core/wire.py``), no
I/O, no network, no clock.
"""

from __future__ import annotations

from cors_audit.browser.check import CorsError, Verdict, cors_check
from cors_audit.browser.headers import Credentials, HeaderList, header_get
from cors_audit.core.wire import ACAPN


def private_network_check(origin: str, credentials: Credentials, headers: HeaderList) -> Verdict:
    """The access part of a private-network preflight reply (§5.1): the CORS check (§2.1, with
    its ``Preflight…`` error name), then Access-Control-Allow-Private-Network exactly ``true``
    (one line, OWS stripped). The status and the method and header checks are
    ``preflight_check``'s business."""
    access = cors_check(origin, credentials, headers)
    if access.error is not None:
        return Verdict(False, access.error.preflight_variant)
    value = header_get(headers, ACAPN)
    if value is None:
        return Verdict(False, CorsError.PREFLIGHT_MISSING_ALLOW_PRIVATE_NETWORK)
    if value != "true":
        return Verdict(False, CorsError.PREFLIGHT_INVALID_ALLOW_PRIVATE_NETWORK)
    return Verdict(True)
