"""The values a policy file may hold, each checked against what a browser can really send:
serialized origins, bare domains, byte-exact methods and header tokens (BROWSER-MODEL.md §1.2,
§1.3), URL globs, rates, shards and scope globs. Each checker returns the canonical value or
raises `_Invalid` with what was expected, which the loader turns into a `PolicyError` naming the
file, line and key.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated, Final
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    StrictInt,
    StrictStr,
)

from cors_audit.browser import is_forbidden_method, is_token, normalize_method
from cors_audit.core.errors import UsageError
from cors_audit.core.origin import SHARED_HOSTING_DOMAINS, canonical_host
from cors_audit.core.wire import DEFAULT_PORTS, format_origin
from cors_audit.inputs.targets import SUPPORTED_SCHEMES, is_auto_shard, parse_shard

POLICY_FILE_NAME: Final = "cors-policy.toml"
PYPROJECT_FILE_NAME: Final = "pyproject.toml"
PYPROJECT_TABLE: Final = ("tool", "cors-audit")

# ---------------------------------------------------------------------------------------------
# Value checks. Each raises ``_Invalid`` (a ValueError, so pydantic records it with its location)
# carrying a message that names the offending value and what was expected instead.


class _Invalid(ValueError):
    """A value that is well-typed but wrong; ``index`` points into a list when known."""

    def __init__(self, message: str, expected: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.index = index


InvalidValue = _Invalid


"""Public name for validators of other TOML files (the baseline) that reuse this machinery."""


def _q(value: object) -> str:
    """A value as it would be written in TOML (strings double-quoted), shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, datetime | date | time):
        text = value.isoformat()
    elif isinstance(value, list):
        text = "[" + ", ".join(_q(v) for v in value[:4]) + (", …]" if len(value) > 4 else "]")
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {_q(v)}" for k, v in list(value.items())[:4]) + "}"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


_ORIGIN_EXAMPLE: Final = 'a serialized origin such as "https://app.example.com"'


_DEFAULT_PORTS: Final = {scheme: DEFAULT_PORTS[scheme] for scheme in SUPPORTED_SCHEMES}


"""The default ports of the schemes a policy may name (http, https), from the one table."""


def _split_host_port(netloc: str) -> tuple[str, str | None]:
    """``host[:port]`` (host possibly a bracketed IPv6 literal) → (host, port text or None)."""
    if netloc.startswith("["):  # urlsplit has already checked the brackets are closed
        host, _, rest = netloc.partition("]")
        return host + "]", (rest[1:] if rest.startswith(":") else None)
    if ":" in netloc:
        host, port = netloc.rsplit(":", 1)
        return host, port
    return netloc, None


def _canonical_host(raw: str, value: str) -> str:
    """The host as a browser serializes it: lowercase ASCII, IDNs in punycode, IPv6 compressed."""
    try:
        return canonical_host(raw)
    except ValueError as exc:
        raise _Invalid(f"{_q(value)} has an invalid host: {exc}", _ORIGIN_EXAMPLE) from None


def _check_origin(value: str) -> str:
    """Accept only an origin exactly as a browser puts it in ``Origin`` (BROWSER-MODEL.md §1.2)."""
    if value.lower() == "null":
        raise _Invalid(
            f"{_q(value)} cannot be trusted: any page can send Origin: null from a sandboxed "
            "iframe, a data: URL or after a cross-origin redirect (BROWSER-MODEL.md §1.2)",
            _ORIGIN_EXAMPLE,
        )
    if not value or any(c.isspace() for c in value):
        raise _Invalid(f"{_q(value)} is empty or contains whitespace", _ORIGIN_EXAMPLE)
    if "*" in value:
        domain = value.split("://", 1)[-1].split("/", 1)[0].lstrip("*.").split(":", 1)[0]
        raise _Invalid(
            f"{_q(value)} is a wildcard, and browsers compare origins exactly; to trust every "
            f'https subdomain use trust_subdomains_of = ["{domain}"]',
            _ORIGIN_EXAMPLE,
        )
    if "://" not in value:
        guess = "https://" + value.split("/", 1)[0]
        raise _Invalid(f"{_q(value)} has no scheme; did you mean {_q(guess)}?", _ORIGIN_EXAMPLE)
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # unbalanced brackets, an invalid bracketed IPv6 literal
        raise _Invalid(f"{_q(value)} is not a valid URL ({exc})", _ORIGIN_EXAMPLE) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _Invalid(f"{_q(value)} does not use the http or https scheme", _ORIGIN_EXAMPLE)
    if "@" in parts.netloc:
        raise _Invalid(
            f"{_q(value)} contains userinfo (user@host), which no browser sends in Origin",
            _ORIGIN_EXAMPLE,
        )
    raw_host, raw_port = _split_host_port(parts.netloc)
    if not raw_host:
        raise _Invalid(f"{_q(value)} has no host", _ORIGIN_EXAMPLE)
    host = _canonical_host(raw_host, value)
    port: int | None = None
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise _Invalid(f"{_q(value)} has an invalid port {_q(raw_port)}", _ORIGIN_EXAMPLE)
        port = int(raw_port)
    canonical = format_origin(scheme, host, port)
    expected = f"the serialized origin {_q(canonical)}"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        reason = "it has a query or fragment, which an origin never has"
    elif parts.path == "/":
        reason = "it has a trailing slash, which an origin never has"
    elif parts.path:
        reason = f"it has a path ({_q(parts.path)}), which an origin never has"
    elif port is not None and port == _DEFAULT_PORTS[scheme]:
        reason = f"{port} is the default port for {scheme}, and browsers omit it"
    elif not raw_host.isascii():
        reason = "browsers send internationalized domain names in punycode"
    elif value != canonical:
        reason = "the scheme and host of a serialized origin are lowercase"
    else:
        return value
    raise _Invalid(
        f"{_q(value)} is not what a browser sends in Origin: {reason}; write {_q(canonical)}",
        expected,
    )


_DOMAIN_EXAMPLE: Final = 'a bare domain name such as "example.com"'


def _check_domain(value: str) -> str:
    """A domain whose https subdomains are all trusted: bare, lowercase, punycode."""
    bare = value.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lstrip("*.")
    if value != bare or not bare:
        raise _Invalid(
            f"{_q(value)} is not a bare domain name (no scheme, path, port, leading dot or "
            f"wildcard); write {_q(bare)}",
            _DOMAIN_EXAMPLE,
        )
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        raise _Invalid(f"{_q(value)} is an IP address, which has no subdomains", _DOMAIN_EXAMPLE)
    canonical = _canonical_host(value, value)
    if canonical != value:
        raise _Invalid(
            f"{_q(value)} is not how a browser writes this domain (lowercase, punycode); "
            f"write {_q(canonical)}",
            f"the domain {_q(canonical)}",
        )
    if "." not in value:
        raise _Invalid(
            f"{_q(value)} is a single label: trusting all its subdomains would trust a whole "
            "top-level domain",
            _DOMAIN_EXAMPLE,
        )
    if value in SHARED_HOSTING_DOMAINS:
        raise _Invalid(
            f"{_q(value)} is a shared hosting platform where anyone can get a subdomain "
            "(BROWSER-MODEL.md §6.1 P-3P); list your own origins in trusted_origins instead",
            _DOMAIN_EXAMPLE,
        )
    return value


def _check_method(value: str, *, wildcard: bool = True) -> str:
    """A method as the application sends it; byte-exact, since browsers compare methods
    case-sensitively (BROWSER-MODEL.md §1.3)."""
    expected = 'an HTTP method such as "GET" or "PATCH"'
    if value == "*" and wildcard:
        return value
    if not is_token(value) or value == "*":
        raise _Invalid(f"{_q(value)} is not an HTTP method name (a token)", expected)
    upper = normalize_method(value)
    if is_forbidden_method(value):
        raise _Invalid(
            f"{_q(value)} is a forbidden method: fetch() refuses to send it "
            "(BROWSER-MODEL.md §1.3)",
            expected,
        )
    if value != upper:
        raise _Invalid(
            f"{_q(value)} is never sent by a browser, which upper-cases it first "
            f"(BROWSER-MODEL.md §1.3); write {_q(upper)}",
            _q(upper),
        )
    return value


def _check_target_method(value: str) -> str:
    return _check_method(value, wildcard=False)


def _check_header(value: str) -> str:
    """A header name (a token) or ``*``. The original case is kept for display."""
    if not is_token(value):
        raise _Invalid(
            f"{_q(value)} is not an HTTP header name (a token)",
            'a header name such as "Content-Type"',
        )
    return value


def _check_url(value: str) -> str:
    """An absolute http(s) URL to scan."""
    expected = 'an absolute http(s) URL such as "https://staging.example.com/api"'
    if not value or any(c.isspace() for c in value):
        raise _Invalid(f"{_q(value)} is empty or contains whitespace", expected)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - urlsplit validates the port lazily
    except ValueError as exc:
        raise _Invalid(f"{_q(value)} is not a valid URL ({exc})", expected) from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise _Invalid(f"{_q(value)} is not an absolute http or https URL", expected)
    return value


_GLOB_EXPECTED: Final = 'a glob on the full URL such as "*/public/*" or "https://api.example.com/*"'


def _check_glob(value: str) -> str:
    """A glob that can match an absolute URL: the URL's scheme is part of what it matches."""
    literal = re.split(r"[*?\[]", value, maxsplit=1)[0]
    if not value or not any(
        s.startswith(literal) or literal.startswith(s) for s in ("http://", "https://")
    ):
        raise _Invalid(
            f"{_q(value)} can never match: match is a case-sensitive glob on the full URL, "
            "scheme included",
            _GLOB_EXPECTED,
        )
    return value


def _unique(what: str, fold: Callable[[str], str]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """A list check rejecting duplicates (after ``fold``), pointing at the repeated element."""

    def check(values: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, int] = {}
        for index, value in enumerate(values):
            first = seen.setdefault(fold(value), index)
            if first != index:
                raise _Invalid(
                    f"{_q(value)} repeats {_q(values[first])} (element {first})",
                    f"each {what} once",
                    index=index,
                )
        return values

    return check


def _non_empty_methods(values: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        raise _Invalid(
            "the list is empty; omit the key if you do not want to state methods",
            'at least one method, e.g. ["GET", "POST"]',
        )
    return values


def _same(value: str) -> str:
    return value


OriginStr = Annotated[StrictStr, AfterValidator(_check_origin)]


DomainStr = Annotated[StrictStr, AfterValidator(_check_domain)]


MethodStr = Annotated[StrictStr, AfterValidator(_check_method)]


HeaderStr = Annotated[StrictStr, AfterValidator(_check_header)]


Origins = Annotated[tuple[OriginStr, ...], AfterValidator(_unique("origin", _same))]


Domains = Annotated[tuple[DomainStr, ...], AfterValidator(_unique("domain", _same))]


# Methods are byte-exact (BROWSER-MODEL.md §1.3): "PATCH" and "patch" are different methods.
Methods = Annotated[
    tuple[MethodStr, ...],
    AfterValidator(_non_empty_methods),
    AfterValidator(_unique("method", _same)),
]


# Header names compare case-insensitively (BROWSER-MODEL.md §1.1); the given case is kept for
# display.
HeaderNames = Annotated[tuple[HeaderStr, ...], AfterValidator(_unique("header", str.lower))]


Seconds = Annotated[StrictInt, Field(ge=0)]


def _check_rate(value: str | float) -> float:
    try:
        return parse_rate(str(value))
    except ValueError as exc:
        raise _Invalid(f"the rate {exc}", _RATE_EXPECTED) from None


def _check_shard(value: str) -> str:
    if is_auto_shard(value):
        return value
    try:
        parse_shard(value)
    except UsageError:
        raise _Invalid(f"{_q(value)} is not a shard", _SHARD_EXPECTED) from None
    return value


_SHARD_EXPECTED = 'a shard such as "2/5", or "auto"'
"""What a ``[scan]`` shard must be."""


def _check_scope_glob(value: str) -> str:
    if not value.strip() or "/" in value or any(c.isspace() for c in value):
        raise _Invalid(
            f"{_q(value)} is not a host glob", 'a host glob such as "*.staging.example.com"'
        )
    return value


def _check_path(value: str) -> str:
    if not value.strip():
        raise _Invalid("the path is empty", "a file path")
    return value


_RATE_EXPECTED: Final = 'a positive rate such as "20/s" or 20'


PathStr = Annotated[StrictStr, AfterValidator(_check_path)]


def parse_rate(text: str) -> float:
    """``"20/s"`` or ``"20"`` → 20.0; raises ``ValueError`` with the reason otherwise."""
    number = text.strip().lower().removesuffix("/s")
    try:
        rate = float(number)
    except ValueError:
        raise ValueError(f"must look like 20/s or 20, not {text!r}") from None
    if not rate > 0 or rate == float("inf"):
        raise ValueError(f"must be positive, not {text!r}")
    return rate
