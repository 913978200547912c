"""The HTML report: parsed with the stdlib HTML parser, never compared as strings."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from html.parser import HTMLParser

import pytest
from support.report_fixtures import empty_report, hostile_report, sample_report

from cors_audit.core.models import Severity
from cors_audit.formats import html
from cors_audit.judging.rules.catalogue import RULES, RULES_BY_ID
from cors_audit.report.model import Report

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag and (cls is None or cls in n.classes)]

    def by_id(self, ident: str) -> Node:
        (node,) = [n for n in self.walk() if n.attrs.get("id") == ident]
        return node


class TreeBuilder(HTMLParser):
    """A tolerant DOM builder; also records every start tag as the browser's tokenizer sees it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.start_tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.start_tags.append((tag, node.attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.start_tags.append((tag, node.attrs))
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> TreeBuilder:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder


@pytest.fixture
def page(report: Report) -> Node:
    return parse(html.render(report)).root


def test_header_shows_grade_score_time_and_version(report: Report, page: Node) -> None:
    assert page.by_id("overall-grade").text() == report.summary.grade == "F"
    assert page.by_id("overall-score").text() == "40/100"
    badge = page.by_id("overall-grade")
    (box,) = [n for n in page.walk() if badge in n.children]
    assert "grade-f" in box.classes
    header = page.find_all("header")[0].text()
    assert "2025-03-14 09:26:53 UTC" in header
    assert "12.2 s" in header
    assert f"cors-audit {report.tool.version}" in header


def test_policy_source_shown_and_no_policy_free_banner(page: Node) -> None:
    policy = page.by_id("policy").text()
    assert "cors-policy.toml" in policy
    assert '"allowed_methods"' in policy
    assert not [n for n in page.walk() if n.attrs.get("id") == "policy-free"]


def test_policy_free_banner_and_empty_states(clean_report: Report) -> None:
    page = parse(html.render(clean_report)).root
    assert "Policy-free judgement" in page.by_id("policy-free").text()
    assert not [n for n in page.walk() if n.attrs.get("id") == "policy"]
    assert "No findings" in page.by_id("findings").text()
    assert page.find_all("details", "finding") == []
    assert page.by_id("overall-grade").text() == "A"


def test_no_targets_state(clean_report: Report) -> None:
    empty = clean_report.model_copy(update={"targets": []})
    page = parse(html.render(empty)).root
    assert "No targets were scanned" in page.by_id("targets").text()


def test_severity_chart_has_one_bar_per_severity(report: Report, page: Node) -> None:
    svg = page.by_id("severity-chart")
    assert svg.tag == "svg"
    bars = svg.find_all("rect", "bar")
    assert [b.attrs["data-severity"] for b in bars] == [s.value for s in Severity]
    assert [int(b.attrs["data-count"] or "") for b in bars] == [1, 1, 1, 2, 1]
    widths = [int(b.attrs["width"] or "") for b in bars]
    assert max(widths) == widths[3]  # low has the most findings and the longest bar
    assert widths[0] == widths[1] == widths[2] == widths[4] == widths[3] // 2
    labels = [t.text() for t in svg.find_all("text", "count")]
    assert labels == ["1", "1", "1", "2", "1"]


def test_chart_with_no_findings_draws_empty_bars(clean_report: Report) -> None:
    bars = parse(html.render(clean_report)).root.by_id("severity-chart").find_all("rect", "bar")
    assert len(bars) == len(Severity)
    assert {b.attrs["width"] for b in bars} == {"0"}


def test_targets_table_has_one_row_per_target(report: Report, page: Node) -> None:
    rows = page.by_id("targets-table").find_all("tr", "target")
    assert len(rows) == len(report.targets) == 4
    cells = [[td.text().strip() for td in row.find_all("td")] for row in rows]
    assert [c[0] for c in cells] == ["F", "D", "A", "-"]
    assert cells[0][3] == "https://staging.example.com/api/posts/20"
    assert [c[4] for c in cells] == ["3", "3", "0", "0"]
    assert "feed.example.com" in cells[1][3]  # site origin differs from the URL's own
    assert "errored" in rows[3].classes
    assert cells[3][6] == "timeout: no response within 10.0 s (connect)"
    assert cells[3][1] == "\u2013"  # en dash: no score


def test_one_card_per_finding_critical_first(report: Report, page: Node) -> None:
    cards = page.find_all("details", "finding")
    assert len(cards) == len(report.findings) == 6
    severities = [c.attrs["data-severity"] for c in cards]
    assert severities == ["critical", "high", "medium", "low", "low", "info"]
    assert [("open" in c.attrs) for c in cards] == [True, True, False, False, False, False]
    headings = [h.attrs["id"] for h in page.by_id("findings").find_all("h3")]
    assert headings == [f"severity-{s.value}" for s in Severity]


def test_card_shows_everything_needed_to_act(report: Report, page: Node) -> None:
    card = page.by_id(f"finding-{report.findings[0].fingerprint}")
    finding = report.findings[0]
    text = " ".join(card.text().split())
    rule = RULES_BY_ID["reflected-origin"]
    for expected in (
        "reflected-origin",
        rule.title,
        finding.url,
        finding.origin or "",
        "Why it matters",
        rule.why,
        "CWE-942",
        "credentialed",
        "null-origin",
        "prefix-match",
        "Access-Control-Allow-Credentials: true",
        "HTTP/1.1 204 No Content",
        "Cookie: <redacted>",
        f"fingerprint {finding.fingerprint}",
    ):
        assert " ".join(expected.split()) in text, expected
    (curl,) = card.find_all("pre", "curl")
    assert curl.text() == finding.curl
    assert len(card.find_all("div", "exchange")) == len(finding.evidence) == 4
    # the fix renders `code` spans as <code>, with the text intact
    assert "Vary: Origin" in [c.text() for c in card.find_all("code")]
    assert [a.attrs["href"] for a in card.find_all("a")][:3] == [
        "#rule-reflected-origin",
        "https://cwe.mitre.org/data/definitions/942.html",
        "#rule-null-origin",
    ]


def test_cors_headers_are_highlighted_in_evidence(page: Node) -> None:
    highlighted = {s.text() for s in page.find_all("span", "cors")}
    assert "Access-Control-Allow-Credentials: true" in highlighted
    assert "Origin: null" in highlighted
    assert "Content-Type: application/json" not in highlighted


def test_errored_exchange_shows_its_error(report: Report) -> None:
    feed = report.findings[1]
    evidence = feed.evidence[0].model_copy(
        update={"response": None, "error": report.targets[3].error}
    )
    broken = report.model_copy(
        update={"findings": [feed.model_copy(update={"evidence": [evidence]})]}
    )
    page = parse(html.render(broken)).root
    (err,) = page.find_all("span", "err")
    assert err.text() == "! timeout: no response within 10.0 s (connect)"


def test_rule_appendix_and_internal_links_resolve(page: Node) -> None:
    ids = {n.attrs["id"] for n in page.walk() if n.attrs.get("id")}
    for rule in RULES:
        article = page.by_id(f"rule-{rule.id}")
        assert rule.cwe in article.text()
    internal = [a.attrs["href"] or "" for a in page.find_all("a")]
    targets = [href[1:] for href in internal if href.startswith("#")]
    assert targets
    assert set(targets) <= ids
    assert "1 in this report" in page.by_id("rule-reflected-origin").text()


def test_unknown_rule_and_odd_values_still_render(report: Report) -> None:
    # Given a report (e.g. merged from a newer version) with a rule the catalogue lacks,
    # an ungraded target with an unparsable port, and a long scan in a non-UTC zone
    started = report.started_at.astimezone(timezone(timedelta(hours=2)))
    finding = report.findings[0].model_copy(update={"rule": "future-rule", "cwe": ""})
    target = report.targets[0].model_copy(update={"url": "https://x.example:99999/", "grade": "?"})
    odd = report.model_copy(
        update={
            "findings": [finding],
            "targets": [target],
            "started_at": started,
            "finished_at": started + timedelta(minutes=2, seconds=5),
        }
    )
    # When it is rendered
    page = parse(html.render(odd)).root
    # Then the card has no "why" but still its fix, and nothing crashes
    (card,) = page.find_all("details", "finding")
    assert "Why it matters" not in card.text()
    assert "Fix" in card.text()
    header = page.find_all("header")[0].text()
    assert "2 min 5 s" in header
    assert "2025-03-14 11:26:53+02:00" in header
    assert page.find_all("span", "grade-chip")[0].classes == {"grade-chip", "grade-none"}


HOSTILE = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<img src=x onerror=alert(1)>", id="img"),
    pytest.param("</textarea><textarea>", id="textarea"),
    pytest.param('"><svg onload=alert(1)>', id="attr-breakout-double"),
    pytest.param("'><iframe src=javascript:alert(1)>", id="attr-breakout-single"),
    pytest.param("</pre></details><script>alert(1)</script>", id="close-and-script"),
    pytest.param("`<b>bold</b>`", id="code-span"),
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_attacker_values_are_escaped(payload: str) -> None:
    # Given a report whose header names/values, reason phrase, URLs, detail and errors are hostile
    report = hostile_report(payload)
    # When it is rendered and parsed the way a browser tokenizes it
    text = html.render(report)
    tree = parse(text)
    # Then no element or attribute came from the payload: one script (ours), no img/iframe/...
    tags = [tag for tag, _ in tree.start_tags]
    assert tags.count("script") == 1
    for forbidden in ("img", "iframe", "textarea", "b", "object", "embed"):
        assert forbidden not in tags
    assert len(tree.root.find_all("svg")) == 1  # only the chart
    for tag, attrs in tree.start_tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    # and the text content still shows the value, as text
    content = tree.root.text()
    assert f"X-Evil-{payload}: {payload}" in content
    assert f"HTTP/1.1 200 OK {payload}" in content
    assert f"malformed status line {payload}" in content
    assert f"policy-{payload}.toml" in content
    assert f"https://victim.example.com/api?q={payload}" in content


def test_no_external_resources(report: Report) -> None:
    for variant in (report, hostile_report('<link rel=stylesheet href="https://evil.test/x.css">')):
        tree = parse(html.render(variant))
        for tag, attrs in tree.start_tags:
            if tag in {"link", "script", "img", "iframe", "source", "object", "embed", "use"}:
                for name in ("src", "href", "data", "xlink:href"):
                    value = (attrs.get(name) or "").strip().lower()
                    assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
        styles = " ".join(s.text() for s in tree.root.find_all("style"))
        assert "@import" not in styles
        assert "url(" not in styles


def test_content_security_policy_allows_only_our_script(report: Report) -> None:
    tree = parse(html.render(report))
    (meta,) = [
        attrs
        for tag, attrs in tree.start_tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    csp = meta["content"] or ""
    assert "default-src 'none'" in csp
    (script,) = tree.root.find_all("script")
    digest = base64.b64encode(hashlib.sha256(script.text().encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "innerHTML" not in script.text()


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("\x1b[2J", "\\x1b[2J", id="esc-clear-screen"),
        pytest.param("a\x00b", "a\\x00b", id="nul"),
        pytest.param(
            "\x1b]8;;https://evil.test\x07x", "\\x1b]8;;https://evil.test\\x07x", id="osc8-link"
        ),
        pytest.param("a\r\nb", "a\\x0d\\x0ab", id="crlf"),
        pytest.param("\x9b31m", "\\x9b31m", id="c1-csi"),
        pytest.param("abc\u202edcba", "abc\\u202edcba", id="bidi-override"),
    ],
)
def test_control_characters_shown_escaped(raw: str, shown: str) -> None:
    text = html.render(hostile_report(raw))
    assert re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text) is None
    content = parse(text).root.text()
    assert f"X-Evil-{shown}: {shown}" in content
    assert f"HTTP/1.1 200 OK {shown}" in content


def test_multiline_blocks_keep_newlines_but_escape_controls() -> None:
    assert html.visible_block("a\n\tb\x1b") == "a\n\tb\\x1b"
    assert html.visible("a\n\tb") == "a\\x0a\\x09b"
    assert str(html.prose("`<x>` & \x00")) == "<code>&lt;x&gt;</code> &amp; \\x00"


@pytest.mark.parametrize(
    ("grade", "cls"),
    [
        pytest.param("A", "a", id="A"),
        pytest.param("F", "f", id="F"),
        pytest.param("-", "none", id="ungraded"),
    ],
)
def test_grade_class(grade: str, cls: str) -> None:
    assert html.grade_class(grade) == cls


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(sample_report, id="sample"),
        pytest.param(empty_report, id="empty"),
        *(pytest.param(lambda p=p.values[0]: hostile_report(p), id=p.id) for p in HOSTILE),
    ],
)
def test_iter_html_is_render_byte_for_byte(build: Callable[[], Report]) -> None:
    # The one string comparison here: the streamed page must be the rendered one exactly.
    report = build()
    assert "".join(html.iter_html(report)) == html.render(report)
