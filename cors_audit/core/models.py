"""Typed data passed between the stages of a scan.

Every stage of the pipeline (targets → probes → engine → exchanges → spec → rules → findings →
scoring → report → formats) exchanges these frozen dataclasses and nothing else. This module
holds data and tiny helpers on it only: no I/O, no network, no third-party imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from cors_audit.core.wire import ACRH, ACRM, ACRPN, url_origin

Headers = tuple[tuple[str, str], ...]
"""An ordered header list as it went over the wire: (name as sent, value). Values are decoded
as latin-1 so every byte survives; repeated names stay repeated."""


class Severity(StrEnum):
    """How bad a finding is. Ordered from worst to least bad."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info; larger is worse."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is ``other`` or worse."""
        return self.rank >= other.rank

    def lowered(self, steps: int = 1) -> Severity:
        """This severity moved ``steps`` levels towards info (never below info)."""
        rank = max(0, self.rank - steps)
        return next(s for s in Severity if s.rank == rank)


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class ExitCode(IntEnum):
    """The process exit codes of the command-line contract (README "Exit codes")."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    SCAN_ERRORS = 3
    INTERRUPTED = 130
    """Ctrl-C or SIGTERM: the reports cover what finished (``"interrupted": true``)."""


class OriginClass(StrEnum):
    """Why a probe origin was chosen (README "Probes", BROWSER-MODEL.md §6.1)."""

    TRUSTED = "trusted"
    FIRST_PARTY = "first-party"
    """A candidate first-party origin probed by discovery (apex, ``www.``, ``app.``, …): the
    server admitting it is expected, not an attack; with a policy that does not list it, it is
    ``origin-beyond-policy``."""
    ARBITRARY = "arbitrary"
    NULL = "null"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    UNESCAPED_DOT = "unescaped-dot"
    SUBDOMAIN = "subdomain"
    INSECURE_SCHEME = "insecure-scheme"
    SPECIAL_CHARS = "special-chars"
    THIRD_PARTY = "third-party"


@dataclass(frozen=True, slots=True)
class ProbeOrigin:
    """One value for the ``Origin`` request header."""

    value: str
    """The serialized origin exactly as a browser would send it (or ``null``)."""
    cls: OriginClass
    """The probe class it belongs to."""
    template: str
    """``value`` with the per-run random label replaced by ``{label}``: stable across runs,
    used in fingerprints."""
    note: str = ""
    """Free text, e.g. which trusted origin it was derived from or which platform it mimics."""


@dataclass(frozen=True, slots=True)
class Target:
    """One URL to audit and how a browser would call it."""

    url: str
    method: str = "GET"
    """The method the application uses on this URL (byte-exact, BROWSER-MODEL.md §1.3)."""
    site_origin: str | None = None
    """The origin a browser sees for this URL when it differs from the URL's own (an IP, an
    ingress, a port-forward). Probe origins derive from it; requests still go to ``url``."""
    source: str = "argument"
    """Where the target came from, for messages: ``argument``, ``file.txt:3``, ``policy``."""
    request_headers: tuple[str, ...] = ()
    """CORS-unsafe request headers the application sends here (lowercased, sorted), e.g. from
    an OpenAPI operation or a HAR; the policy preflight asks for them too."""

    @property
    def origin(self) -> str:
        """The origin a browser attributes to this target."""
        return self.site_origin or url_origin(self.url)


class ProbeKind(StrEnum):
    """What kind of request a probe is."""

    ACTUAL = "actual"
    """The request itself (the target's method) with an ``Origin`` header."""
    PREFLIGHT = "preflight"
    """An ``OPTIONS`` CORS-preflight request as Chromium builds it (BROWSER-MODEL.md §3.2)."""
    PRIVATE_NETWORK = "private-network-preflight"
    """A preflight that also carries ``Access-Control-Request-Private-Network: true``."""


@dataclass(frozen=True, slots=True)
class Probe:
    """One request the planner wants sent. The engine adds the user's credentials when
    ``credentialed`` is true and never records their values."""

    kind: ProbeKind
    url: str
    origin: ProbeOrigin | None
    """``None`` sends no ``Origin`` header (a same-origin or non-CORS baseline)."""
    method: str
    """The HTTP method on the wire (``OPTIONS`` for preflights)."""
    request_method: str
    """The method of the fetch() this probe stands for (``Access-Control-Request-Method``)."""
    request_headers: tuple[str, ...] = ()
    """Lowercased, sorted CORS-unsafe header names (``Access-Control-Request-Headers``)."""
    credentialed: bool = False
    """Attach the user's ``-H``/``--cookie`` credentials (never on preflights)."""
    purpose: str = ""
    """Short label for evidence: ``policy``, ``beyond-policy``, ``baseline``…"""

    @property
    def is_preflight(self) -> bool:
        """True for both kinds of preflight."""
        return self.kind is not ProbeKind.ACTUAL

    def wire_headers(self) -> Headers:
        """The CORS-related request headers of this probe, in the order Chromium sends them."""
        headers: list[tuple[str, str]] = []
        if self.is_preflight:
            headers.append(("Accept", "*/*"))
            headers.append((ACRM, self.request_method))
            if self.request_headers:
                headers.append((ACRH, ",".join(self.request_headers)))
            if self.kind is ProbeKind.PRIVATE_NETWORK:
                headers.append((ACRPN, "true"))
        if self.origin is not None:
            headers.append(("Origin", self.origin.value))
        return tuple(headers)


class ErrorKind(StrEnum):
    """Why a request or target failed. Failures are data, never exceptions through a scan."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    RESET = "reset"
    PROTOCOL = "protocol"
    TOO_LARGE = "too-large"
    PROXY = "proxy"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ScanError:
    """A failure recorded on an exchange or a target."""

    kind: ErrorKind
    message: str


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """The request as sent. Values of user-supplied secrets are replaced by ``<redacted>``."""

    method: str
    url: str
    headers: Headers


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """The response head and a digest of the (capped) body."""

    status: int
    reason: str
    http_version: str
    headers: Headers
    body_bytes: int = 0
    """How many body bytes were read (never more than the engine's cap)."""
    body_truncated: bool = False
    """True when the body was longer than the cap and reading stopped."""
    body_sha256: str | None = None
    """SHA-256 of the bytes read, hex."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One probe and what came back: a response or an error."""

    probe: Probe
    request: RequestRecord
    response: ResponseRecord | None
    error: ScanError | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """True when a response arrived."""
        return self.response is not None


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """The intended CORS policy for one URL, after overrides. ``None`` means "not stated":
    rules that compare against that item are skipped rather than guessed."""

    trusted_origins: tuple[str, ...]
    trust_subdomains_of: tuple[str, ...] = ()
    allow_credentials: bool | None = None
    allowed_methods: tuple[str, ...] | None = None
    allowed_headers: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] | None = None
    max_age_min: int | None = None
    max_age_max: int | None = None
    public: bool = False
    policy_free: bool = False
    """True when no policy file was given: trusted origin = the target's own origin."""

    def trusts(self, origin: str) -> bool:
        """Whether the policy intends ``origin`` to be allowed (exact match, or an https
        subdomain of a ``trust_subdomains_of`` domain)."""
        if origin in self.trusted_origins:
            return True
        if not origin.startswith("https://"):
            return False
        host = origin.removeprefix("https://").split(":", 1)[0]
        return any(host.endswith("." + domain) for domain in self.trust_subdomains_of)


@dataclass(frozen=True, slots=True)
class CookieInfo:
    """A cookie the target sets, with the attributes that decide whether Chromium attaches it
    to a cross-site request (BROWSER-MODEL.md §6.0 factor 4)."""

    name: str
    same_site: str
    """``None``, ``Lax``, ``Strict`` or ``unspecified`` (Chromium treats that as Lax)."""
    secure: bool
    http_only: bool

    @property
    def sent_cross_site(self) -> bool:
        """Chromium attaches it to a cross-site fetch: ``SameSite=None; Secure`` only."""
        return self.same_site == "None" and self.secure


@dataclass(frozen=True, slots=True)
class Exploitability:
    """What the target's replies reveal that matters for severity (BROWSER-MODEL.md §6.0)."""

    cookies: tuple[CookieInfo, ...] = ()
    """Cookies set by any reply of the scan, first occurrence of each name."""
    hsts: bool | None = None
    """``Strict-Transport-Security`` on an https target (None for http targets)."""
    content_type: str | None = None
    """Media type of the target's own reply."""
    per_user: bool | None = None
    """True when the credentialed reply differed from an anonymous one (status, length or
    content); None when no credentials were given."""
    http_auth: bool = False
    """A reply challenged for HTTP authentication (``WWW-Authenticate``): such credentials are
    attached cross-site regardless of SameSite."""

    @property
    def cross_site_cookies(self) -> bool | None:
        """Whether some cookie would ride along a cross-site fetch; None when none was seen."""
        if not self.cookies:
            return None
        return any(cookie.sent_cross_site for cookie in self.cookies)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation on one target, with everything needed to understand and reproduce it."""

    rule: str
    severity: Severity
    url: str
    method: str
    origin: str | None
    title: str
    detail: str
    fix: str
    curl: str
    fingerprint: str
    evidence: tuple[Exchange, ...]
    credentialed: bool = False
    """True when the exposure holds with ``credentials: 'include'``."""
    cors_error: str | None = None
    """The DevTools ``Network.CorsError`` name a browser reports, for breakage findings."""
    folded: tuple[str, ...] = ()
    """Narrower rule ids folded into this finding (their evidence is kept here)."""
    exploitability: Exploitability | None = None
    """The severity factors the replies revealed (cookies, HSTS, content type)."""
    latent: bool = False
    """True when the browser does not reach this problem today because an invalid or missing
    Access-Control-Allow-Origin blocks the trusted origins first; it applies once that header is
    fixed (severity one level lower than the same finding would have otherwise)."""


@dataclass(frozen=True, slots=True)
class Observed:
    """A target's CORS behaviour as seen by the scan (summarised by ``judging/observed.py``)."""

    allowed_origins: tuple[str, ...] = ()
    """Trusted-class probe origins (the policy's, or the target's own) whose actual response or
    preflight passed the CORS check, in scan order."""
    credentialed_origins: tuple[str, ...] = ()
    """The subset that passed with ``credentials: 'include'`` (BROWSER-MODEL.md §2.2)."""
    untrusted_allowed: tuple[str, ...] = ()
    """Attacker-class probe origins (arbitrary, null, look-alikes…) that passed: each is what a
    finding reports."""
    wildcard: bool = False
    """``Access-Control-Allow-Origin: *`` was answered."""
    methods: tuple[str, ...] = ()
    """Methods granted by a successful preflight's Access-Control-Allow-Methods (as written)."""
    headers: tuple[str, ...] = ()
    """Request headers granted by Access-Control-Allow-Headers (as written)."""
    exposed: tuple[str, ...] = ()
    """Response headers named in Access-Control-Expose-Headers (as written)."""
    max_age: int | None = None
    """The largest Access-Control-Max-Age of a successful preflight, in seconds, as sent."""
    private_network: bool = False
    """``Access-Control-Allow-Private-Network: true`` was granted to some origin."""
    discovered: tuple[str, ...] = ()
    """Origins that discovery found the server admits beyond the trusted probe origins:
    first-party candidates (apex, ``www.``, ``app.``, …) and local development origins that
    passed the CORS check, in scan order. Empty when an arbitrary origin passes too (admitting
    a candidate then proves nothing)."""


class Stack(StrEnum):
    """The stacks a guess can name; the values are the report's ``stack.name`` strings."""

    NGINX = "nginx"
    EXPRESS = "express-cors"
    STARLETTE = "starlette"
    FLASK_CORS = "flask-cors"
    DJANGO = "django-cors-headers"
    SPRING = "spring"
    ASPNETCORE = "aspnetcore"
    RS_CORS = "go-rs-cors"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class StackGuess:
    """Which stack most likely produced the replies, how sure, and why (``fixes/stack.py``)."""

    name: Stack
    confidence: float
    """0..1: ``1 - Π(1 - weight)`` over the matched signals; 0 for ``unknown``."""
    evidence: tuple[str, ...]
    """One line per matched signal. For ``unknown``: the weaker hints that were seen."""


@dataclass(frozen=True, slots=True)
class TargetResult:
    """Everything learnt about one target."""

    target: Target
    policy: EffectivePolicy
    exchanges: tuple[Exchange, ...] = ()
    """The exchanges kept: by default only those a finding cites as evidence (the scan lets go
    of the others so memory does not grow per request); every one with ``keep_exchanges``."""
    findings: tuple[Finding, ...] = ()
    error: ScanError | None = None
    """Set when the target could not be scanned at all (its baseline request failed)."""
    incomplete: bool = False
    """The plan was cut short by a request budget (``--max-requests-per-target``,
    ``--max-requests``): the findings stand, but a clean result proves nothing, so the target
    has no grade and counts as an error for the exit code (a note says what was not sent)."""
    requests: int = 0
    score: int = 100
    grade: str = "A"
    notes: tuple[str, ...] = field(default=())
    """Human notes about the judgement (skipped probes, policy-free mode, …)."""
    observed: Observed | None = None
    """The target's CORS behaviour summarised from every exchange before they were let go;
    ``None``: the report summarises ``exchanges`` itself."""
    stack: StackGuess | None = None
    """The stack guessed from every exchange before they were let go; ``None``: the report
    guesses from ``exchanges`` itself."""
