"""What to replay for a finding (pure): the one ``fetch()`` whose outcome in Chromium confirms or
refutes it, and the page it is made from.

Each finding that claims something a browser can observe becomes a `Plan`: a page on the
finding's origin (or a sandboxed ``srcdoc`` iframe for ``null``, BROWSER-MODEL.md §6.0 (1))
``fetch()``es the finding's URL with its method, headers and credentials mode. What the browser
must show is the rule's `Claim`. The fetch is the request the finding's evidence names: the
method of the exchange the claim rests on, the header names the matching preflight asked for
(``Access-Control-Request-Headers``) and the credentials mode under which the reply passes.

Plain-http targets: an ``https://`` page may not ``fetch()`` an ``http://`` URL whose host is not
potentially trustworthy (mixed content, blocked before any CORS check; loopback addresses and
``localhost`` names are exempt). So when the target is such a URL the page is either served on
the ``http://`` form of the finding's origin (same host and port), for origins whose scheme the
attacker picks (every attacker probe class; ``null``'s holder page), or it keeps the finding's
``https://`` origin and Chromium runs with insecure content allowed, for origins that are that
exact origin (trusted and first-party origins, or none known) (`PageScheme`, `page_scheme`).

This module must not start a browser or touch the network; a finding that claims something
observable but cannot be replayed raises `PlanError` (its reason becomes an ``error`` result).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal
from urllib.parse import urlsplit

from cors_audit.browser import cors_check, is_cors_safelisted_method
from cors_audit.core.wire import ACEH, ACRH, ACRM, url_origin
from cors_audit.judging.rules import Claim, rules_claiming
from cors_audit.report.model import EvidenceModel, FindingModel

__all__ = [
    "CREDENTIAL_ONLY_ERRORS",
    "DENIED_RULES",
    "EXPOSED_RULES",
    "FALLBACK_ORIGIN",
    "FREE_SCHEME_CLASSES",
    "NULL_HOST_ORIGIN",
    "PNA_NOTE",
    "READ_RULES",
    "SCHEME_NOTES",
    "SENT_RULES",
    "Claim",
    "Credentials",
    "PageScheme",
    "Plan",
    "PlanError",
    "page_scheme",
    "plan_finding",
]

NULL_HOST_ORIGIN: Final = "https://null-host.cors-audit.invalid"
"""The page that holds the sandboxed iframe for ``null`` findings (its origin does not leak
into the iframe's opaque origin)."""
FALLBACK_ORIGIN: Final = "https://verify.cors-audit.invalid"
"""A cross-origin page for breakage findings that name no origin at all (a malformed
Access-Control-Allow-Origin fails for every origin, BROWSER-MODEL.md §2.1)."""

Credentials = Literal["include", "omit"]

FREE_SCHEME_CLASSES: Final = frozenset(
    {
        "arbitrary",
        "null",
        "prefix",
        "suffix",
        "unescaped-dot",
        "special-chars",
        "subdomain",
        "third-party",
    }
)
"""Probe origin classes whose scheme the attacker picks: they stand for any page on a host the
attacker controls, so its ``http://`` form is an equally real attacker page. Trusted and
first-party origins are exact origins and keep their scheme (``insecure-scheme`` origins are
``http://`` already)."""


class PageScheme(StrEnum):
    """How the attacker page is served when mixed content is at stake."""

    AS_IS = "as-is"
    """On exactly the finding's origin: the fetch is not mixed content (an https target, a
    loopback or ``localhost`` one, or an http page already)."""
    HTTP = "http"
    """On the ``http://`` form of the finding's ``https://`` origin (same host and port)."""
    INSECURE_CONTENT = "insecure-content"
    """On the finding's ``https://`` origin, with insecure content allowed for the fetch."""


SCHEME_NOTES: Final = {
    PageScheme.AS_IS: "",
    PageScheme.HTTP: (
        " Attacker page served over http: the attacker chooses the scheme, and an https page "
        "may not fetch an http:// URL (mixed content)."
    ),
    PageScheme.INSECURE_CONTENT: (
        " Insecure content allowed for this check: the page keeps the finding's https origin, "
        "and Chromium would otherwise block its fetch of an http:// URL as mixed content."
    ),
}


# What the browser must show for each rule's findings is the rule's own `Claim` (its module under
# judging/rules/); a rule with no claim has no browser-observable outcome.
READ_RULES: Final = rules_claiming(Claim.READ)
DENIED_RULES: Final = rules_claiming(Claim.DENIED)
SENT_RULES: Final = rules_claiming(Claim.SENT)
EXPOSED_RULES: Final = rules_claiming(Claim.EXPOSED)

CREDENTIAL_ONLY_ERRORS: Final = frozenset(
    {
        "WildcardOriginNotAllowed",
        "PreflightWildcardOriginNotAllowed",
        "InvalidAllowCredentials",
        "PreflightInvalidAllowCredentials",
    }
)
"""CORS errors that only a ``credentials: 'include'`` fetch can hit (BROWSER-MODEL.md §2.2)."""

PNA_NOTE: Final = (
    " Chromium 142+ no longer consults Access-Control-Allow-Private-Network; the Local Network "
    "Access permission prompt (BROWSER-MODEL.md §5.2, turned off for this check) is the remaining "
    "gate."
)

_HEADER_VALUES: Final = {"content-type": "application/json", "authorization": "Bearer verify"}
"""Values for preflighted request headers; any other header gets ``1``."""


@dataclass(frozen=True, slots=True)
class Plan:
    """One fetch that checks one finding."""

    fingerprint: str
    rule: str
    claim: Claim
    origin: str
    """The page origin, or ``null`` for a sandboxed iframe."""
    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    credentials: Credentials
    exposed: tuple[str, ...] = ()
    """Exposed header names (lower case) for ``Claim.EXPOSED``."""
    note: str = ""
    """Appended to the result's detail."""
    scheme: PageScheme = PageScheme.AS_IS
    """Where the page is served when the target is plain http (see `PageScheme`)."""

    @property
    def page_origin(self) -> str:
        """The origin the fetch is made from: ``origin``, or its ``http://`` form."""
        if self.scheme is PageScheme.HTTP and self.origin != "null":
            return _http_form(self.origin)
        return self.origin

    @property
    def holder(self) -> str:
        """The origin of the top-level page (the sandboxed iframe's parent for ``null``)."""
        if self.origin != "null":
            return self.page_origin
        return _http_form(NULL_HOST_ORIGIN) if self.scheme is PageScheme.HTTP else NULL_HOST_ORIGIN


class PlanError(Exception):
    """A finding that cannot be turned into a fetch (the reason becomes an ``error`` result)."""


def _request_header(evidence: EvidenceModel, name: str) -> str | None:
    wanted = name.lower()
    return next((h.value for h in evidence.request.headers if h.name.lower() == wanted), None)


def _response_header_values(evidence: EvidenceModel, name: str) -> list[str]:
    if evidence.response is None:
        return []
    wanted = name.lower()
    return [h.value for h in evidence.response.headers if h.name.lower() == wanted]


def _beyond_policy_preflight(finding: FindingModel) -> EvidenceModel | None:
    preflights = [e for e in finding.evidence if e.kind == "preflight"]
    chosen = [e for e in preflights if e.purpose == "beyond-policy"] or preflights
    return chosen[0] if chosen else None


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _page_origin(finding: FindingModel) -> str:
    if finding.origin is not None:
        return finding.origin
    for evidence in finding.evidence:
        if evidence.origin is not None:
            return evidence.origin
    return FALLBACK_ORIGIN


def _breakage_credentials(finding: FindingModel) -> Credentials:
    # trusted-origin-denied is judged in the policy's credentials mode, which the finding keeps
    # only in its wording and its CorsError (judging/rules/context.py, `policy_credentials`).
    if finding.rule == "credentials-with-wildcard":
        return "include"  # the claim: a credentialed read of `*` is refused (§2.2)
    if (
        finding.credentialed
        or finding.cors_error in CREDENTIAL_ONLY_ERRORS
        or " with credentials" in finding.detail
    ):
        return "include"
    return "omit"


def _http_form(origin: str) -> str:
    """``https://host[:port]`` as ``http://host[:port]`` (the default port drops with it)."""
    return "http://" + origin.removeprefix("https://")


def _mixed_content(url: str) -> bool:
    """Whether an ``https://`` page's fetch of ``url`` is mixed content: an ``http://`` URL whose
    host is not potentially trustworthy (Fetch/Secure Contexts: 127/8, ``::1``, ``localhost``
    and ``*.localhost`` are; Chromium's ``network::IsUrlPotentiallyTrustworthy``). The address a
    name resolves to does not count, so a staging name mapped to loopback is still mixed."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def page_scheme(finding: FindingModel, origin: str) -> PageScheme:
    """How a page on ``origin`` replays ``finding`` (the scheme rule of the module docstring)."""
    holder = NULL_HOST_ORIGIN if origin == "null" else origin
    if not holder.startswith("https://") or not _mixed_content(finding.url):
        return PageScheme.AS_IS
    if origin == "null":
        return PageScheme.HTTP  # the holder page's scheme never reaches the opaque origin
    classes = {e.origin_class for e in finding.evidence if e.origin == origin}
    free = bool(classes) and classes <= FREE_SCHEME_CLASSES
    if free and _http_form(origin) != url_origin(finding.url):
        return PageScheme.HTTP
    return PageScheme.INSECURE_CONTENT


def _of_origin(finding: FindingModel, origin: str) -> list[EvidenceModel]:
    return [e for e in finding.evidence if e.origin == origin]


def _asked_headers(evidence: EvidenceModel) -> tuple[tuple[str, str], ...]:
    """The headers a preflight asked for, with a value each."""
    names = _split_list(_request_header(evidence, ACRH) or "")
    return tuple((name, _HEADER_VALUES.get(name.lower(), "1")) for name in names)


def _preflighted_headers(
    evidence: Sequence[EvidenceModel], method: str
) -> tuple[tuple[str, str], ...]:
    """For a method that is preflighted: the headers the evidence's preflight for ``method``
    asked for (the request the scan showed to pass or fail), else none."""
    if is_cors_safelisted_method(method):
        return ()
    for e in evidence:
        if e.kind == "preflight" and _request_header(e, ACRM) == method:
            return _asked_headers(e)
    return ()


def _passes(origin: str, credentials: Credentials, evidence: EvidenceModel) -> bool:
    if evidence.response is None:
        return False
    headers = [(h.name, h.value) for h in evidence.response.headers]
    return cors_check(origin, credentials, headers).allowed


@dataclass(frozen=True, slots=True)
class _Request:
    claim: Claim
    method: str
    headers: tuple[tuple[str, str], ...]
    credentials: Credentials


def _read_request(finding: FindingModel, origin: str, credentials: Credentials) -> _Request:
    """What an origin rule's evidence shows: a read when every actual reply of ``origin``
    passes the CORS check (its method, plus the preflight's headers when that method is
    preflighted), else only a send (the preflighted request its preflight let through)."""
    evidence = _of_origin(finding, origin)
    actual = [e for e in evidence if e.kind == "actual" and e.response is not None]
    preflights = [e for e in evidence if e.kind == "preflight"]
    reads = bool(actual) and all(_passes(origin, "omit", e) for e in actual)
    if not reads and preflights:
        preflight = preflights[0]
        method = _request_header(preflight, ACRM) or finding.method
        return _Request(Claim.SENT, method, _asked_headers(preflight), credentials)
    method = actual[0].request.method if actual else finding.method
    if credentials == "include" and not all(_passes(origin, "include", e) for e in actual):
        credentials = "omit"  # read without credentials only; the send needed them
    return _Request(Claim.READ, method, _preflighted_headers(evidence, method), credentials)


def _denied_request(finding: FindingModel, origin: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The request a breakage finding's evidence shows failing: its actual request, else the
    preflighted request of its preflight."""
    evidence = _of_origin(finding, origin)
    actual = [e for e in evidence if e.kind == "actual"]
    if actual:
        method = actual[0].request.method
        return method, _preflighted_headers(evidence, method)
    for e in evidence:
        if e.kind == "preflight" and e.purpose != "beyond-policy":
            method = _request_header(e, ACRM) or finding.method
            return method, _asked_headers(e)
    return finding.method, ()


def plan_finding(finding: FindingModel) -> Plan | None:
    """The fetch that checks ``finding``, or ``None`` when its rule has no browser-observable
    outcome (Vary, Max-Age, preflight/actual mismatch, a latent finding). Raises ``PlanError``
    for a finding that claims something observable but cannot be replayed."""
    rule = finding.rule
    if finding.latent:
        # It applies only once Access-Control-Allow-Origin is fixed: today the browser blocks
        # the request before any of it is observable.
        return None
    credentials: Credentials = "include" if finding.credentialed else "omit"
    method = finding.method
    headers: tuple[tuple[str, str], ...] = ()
    exposed: tuple[str, ...] = ()
    note = ""
    if rule in READ_RULES:
        if finding.origin is None:
            raise PlanError(f"{rule} finding names no origin to load the attacker page on")
        origin = finding.origin
        if rule == "wildcard-origin":
            credentials = "omit"  # `*` is only ever read without credentials (§2.2)
        request = _read_request(finding, origin, credentials)
        claim, method, headers, credentials = (
            request.claim,
            request.method,
            request.headers,
            request.credentials,
        )
        if rule == "private-network-allowed":
            note = PNA_NOTE
    elif rule in DENIED_RULES:
        claim = Claim.DENIED
        origin = _page_origin(finding)
        credentials = _breakage_credentials(finding)
        method, headers = _denied_request(finding, origin)
    elif rule in SENT_RULES:
        claim = Claim.SENT
        origin = _page_origin(finding)
        preflight = _beyond_policy_preflight(finding)
        if preflight is None:
            raise PlanError(f"{rule} finding has no preflight evidence to replay")
        if rule == "methods-beyond-policy":
            method = _request_header(preflight, ACRM) or ""
            if not method:
                raise PlanError("the preflight evidence has no Access-Control-Request-Method")
        else:
            headers = _asked_headers(preflight)
            if not headers:
                raise PlanError("the preflight evidence has no Access-Control-Request-Headers")
    elif rule in EXPOSED_RULES:
        claim = Claim.EXPOSED
        origin = _page_origin(finding)
        exposed = tuple(
            dict.fromkeys(
                name.lower()
                for e in finding.evidence
                for value in _response_header_values(e, ACEH)
                for name in _split_list(value)
            )
        )
        if not exposed:
            raise PlanError("no Access-Control-Expose-Headers in the finding's evidence")
    else:
        return None
    if origin != "null" and origin == url_origin(finding.url):
        raise PlanError(f"the origin {origin} is the target's own origin: nothing cross-origin")
    return Plan(
        fingerprint=finding.fingerprint,
        rule=rule,
        claim=claim,
        origin=origin,
        url=finding.url,
        method=method,
        headers=headers,
        credentials=credentials,
        exposed=exposed,
        note=note,
        scheme=page_scheme(finding, origin),
    )
