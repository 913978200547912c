"""The HTML report: parsed with the stdlib HTML parser, never compared as strings.

The page carries the finding rows (the first `html.INITIAL_FINDINGS`) as HTML and every
finding's card body and evidence in its JSON data block, which its script draws on demand; the
helpers below read that block the way the script does (``tests/formats/test_html_in_chromium.py``
checks the drawing itself in Chromium)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import pytest
from support.report_fixtures import empty_report, hostile_report, sample_report

from cors_audit.core.models import Severity
from cors_audit.formats import html
from cors_audit.formats.markdown_inline import render_inline
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


def page_data(page: Node) -> dict[str, Any]:
    """The page's JSON data block, parsed."""
    node = page.by_id("report-data")
    assert node.tag == "script"
    assert node.attrs.get("type") == "application/json"
    data: dict[str, Any] = json.loads(node.text())
    return data


def exchange_lines(data: dict[str, Any], x: list[Any]) -> list[str]:
    """An exchange's ``<pre>`` lines, built from the data block as the page's script does."""

    def g(value: int | str) -> str:
        return data["s"][value] if isinstance(value, int) else value

    lines = [f"> {g(x[5])} {g(x[6])}"]
    lines += [f"> {g(x[7][i])}: {g(x[7][i + 1])}" for i in range(0, len(x[7]), 2)]
    if x[8] >= 0:
        lines.append(f"< {g(x[9])} {x[8]} {g(x[10])}")
        lines += [f"< {g(x[11][i])}: {g(x[11][i + 1])}" for i in range(0, len(x[11]), 2)]
    if x[14] != -1:
        lines.append(f"! {g(x[14])}: {x[15]}")
    return lines


def card(page: Node, fingerprint: str) -> tuple[Node, list[Any], list[str]]:
    """A finding's row, its data-block entry and its evidence lines."""
    row = page.by_id(f"finding-{fingerprint}")
    (body,) = row.find_all("div", "card-body")
    data = page_data(page)
    entry: list[Any] = data["f"][int(body.attrs["data-i"] or "")]
    lines = [line for x in entry[8] for line in exchange_lines(data, x)]
    return row, entry, lines


def cells(row: Node) -> list[str]:
    return [
        c.text().strip()
        for c in row.children
        if isinstance(c, Node) and c.attrs.get("role") == "cell"
    ]


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
    assert "Nothing to fix" in page.by_id("fix-first").text()
    assert page.find_all("details", "finding") == []
    assert page_data(page)["f"] == []
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


def test_grade_chart_counts_targets_per_grade(page: Node) -> None:
    bars = page.by_id("grade-chart").find_all("rect", "gbar")
    counts = {b.attrs["data-grade"]: int(b.attrs["data-count"] or "") for b in bars}
    assert counts == {"A": 1, "B": 0, "C": 0, "D": 1, "F": 1, "-": 1}


def test_chart_with_no_findings_draws_empty_bars(clean_report: Report) -> None:
    bars = parse(html.render(clean_report)).root.by_id("severity-chart").find_all("rect", "bar")
    assert len(bars) == len(Severity)
    assert {b.attrs["width"] for b in bars} == {"0"}


def test_targets_table_has_one_row_per_target(report: Report, page: Node) -> None:
    rows = page.by_id("targets-table").find_all("div", "target")
    assert len(rows) == len(report.targets) == 4
    table = [cells(row) for row in rows]
    assert [c[0] for c in table] == ["F", "D", "A", "-"]
    assert table[0][3] == "https://staging.example.com/api/posts/20"
    assert [c[4] for c in table] == ["3", "3", "0", "0"]
    assert "feed.example.com" in table[1][3]  # site origin differs from the URL's own
    assert "errored" in rows[3].classes
    assert table[3][6] == "timeout: no response within 10.0 s (connect)"
    assert table[3][1] == "\u2013"  # en dash: no score
    assert [r.attrs["id"] for r in rows] == [f"target-{t.index}" for t in report.targets]
    # sortable columns carry a button; numeric sort keys are on the cells
    headers = page.by_id("targets-table").find_all("span")
    sortable = [h.text() for h in headers if h.attrs.get("data-sort")]
    assert sortable == ["Grade", "Score", "URL", "Findings", "Requests"]


def test_target_rows_link_to_their_findings(report: Report, page: Node) -> None:
    (link,) = page.by_id("target-0").find_all("a")
    first = report.findings[0]
    assert link.attrs["href"] == f"#finding-{first.fingerprint}"
    assert link.attrs["data-show-target"] == "0"
    assert page.by_id(f"finding-{first.fingerprint}").attrs["data-t"] == "0"
    assert page.by_id("target-2").find_all("a") == []  # no findings, no link


def test_one_collapsed_row_per_finding_critical_first(report: Report, page: Node) -> None:
    cards = page.find_all("details", "finding")
    assert len(cards) == len(report.findings) == 6
    severities = [c.attrs["data-severity"] for c in cards]
    assert severities == ["critical", "high", "medium", "low", "low", "info"]
    assert not [c for c in cards if "open" in c.attrs]  # all collapsed
    headings = [h.attrs["id"] for h in page.by_id("findings").find_all("h3")]
    assert headings == [f"severity-{s.value}" for s in Severity]
    # each row points at its own entry of the data block
    entries = page_data(page)["f"]
    assert len(entries) == 6
    for row in cards:
        (body,) = row.find_all("div", "card-body")
        assert row.attrs["id"] == f"finding-{entries[int(body.attrs['data-i'] or '')][9]}"
    (more,) = [n for n in page.walk() if n.attrs.get("id") == "f-more"]
    assert "hidden" in more.attrs


def test_rows_carry_the_filter_keys(report: Report, page: Node) -> None:
    row = page.by_id(f"finding-{report.findings[0].fingerprint}")
    assert row.attrs["data-rule"] == "reflected-origin"
    assert row.attrs["data-host"] == "staging.example.com"
    assert row.attrs["data-stack"] == "unknown"
    options = {
        n.attrs["id"]: [o.attrs["value"] for o in n.find_all("option")]
        for n in page.by_id("finding-tools").find_all("select")
    }
    assert options["f-severity"] == ["", *(s.value for s in Severity)]
    assert options["f-rule"] == ["", *sorted({f.rule for f in report.findings})]
    assert options["f-stack"] == ["", "unknown"]
    assert "hidden" in page.by_id("finding-tools").attrs  # shown by the script


def test_card_shows_everything_needed_to_act(report: Report, page: Node) -> None:
    finding = report.findings[0]
    row, entry, lines = card(page, finding.fingerprint)
    summary = " ".join(row.text().split())
    rule = RULES_BY_ID["reflected-origin"]
    for expected in (
        "reflected-origin",
        rule.title,
        finding.url,
        finding.origin or "",
        "credentialed",
    ):
        assert " ".join(expected.split()) in summary, expected
    detail, curl, fix_id, cwe, folded = entry[:5]
    assert "Access-Control-Allow-Credentials: true" in detail
    assert curl == finding.curl
    assert cwe == "942"
    assert folded == ["null-origin", "prefix-match"]
    assert entry[9] == finding.fingerprint
    assert len(entry[8]) == len(finding.evidence) == 4
    for expected in (
        "< Access-Control-Allow-Credentials: true",
        "< HTTP/1.1 204 No Content",
        "> Cookie: <redacted>",
        "> Origin: null",
    ):
        assert expected in lines, expected
    # the fix is rendered once, in the Fixes section, with why it matters and `code` spans
    fix = page.by_id(fix_id)
    text = " ".join(fix.text().split())
    assert " ".join(rule.why.split()).replace("`", "") in text
    assert "Vary: Origin" in [c.text() for c in fix.find_all("code")]


def test_identical_fixes_are_rendered_once() -> None:
    # Given a report where two targets share a rule and its fix text
    base = sample_report()
    first = base.findings[0]
    twin = first.model_copy(update={"url": first.url + "?twin", "fingerprint": "f" * 32})
    report = base.model_copy(update={"findings": [first, twin, *base.findings[1:]]})
    # When it is rendered
    page = parse(html.render(report)).root
    entries = page_data(page)["f"]
    # Then both findings link to one fix article, shown once
    assert entries[0][2] == entries[1][2]
    fixes = page.by_id("fixes").find_all("article", "fix")
    assert len(fixes) == len({e[2] for e in entries}) == 6
    assert "2 findings" in page.by_id(entries[0][2]).text()


def test_fix_first_groups_rule_and_stack_worst_first(report: Report, page: Node) -> None:
    rows = page.by_id("fix-first-table").find_all("tr", "group")
    assert {r.attrs["data-rule"] for r in rows} == {f.rule for f in report.findings}
    badges = [r.find_all("span", "badge")[0].text() for r in rows]
    assert badges == ["critical", "high", "medium", "low", "low", "info"]  # worst first
    first = rows[0]
    assert first.attrs["data-stack"] == "unknown"
    links = {a.attrs["href"] for a in first.find_all("a")}
    assert "#target-0" in links
    assert "#rule-reflected-origin" in links
    (fix,) = [a for a in first.find_all("a") if "fix-link" in a.classes]
    assert fix.attrs["href"] == f"#{page_data(page)['f'][0][2]}"


def test_errored_exchange_shows_its_error(report: Report) -> None:
    feed = report.findings[1]
    evidence = feed.evidence[0].model_copy(
        update={"response": None, "error": report.targets[3].error}
    )
    broken = report.model_copy(
        update={"findings": [feed.model_copy(update={"evidence": [evidence]})]}
    )
    page = parse(html.render(broken)).root
    _, _, lines = card(page, feed.fingerprint)
    assert lines[-1] == "! timeout: no response within 10.0 s (connect)"
    assert not [line for line in lines if line.startswith("< ")]


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
    # Then the fix has no "why" but still its text, and nothing crashes
    (fix,) = page.by_id("fixes").find_all("article", "fix")
    assert "Why it matters" not in fix.text()
    assert "Fix." in fix.text()
    _, entry, _ = card(page, finding.fingerprint)
    assert entry[3] == ""  # no CWE link
    header = page.find_all("header")[0].text()
    assert "2 min 5 s" in header
    assert "2025-03-14 11:26:53+02:00" in header
    assert page.find_all("span", "grade-chip")[0].classes == {"grade-chip", "grade-none"}


def test_a_large_report_lists_the_worst_findings_and_keeps_all_in_data() -> None:
    base = sample_report()
    first = base.findings[-1]  # info
    many = [
        first.model_copy(update={"fingerprint": f"{n:032x}", "url": f"{first.url}?{n}"})
        for n in range(html.INITIAL_FINDINGS + 5)
    ]
    report = base.model_copy(update={"findings": [*many, base.findings[0]]})
    page = parse(html.render(report)).root
    rows = page.find_all("details", "finding")
    assert len(rows) == html.INITIAL_FINDINGS
    assert rows[0].attrs["data-severity"] == "critical"  # worst first, whatever the order
    assert len(page_data(page)["f"]) == len(report.findings)
    (more,) = [n for n in page.walk() if n.attrs.get("id") == "f-more"]
    assert "hidden" not in more.attrs
    assert f"{html.INITIAL_FINDINGS + 5} findings" in page.by_id("severity-info").text()


HOSTILE = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<img src=x onerror=alert(1)>", id="img"),
    pytest.param("</textarea><textarea>", id="textarea"),
    pytest.param('"><svg onload=alert(1)>', id="attr-breakout-double"),
    pytest.param("'><iframe src=javascript:alert(1)>", id="attr-breakout-single"),
    pytest.param("</pre></details><script>alert(1)</script>", id="close-and-script"),
    pytest.param("`<b>bold</b>`", id="code-span"),
    pytest.param("[x](javascript:alert(1)) **<b>", id="markdown-link"),
    pytest.param("<!--<script>", id="script-data-escape"),
]


def executable_scripts(tree: TreeBuilder) -> list[Node]:
    return [n for n in tree.root.find_all("script") if n.attrs.get("type") != "application/json"]


@pytest.mark.parametrize("payload", HOSTILE)
def test_attacker_values_are_escaped(payload: str) -> None:
    # Given a report whose header names/values, reason phrase, URLs, detail and errors are hostile
    report = hostile_report(payload)
    # When it is rendered and parsed the way a browser tokenizes it
    text = html.render(report)
    tree = parse(text)
    # Then no element or attribute came from the payload: our two scripts, no img/iframe/...
    tags = [tag for tag, _ in tree.start_tags]
    assert tags.count("script") == 2
    assert len(executable_scripts(tree)) == 1
    for forbidden in ("img", "iframe", "textarea", "object", "embed"):
        assert forbidden not in tags
    # the page's own <b> and <i> tags carry a class (badges, URLs); none came from the payload
    assert not [a for tag, a in tree.start_tags if tag in {"b", "i"} and "class" not in a]
    assert len(tree.root.find_all("svg")) == 2  # only the charts
    for tag, attrs in tree.start_tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript"), (tag, attrs)
    # the data block cannot close its <script> or open a comment: no raw <, > or & in it
    raw = text[text.index('id="report-data">') :].split("</script>", 1)[0]
    assert "<" not in raw.removeprefix('id="report-data">')
    # and the text content (the page's and the data block's) still shows the value, as text
    content = tree.root.text()
    assert f"malformed status line {payload}" in content
    assert f"policy-{payload}.toml" in content
    assert f"https://victim.example.com/api?q={payload}" in content
    page = tree.root
    (row,) = page.find_all("details", "finding")
    _, entry, lines = card(page, row.attrs["id"].removeprefix("finding-"))  # type: ignore[union-attr]
    assert f"< X-Evil-{payload}: {payload}" in lines
    assert f"< HTTP/1.1 200 OK {payload}" in lines
    assert entry[0] == f"reflected {payload}"


def test_no_external_resources(report: Report) -> None:
    for variant in (report, hostile_report('<link rel=stylesheet href="https://evil.test/x.css">')):
        tree = parse(html.render(variant))
        for tag, attrs in tree.start_tags:
            if tag in {"link", "script", "img", "iframe", "source", "object", "embed", "use"}:
                for name in ("src", "href", "data", "xlink:href"):
                    value = (attrs.get(name) or "").strip().lower()
                    assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
            assert "style" not in attrs, (tag, attrs)  # the CSP allows no inline style attribute
        styles = " ".join(s.text() for s in tree.root.find_all("style"))
        assert "@import" not in styles
        assert "url(" not in styles


def test_content_security_policy_allows_only_our_script_and_style(report: Report) -> None:
    tree = parse(html.render(report))
    (meta,) = [
        attrs
        for tag, attrs in tree.start_tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    csp = meta["content"] or ""
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    (script,) = executable_scripts(tree)
    digest = base64.b64encode(hashlib.sha256(script.text().encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    (style,) = tree.root.find_all("style")
    digest = base64.b64encode(hashlib.sha256(style.text().encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "innerHTML" not in script.text()
    assert "insertAdjacentHTML" not in script.text()


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
    report = hostile_report(raw)
    text = html.render(report)
    assert re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text) is None
    page = parse(text).root
    _, _, lines = card(page, report.findings[0].fingerprint)
    assert f"< X-Evil-{shown}: {shown}" in lines
    assert f"< HTTP/1.1 200 OK {shown}" in lines


def test_multiline_blocks_keep_newlines_but_escape_controls() -> None:
    assert html.visible_block("a\n\tb\x1b") == "a\n\tb\\x1b"
    assert html.visible("a\n\tb") == "a\\x0a\\x09b"
    assert str(html.prose("`<x>` & \x00")) == "<code>&lt;x&gt;</code> &amp; \\x00"


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        pytest.param("use `Vary: Origin`", "use <code>Vary: Origin</code>", id="code"),
        pytest.param("**never** reflect", "<strong>never</strong> reflect", id="bold"),
        pytest.param(
            "see [Fetch](https://fetch.spec.whatwg.org/#cors)",
            'see <a href="https://fetch.spec.whatwg.org/#cors" rel="noopener noreferrer">Fetch</a>',
            id="link",
        ),
        pytest.param("[x](javascript:alert(1))", "[x](javascript:alert(1))", id="js-link-left-raw"),
        pytest.param("`**not bold**`", "<code>**not bold**</code>", id="code-is-literal"),
        pytest.param(
            '[a"b](https://e.test/"onclick=")',
            '<a href="https://e.test/&#34;onclick=&#34;" rel="noopener noreferrer">a&#34;b</a>',
            id="quote-in-link",
        ),
        pytest.param(
            "<b>x</b> **<i>**", "&lt;b&gt;x&lt;/b&gt; <strong>&lt;i&gt;</strong>", id="html"
        ),
    ],
)
def test_inline_markdown_is_rendered_after_escaping(source: str, rendered: str) -> None:
    assert str(render_inline(source)) == rendered


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
