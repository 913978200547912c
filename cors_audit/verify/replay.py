"""Real-browser confirmation of findings (``scan --verify-browser``, README "Browser verification"):
run the plans of ``plan.py`` in one headless Chromium and judge what it did.

The outcome of each fetch is read from the promise and from DevTools'
``Network.loadingFailed.corsErrorStatus`` (BROWSER-MODEL.md §8). The result is a
``VerificationModel`` per fingerprint: ``confirmed``, ``not-reproduced`` (with the CorsError
name) or ``error`` (the page could not be set up or the fetch never got a CORS answer).

How the attacker page gets its origin: Chromium is started and attached by the driver
(``chromium.py``). The attacker document is never fetched from the network: its navigation is
intercepted and fulfilled with the attack page (``chromium.serve_page``), so
``https://x.attacker.example`` on the default port is that very origin without a TLS
certificate, a port 443 listener or DNS. The route is removed before the fetch, so the
cross-origin request goes over the real network stack untouched.

Where traffic may go: ``--host-resolver-rules`` maps every target host to the address the
scanner's own resolver gives (IP literals are excluded from mapping) and every other name to
``~NOTFOUND`` (``chromium.resolver_rules``), so the browser reaches nothing the scan did not.
Local Network Access checks are turned off (BROWSER-MODEL.md §5.2: an intercepted document counts
as public, a loopback target as loopback, and LNA would otherwise answer before CORS does);
HTTPS-Upgrades is off so an ``http://`` attacker page stays ``http://``.

Plain-http targets (``plan.PageScheme``): when the server refuses the ``http://`` form of an
origin, the fetch is replayed once on the exact ``https://`` origin with insecure content
allowed (`retry_plan`): a check that pins the scheme makes the ``https`` the point. The result's
detail says which was done.

This module must not change findings or reports (the caller stores the results), must not
import Playwright at import time, and must not raise for one bad finding: such a finding gets an
``error`` result with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from cors_audit.report.model import FindingModel, VerificationModel
from cors_audit.verify.chromium import (
    BrowserUnavailable,
    NetworkEvents,
    PageCall,
    browser_name,
    failure_of,
    find_chromium,
    frame_events,
    launch_chromium,
    match_requests,
    page_html,
    product,
    require_playwright,
    resolver_rules,
    sandbox_frame,
    serve_page,
    wait_for,
)
from cors_audit.verify.plan import (
    DENIED_RULES,
    EXPOSED_RULES,
    FALLBACK_ORIGIN,
    NULL_HOST_ORIGIN,
    READ_RULES,
    SCHEME_NOTES,
    SENT_RULES,
    Claim,
    PageScheme,
    Plan,
    PlanError,
    page_scheme,
    plan_finding,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

__all__ = [
    "DENIED_RULES",
    "EXPOSED_RULES",
    "FALLBACK_ORIGIN",
    "INSECURE_CONTENT_FLAG",
    "READ_RULES",
    "SENT_RULES",
    "VERIFY_FLAGS",
    "BrowserUnavailable",
    "Claim",
    "Outcome",
    "PageScheme",
    "Plan",
    "PlanError",
    "browser_name",
    "find_chromium",
    "judge",
    "launch_flags",
    "page_scheme",
    "plan_finding",
    "require_playwright",
    "resolver_rules",
    "retry_plan",
    "verify_findings",
]

VERIFY_FLAGS: Final = (
    # BROWSER-MODEL.md §5.2: LNA would block public (intercepted) pages before CORS is consulted;
    # HTTPS-Upgrades would turn an http:// attacker navigation into https://.
    "--disable-features=LocalNetworkAccessChecks,HttpsUpgrades",
)
"""Chromium's flags for every verification, besides the driver's ``BASE_FLAGS``."""
INSECURE_CONTENT_FLAG: Final = "--allow-running-insecure-content"
"""Lets an ``https://`` page fetch ``http://`` URLs (Chromium's mixed-content checker consults
the "insecure content" setting this flag turns on); only passed when some plan may need it."""

PREFLIGHT_ERROR_NAMES: Final = frozenset(
    {
        "InvalidAllowMethodsPreflightResponse",
        "InvalidAllowHeadersPreflightResponse",
        "MethodDisallowedByPreflightResponse",
        "HeaderDisallowedByPreflightResponse",
    }
)
"""Errors raised by the preflight besides the ``Preflight…`` names (BROWSER-MODEL.md §3.3, §8)."""


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
# the page script

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

ATTACK_PAGE: Final = page_html("cors-audit verify", _RUNNER_JS)


# ------------------------------------------------------------------------------------------
# the browser side


@dataclass(slots=True)
class _Group:
    """The plans that run in one page (one origin, or the sandboxed iframe)."""

    origin: str
    """The fetching page's origin, ``null`` for the sandboxed iframe."""
    plans: list[Plan]
    holder: str = NULL_HOST_ORIGIN
    """The top-level page's origin when ``origin`` is ``null`` (the sandboxed iframe's parent)."""
    page: Page | None = None
    events: NetworkEvents | None = None
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


def _calls(raw: Sequence[dict[str, Any]]) -> list[PageCall]:
    """The jobs' results as the driver pairs them with requests: a job that threw never reached
    the network, one that timed out may not have, one that failed has a ``loadingFailed``."""
    return [
        PageCall(None)
        if result["outcome"] == "exception"
        else PageCall(
            result["key"],
            failed=result["outcome"] == "network-error",
            optional=result["outcome"] == "timeout",
        )
        for result in raw
    ]


def _request_ids(group: _Group) -> list[str | None] | None:
    """The CDP requestId of each job (None for one that never reached the network), or None
    while events are still missing (``chromium.match_requests``)."""
    assert group.events is not None
    return match_requests(group.events, _calls(group.raw))


def _outcome(result: dict[str, Any], failed: dict[str, Any] | None) -> Outcome:
    kind = result["outcome"]
    if kind == "ok":
        return Outcome("ok", status=result["status"], readable=tuple(result["readable"]))
    cors_error, net_error, blocked_reason = failure_of(failed)
    return Outcome(
        kind,
        message=result.get("message", ""),
        cors_error=cors_error,
        net_error=net_error,
        blocked_reason=blocked_reason,
    )


def _start(context: BrowserContext, group: _Group, timeout: float) -> None:
    jobs = [_job(plan, timeout) for plan in group.plans]
    if group.origin != "null":
        group.page, group.events = serve_page(context, group.origin, ATTACK_PAGE, timeout)
        group.page.evaluate("(jobs) => { window.__results = runJobs(jobs); }", jobs)
        return
    # BROWSER-MODEL.md §6.0 (1): `null` from an <iframe sandbox="allow-scripts" srcdoc=…>.
    page, group.events = serve_page(context, group.holder, ATTACK_PAGE, timeout)
    group.page = page
    page.evaluate("() => makeSandbox()")
    # The frame is ready (it posted a message) before Playwright may have seen it attach.
    frame = sandbox_frame(page, timeout)
    with suppress(Exception):  # an in-process frame reports through the page's session
        group.events = frame_events(context, frame)
    page.evaluate("(jobs) => startSandbox([jobs])", jobs)


def _collect(group: _Group, timeout: float, browser: str) -> dict[str, VerificationModel]:
    assert group.page is not None
    results = "window.__sandboxResults" if group.origin == "null" else "window.__results"
    group.raw = group.page.evaluate(f"() => {results}")
    ids = wait_for(group.page, lambda: _request_ids(group), timeout)
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
    """Chromium's flags besides the driver's ``BASE_FLAGS`` for ``plans``."""
    flags = [f"--host-resolver-rules={rules}", *VERIFY_FLAGS]
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
        browser = browser_name(product(br), executable)
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
