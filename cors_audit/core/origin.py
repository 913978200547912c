"""Origins as browsers serialize them (BROWSER-MODEL.md §1.2): the one parser and normalizer of
origin values, hosts in canonical form (lowercase ASCII, punycode IDNs, WHATWG IPv4/IPv6), and
registrable domains from the Public Suffix List bundled in ``publicsuffixlist``. Every stage that
reads, compares or builds an origin uses these; pure, no I/O. The default ports and the serializer
itself (``format_origin``, ``url_origin``) are ``core/wire.py``'s, which the stdlib-only browser
model shares.
"""

from __future__ import annotations

import ipaddress
import string
from functools import cache

import idna
from publicsuffixlist import PublicSuffixList

from cors_audit.core.wire import DEFAULT_PORTS, format_origin, serialize_ipv6

_OPAQUE_SCHEMES = frozenset({"file", "data", "about", "blob", "javascript"})
"""Schemes whose documents have an opaque origin: a browser sends ``null`` for them
(BROWSER-MODEL.md §1.2), never ``scheme://…``."""

_SCHEME_CHARS = frozenset(string.ascii_lowercase + string.digits + "+-.")
_HOST_LABEL_CHARS = frozenset(string.ascii_lowercase + string.digits + "-_")
"""What a domain label may hold once in ASCII form. ``_`` is accepted by Chromium and Firefox
(BROWSER-MODEL.md §6.1 P-SPECIAL); characters such as a backtick or ``}`` are not sendable by
Chromium, so a value with them is never treated as browser-sendable."""

_MAX_LABEL = 63
_MAX_NAME = 253

THIRD_PARTY_PLATFORMS = (
    "github.io",
    "herokuapp.com",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "web.app",
    "firebaseapp.com",
    "azurewebsites.net",
    "cloudfront.net",
    "s3.amazonaws.com",
    "appspot.com",
    "ngrok-free.app",
)
"""Shared hosting platforms where anyone gets a subdomain (BROWSER-MODEL.md §6.1 P-3P, §6.2 C12)."""
SHARED_HOSTING_DOMAINS = frozenset((*THIRD_PARTY_PLATFORMS, "ngrok.io"))
"""Every domain where anyone can get a subdomain; a policy may not trust all subdomains of one.
Probes use the shorter `THIRD_PARTY_PLATFORMS` list (one origin each is enough)."""


def canonical_host(host: str) -> str:
    """The ASCII serialization of a URL host, as a browser writes it in ``Origin``.

    Domains are lowercased and IDNs converted to punycode (UTS #46, non-transitional, as in
    WHATWG URL "domain to ASCII"); IPv4 in any WHATWG form (``127.1``, ``0x7f.0.0.1``) becomes
    dotted decimal; IPv6 (with or without brackets) becomes compressed lowercase in brackets.
    Raises ``ValueError`` with a reason when no browser would accept the host.
    """
    if not host:
        raise ValueError("the host is empty")
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(f"unterminated IPv6 address {host!r}")
        return f"[{_ipv6(host[1:-1])}]"
    if ":" in host:
        return f"[{_ipv6(host)}]"
    ascii_host = _domain_to_ascii(host)
    if _ends_in_number(ascii_host):
        return _ipv4(ascii_host)
    _check_domain(ascii_host)
    return ascii_host


def _ipv6(text: str) -> str:
    if "%" in text:
        raise ValueError(f"IPv6 zone identifiers are not allowed in URLs: {text!r}")
    try:
        packed = ipaddress.IPv6Address(text).packed
    except ValueError as exc:
        raise ValueError(f"invalid IPv6 address {text!r}") from exc
    return serialize_ipv6(packed)


def _domain_to_ascii(host: str) -> str:
    if host.isascii():
        ascii_host = host.lower()
    else:
        try:
            mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
            labels = [
                label if label.isascii() else idna.alabel(label).decode("ascii")
                for label in mapped.split(".")
            ]
        except idna.IDNAError as exc:
            raise ValueError(f"invalid internationalized domain name {host!r}: {exc}") from exc
        ascii_host = ".".join(labels).lower()
    return ascii_host


def _ends_in_number(host: str) -> bool:
    """WHATWG URL "ends in a number": such a host is parsed as IPv4 (or rejected)."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last.isdigit():
        return True
    return _ipv4_number(last) is not None


def _ipv4_number(part: str) -> int | None:
    if not part:
        return None
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, base = part[1:], 8
    if not part:
        return 0
    try:
        return int(part, base) if part.isalnum() and part.isascii() else None
    except ValueError:
        return None


def _ipv4(host: str) -> str:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise ValueError(f"invalid IPv4 address {host!r}")
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        raise ValueError(f"invalid IPv4 address {host!r}")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise ValueError(f"IPv4 address out of range {host!r}")
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n * 256 ** (3 - i)
    return str(ipaddress.IPv4Address(address))


def _check_domain(host: str) -> None:
    name = host.removesuffix(".")
    if len(name) > _MAX_NAME:
        raise ValueError(f"host name longer than {_MAX_NAME} characters: {host!r}")
    for label in name.split("."):
        if not label:
            raise ValueError(f"empty label in host {host!r}")
        if len(label) > _MAX_LABEL:
            raise ValueError(f"label longer than {_MAX_LABEL} characters in host {host!r}")
        bad = sorted(set(label) - _HOST_LABEL_CHARS)
        if bad:
            raise ValueError(
                f"host {host!r} contains {''.join(bad)!r}; a browser-sendable host has only "
                "letters, digits, '-', '_' and '.'"
            )
        if label.startswith("xn--"):
            try:
                idna.ulabel(label)
            except idna.IDNAError as exc:
                raise ValueError(f"invalid punycode label {label!r} in host {host!r}") from exc


def is_ip(host: str) -> bool:
    """Whether a canonical host is an IPv4 or (bracketed) IPv6 address."""
    if host.startswith("["):
        return True
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


# -- origins -------------------------------------------------------------------------------------


def parse_origin(value: str) -> tuple[str, str, int | None]:
    """Split a serialized origin into ``(scheme, host, port)`` in browser form.

    Case, IDNs, IPv4/IPv6 spelling and a default port are normalized (``HTTPS://Bücher.example:443``
    gives ``("https", "xn--bcher-kva.example", None)``). Anything that is not an origin at all —
    a path, trailing ``/``, query, fragment, userinfo, no scheme, an opaque scheme, ``null`` —
    raises ``ValueError`` with the reason.
    """
    if value == "null":
        raise ValueError("'null' is an opaque origin, not scheme://host[:port]")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(f"origin {value!r} contains whitespace or control characters")
    scheme, sep, rest = value.partition("://")
    if not sep or not scheme:
        raise ValueError(f"origin {value!r} is not of the form scheme://host[:port]")
    scheme = scheme.lower()
    if not (scheme[0].isalpha() and set(scheme) <= _SCHEME_CHARS):
        raise ValueError(f"origin {value!r} has an invalid scheme {scheme!r}")
    if scheme in _OPAQUE_SCHEMES:
        raise ValueError(f"{scheme}: documents have an opaque origin; browsers send 'null'")
    if "@" in rest:
        raise ValueError(f"origin {value!r} contains userinfo ('@'); an origin never does")
    for i, c in enumerate(rest):
        if c in "/?#\\":
            hint = f"{scheme}://{rest[:i]}"
            raise ValueError(
                f"origin {value!r} has a path, query or fragment; an origin is "
                f"scheme://host[:port] only (did you mean {hint!r}?)"
            )
    if rest.startswith("["):
        end = rest.find("]")
        host, after = (rest, "") if end < 0 else (rest[: end + 1], rest[end + 1 :])
        if after and not after.startswith(":"):
            raise ValueError(f"origin {value!r} has text after the IPv6 address")
        port_text: str | None = after[1:] if after else None
    else:
        host, colon, port_text_raw = rest.partition(":")
        port_text = port_text_raw if colon else None
    port = _parse_port(port_text, value)
    return scheme, canonical_host(host), _drop_default(scheme, port)


def _parse_port(text: str | None, value: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"origin {value!r} has an invalid port {text!r}")
    port = int(text)
    if port > 65535:
        raise ValueError(f"origin {value!r} has a port above 65535")
    return port


def _drop_default(scheme: str, port: int | None) -> int | None:
    return None if port == DEFAULT_PORTS.get(scheme) else port


def serialize_origin(scheme: str, host: str, port: int | None) -> str:
    """The ``Origin`` header value a browser sends for this tuple origin (BROWSER-MODEL.md §1.2).
    Normalizes like ``parse_origin``; raises ``ValueError`` for an impossible tuple."""
    scheme = scheme.lower()
    if not scheme or not (scheme[0].isalpha() and set(scheme) <= _SCHEME_CHARS):
        raise ValueError(f"invalid scheme {scheme!r}")
    if scheme in _OPAQUE_SCHEMES:
        raise ValueError(f"{scheme}: documents have an opaque origin; browsers send 'null'")
    if port is not None and not 0 <= port <= 65535:
        raise ValueError(f"port {port} is outside 0-65535")
    return format_origin(scheme, canonical_host(host), port)


def normalize_origin(value: str) -> str:
    """``value`` re-serialized the way a browser sends it; ``null`` stays ``null``.
    Raises ``ValueError`` when it is not an origin."""
    if value == "null":
        return value
    return serialize_origin(*parse_origin(value))


def is_sendable(value: str) -> bool:
    """True when a browser can put exactly ``value`` in ``Origin`` (BROWSER-MODEL.md §1.2): ``null``
    or a serialized origin already in canonical form whose host could exist in DNS."""
    if value == "null":
        return True
    try:
        return serialize_origin(*parse_origin(value)) == value
    except ValueError:
        return False


# -- registrable domains -------------------------------------------------------------------------


@cache
def _psl() -> PublicSuffixList:
    # The list bundled with the package, ICANN and private sections: the private section is what
    # makes ``x.github.io`` its own site (BROWSER-MODEL.md §6.2 C12).
    return PublicSuffixList()


def registrable_domain(host: str) -> str | None:
    """The registrable domain ("eTLD+1") of a host, e.g. ``example.co.uk`` for
    ``api.example.co.uk``. ``None`` for IP addresses, ``localhost``, single-label hosts and hosts
    that are themselves public suffixes. Raises ``ValueError`` for an invalid host."""
    canonical = canonical_host(host)
    if is_ip(canonical):
        return None
    name = canonical.removesuffix(".")
    if "." not in name:
        return None
    return _psl().privatesuffix(name)


def has_known_suffix(host: str) -> bool:
    """Whether the host ends in a suffix the PSL lists, i.e. one where names can be registered
    (an unknown TLD such as ``examplexcom`` cannot be registered by anyone)."""
    return _psl().publicsuffix(host, accept_unknown=False) is not None
