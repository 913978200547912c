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
from support.report_fixtures import sample_report

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
    from playwright.sync_api import Browser, Page

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


def _open_all(page: Page) -> None:
    """Open every finding, so the script draws each card body and its evidence."""
    page.evaluate(
        "() => document.querySelectorAll('details.finding').forEach((d) => { d.open = true; })"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('details.finding .card-body')]"
        ".every((b) => b.dataset.done === '1')"
    )


def _assert_inert(opened: PageLog) -> None:
    page = opened.page
    _open_all(page)
    assert opened.dialogs == []
    assert page.evaluate("() => window.__pwned === undefined")
    # The planted markup is shown as text, exactly, so it was escaped, not dropped.
    text = page.evaluate("() => document.body.textContent")
    assert PLANTED_SCRIPT in text
    assert PLANTED_IMG in text
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    # the report's own script and its JSON data block (which never runs), nothing else
    assert page.evaluate("() => document.scripts.length") == 2
    assert page.evaluate("() => document.querySelectorAll('script:not([type])').length") == 1


@pytest.fixture(scope="module")
def html(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html-report") / "report.html"
    path.write_text(render(ReportFormat.HTML, report), encoding="utf-8")
    return path


def test_the_scan_found_and_shows_the_hostile_endpoint(report: Report, html: Path) -> None:
    hostile = [f for f in report.findings if f.url == BASE + "/hostile"]
    assert "reflected-origin" in {f.rule for f in hostile}
    # Server values travel in the page's JSON data block with every < escaped.
    assert "\\u003cscript\\u003ewindow.__pwned" in html.read_text(encoding="utf-8")


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
        assert not critical.first.evaluate("d => d.open")  # every finding starts collapsed
        # The report's own (CSP-hashed) script ran: it shows the filter bar.
        assert page.locator("#finding-tools").is_visible()
        assert page.locator("#f-count").text_content() == f"{len(report.findings)} findings"
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.screenshot(path=str(SCREENSHOT), full_page=False)  # the first screen, for README
        assert SCREENSHOT.stat().st_size > 10_000
        assert opened.console_errors == []
    finally:
        page.close()


# ---- triage: filters, search, sort, links, paging, narrow screens ------------------------------


def _triage_report() -> Report:
    """`sample_report` plus enough low findings on other hosts to need "Show more"."""
    base = sample_report()
    low = next(f for f in base.findings if f.rule == "missing-max-age")
    extra = [
        low.model_copy(
            update={
                "fingerprint": f"{n:032x}",
                "url": f"https://extra{n}.example.net/api",
                "detail": f"extra finding number {n}",
            }
        )
        for n in range(250)
    ]
    return base.model_copy(update={"findings": [*base.findings, *extra]})


@pytest.fixture(scope="module")
def triage_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html-triage") / "report.html"
    path.write_text(render(ReportFormat.HTML, _triage_report()), encoding="utf-8")
    return path


@pytest.fixture
def triage(browser: Browser, triage_html: Path) -> Iterator[PageLog]:
    opened = _open(browser, triage_html)
    try:
        yield opened
        assert opened.page_errors == []
        assert opened.console_errors == []
    finally:
        opened.page.close()


def _shown(page: Page, attribute: str) -> list[str]:
    shown: list[str] = page.evaluate(
        "(a) => [...document.querySelectorAll('#finding-list details.finding')]"
        ".filter((d) => d.offsetParent !== null).map((d) => d.getAttribute(a))",
        attribute,
    )
    return shown


def test_findings_are_paged_and_show_more_appends(triage: PageLog) -> None:
    page = triage.page
    total = len(_triage_report().findings)
    assert page.locator("#finding-list details.finding").count() == 200
    assert _shown(page, "data-severity")[0] == "critical"
    page.click("#f-more")
    assert page.locator("#finding-list details.finding").count() == total
    assert page.locator("#f-more").is_hidden()


def test_filters_by_severity_rule_host_and_stack(triage: PageLog) -> None:
    page = triage.page
    page.select_option("#f-severity", "critical")
    assert _shown(page, "data-severity") == ["critical"]
    assert page.locator("#f-count").text_content() == "1 of 256 findings match"
    assert page.locator("#finding-list h3").count() == 1
    page.select_option("#f-severity", "")
    page.select_option("#f-rule", "private-network-allowed")
    assert _shown(page, "data-rule") == ["private-network-allowed"]
    page.select_option("#f-rule", "")
    page.fill("#f-host", "extra12")
    hosts = _shown(page, "data-host")
    assert hosts
    assert all("extra12" in host for host in hosts)
    assert len(hosts) == 11  # extra12 and extra120 … extra129
    page.click("#f-clear")
    assert page.locator("#f-host").input_value() == ""
    assert page.locator("#f-count").text_content() == "256 of 256 findings match"
    page.select_option("#f-stack", "unknown")
    assert len(page.locator("#finding-list details.finding").all()) == 200


def test_text_search_matches_summary_and_detail(triage: PageLog) -> None:
    page = triage.page
    page.fill("#f-q", "extra finding number 249")
    (fingerprint,) = _shown(page, "id")
    assert fingerprint == f"finding-{249:032x}"
    page.fill("#f-q", "ANY ORIGIN CAN READ")  # case-insensitive, the rule's title
    assert _shown(page, "data-rule") == ["reflected-origin"]
    page.fill("#f-q", "no such text anywhere")
    assert _shown(page, "id") == []
    assert page.locator("#f-count").text_content() == "0 of 256 findings match"


def test_target_row_link_shows_only_that_targets_findings(triage: PageLog) -> None:
    page = triage.page
    report = _triage_report()
    page.click("#target-0 a[data-show-target]")
    expected = [f.fingerprint for f in report.findings if f.url == report.targets[0].url]
    assert sorted(_shown(page, "id")) == sorted(f"finding-{fp}" for fp in expected)
    assert page.locator("#f-target").is_visible()
    assert page.locator("#f-target-name").text_content() == report.targets[0].url
    assert page.evaluate("() => location.hash") == f"#finding-{report.findings[0].fingerprint}"
    page.click("#f-target-clear")
    assert page.locator("#f-target").is_hidden()
    assert page.locator("#f-count").text_content() == "256 of 256 findings match"


def test_fix_first_link_filters_and_fix_links_resolve(triage: PageLog) -> None:
    page = triage.page
    group = page.locator("#fix-first-table tr.group[data-rule=missing-max-age]")
    group.locator("a.show").click()
    rules = _shown(page, "data-rule")
    assert set(rules) == {"missing-max-age"}
    assert len(rules) == 200  # one page of the 251 matches
    fix = group.locator("a.fix-link").get_attribute("href") or ""
    assert page.locator(fix).count() == 1
    assert "Fix." in (page.locator(fix).text_content() or "")


def test_a_link_to_a_finding_beyond_the_first_page_reveals_it(triage: PageLog) -> None:
    page = triage.page
    last = f"finding-{249:032x}"
    assert page.locator(f"#{last}").count() == 0
    page.evaluate("(id) => { location.hash = id; }", last)
    page.wait_for_selector(f"#{last}")
    assert page.locator(f"#{last}").is_visible()


def test_opening_a_finding_draws_its_card_and_highlights_cors_headers(triage: PageLog) -> None:
    page = triage.page
    report = _triage_report()
    finding = report.findings[0]
    row = page.locator(f"#finding-{finding.fingerprint}")
    row.locator("summary").click()
    body = row.locator(".card-body")
    assert body.locator("pre.curl").text_content() == finding.curl
    assert body.locator(".exchange").count() == len(finding.evidence)
    highlighted = body.locator("span.cors").all_text_contents()
    assert "Access-Control-Allow-Credentials: true" in highlighted
    assert "Content-Type: application/json" not in highlighted
    fix = body.locator("dd a").first.get_attribute("href") or ""
    assert page.locator(fix).count() == 1
    page.click("#f-collapse")
    assert not row.evaluate("d => d.open")


def test_targets_table_sorts_by_column(triage: PageLog) -> None:
    page = triage.page
    urls = [t.url for t in _triage_report().targets]

    def order() -> list[str]:
        urls: list[str] = page.evaluate(
            "() => [...document.querySelectorAll('#targets-table .target')]"
            ".map((r) => r.dataset.url)"
        )
        return urls

    url_button = page.locator("#targets-table .thead [data-sort] button", has_text="URL")
    url_button.click()
    assert order() == sorted(urls, key=str.lower)
    url_button.click()
    assert order() == sorted(urls, key=str.lower, reverse=True)
    page.locator("#targets-table .thead [data-sort] button", has_text="Score").click()
    scores = page.evaluate(
        "() => [...document.querySelectorAll('#targets-table .target')]"
        ".map((r) => +r.children[1].dataset.v)"
    )
    assert scores == sorted(scores)


def test_usable_at_390_px(browser: Browser, triage_html: Path) -> None:
    page = browser.contexts[0].new_page()
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(triage_html.as_uri(), wait_until="load")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert page.locator("#f-severity").is_visible()
        box = page.locator("#finding-list details.finding").first.bounding_box()
        assert box is not None
        assert box["width"] <= 390
    finally:
        page.close()
