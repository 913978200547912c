"""The HTML report in a real Chromium (``-m browser``): hostile data stays text.

A demo-lab scan gets one extra endpoint that reflects every origin and plants a ``<script>`` and
an ``<img src=x onerror=…>`` in response header values, which the report shows as evidence. The
report is opened from ``file://`` and must load without console errors, dialogs or execution of
the planted code; the severity chart and the finding list must be there. A copy without the
Content-Security-Policy meta tag checks that escaping alone keeps the payload inert. A full-page
screenshot goes to ``reports/html-report.png`` for people to look at.

Nothing here talks to the network: the scan answers through the lab's pure ``respond``
(an ``httpx.MockTransport``) and Chromium resolves no name at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from support.chromium import chromium_browser

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import Target
from cors_audit.demo.lab import (
    DEMO_POLICY_TOML,
    DEMO_SITE_ORIGIN,
    ENDPOINTS,
    Endpoint,
    Reply,
    RequestView,
    respond,
)
from cors_audit.formats import ReportFormat, render
from cors_audit.inputs.policy import load_policy
from cors_audit.report.build import build_report
from cors_audit.report.model import Report
from cors_audit.sending.engine import EngineOptions
from cors_audit.verify.chromium import PageLog

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "reports" / "html-report.png"
BASE = "http://127.0.0.1:9"
"""Never contacted: the scan's transport answers in process."""

PLANTED_SCRIPT = "<script>window.__pwned='script';alert('script')</script>"
PLANTED_IMG = "<img src=x onerror=\"window.__pwned='img';alert('img')\">"


def _hostile(request: RequestView) -> Reply:
    """Reflects every origin with credentials (a critical finding) and plants markup in two
    response header values that the report shows as evidence."""
    lines: list[tuple[str, str]] = [
        ("X-Planted-Script", PLANTED_SCRIPT),
        ("X-Planted-Img", PLANTED_IMG),
    ]
    origin = request.origin
    if origin is not None:
        lines += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    if request.method == "OPTIONS":
        lines += [("Access-Control-Allow-Methods", "GET"), ("Access-Control-Max-Age", "600")]
        return Reply(204, tuple(lines))
    return Reply(200, (("Content-Type", "application/json"), *lines), b'{"user": "alice"}')


pytestmark = pytest.mark.browser

HOSTILE = Endpoint("/hostile", "Reflects origins and plants markup", "GET", frozenset(), _hostile)
LAB = (*ENDPOINTS, HOSTILE)


def _transport(request: httpx.Request) -> httpx.Response:
    view = RequestView(
        request.method,
        request.url.path,
        tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw),
    )
    reply = respond(view, LAB)
    return httpx.Response(reply.status, headers=list(reply.headers), content=reply.body)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    policy_path = tmp_path_factory.mktemp("html") / "cors-policy.toml"
    policy_path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    targets = [
        Target(url=BASE + e.path, method=e.method, site_origin=DEMO_SITE_ORIGIN) for e in LAB
    ]
    now = datetime.now(UTC)
    results = scan(
        targets,
        load_policy(policy_path),
        ScanOptions(engine=EngineOptions(retries=0)),
        transport=httpx.MockTransport(_transport),
    )
    return build_report(results, policy={}, started_at=now, finished_at=now)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Chromium resolves no name at all: a file:// page has nothing to fetch.
    with chromium_browser(["--host-resolver-rules=MAP * ~NOTFOUND"], timeout=10) as br:
        yield br


def _open(browser: Browser, path: Path) -> PageLog:
    page = browser.contexts[0].new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    opened = PageLog.watch(page)
    page.goto(path.as_uri(), wait_until="load")
    return opened


def _assert_inert(opened: PageLog) -> None:
    page = opened.page
    assert opened.dialogs == []
    assert page.evaluate("() => window.__pwned === undefined")
    # The planted markup is shown as text, exactly, so it was escaped, not dropped.
    text = page.evaluate("() => document.body.textContent")
    assert PLANTED_SCRIPT in text
    assert PLANTED_IMG in text
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    assert page.evaluate("() => document.scripts.length") == 1  # the report's own script


@pytest.fixture(scope="module")
def html(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html-report") / "report.html"
    path.write_text(render(ReportFormat.HTML, report), encoding="utf-8")
    return path


def test_the_scan_found_and_shows_the_hostile_endpoint(report: Report, html: Path) -> None:
    hostile = [f for f in report.findings if f.url == BASE + "/hostile"]
    assert "reflected-origin" in {f.rule for f in hostile}
    assert "&lt;script&gt;window.__pwned" in html.read_text(encoding="utf-8")


def test_report_loads_cleanly_and_planted_code_never_runs(browser: Browser, html: Path) -> None:
    opened = _open(browser, html)
    try:
        _assert_inert(opened)
        assert opened.console_errors == []
        assert opened.page_errors == []
    finally:
        opened.page.close()


def test_escaping_alone_keeps_the_payload_inert(
    browser: Browser, html: Path, tmp_path: Path
) -> None:
    # Without the CSP a planted <script> would run; only escaping stands in its way here.
    source = html.read_text(encoding="utf-8")
    stripped, count = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", source)
    assert count == 1
    copy = tmp_path / "no-csp.html"
    copy.write_text(stripped, encoding="utf-8")
    opened = _open(browser, copy)
    try:
        _assert_inert(opened)
        assert opened.page_errors == []
    finally:
        opened.page.close()


def test_chart_and_findings_are_shown_and_screenshot_saved(
    browser: Browser, html: Path, report: Report
) -> None:
    opened = _open(browser, html)
    page = opened.page
    try:
        chart = page.locator("svg#severity-chart")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 20
        assert page.locator("svg#severity-chart rect").count() >= 1
        cards = page.locator("details.finding")
        assert cards.count() == len(report.findings)
        critical = page.locator("details.finding[data-severity=critical]")
        assert critical.count() == sum(1 for f in report.findings if f.severity == "critical")
        assert critical.first.evaluate("d => d.open")  # critical findings start expanded
        # The report's own (CSP-hashed) script ran: it adds the expand/collapse buttons.
        assert page.locator("#finding-tools button").count() == 2
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.screenshot(path=str(SCREENSHOT), full_page=False)  # the first screen, for README
        assert SCREENSHOT.stat().st_size > 10_000
        assert opened.console_errors == []
    finally:
        page.close()
