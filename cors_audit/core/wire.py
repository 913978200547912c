"""Spellings on the wire, written once for the whole package: the CORS header names, the default
ports of the special schemes, and how an origin is serialized (BROWSER-MODEL.md §1.2).

Every stage takes these from here instead of keeping its own copy. Standard library only, so the
browser model (``cors_audit/browser``) can use it and stay stdlib-only
(``tests/test_architecture.py``); the parser that normalizes hosts (IDNs, IPv4 forms) and knows
registrable domains is ``core/origin.py``, built on this.
"""

from __future__ import annotations

import functools
from typing import Final
from urllib.parse import urlsplit

__all__ = [
    "ACAC",
    "ACAH",
    "ACAM",
    "ACAO",
    "ACAPN",
    "ACEH",
    "ACMA",
    "ACRH",
    "ACRM",
    "ACRPN",
    "CORS_REQUEST_HEADERS",
    "CORS_RESPONSE_HEADERS",
    "DEFAULT_PORTS",
    "format_origin",
    "serialize_ipv6",
    "url_origin",
    "url_parts",
]

# -- the CORS header names (canonical spelling; HTTP compares names case-insensitively) -----------

ACAO: Final = "Access-Control-Allow-Origin"
ACAC: Final = "Access-Control-Allow-Credentials"
ACAM: Final = "Access-Control-Allow-Methods"
ACAH: Final = "Access-Control-Allow-Headers"
ACEH: Final = "Access-Control-Expose-Headers"
ACMA: Final = "Access-Control-Max-Age"
ACAPN: Final = "Access-Control-Allow-Private-Network"
ACRM: Final = "Access-Control-Request-Method"
ACRH: Final = "Access-Control-Request-Headers"
ACRPN: Final = "Access-Control-Request-Private-Network"

CORS_RESPONSE_HEADERS: Final = (ACAO, ACAC, ACAM, ACAH, ACEH, ACMA, ACAPN)
"""The headers a server answers a CORS request with (BROWSER-MODEL.md §2, §3.3, §4, §5)."""
CORS_REQUEST_HEADERS: Final = (ACRM, ACRH, ACRPN)
"""The headers a browser adds to a preflight (BROWSER-MODEL.md §3.2, §5.1)."""

# -- origins --------------------------------------------------------------------------------------

DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
"""Default ports of the WHATWG URL "special" schemes; a browser omits them from ``Origin``.
Schemes outside this table have no tuple origin (their documents' origin is ``null``)."""


def format_origin(scheme: str, host: str, port: int | None) -> str:
    """The one origin serializer: ``scheme://host[:port]``, the scheme's default port dropped.

    The parts must already be canonical (``core/origin.py`` ``serialize_origin`` normalizes them
    first); ``host`` may hold a ``{label}`` placeholder, an IPv6 address in brackets."""
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def url_parts(url: str) -> tuple[str, str, int | None]:
    """A URL's scheme and host (lowercased, IPv6 without brackets) and port (None when absent or
    invalid)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, host, port


URL_ORIGIN_MEMO: Final = 4096
"""Most URLs `url_origin` remembers: a target's origin is asked for on every planning round
and by the rules, and the URLs in flight at once number in the hundreds."""


@functools.lru_cache(maxsize=URL_ORIGIN_MEMO)
def url_origin(url: str) -> str:
    """The ASCII serialization of a URL's origin (scheme://host[:port], default port dropped);
    ``null`` for schemes without a tuple origin or a URL without a host (BROWSER-MODEL.md §1.2).
    The host is taken as written (lowercased): URLs are validated and normalized where they
    enter (``inputs/targets.py``)."""
    scheme, host, port = url_parts(url)
    if scheme not in DEFAULT_PORTS or not host:
        return "null"
    if ":" in host:
        host = f"[{host}]"
    return format_origin(scheme, host, port)


def serialize_ipv6(packed: bytes) -> str:
    """WHATWG IPv6 serializer (without brackets): lowercase hex, the first longest run (length
    > 1) of zero pieces becomes ``::``. Written out instead of ``ipaddress.compressed`` so
    IPv4-mapped addresses stay in hex on every Python version, as browsers write them."""
    pieces = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    best_start, best_len, run_start = -1, 1, -1
    for i, piece in enumerate([*pieces, 1]):
        if piece == 0:
            if run_start < 0:
                run_start = i
        elif run_start >= 0:
            if i - run_start > best_len:
                best_start, best_len = run_start, i - run_start
            run_start = -1
    if best_start < 0:
        return ":".join(f"{p:x}" for p in pieces)
    head = ":".join(f"{p:x}" for p in pieces[:best_start])
    tail = ":".join(f"{p:x}" for p in pieces[best_start + best_len :])
    return f"{head}::{tail}"
