"""The rule catalogue: one `Rule` record per stable id (README "Rules").

This is the single source of rule text for every output: JSON, HTML, SARIF ``help``,
Markdown and ``cors-audit explain``. It holds descriptions only; the checks live in the
sibling modules and ask ``browser/model.py`` for every browser judgement.
"""

from __future__ import annotations

from dataclasses import dataclass

from cors_audit import HOMEPAGE
from cors_audit.core.models import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    """Static description of one rule."""

    id: str
    """Stable kebab-case id used by reports, baselines and dashboards."""
    title: str
    """One line saying what is wrong."""
    family: str
    """Grouping for reports: ``origin``, ``wildcard``, ``validity``, ``preflight``, ``caching``,
    ``exposure``, ``network``."""
    severity: str
    """How the severity is decided, in words (the logic itself is in the check)."""
    default: Severity
    """The severity without aggravating context; used for ``cors-audit rules`` sorting."""
    cwe: str
    """The closest CWE id, e.g. ``CWE-942``."""
    why: str
    """Why it matters, in one or two sentences a developer understands."""
    fix: str
    """What to change, concretely."""


_ORIGIN_FIX = (
    "Compare the Origin header against an exact allowlist of serialized origins "
    "(scheme://host[:port]) and echo it only on an exact match; never use prefix, suffix, "
    "substring or unanchored regex matching. Send `Vary: Origin` whenever the reply depends "
    "on it."
)

RULES: tuple[Rule, ...] = (
    Rule(
        id="reflected-origin",
        title="Any origin can read responses",
        family="origin",
        severity="critical with credentials, else medium (high if private-network access is "
        "also granted)",
        default=Severity.CRITICAL,
        cwe="CWE-942",
        why="The server echoes an arbitrary attacker origin into Access-Control-Allow-Origin, so "
        "any web page a victim visits can read this endpoint's responses — with the victim's "
        "cookies when Access-Control-Allow-Credentials is true.",
        fix=_ORIGIN_FIX,
    ),
    Rule(
        id="null-origin",
        title="The `null` origin is trusted",
        family="origin",
        severity="critical with credentials, else medium",
        default=Severity.CRITICAL,
        cwe="CWE-942",
        why="Any page can send `Origin: null` from a sandboxed iframe or a data: URL, so "
        "trusting `null` is equivalent to trusting every origin.",
        fix="Remove `null` from the allowlist; never answer `Access-Control-Allow-Origin: null`.",
    ),
    Rule(
        id="prefix-match",
        title="Origins that merely start with a trusted origin are allowed",
        family="origin",
        severity="critical with credentials, else medium",
        default=Severity.CRITICAL,
        cwe="CWE-942",
        why="An attacker registers a domain such as `app.example.com.attacker.net`, which passes "
        "a startswith()/unanchored regex check.",
        fix=_ORIGIN_FIX,
    ),
    Rule(
        id="suffix-match",
        title="Origins that merely end with the trusted domain are allowed",
        family="origin",
        severity="critical with credentials, else medium",
        default=Severity.CRITICAL,
        cwe="CWE-942",
        why="An attacker registers a domain such as `attackerexample.com`, which passes an "
        "endswith()/unanchored regex check.",
        fix=_ORIGIN_FIX + " When matching subdomains, require a leading dot (`.example.com`).",
    ),
    Rule(
        id="unescaped-dot",
        title="A regex with an unescaped dot accepts look-alike domains",
        family="origin",
        severity="critical with credentials, else medium",
        default=Severity.CRITICAL,
        cwe="CWE-185",
        why="In a regular expression `.` matches any character, so `app.example.com` also "
        "matches `appxexample.com`, a domain anyone can register.",
        fix="Escape dots (`app\\.example\\.com`), anchor the pattern (`^https://…$`), or better, "
        "use an exact allowlist.",
    ),
    Rule(
        id="special-chars",
        title="Parser-confusion origins with special characters are allowed",
        family="origin",
        severity="high with credentials, else medium",
        default=Severity.HIGH,
        cwe="CWE-942",
        why="Origins such as `https://app.example.com_.attacker.net` are valid in Chromium and "
        "Firefox and slip past matchers that treat `_` or `-` as a boundary.",
        fix=_ORIGIN_FIX,
    ),
    Rule(
        id="third-party-origin",
        title="Shared hosting or localhost origins are trusted",
        family="origin",
        severity="high with credentials, else medium",
        default=Severity.HIGH,
        cwe="CWE-942",
        why="Anyone can get a subdomain on platforms such as github.io, herokuapp.com or "
        "vercel.app, and any local program can serve localhost; trusting them trusts strangers.",
        fix="Trust only the exact origins you operate; list a partner's exact origin in the "
        "policy if it is intended.",
    ),
    Rule(
        id="arbitrary-subdomain",
        title="Any subdomain is trusted",
        family="origin",
        severity="high with credentials, else low",
        default=Severity.HIGH,
        cwe="CWE-942",
        why="One XSS or subdomain takeover anywhere under the domain then reads this endpoint; "
        "subdomains are same-site, so even SameSite=Lax cookies are sent.",
        fix="Allow the exact subdomains that need access, or declare `trust_subdomains_of` in "
        "the policy if trusting every subdomain is intended.",
    ),
    Rule(
        id="insecure-scheme",
        title="The http:// form of a trusted origin is allowed",
        family="origin",
        severity="high with credentials, else low",
        default=Severity.HIGH,
        cwe="CWE-319",
        why="A network attacker can inject script into any plain-HTTP page of the trusted host "
        "and read this HTTPS endpoint through it.",
        fix="Allow only `https://` origins for HTTPS endpoints.",
    ),
    Rule(
        id="origin-beyond-policy",
        title="An origin the policy does not list is allowed",
        family="origin",
        severity="medium with credentials, else low",
        default=Severity.MEDIUM,
        cwe="CWE-942",
        why="Discovery found the server letting in a first-party origin (such as the apex, "
        "www., admin. or staging.) that the policy does not trust; a page there — an older "
        "app, a staging site, one XSS away — reads this endpoint, with cookies when credentials "
        "are allowed.",
        fix="Remove the origin from the server's allowlist, or add it to the policy's "
        "`trusted_origins` if it is intended.",
    ),
    Rule(
        id="wildcard-origin",
        title="`Access-Control-Allow-Origin: *` on a non-public endpoint",
        family="wildcard",
        severity="medium",
        default=Severity.MEDIUM,
        cwe="CWE-942",
        why="Every web page can read this endpoint without credentials; that exposes data "
        "protected only by network position (VPN, intranet, IP allowlist).",
        fix="Answer with an exact allowed origin instead of `*`, or mark the endpoint "
        "`public = true` in the policy if anyone may read it.",
    ),
    Rule(
        id="credentials-with-wildcard",
        title="`*` combined with `Access-Control-Allow-Credentials: true`",
        family="wildcard",
        severity="low",
        default=Severity.LOW,
        cwe="CWE-942",
        why="Browsers refuse credentialed reads of `*` responses, so the configuration is broken "
        "for credentialed clients; the usual 'fix' — reflecting any origin — is critical.",
        fix="Echo an allowlisted origin (with `Vary: Origin`) when credentials are needed, or "
        "drop `Access-Control-Allow-Credentials` for a public endpoint.",
    ),
    Rule(
        id="invalid-allow-origin",
        title="Access-Control-Allow-Origin is not a single valid origin",
        family="validity",
        severity="medium",
        default=Severity.MEDIUM,
        cwe="CWE-436",
        why="A list, a repeated header or a malformed value (trailing slash, quotes, pattern) is "
        "rejected by every browser, so legitimate clients break; it often comes from a proxy "
        "and the application both adding the header.",
        fix="Send exactly one `Access-Control-Allow-Origin` with the one matching origin; make "
        "sure only one layer (proxy or application) adds CORS headers.",
    ),
    Rule(
        id="trusted-origin-denied",
        title="A trusted origin is blocked by the browser",
        family="validity",
        severity="medium",
        default=Severity.MEDIUM,
        cwe="CWE-436",
        why="The policy says this origin must work, but Chromium would block it (failed CORS "
        "check, non-2xx preflight, missing credentials or a method/header not allowed).",
        fix="Return the trusted origin exactly, `Access-Control-Allow-Credentials: true` when "
        "credentials are intended, and a 2xx preflight listing the methods and headers used.",
    ),
    Rule(
        id="missing-vary-origin",
        title="Origin-dependent reply without `Vary: Origin`",
        family="caching",
        severity="medium with credentials, else low",
        default=Severity.LOW,
        cwe="CWE-524",
        why="Caches (browser, CDN, proxy) may serve a reply made for one origin to another, "
        "breaking legitimate clients and enabling cache-poisoning chains.",
        fix="Add `Vary: Origin` to every response whose CORS headers depend on the request's "
        "Origin, including responses that omit them.",
    ),
    Rule(
        id="missing-max-age",
        title="Successful preflight without Access-Control-Max-Age",
        family="caching",
        severity="low (info when latent)",
        default=Severity.LOW,
        cwe="CWE-1050",
        why="Browsers then cache the preflight for only 5 seconds, adding a round trip to "
        "nearly every non-simple request.",
        fix="Send `Access-Control-Max-Age: 600` (or what the policy asks) on successful "
        "preflights; Chromium caps it at 7200 s, Firefox at 86400 s, Safari at 600 s.",
    ),
    Rule(
        id="max-age-out-of-range",
        title="Access-Control-Max-Age outside the policy's range",
        family="caching",
        severity="low (info when only browser caps apply or when latent)",
        default=Severity.LOW,
        cwe="CWE-1050",
        why="Too short costs a preflight per request; too long keeps a stale 'allow' cached "
        "after the policy is tightened (up to the browser's cap).",
        fix="Set Max-Age within the policy's `max_age` range.",
    ),
    Rule(
        id="methods-beyond-policy",
        title="Preflight allows methods the policy does not",
        family="preflight",
        severity="medium (info when OPTIONS is the only extra method; one level lower when latent)",
        default=Severity.MEDIUM,
        cwe="CWE-942",
        why="Allowing extra (often state-changing) methods widens what other origins can send.",
        fix="List only the policy's methods in Access-Control-Allow-Methods; never reflect "
        "Access-Control-Request-Method or answer `*`.",
    ),
    Rule(
        id="headers-beyond-policy",
        title="Preflight allows request headers the policy does not",
        family="preflight",
        severity="low (info when latent)",
        default=Severity.LOW,
        cwe="CWE-942",
        why="Reflected or `*` Allow-Headers let other origins send any header, defeating "
        "header-based CSRF defences.",
        fix="List only the policy's headers in Access-Control-Allow-Headers; never reflect "
        "Access-Control-Request-Headers or answer `*`.",
    ),
    Rule(
        id="credentials-beyond-policy",
        title="Credentials allowed while the policy says no",
        family="preflight",
        severity="medium",
        default=Severity.MEDIUM,
        cwe="CWE-942",
        why="`Access-Control-Allow-Credentials: true` lets allowed origins read responses made "
        "with the user's cookies, which the policy did not intend.",
        fix="Drop `Access-Control-Allow-Credentials`, or set `allow_credentials = true` in the "
        "policy if it is intended.",
    ),
    Rule(
        id="sensitive-exposed-headers",
        title="Credential or token headers are exposed to scripts",
        family="exposure",
        severity="low",
        default=Severity.LOW,
        cwe="CWE-200",
        why="Access-Control-Expose-Headers makes these response headers readable by the allowed "
        "origins' scripts.",
        fix="Expose only headers the client needs; never Authorization, tokens or session ids.",
    ),
    Rule(
        id="private-network-allowed",
        title="Private-network access granted to an untrusted origin",
        family="network",
        severity="high",
        default=Severity.HIGH,
        cwe="CWE-942",
        why="`Access-Control-Allow-Private-Network: true` for any origin invites public sites "
        "into an internal service (Chromium 104-141 did not enforce it; 142+ asks the user).",
        fix="Grant private-network access only to trusted origins, and only where needed.",
    ),
    Rule(
        id="preflight-actual-mismatch",
        title="Preflight and actual response disagree",
        family="validity",
        severity="low",
        default=Severity.LOW,
        cwe="CWE-436",
        why="The preflight and the actual reply give the same origin different answers, so "
        "clients break unpredictably or a 'protection' relies on a preflight attackers skip.",
        fix="Produce CORS headers in one place for both OPTIONS and the actual method.",
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

ORIGIN_RULES: tuple[str, ...] = (
    "null-origin",
    "prefix-match",
    "suffix-match",
    "unescaped-dot",
    "special-chars",
    "third-party-origin",
    "arbitrary-subdomain",
    "insecure-scheme",
    "origin-beyond-policy",
)
"""Narrower origin rules that fold into ``reflected-origin`` on the same target."""


def help_uri(rule_id: str) -> str:
    """Where a rule is documented: its section (``### <id>``) in README.md on the project page."""
    return f"{HOMEPAGE}#{rule_id}"


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; ``KeyError`` lists the known ids."""
    try:
        return RULES_BY_ID[rule_id]
    except KeyError:
        known = ", ".join(RULES_BY_ID)
        raise KeyError(f"unknown rule {rule_id!r}; known rules: {known}") from None
