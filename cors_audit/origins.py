"""Origin values: parsing, browser serialization, and the attacker/trusted probe origins.

This stage turns a target's site origin and its effective policy into the list of ``Origin``
header values the planner sends (README "Probes", BROWSER-MODEL.md §6.1). Every value it emits is
one a browser can really send (BROWSER-MODEL.md §1.2): lowercase ASCII, punycode IDNs, no default
port, compressed IPv6 in brackets, never a path. Hosts are always parsed and re-serialized, never
spliced as strings, so an IP:port target cannot yield garbage like ``http://d3v127.0.0.1:8765``.

It is pure: no I/O and no network (the Public Suffix List ships inside ``publicsuffixlist``).
It must not decide what a response means; that is the browser model's and the rules' job.
"""

from __future__ import annotations

import ipaddress
import random
import secrets
import string
from dataclasses import dataclass, replace
from functools import cache, lru_cache

import idna
from publicsuffixlist import PublicSuffixList

from cors_audit.models import EffectivePolicy, OriginClass, ProbeOrigin

LABEL_LENGTH = 10
"""Length of the per-run random DNS label."""

_LABEL_FIRST = string.ascii_lowercase
_LABEL_REST = string.ascii_lowercase + string.digits

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
"""Default ports of the WHATWG URL "special" schemes; a browser omits them from ``Origin``."""

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

# -- attacker-controlled names -----------------------------------------------------------------

ARBITRARY_PARENT = "invalid-attacker.net"
"""Parent of the first arbitrary origin, ``https://<label>.invalid-attacker.net``
(BROWSER-MODEL.md §6.1)."""
ARBITRARY_SECOND_SUFFIX = "-attacker.com"
"""The second arbitrary origin is a registrable name of its own, ``https://<label>-attacker.com``,
so an allowlist that happens to contain one of the two cannot pass for reflection (BROWSER-MODEL.md
§6.2 C03: "two different random values")."""
ATTACKER_PARENT_SUFFIX = "-attacker.net"
"""Prefix and special-character probes live under ``<label>-attacker.net``, a domain the
attacker would register (BROWSER-MODEL.md §6.2 C06, C09)."""
DOT_REPLACEMENT = "x"
"""The letter that replaces one ``.`` in the unescaped-dot probes (BROWSER-MODEL.md §6.2 C08)."""

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

COMMON_PLATFORMS = ("github.io", "vercel.app", "netlify.app", "pages.dev", "herokuapp.com")
"""The platforms probed by default: where preview deployments live, so where allowlists most
often trust every subdomain (``.*\\.vercel\\.app``)."""

SHARED_HOSTING_DOMAINS = frozenset((*THIRD_PARTY_PLATFORMS, "ngrok.io"))
"""Every domain where anyone can get a subdomain; a policy may not trust all subdomains of one.
Probes use the shorter `THIRD_PARTY_PLATFORMS` list (one origin each is enough)."""

THIRD_PARTY_FIXED = (
    ("https://fiddle.jshell.net", "shared code playground (JSFiddle)"),
    ("https://cdpn.io", "shared code playground (CodePen)"),
    ("http://localhost", "local development server"),
    ("http://localhost:3000", "local development server"),
    ("http://localhost:5173", "local development server (Vite)"),
    ("http://localhost:8080", "local development server"),
    ("http://127.0.0.1:8080", "local development server"),
)
"""Fixed third-party and local-development origins of BROWSER-MODEL.md §6.1 P-3P."""

COMMON_FIXED = THIRD_PARTY_FIXED[2:6]
"""The local development origins probed by default: ``localhost`` with the dev-server ports
most often left in allowlists. They double as discovery candidates: one the server admits is
reported (``third-party-origin``) and listed among the origins it trusts."""

FIRST_PARTY_LABELS = (
    "www",
    "app",
    "admin",
    "dashboard",
    "portal",
    "console",
    "account",
    "my",
    "staging",
    "dev",
)
"""Subdomain labels that first-party front ends commonly live on. Discovery probes the apex and
each of these under the registrable domain of the target and of every trusted origin, to find the
origins a server's allowlist is really written around (README "Origin discovery")."""

MAX_CANDIDATES = 16
"""Most first-party candidates probed per target (apex and `FIRST_PARTY_LABELS` for the first
domains, in order)."""

MAX_BASES = 3
"""Most origins whose host the bypass variants derive from per target: the first trusted
origin, the target's own origin when its domain differs, then the origins the server admitted
(trusted or discovered), in the order they were probed. Each base costs about five probes; the
variants of a registrable domain (suffix, subdomain) are derived for every domain seen."""

# Not generated, on purpose (BROWSER-MODEL.md §6.1 P-SPECIAL, §6.2 C09): the backtick, ``{``/``}``
# and ``%60`` forms (``https://app.example.com`.attacker.net`` …). Chromium and Firefox reject or
# escape those characters in hosts, so no default browser can put them in ``Origin``; they were a
# historical Safari-only trick, and a reflection of them proves nothing a browser can exploit.
# The ``_`` and ``-`` forms below are what Chromium really sends.


# -- labels --------------------------------------------------------------------------------------


def new_label(rng: random.Random | None = None) -> str:
    """A fresh random DNS label for one run: lowercase letters and digits, starting with a
    letter, ``LABEL_LENGTH`` long. Uses ``secrets`` unless a seeded ``rng`` is given (tests)."""
    if rng is None:
        first = secrets.choice(_LABEL_FIRST)
        rest = "".join(secrets.choice(_LABEL_REST) for _ in range(LABEL_LENGTH - 1))
    else:
        first = rng.choice(_LABEL_FIRST)
        rest = "".join(rng.choice(_LABEL_REST) for _ in range(LABEL_LENGTH - 1))
    return first + rest


def _check_label(label: str) -> None:
    if not (
        1 <= len(label) <= 40 and label[0] in _LABEL_FIRST and all(c in _LABEL_REST for c in label)
    ):
        raise ValueError(
            f"probe label {label!r} must be 1-40 lowercase letters or digits, "
            "starting with a letter"
        )


# -- hosts ---------------------------------------------------------------------------------------


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
    return _ipv6_serialize(packed)


def _ipv6_serialize(packed: bytes) -> str:
    """WHATWG IPv6 serializer: the first longest run (length > 1) of zero pieces becomes ``::``.
    Written out instead of ``ipaddress.compressed`` so IPv4-mapped addresses stay in hex on every
    Python version, as browsers write them."""
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
    return None if port == _DEFAULT_PORTS.get(scheme) else port


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
    return _format(scheme, canonical_host(host), _drop_default(scheme, port))


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


def _format(scheme: str, host: str, port: int | None) -> str:
    """Join parts that are already canonical (``host`` may hold ``{label}``)."""
    port = _drop_default(scheme, port)
    return f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"


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


def _has_known_suffix(host: str) -> bool:
    """Whether the host ends in a suffix the PSL lists, i.e. one where names can be registered
    (an unknown TLD such as ``examplexcom`` cannot be registered by anyone)."""
    return _psl().publicsuffix(host, accept_unknown=False) is not None


# -- probe origins -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Base:
    """An http(s) origin the attack variants derive from: a trusted origin or the target's."""

    scheme: str
    host: str
    """Canonical host without a trailing dot."""
    port: int | None
    role: str
    """``trusted origin https://…`` or ``target origin https://…``, for notes."""
    domain: str | None
    """Registrable domain, ``None`` for IPs, localhost, single labels."""

    host_variants: bool = True
    """False: only the variants of the registrable domain derive from it, not of its host."""

    @property
    def is_ipv6(self) -> bool:
        return self.host.startswith("[")


class _Collector:
    """Accumulates probe origins in order: first class wins, attack origins the policy trusts
    (or the target's own origin) are dropped, values no browser can send are dropped."""

    def __init__(
        self, label: str, policy: EffectivePolicy, trusted: frozenset[str], site_origin: str
    ) -> None:
        self._label = label
        self._policy = policy
        self._trusted = trusted
        self._site_origin = site_origin
        self._seen: set[str] = set()
        self.origins: list[ProbeOrigin] = []

    def add(self, cls: OriginClass, template: str, note: str) -> None:
        value = template.replace("{label}", self._label)
        if value in self._seen:
            return
        if cls is not OriginClass.TRUSTED and (
            value in self._trusted or self._policy.trusts(value) or value == self._site_origin
        ):
            return
        if not is_sendable(value):
            # e.g. a glued label longer than 63 characters: no one could host it.
            return
        self._seen.add(value)
        self.origins.append(ProbeOrigin(value=value, cls=cls, template=template, note=note))


@lru_cache(maxsize=1024)
def probe_origins(
    site_origin: str,
    policy: EffectivePolicy,
    label: str,
    *,
    thorough: bool = False,
    admitted: tuple[str, ...] = (),
    site_variants: bool = True,
) -> tuple[ProbeOrigin, ...]:
    """Every probe origin for one target (README "Probes", BROWSER-MODEL.md §6.1).

    Variants derive from the policy's trusted origins and from ``site_origin`` (the origin a
    browser attributes to the target), so a policy-free scan still gets them. ``label`` is the
    run's random label (``new_label()``); each ``template`` holds ``{label}`` in its place.

    By default the narrow variants derive from the *first* trusted origin and the site origin
    only, and shared hosting is probed on the platforms most used for preview deployments:
    allowlist code applies one matching function to every entry, so a bug class shows on the
    first entry as on the others. ``thorough`` derives from every trusted origin and probes
    every platform (about twice the requests). Raises ``ValueError`` if ``site_origin`` or
    ``label`` is malformed.

    ``admitted`` are origins the server was seen to let in (trusted or discovered first-party
    ones): the variants derive from them too, up to `MAX_BASES` bases in all, since the server's
    matching code is written around them. The first-party discovery candidates (class
    ``FIRST_PARTY``) come right after ``null``. ``site_variants=False`` (policy-free only): the
    target's own origin, which the server was not seen to admit while it admitted others, gives
    only the variants of its registrable domain (suffix, subdomain, ``http://`` subdomain,
    domain prefix), not those of its host.

    Cached: a scan asks again for every target of the same site and policy (it was about 13 % of
    a 1 000-target scan's CPU); the result is immutable.
    """
    _check_label(label)
    site = normalize_origin(site_origin)
    if site == "null":
        raise ValueError("the site origin cannot be 'null'")

    trusted: list[str] = []
    for raw in policy.trusted_origins:
        try:
            trusted.append(normalize_origin(raw))
        except ValueError:
            continue  # policy.py reports invalid origins; nothing sendable to derive here
    out = _Collector(label, policy, frozenset(trusted), site)

    derived_from = trusted if thorough else trusted[:1]
    bases = [_base(t, f"trusted origin {t}") for t in derived_from]
    site_base = _base(site, f"target origin {site}")
    if policy.policy_free and not site_variants and not thorough:
        bases = [_domain_only(b) for b in bases]
        site_base = _domain_only(site_base)
    domains = {b.domain for b in bases if b is not None}
    site_domain = None if site_base is None else site_base.domain
    if thorough or not bases or (site_domain is not None and site_domain not in domains):
        # By default the target's own origin adds variants only for a domain the trusted
        # origin does not cover: servers rarely list their own origin, but ``endswith`` checks
        # on their own domain are the classic bug (BROWSER-MODEL.md §6.2 C07). An IP or a
        # localhost site has no domain to get wrong.
        bases.append(site_base)
    for value in admitted:
        try:
            bases.append(_base(normalize_origin(value), f"admitted origin {value}"))
        except ValueError:
            continue
    unique = _unique_bases(bases)
    web_bases = [b for b in unique if b.host_variants][:MAX_BASES]
    web_bases += [b for b in unique if not b.host_variants]

    trusted_note = (
        "policy-free: the target's own origin" if policy.policy_free else "policy trusted origin"
    )
    for value in trusted:
        out.add(OriginClass.TRUSTED, value, trusted_note)

    _arbitrary(out)
    out.add(
        OriginClass.NULL,
        "null",
        "sandboxed iframe, data: document or cross-origin redirect (BROWSER-MODEL.md §1.2)",
    )
    _first_party(out, [b for b in (site_base, *(_base(t, "") for t in trusted)) if b], thorough)
    for base in web_bases:
        _prefix(out, base)
    for base in web_bases:
        _suffix(out, base)
    for base in web_bases:
        _unescaped_dot(out, base, registrable_only=not thorough)
    for base in web_bases:
        _subdomain(out, base)
    for base in web_bases:
        _insecure(out, base)
    for base in web_bases:
        _special(out, base)
    _third_party(out, thorough=thorough)
    return tuple(out.origins)


def _domain_only(base: _Base | None) -> _Base | None:
    return None if base is None else replace(base, host_variants=False)


def _unique_bases(bases: list[_Base | None]) -> list[_Base]:
    """``bases`` without ``None`` and without a second base for the same origin (a base with
    host variants wins over a domain-only one)."""
    seen: set[tuple[str, str, int | None]] = set()
    unique: list[_Base] = []
    full = {(b.scheme, b.host, b.port) for b in bases if b is not None and b.host_variants}
    for base in bases:
        if base is None or (base.scheme, base.host, base.port) in seen:
            continue
        if not base.host_variants and (base.scheme, base.host, base.port) in full:
            continue
        seen.add((base.scheme, base.host, base.port))
        unique.append(base)
    return unique


def _first_party(out: _Collector, bases: list[_Base], thorough: bool) -> None:
    """Discovery candidates: the apex and `FIRST_PARTY_LABELS` subdomains of the registrable
    domain of the target and of every trusted origin (their own scheme), up to `MAX_CANDIDATES`
    (no cap with ``thorough``). The collector drops those the policy trusts and the target's own
    origin."""
    before = len(out.origins)
    domains = dict.fromkeys((b.scheme, b.domain) for b in bases if b.domain is not None)
    for scheme, domain in domains:
        for host in (domain, *(f"{label}.{domain}" for label in FIRST_PARTY_LABELS)):
            if not thorough and len(out.origins) - before >= MAX_CANDIDATES:
                return
            out.add(
                OriginClass.FIRST_PARTY,
                _format(scheme, host, None),
                f"first-party candidate under {domain} (discovery)",
            )


def _base(origin: str, role: str) -> _Base | None:
    if origin == "null":
        return None
    scheme, host, port = parse_origin(origin)
    if scheme not in ("http", "https"):
        return None  # e.g. chrome-extension://…: trusted as is, nothing to derive
    host = host.removesuffix(".")
    return _Base(scheme, host, port, role, registrable_domain(host))


def _arbitrary(out: _Collector) -> None:
    out.add(
        OriginClass.ARBITRARY,
        f"https://{{label}}.{ARBITRARY_PARENT}",
        "unrelated attacker domain (random per run)",
    )
    out.add(
        OriginClass.ARBITRARY,
        f"https://{{label}}{ARBITRARY_SECOND_SUFFIX}",
        "second unrelated attacker domain (random per run)",
    )


def _prefix(out: _Collector, base: _Base) -> None:
    # BROWSER-MODEL.md §6.2 C06: ``startswith`` / unanchored-regex checks. An IPv4 host stays a
    # valid domain name when followed by more labels (only a numeric *last* label makes a host
    # IPv4), so ``127.0.0.1.<label>-attacker.net`` is sendable; a bracketed IPv6 host never is.
    if base.is_ipv6:
        return
    parent = f"{{label}}{ATTACKER_PARENT_SUFFIX}"
    if base.host_variants:
        out.add(
            OriginClass.PREFIX,
            _format(base.scheme, f"{base.host}.{parent}", base.port),
            f"{base.role} host followed by an attacker domain",
        )
    if base.domain is not None and base.domain != base.host:
        out.add(
            OriginClass.PREFIX,
            _format(base.scheme, f"{base.domain}.{parent}", base.port),
            f"registrable domain {base.domain} ({base.role}) followed by an attacker domain",
        )


def _suffix(out: _Collector, base: _Base) -> None:
    # BROWSER-MODEL.md §6.2 C07: ``endswith`` checks; ``<label>example.com`` is registrable by
    # anyone.
    if base.domain is None:
        return
    for glue in ("", "-"):
        out.add(
            OriginClass.SUFFIX,
            _format(base.scheme, f"{{label}}{glue}{base.domain}", base.port),
            f"attacker domain ending in {base.domain} ({base.role})",
        )


def _unescaped_dot(out: _Collector, base: _Base, *, registrable_only: bool = False) -> None:
    # BROWSER-MODEL.md §6.2 C08: a regex with an unescaped ``.`` matches any character there. Only
    # some positions give a name the attacker can register; the note says which (the severity is
    # one step lower for the others).
    if base.domain is None or not base.host_variants:
        return
    host = base.host
    for i, char in enumerate(host):
        if char != ".":
            continue
        candidate = f"{host[:i]}{DOT_REPLACEMENT}{host[i + 1 :]}"
        try:
            candidate_domain = registrable_domain(candidate)
        except ValueError:
            continue  # e.g. a merged label over 63 characters
        if candidate_domain is None or not _has_known_suffix(candidate):
            status = "not registrable (no registrable public suffix)"
        elif candidate_domain == base.domain or candidate_domain.endswith("." + base.domain):
            status = f"not registrable (a subdomain of {base.domain})"
        else:
            status = f"registrable as {candidate_domain}"
        if registrable_only and not status.startswith("registrable"):
            continue  # no attacker can own it; only --thorough asks
        out.add(
            OriginClass.UNESCAPED_DOT,
            _format(base.scheme, candidate, base.port),
            f"{status}: dot {host[:i]}|{host[i + 1 :]} of {base.role} replaced by "
            f"{DOT_REPLACEMENT!r}",
        )


def _subdomain(out: _Collector, base: _Base) -> None:
    # BROWSER-MODEL.md §6.2 C10. When the policy's trust_subdomains_of covers it, the collector
    # drops it: it is then trusted, not an attack.
    if base.domain is None:
        return
    out.add(
        OriginClass.SUBDOMAIN,
        _format(base.scheme, f"{{label}}.{base.domain}", base.port),
        f"random subdomain of {base.domain} ({base.role})",
    )


def _insecure(out: _Collector, base: _Base) -> None:
    # BROWSER-MODEL.md §6.2 C11: the http:// form keeps an explicit port; https' default 443 becomes
    # http's default 80, which is what "the same site over http" means to a browser.
    if base.scheme != "https":
        return
    port = base.port
    if base.host_variants:
        out.add(
            OriginClass.INSECURE_SCHEME,
            _format("http", base.host, port),
            f"http:// form of {base.role}",
        )
    if base.domain is not None:
        out.add(
            OriginClass.INSECURE_SCHEME,
            _format("http", f"{{label}}.{base.domain}", port),
            f"random http:// subdomain of {base.domain} ({base.role})",
        )


def _special(out: _Collector, base: _Base) -> None:
    # BROWSER-MODEL.md §6.1 P-SPECIAL / §6.2 C09: ``_`` and ``-`` right after the trusted host end a
    # label in Chromium and Firefox, so ``app.example.com_.<label>-attacker.net`` is a real,
    # attacker-owned name that fools parsers treating ``_`` or ``-`` as a host terminator.
    if base.is_ipv6 or not base.host_variants:
        return
    for char in ("_", "-"):
        out.add(
            OriginClass.SPECIAL_CHARS,
            _format(base.scheme, f"{base.host}{char}.{{label}}{ATTACKER_PARENT_SUFFIX}", base.port),
            f"{base.role} host + {char!r} under an attacker domain",
        )


def _third_party(out: _Collector, *, thorough: bool) -> None:
    # BROWSER-MODEL.md §6.1 P-3P / §6.2 C12.
    for platform in THIRD_PARTY_PLATFORMS if thorough else COMMON_PLATFORMS:
        out.add(
            OriginClass.THIRD_PARTY,
            f"https://{{label}}.{platform}",
            f"shared hosting: anyone can get a subdomain of {platform}",
        )
    for value, note in THIRD_PARTY_FIXED if thorough else COMMON_FIXED:
        out.add(OriginClass.THIRD_PARTY, value, note)
