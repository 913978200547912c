"""The origin checks a browser makes (BROWSER-MODEL.md §1.2): same-origin, whether a value is one
a browser can send in ``Origin``, and what an ``Access-Control-Allow-Origin`` value looks like.
Serializing a URL's origin and the default ports are ``core/wire.py``'s.

Like every module of ``cors_audit/browser``: standard library only (and ``core/wire.py``), no
I/O, no network, no clock.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Final

from cors_audit.browser.headers import HeaderList, Remembered, header_values
from cors_audit.core.wire import ACAO, DEFAULT_PORTS, serialize_ipv6, url_origin


def same_origin(origin: str, url: str) -> bool:
    """Whether a serialized origin is the URL's origin; an opaque origin (``null``) is never
    same-origin with anything (§1.2)."""
    return origin != "null" and origin == url_origin(url)


_SENDABLE_SCHEMES: Final = frozenset(
    {"http", "https", "chrome-extension", "moz-extension", "safari-web-extension"}
)
_ORIGIN_RE: Final = re.compile(r"([a-z][a-z0-9+.\-]*)://(\[[^\]]*\]|[^:/\[\]]*)(?::([0-9]+))?")
_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _is_canonical_host(host: str) -> bool:
    if host.startswith("["):
        inner = host[1:-1]
        try:
            address = ipaddress.IPv6Address(inner)
        except ValueError:
            return False
        return "%" not in inner and serialize_ipv6(address.packed) == inner
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
    return int(port) != DEFAULT_PORTS.get(scheme)


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
    values = header_values(headers, ACAO)
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


SHAPE_MEMO: Final = 4096
"""Most header tuples `remembered_allow_origin_shape` keeps: as for `check.CHECK_MEMO`, a
scan's replies repeat, so a few thousand cover it, and the bound keeps the memo small."""


_remembered_shape = Remembered(allow_origin_shape, SHAPE_MEMO)
remembered_allow_origin_shape = _remembered_shape.ask
"""`allow_origin_shape`, remembered for a header tuple: the rules, the summary and the
planner each ask it of every reply of a target (some hundred times per target), and equal
replies repeat across the targets of one server. The same shape as `allow_origin_shape`,
which itself stays unremembered."""
