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

import random
import secrets
import string
from dataclasses import dataclass, replace
from functools import lru_cache

from cors_audit.core.models import EffectivePolicy, OriginClass, ProbeOrigin
from cors_audit.core.origin import (
    THIRD_PARTY_PLATFORMS,
    has_known_suffix,
    is_sendable,
    normalize_origin,
    parse_origin,
    registrable_domain,
)
from cors_audit.core.wire import format_origin

LABEL_LENGTH = 10
"""Length of the per-run random DNS label."""

_LABEL_FIRST = string.ascii_lowercase
_LABEL_REST = string.ascii_lowercase + string.digits


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

COMMON_PLATFORMS = ("github.io", "vercel.app", "netlify.app", "pages.dev", "herokuapp.com")
"""The platforms probed by default: where preview deployments live, so where allowlists most
often trust every subdomain (``.*\\.vercel\\.app``)."""


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
            continue  # inputs/policy.py reports invalid origins; nothing sendable to derive here
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
                format_origin(scheme, host, None),
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
            format_origin(base.scheme, f"{base.host}.{parent}", base.port),
            f"{base.role} host followed by an attacker domain",
        )
    if base.domain is not None and base.domain != base.host:
        out.add(
            OriginClass.PREFIX,
            format_origin(base.scheme, f"{base.domain}.{parent}", base.port),
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
            format_origin(base.scheme, f"{{label}}{glue}{base.domain}", base.port),
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
        if candidate_domain is None or not has_known_suffix(candidate):
            status = "not registrable (no registrable public suffix)"
        elif candidate_domain == base.domain or candidate_domain.endswith("." + base.domain):
            status = f"not registrable (a subdomain of {base.domain})"
        else:
            status = f"registrable as {candidate_domain}"
        if registrable_only and not status.startswith("registrable"):
            continue  # no attacker can own it; only --thorough asks
        out.add(
            OriginClass.UNESCAPED_DOT,
            format_origin(base.scheme, candidate, base.port),
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
        format_origin(base.scheme, f"{{label}}.{base.domain}", base.port),
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
            format_origin("http", base.host, port),
            f"http:// form of {base.role}",
        )
    if base.domain is not None:
        out.add(
            OriginClass.INSECURE_SCHEME,
            format_origin("http", f"{{label}}.{base.domain}", port),
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
            format_origin(
                base.scheme, f"{base.host}{char}.{{label}}{ATTACKER_PARENT_SUFFIX}", base.port
            ),
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
