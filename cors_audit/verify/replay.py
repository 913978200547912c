"""Real-browser confirmation of findings (``scan --verify-browser``, README "Browser verification").

Each finding that claims something a browser can observe is replayed in one headless Chromium:
a page on the finding's origin (or a sandboxed ``srcdoc`` iframe for ``null``, BROWSER-MODEL.md
§6.0 (1)) ``fetch()``es the finding's URL with its method, headers and credentials mode, and the
outcome is read from the promise and from DevTools' ``Network.loadingFailed.corsErrorStatus``
(§8). The result is a ``VerificationModel`` per fingerprint: ``confirmed``, ``not-reproduced``
(with the CorsError name) or ``error`` (the page could not be set up or the fetch never got a
CORS answer).

How the attacker page gets its origin: Chromium is started by this module (not by Playwright,
whose launch flags turn off CORS-relevant features) and Playwright attaches over CDP. The
attacker document is never fetched from the network: its navigation is intercepted and
fulfilled with the attack page (``page.route``), so ``https://x.attacker.example`` on the default
port is that very origin without a TLS certificate, a port 443 listener or DNS. The route is
removed before the fetch, so the cross-origin request goes over the real network stack untouched.

Where traffic may go: ``--host-resolver-rules`` maps every target host to the address the
scanner's own resolver gives (IP literals are excluded from mapping) and every other name to
``~NOTFOUND``, so the browser reaches nothing the scan did not. Local Network Access checks are
turned off (BROWSER-MODEL.md §5.2: an intercepted document counts as public, a loopback target as
loopback, and LNA would otherwise answer before CORS does); HTTPS-Upgrades is off so an
``http://`` attacker page stays ``http://``.

Plain-http targets: an ``https://`` page may not ``fetch()`` an ``http://`` URL whose host is not
potentially trustworthy (mixed content, blocked before any CORS check; loopback addresses and
``localhost`` names are exempt). So when the target is such a URL the page is either served on
the ``http://`` form of the finding's origin (same host and port), for origins whose scheme the
attacker picks (every attacker probe class; ``null``'s holder page), or it keeps the finding's
``https://`` origin and Chromium runs with insecure content allowed, for origins that are that
exact origin (trusted and first-party origins, or none known). When the server refuses the
``http://`` form, the fetch is replayed once on the exact ``https://`` origin with insecure
content allowed: a check that pins the scheme makes the ``https`` the point. The result's
detail says which was done.

The fetch is the request the finding's evidence names: the method of the exchange the claim
rests on, the header names the matching preflight asked for (``Access-Control-Request-Headers``)
and the credentials mode under which the reply passes.

This module must not change findings or reports (the caller stores the results), must not
import Playwright at import time, and must not raise for one bad finding: such a finding gets an
``error`` result with the reason.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from cors_audit.browser import cors_check, is_cors_safelisted_method
from cors_audit.core.errors import CorsAuditError
from cors_audit.core.models import url_origin
from cors_audit.judging.rules.catalogue import ORIGIN_RULES
from cors_audit.report.build import EvidenceModel, FindingModel, VerificationModel

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, Playwright

CHROMIUM_ENV: Final = "CORS_AUDIT_CHROMIUM"
CHROMIUM_CANDIDATES: Final = ("chromium", "chromium-browser", "google-chrome", "chrome")
INSTALL_HINT: Final = (
    "install the browser extra and a Chromium: pip install 'cors-audit[browser]' and "
    f"apt-get install chromium (or set {CHROMIUM_ENV}=/path/to/chromium)"
)
NULL_HOST_ORIGIN: Final = "https://null-host.cors-audit.invalid"
"""The page that holds the sandboxed iframe for ``null`` findings (its origin does not leak
into the iframe's opaque origin)."""
FALLBACK_ORIGIN: Final = "https://verify.cors-audit.invalid"
"""A cross-origin page for breakage findings that name no origin at all (a malformed
Access-Control-Allow-Origin fails for every origin, BROWSER-MODEL.md §2.1)."""
START_TIMEOUT_S: Final = 30.0
INSECURE_CONTENT_FLAG: Final = "--allow-running-insecure-content"
"""Lets an ``https://`` page fetch ``http://`` URLs (Chromium's mixed-content checker consults
the "insecure content" setting this flag turns on); only passed when some plan may need it."""

BASE_FLAGS: Final = (
    "--headless=new",
    "--no-sandbox",
    # BROWSER-MODEL.md §5.2: LNA would block public (intercepted) pages before CORS is consulted;
    # HTTPS-Upgrades would turn an http:// attacker navigation into https://.
    "--disable-features=LocalNetworkAccessChecks,HttpsUpgrades",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
)

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


class BrowserUnavailable(CorsAuditError):
    """Playwright or a Chromium binary is missing, or Chromium does not start."""


class Claim(StrEnum):
    """What the browser must show for a finding to be confirmed."""

    READ = "read"
    """The page on the finding's origin reads the response (the fetch promise resolves)."""
    DENIED = "denied"
    """The page is blocked with a CORS error (breakage findings: a trusted origin fails)."""
    SENT = "sent"
    """The preflight passes, so the actual request is sent (its response may still be blocked)."""
    EXPOSED = "exposed"
    """The response is readable and script can read an exposed header."""


READ_RULES: Final = frozenset(
    {
        "reflected-origin",
        *ORIGIN_RULES,
        "wildcard-origin",
        "credentials-beyond-policy",
        "private-network-allowed",
    }
)
DENIED_RULES: Final = frozenset(
    {"trusted-origin-denied", "invalid-allow-origin", "credentials-with-wildcard"}
)
SENT_RULES: Final = frozenset({"methods-beyond-policy", "headers-beyond-policy"})
EXPOSED_RULES: Final = frozenset({"sensitive-exposed-headers"})

CREDENTIAL_ONLY_ERRORS: Final = frozenset(
    {
        "WildcardOriginNotAllowed",
        "PreflightWildcardOriginNotAllowed",
        "InvalidAllowCredentials",
        "PreflightInvalidAllowCredentials",
    }
)
"""CORS errors that only a ``credentials: 'include'`` fetch can hit (BROWSER-MODEL.md §2.2)."""

PREFLIGHT_ERROR_NAMES: Final = frozenset(
    {
        "InvalidAllowMethodsPreflightResponse",
        "InvalidAllowHeadersPreflightResponse",
        "MethodDisallowedByPreflightResponse",
        "HeaderDisallowedByPreflightResponse",
    }
)
"""Errors raised by the preflight besides the ``Preflight…`` names (BROWSER-MODEL.md §3.3, §8)."""

PNA_NOTE: Final = (
    " Chromium 142+ no longer consults Access-Control-Allow-Private-Network; the Local Network "
    "Access permission prompt (BROWSER-MODEL.md §5.2, turned off for this check) is the remaining "
    "gate."
)

_HEADER_VALUES: Final = {"content-type": "application/json", "authorization": "Bearer verify"}
"""Values for preflighted request headers; any other header gets ``1``."""


# ------------------------------------------------------------------------------------------
# the plan: what to fetch for each finding (pure)


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
    # only in its wording and its CorsError (rules/config.py `_policy_mode`).
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
    names = _split_list(_request_header(evidence, "Access-Control-Request-Headers") or "")
    return tuple((name, _HEADER_VALUES.get(name.lower(), "1")) for name in names)


def _preflighted_headers(
    evidence: Sequence[EvidenceModel], method: str
) -> tuple[tuple[str, str], ...]:
    """For a method that is preflighted: the headers the evidence's preflight for ``method``
    asked for (the request the scan showed to pass or fail), else none."""
    if is_cors_safelisted_method(method):
        return ()
    for e in evidence:
        if e.kind == "preflight" and _request_header(e, "Access-Control-Request-Method") == method:
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
        method = _request_header(preflight, "Access-Control-Request-Method") or finding.method
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
            method = _request_header(e, "Access-Control-Request-Method") or finding.method
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
            method = _request_header(preflight, "Access-Control-Request-Method") or ""
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
                for value in _response_header_values(e, "Access-Control-Expose-Headers")
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


# ------------------------------------------------------------------------------------------
# what Chromium did, and the verdict (pure)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one fetch."""

    kind: Literal["ok", "network-error", "exception", "timeout", "setup-error"]
    status: int | None = None
    readable: tuple[str, ...] = ()
    message: str = ""
    cors_error: str | None = None
    net_error: str | None = None
    blocked_reason: str | None = None


def _is_preflight_error(name: str) -> bool:
    return name.startswith("Preflight") or name in PREFLIGHT_ERROR_NAMES


def _who(plan: Plan) -> str:
    if plan.origin == "null":
        return "a sandboxed iframe (Origin: null)"
    return f"a page on {plan.page_origin}"


def _request(plan: Plan) -> str:
    text = f"{plan.method} {plan.url} with credentials: '{plan.credentials}'"
    if plan.headers:
        text += f" and headers {', '.join(name for name, _ in plan.headers)}"
    return text


def judge(plan: Plan, outcome: Outcome, browser: str) -> VerificationModel:
    """The verification result for ``plan`` given what Chromium did."""

    def result(
        verdict: Literal["confirmed", "not-reproduced", "error"],
        detail: str,
        cors_error: str | None = None,
    ) -> VerificationModel:
        return VerificationModel(
            browser=browser,
            result=verdict,
            cors_error=cors_error,
            detail=detail + SCHEME_NOTES[plan.scheme] + plan.note,
        )

    who, request = _who(plan), _request(plan)
    if outcome.kind == "setup-error":
        return result("error", f"could not set up {who}: {outcome.message}")
    if outcome.kind == "timeout":
        return result("error", f"{request} from {who} got no answer in time: {outcome.message}")
    if outcome.kind == "exception":
        return result("error", f"fetch() threw before reaching the network: {outcome.message}")
    error = outcome.cors_error
    if outcome.kind == "network-error" and error is None:
        why = outcome.blocked_reason or outcome.net_error or outcome.message or "unknown"
        return result("error", f"{request} from {who} failed without a CORS verdict ({why})")
    if plan.claim is Claim.DENIED:
        if error is not None:
            return result(
                "confirmed", f"Chromium blocked {who}: {request} failed ({error}).", error
            )
        return result(
            "not-reproduced",
            f"Chromium let {who} read the response (HTTP {outcome.status}) of {request}.",
        )
    if plan.claim is Claim.SENT:
        if error is None:
            return result(
                "confirmed", f"The preflight passed and {who} read the reply to {request}."
            )
        if _is_preflight_error(error):
            return result(
                "not-reproduced", f"Chromium's preflight blocked {request} ({error}).", error
            )
        return result(
            "confirmed",
            f"The preflight passed and Chromium sent {request}; its response was then "
            f"blocked ({error}).",
            error,
        )
    if error is not None:
        return result("not-reproduced", f"Chromium blocked {who}: {request} ({error}).", error)
    if plan.claim is Claim.EXPOSED:
        read = [name for name in plan.exposed if name in outcome.readable]
        if not read:
            return result(
                "not-reproduced",
                f"{who} read the response but none of the exposed headers "
                f"({', '.join(plan.exposed)}) was present and readable.",
            )
        return result("confirmed", f"Script on {who} read the header(s) {', '.join(read)}.")
    return result(
        "confirmed", f"Chromium let {who} read the response (HTTP {outcome.status}) of {request}."
    )


# ------------------------------------------------------------------------------------------
# the browser: finding it, the resolver rules, the version string


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium binary: ``explicit``, else ``$CORS_AUDIT_CHROMIUM``, else the first of
    ``chromium``, ``chromium-browser``, ``google-chrome``, ``chrome`` on PATH."""
    wanted = explicit or os.environ.get(CHROMIUM_ENV)
    if wanted:
        found = wanted if Path(wanted).is_file() else shutil.which(wanted)
        if found is None:
            source = "chromium" if explicit else f"${CHROMIUM_ENV}"
            raise BrowserUnavailable(
                f"{source}: Chromium binary {wanted!r} not found; {INSTALL_HINT}"
            )
        return found
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(f"no Chromium binary on PATH; {INSTALL_HINT}")


def require_playwright() -> None:
    """Raise ``BrowserUnavailable`` unless the Playwright client is importable."""
    if importlib.util.find_spec("playwright") is None:
        raise BrowserUnavailable(f"the Python package playwright is not installed; {INSTALL_HINT}")


def browser_name(product: str, executable: str) -> str:
    """``Browser.getVersion``'s ``product`` (``Chrome/156.0.8078.108``) as ``Chromium 156.…``."""
    version = product.split("/", 1)[1] if "/" in product else product
    brand = "Google Chrome" if "google-chrome" in Path(executable).name else "Chromium"
    return f"{brand} {version}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> str:
    # The scanner's own resolver (the system's), so the browser goes where the scan went.
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    address = str(infos[0][4][0])
    return f"[{address}]" if ":" in address else address


def resolver_rules(urls: Iterable[str]) -> tuple[str, dict[str, str]]:
    """``--host-resolver-rules`` that send each target host where the system resolver sends it
    and nothing else anywhere, plus ``{host: reason}`` for hosts that do not resolve."""
    rules: list[str] = []
    failed: dict[str, str] = {}
    seen: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or host in seen:
            continue
        seen.add(host)
        if _is_ip(host):
            rules.append(f"EXCLUDE {host}")
            if ":" in host:
                rules.append(f"EXCLUDE [{host}]")
            continue
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            rules.append(f"MAP {host} {_resolve(host, port)}")
        except OSError as exc:
            failed[host] = f"cannot resolve {host}: {exc}"
    rules.append("MAP * ~NOTFOUND")
    return ", ".join(rules), failed


# ------------------------------------------------------------------------------------------
# the page scripts

_RUNNER_JS: Final = r"""
async function runJob(c) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), c.timeout_ms);
  let key = c.url;
  try { const u = new URL(c.url); u.hash = ''; key = u.href; } catch (e) { /* fetch reports it */ }
  const init = {method: c.method, headers: c.headers, credentials: c.credentials, mode: 'cors',
                cache: 'no-store', signal: ctl.signal};
  try {
    const r = await fetch(c.url, init);
    await r.arrayBuffer();
    return {outcome: 'ok', key, status: r.status, readable: [...r.headers.keys()]};
  } catch (e) {
    if (ctl.signal.aborted) return {outcome: 'timeout', key, message: 'no answer in ' +
                                    c.timeout_ms + ' ms'};
    const network = e instanceof TypeError && e.message === 'Failed to fetch';
    return {outcome: network ? 'network-error' : 'exception', key, message: String(e)};
  } finally {
    clearTimeout(timer);
  }
}
async function runJobs(jobs) {
  const out = [];
  for (const job of jobs) out.push(await runJob(job));  // one at a time: events map by order
  return out;
}
"""

_SANDBOX_JS: Final = r"""
function makeSandbox() {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.name = 'sandbox';
    const code = document.getElementById('runner').textContent +
      "window.addEventListener('message', async (e) => {" +
      "  parent.postMessage({results: await runJobs(e.data.jobs)}, '*'); });" +
      "parent.postMessage({ready: true}, '*');";
    frame.srcdoc = '<script>' + code + '<' + '/script>';
    window.__results = new Promise((done) => {
      window.addEventListener('message', (e) => {
        if (e.source !== frame.contentWindow) return;
        if (e.data.ready) resolve(true);
        else if (e.data.results) done(e.data.results);
      });
    });
    document.body.appendChild(frame);
  });
}
function startSandbox(jobs) {
  document.querySelector('iframe[name=sandbox]').contentWindow.postMessage({jobs}, '*');
}
"""

ATTACK_PAGE: Final = (
    "<!doctype html><html><head><meta charset='utf-8'><title>cors-audit verify</title>"
    f"<script id='runner'>{_RUNNER_JS}</script><script>{_SANDBOX_JS}</script></head>"
    "<body></body></html>"
)


# ------------------------------------------------------------------------------------------
# the browser side


class _Events:
    """``Network.*`` events of one CDP session: Fetch request ids per URL, failures by id."""

    def __init__(self, session: CDPSession) -> None:
        self.started: dict[str, list[str]] = {}
        self.failed: dict[str, dict[str, Any]] = {}
        session.on("Network.requestWillBeSent", self._on_request)
        session.on("Network.loadingFailed", self._on_failed)
        session.send("Network.enable")

    def _on_request(self, params: dict[str, Any]) -> None:
        # A redirect re-announces the same requestId with redirectResponse; keep the first.
        if params.get("type") != "Fetch" or "redirectResponse" in params:
            return
        self.started.setdefault(params["request"]["url"], []).append(params["requestId"])

    def _on_failed(self, params: dict[str, Any]) -> None:
        self.failed[params["requestId"]] = params


@dataclass(slots=True)
class _Group:
    """The plans that run in one page (one origin, or the sandboxed iframe)."""

    origin: str
    """The fetching page's origin, ``null`` for the sandboxed iframe."""
    plans: list[Plan]
    holder: str = NULL_HOST_ORIGIN
    """The top-level page's origin when ``origin`` is ``null`` (the sandboxed iframe's parent)."""
    page: Page | None = None
    events: _Events | None = None
    raw: list[dict[str, Any]] = field(default_factory=list)
    setup_error: str | None = None


def _job(plan: Plan, timeout: float) -> dict[str, Any]:
    return {
        "url": plan.url,
        "method": plan.method,
        "headers": [list(h) for h in plan.headers],
        "credentials": plan.credentials,
        "timeout_ms": int(timeout * 1000),
    }


def _request_ids(group: _Group) -> list[str | None] | None:
    """The CDP requestId of each job (None for one that never reached the network), or None
    while events are still missing. Jobs run one after another, so the n-th Fetch to a URL is
    the n-th job that used it."""
    assert group.events is not None
    ids: list[str | None] = []
    used: dict[str, int] = {}
    for result in group.raw:
        if result["outcome"] == "exception":
            ids.append(None)
            continue
        key = result["key"]
        position = used.get(key, 0)
        used[key] = position + 1
        started = group.events.started.get(key, [])
        if position >= len(started):
            if result["outcome"] == "timeout":
                ids.append(None)
                continue
            return None
        request_id = started[position]
        if result["outcome"] == "network-error" and request_id not in group.events.failed:
            return None
        ids.append(request_id)
    return ids


def _outcome(result: dict[str, Any], failed: dict[str, Any] | None) -> Outcome:
    kind = result["outcome"]
    if kind == "ok":
        return Outcome("ok", status=result["status"], readable=tuple(result["readable"]))
    cors = (failed or {}).get("corsErrorStatus") or {}
    return Outcome(
        kind,
        message=result.get("message", ""),
        cors_error=cors.get("corsError") or None,
        net_error=(failed or {}).get("errorText") or None,
        blocked_reason=(failed or {}).get("blockedReason") or None,
    )


@contextmanager
def launch_chromium(
    playwright: Playwright, executable: str, flags: Sequence[str], timeout: float
) -> Iterator[Browser]:
    """Chromium on a fresh profile with the base flags plus ``flags``, attached over CDP (not
    launched by Playwright, whose own flags change CORS behaviour); killed on exit."""
    profile = tempfile.TemporaryDirectory(prefix="cors-audit-verify-")
    command = [
        executable,
        *BASE_FLAGS,
        *flags,
        f"--user-data-dir={profile.name}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    try:
        # The binary is the user's configured browser; the arguments are fixed flags.
        process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
    except OSError as exc:
        profile.cleanup()
        raise BrowserUnavailable(f"cannot start Chromium {executable!r}: {exc}") from None
    browser: Browser | None = None
    try:
        active = Path(profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + max(START_TIMEOUT_S, timeout)
        while browser is None:
            if process.poll() is not None:
                raise BrowserUnavailable(
                    f"Chromium {executable!r} exited with status {process.returncode} at start"
                )
            if time.monotonic() > deadline:
                raise BrowserUnavailable(
                    f"Chromium {executable!r} did not open its DevTools port in time"
                )
            text = active.read_text() if active.exists() else ""
            if "\n" in text:
                port = text.split("\n", 1)[0]
                browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            else:
                time.sleep(0.05)  # polling for the DevToolsActivePort file, bounded above
        yield browser
    finally:
        if browser is not None:
            with suppress(Exception):
                browser.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        profile.cleanup()


def _open(context: BrowserContext, origin: str, timeout: float) -> tuple[Page, _Events]:
    """A page whose document is the attack page, served at ``origin`` by interception."""
    page = context.new_page()
    events = _Events(context.new_cdp_session(page))
    prefix = origin + "/"
    page.route(
        lambda url: url.startswith(prefix),
        lambda route: route.fulfill(status=200, content_type="text/html", body=ATTACK_PAGE),
    )
    page.goto(prefix, timeout=timeout * 1000)
    # From here on nothing is intercepted: the target fetch goes over the real network stack.
    page.unroute_all(behavior="ignoreErrors")
    return page, events


def _start(context: BrowserContext, group: _Group, timeout: float) -> None:
    jobs = [_job(plan, timeout) for plan in group.plans]
    if group.origin != "null":
        group.page, group.events = _open(context, group.origin, timeout)
        group.page.evaluate("(jobs) => { window.__results = runJobs(jobs); }", jobs)
        return
    # BROWSER-MODEL.md §6.0 (1): `null` from an <iframe sandbox="allow-scripts" srcdoc=…>.
    page, page_events = _open(context, group.holder, timeout)
    group.page, group.events = page, page_events
    page.evaluate("() => makeSandbox()")
    # The frame is ready (it posted a message) before Playwright may have seen it attach.
    deadline = time.monotonic() + timeout
    frame = page.frame(name="sandbox")
    while frame is None and time.monotonic() < deadline:
        page.wait_for_timeout(20)
        frame = page.frame(name="sandbox")
    if frame is None:
        raise RuntimeError("the sandboxed iframe did not appear")
    with suppress(Exception):  # an in-process frame reports through the page's session
        # A sandboxed frame is usually out-of-process: its requests go to its own session.
        group.events = _Events(context.new_cdp_session(frame))
    page.evaluate("(jobs) => startSandbox(jobs)", jobs)


def _collect(group: _Group, timeout: float, browser: str) -> dict[str, VerificationModel]:
    assert group.page is not None
    group.raw = group.page.evaluate("() => window.__results")
    deadline = time.monotonic() + timeout
    ids = _request_ids(group)
    while ids is None and time.monotonic() < deadline:
        group.page.wait_for_timeout(50)  # lets Playwright deliver pending CDP events
        ids = _request_ids(group)
    assert group.events is not None
    out: dict[str, VerificationModel] = {}
    for index, (plan, result) in enumerate(zip(group.plans, group.raw, strict=True)):
        request_id = ids[index] if ids is not None else None
        failed = group.events.failed.get(request_id) if request_id else None
        out[plan.fingerprint] = judge(plan, _outcome(result, failed), browser)
    return out


def _reason(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _replay(
    context: BrowserContext, plans: Sequence[Plan], timeout: float, browser: str
) -> dict[str, VerificationModel]:
    """Run ``plans``, one page per (page origin, holder), all pages at once; verdicts by
    fingerprint."""
    groups: dict[tuple[str, str], _Group] = {}
    for plan in plans:
        key = (plan.page_origin, plan.holder)
        group = groups.setdefault(key, _Group(plan.page_origin, [], plan.holder))
        group.plans.append(plan)
    for group in groups.values():
        try:
            _start(context, group, timeout)
        except Exception as exc:  # one bad page must not stop the others
            group.setup_error = _reason(exc)
    results: dict[str, VerificationModel] = {}
    for group in groups.values():
        try:
            if group.setup_error is None:
                results.update(_collect(group, timeout, browser))
                continue
        except Exception as exc:
            group.setup_error = _reason(exc)
        for plan in group.plans:
            outcome = Outcome("setup-error", message=group.setup_error or "")
            results[plan.fingerprint] = judge(plan, outcome, browser)
    return results


def retry_plan(plan: Plan, verdict: VerificationModel) -> Plan | None:
    """The replay on the exact ``https://`` origin, with insecure content allowed, of a plan
    whose ``http://`` page the server refused; ``None`` when there is nothing to retry. A
    server whose check pins the scheme refuses the ``http://`` form of an origin it accepts."""
    if plan.scheme is not PageScheme.HTTP or plan.origin == "null":
        return None
    if verdict.result != "not-reproduced" or verdict.cors_error is None:
        return None
    note = (
        f" The page was first served on {plan.page_origin}, which was refused "
        f"({verdict.cors_error})." + plan.note
    )
    return replace(plan, scheme=PageScheme.INSECURE_CONTENT, note=note)


def launch_flags(plans: Sequence[Plan], rules: str, *, insecure: bool) -> list[str]:
    """Chromium's flags besides `BASE_FLAGS` for ``plans``."""
    flags = [f"--host-resolver-rules={rules}"]
    if insecure:
        flags.append("--ignore-certificate-errors")
    if any(plan.scheme is not PageScheme.AS_IS for plan in plans):
        # Every plan that may fetch an http:// URL from an https page (including the retry of
        # one served over http); pages of the other plans never make a mixed-content fetch.
        flags.append(INSECURE_CONTENT_FLAG)
    return flags


def _run(
    executable: str, plans: list[Plan], *, timeout: float, insecure: bool
) -> tuple[str, dict[str, VerificationModel]]:
    """The browser's name and the verdict for every plan."""
    from playwright.sync_api import sync_playwright

    rules, unresolved = resolver_rules(plan.url for plan in plans)
    setup: dict[str, Outcome] = {}
    runnable: list[Plan] = []
    for plan in plans:
        host = (urlsplit(plan.url).hostname or "").lower()
        if host in unresolved:
            setup[plan.fingerprint] = Outcome("setup-error", message=unresolved[host])
        else:
            runnable.append(plan)
    flags = launch_flags(runnable, rules, insecure=insecure)
    with (
        sync_playwright() as playwright,
        launch_chromium(playwright, executable, flags, timeout) as br,
    ):
        session = br.new_browser_cdp_session()
        browser = browser_name(session.send("Browser.getVersion")["product"], executable)
        context = br.contexts[0]
        results = _replay(context, runnable, timeout, browser)
        retries = [
            retry
            for plan in runnable
            if (retry := retry_plan(plan, results[plan.fingerprint])) is not None
        ]
        if retries:
            results.update(_replay(context, retries, timeout, browser))
    for plan in plans:
        if plan.fingerprint in setup:
            results[plan.fingerprint] = judge(plan, setup[plan.fingerprint], browser)
    return browser, results


def verify_findings(
    findings: Sequence[FindingModel],
    *,
    timeout: float = 10.0,
    chromium: str | None = None,
    insecure: bool = False,
) -> dict[str, VerificationModel]:
    """Replay each browser-observable finding in one headless Chromium; results by fingerprint.

    Findings whose rule has no browser-observable outcome get no entry. ``timeout`` bounds each
    fetch (and each page load); ``insecure`` accepts invalid TLS certificates on targets (the
    scan's ``--insecure``). Raises ``BrowserUnavailable`` when Playwright or Chromium is missing
    or Chromium does not start; never for one finding.
    """
    executable = find_chromium(chromium)
    require_playwright()
    plans: list[Plan] = []
    unplanned: dict[str, str] = {}
    for finding in findings:
        try:
            plan = plan_finding(finding)
        except PlanError as exc:
            unplanned[finding.fingerprint] = str(exc)
            continue
        if plan is not None:
            plans.append(plan)
    browser = "Chromium"
    results: dict[str, VerificationModel] = {}
    if plans:
        browser, results = _run(executable, plans, timeout=timeout, insecure=insecure)
    for fingerprint, reason in unplanned.items():
        results[fingerprint] = VerificationModel(
            browser=browser, result="error", cors_error=None, detail=reason
        )
    return results
