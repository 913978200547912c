"""The Markdown report: structure, links, baseline sections, the size cap, and that nothing a
server or user wrote can become Markdown or HTML.

Documents are parsed with markdown-it-py (CommonMark + GFM tables; installed with rich) and
rendered to HTML for the structural checks. GFM autolinks are not implemented by markdown-it
without linkify-it, so they are checked on the source: outside code spans no ``://``, ``www.``
or ``@`` is left unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from support import report_fixtures
from support.report_fixtures import hostile_report

from cors_audit import HOMEPAGE
from cors_audit.core.models import Severity
from cors_audit.formats import markdown
from cors_audit.judging.rules.catalogue import RULES_BY_ID, help_uri
from cors_audit.report.baseline import Baseline, BaselineEntry
from cors_audit.report.build import GateSettings, assemble, build_report
from cors_audit.report.model import FindingModel, Report, ShardModel, SuppressionModel, TargetModel

MD = MarkdownIt("commonmark").enable("table")
OUR_HTML = {"<details>", "</details>"}
OUR_SUMMARY = re.compile(r"<summary>[A-Za-z0-9 ,]+</summary>")
"""Our `<details>` summaries: counts and fixed words only, never a report value."""
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
ALLOWED_TAGS = {
    "h1",
    "pre",  # the fenced fix snippets of "How to fix"
    "h2",
    "h3",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "a",
    "em",
    "strong",
    "hr",
    "details",
    "summary",
}


# --- helpers -------------------------------------------------------------------------------


def inline_text(token: Token) -> str:
    """What an inline token shows: its text and code, markup removed."""
    return "".join(child.content for child in token.children or [] if child.content)


def headings(text: str) -> list[str]:
    tokens = MD.parse(text)
    return [
        inline_text(tokens[i + 1]) for i, token in enumerate(tokens) if token.type == "heading_open"
    ]


def section(text: str, heading: str) -> str:
    """The source from ``heading`` to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    rest = text[start + len(heading) + 2 :]
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)]
    return heading + "\n" + (rest[: ends[0]] if ends else rest)


def tables(text: str) -> list[list[list[Token]]]:
    """Every table: a list of rows (header row first), each a list of cell inline tokens."""
    found: list[list[list[Token]]] = []
    row: list[Token] | None = None
    for token in MD.parse(text):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token)
        elif token.type == "tr_close" and row is not None:
            found[-1].append(row)
            row = None
    return found


def table_in(text: str, heading: str) -> list[list[str]]:
    """The first table under ``heading`` as cell texts, header row first."""
    (first, *_) = tables(section(text, heading))
    return [[inline_text(cell) for cell in row] for row in first]


def links(text: str) -> list[str]:
    hrefs: list[str] = []
    for token in MD.parse(text):
        for child in token.children or []:
            if child.type == "link_open":
                hrefs.append(str(child.attrs["href"]))
            assert child.type != "image", child
    return hrefs


def html_tokens(text: str) -> list[str]:
    tokens = MD.parse(text)
    raw = [t.content.strip() for t in tokens if t.type == "html_block"]
    raw += [
        child.content for t in tokens for child in t.children or [] if child.type == "html_inline"
    ]
    return raw


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(attrs)))


def html_structure(
    text: str, *, code: bool = True
) -> list[tuple[str, tuple[tuple[str, str | None], ...]]]:
    """The start tags (with attributes) of the HTML the Markdown renders to; ``code=False``
    leaves out ``<code>`` (prose turns backtick pairs into code, so data may change those)."""
    parser = _Tags()
    parser.feed(MD.render(text))
    return [tag for tag in parser.tags if code or tag[0] != "code"]


def outside_code(line: str) -> str:
    """``line`` with its code spans removed (CommonMark: a run of n backticks is closed by the
    next run of exactly n; a backslash escapes the next character outside code)."""
    kept: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            kept.append(line[i : i + 2])
            i += 2
            continue
        if char == "`":
            run = re.match(r"`+", line[i:])
            assert run is not None
            fence = run.group()
            closing = re.compile(rf"(?<!`){fence}(?!`)")
            end = closing.search(line, i + len(fence))
            if end is not None:
                i = end.end()
                continue
            kept.append(fence)
            i += len(fence)
            continue
        kept.append(char)
        i += 1
    return "".join(kept)


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", line))


def check_table_rows(text: str) -> None:
    """Every row of every table has as many cell separators as its header row."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if re.fullmatch(r"\|(:--|--:|\|)+", line):
            width = unescaped_pipes(lines[index - 1])
            assert unescaped_pipes(line) == width
            for row in lines[index + 1 :]:
                if not row.startswith("| "):
                    break
                assert unescaped_pipes(row) == width, row


def check_safe(text: str) -> None:
    """The invariants every rendered document keeps, whatever the report holds."""
    assert len(text.encode("utf-8")) <= markdown.MAX_BYTES
    assert text.endswith("\n")
    assert not CONTROL.search(text)
    check_table_rows(text)
    for raw in html_tokens(text):
        for line in raw.split("\n"):
            assert line in OUR_HTML or OUR_SUMMARY.fullmatch(line), raw
    for href in links(text):
        assert href == HOMEPAGE or href in {help_uri(rule) for rule in RULES_BY_ID}, href
    for tag, attrs in html_structure(text):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            allowed = {("href", "a"), ("style", "th"), ("style", "td"), ("class", "code")}
            assert (name, tag) in allowed, (tag, name)
            assert name != "style" or value in {"text-align:left", "text-align:right"}
            # the language of our own fenced snippets: lowercase letters only
            assert name != "class" or re.fullmatch(r"language-[a-z0-9+-]+", value), value
    own_links = re.compile(r"\]\(" + re.escape(HOMEPAGE) + r"(#[a-z-]+)?\)")
    fence: str | None = None
    for line in text.split("\n"):
        opening = re.match(r"`{3,}", line)
        if fence is None and opening:
            fence = opening.group()  # our fix snippets: literal text, rendered as <pre>
            continue
        if fence is not None:
            if line == fence:
                fence = None
            continue
        plain = own_links.sub("](", outside_code(line))
        plain = plain.replace("<details>", "").replace("</details>", "")
        plain = re.sub(r"</?summary>", "", plain)
        assert "<" not in plain, line  # data `<` is &lt; outside code
        assert not re.search(r"(?<!\\)://", plain), line  # GFM URL autolink
        assert "www." not in plain, line  # GFM www autolink
        assert not re.search(r"(?<!\\)@", plain), line  # GFM e-mail autolink, mentions


def gated(
    fail_on: Severity | None,
    *,
    allow_errors: bool = False,
    baseline: Baseline | None = None,
) -> Report:
    return build_report(
        report_fixtures.sample_results(),
        policy=report_fixtures.POLICY,
        started_at=report_fixtures.STARTED,
        finished_at=report_fixtures.FINISHED,
        gate=GateSettings(fail_on=fail_on, allow_errors=allow_errors),
        baseline=baseline,
        today=date(2025, 3, 14),
    )


def reassembled(
    report: Report,
    findings: Sequence[FindingModel],
    targets: Sequence[TargetModel] | None = None,
) -> Report:
    return assemble(
        report.targets if targets is None else targets,
        findings,
        policy=report.policy,
        started_at=report.started_at,
        finished_at=report.finished_at,
        gate=GateSettings(),
        baseline=report.baseline,
        shard=report.shard,
    )


def finding_of(report: Report, rule: str) -> FindingModel:
    return next(finding for finding in report.findings if finding.rule == rule)


# --- structure -----------------------------------------------------------------------------


def test_sample_structure(report: Report) -> None:
    text = markdown.render(report)
    check_safe(text)
    assert headings(text) == [
        "CORS audit: grade F (40/100)",
        "Findings",
        *SAMPLE_RULES,
        "Unscannable targets",
        "Targets",
    ]
    assert "Cut to fit" not in text
    assert (
        "**Gate: failed** (exit code 1): 2 unsuppressed findings at or above `high`; "
        "1 target could not be scanned." in text
    )
    assert "4 targets (1 unscannable) · 6 findings · 0 suppressed · 8 requests · 12.2 s" in text
    assert text.rstrip().endswith("list everything with evidence.")
    version = markdown.escape_text(report.tool.version)
    assert (
        f"\n---\n\nGenerated by [cors-audit]({HOMEPAGE}) {version} on 2025-03-14 09:26:53 UTC;"
        in (text)
    )


def test_counts_by_severity(report: Report) -> None:
    counts = tables(markdown.render(report))[0]
    assert [[inline_text(cell) for cell in row] for row in counts] == [
        ["Severity", "Findings", "Suppressed"],
        ["critical", "1", "0"],
        ["high", "1", "0"],
        ["medium", "1", "0"],
        ["low", "2", "0"],
        ["info", "1", "0"],
        ["total", "6", "0"],
    ]


SAMPLE_RULES = [
    "critical: reflected-origin",
    "high: private-network-allowed",
    "medium: missing-vary-origin",
    "low: headers-beyond-policy",
    "low: missing-max-age",
    "info: max-age-out-of-range",
]
"""The sample's rule headings, worst first (same severity and counts: by rule id)."""


def rule_heading(severity: str, rule: str) -> str:
    return f"### {severity}: [{rule}]({help_uri(rule)})"


def test_findings_overview_by_rule(report: Report) -> None:
    rows = table_in(markdown.render(report), "## Findings")
    assert rows[0] == ["Severity", "Rule", "Findings", "Targets", "Title"]
    assert len(rows) - 1 == len({f.rule for f in report.findings})
    assert [row[0] for row in rows[1:]] == ["critical", "high", "medium", "low", "low", "info"]
    assert rows[1] == ["critical", "reflected-origin", "1", "1", "Any origin can read responses"]
    # Same severity and counts: sorted by rule id.
    assert [row[1] for row in rows[4:6]] == ["headers-beyond-policy", "missing-max-age"]


def test_each_rule_lists_its_findings_and_fix(report: Report) -> None:
    text = markdown.render(report)
    heading = rule_heading("critical", "reflected-origin")
    assert table_in(text, heading) == [
        ["Severity", "Target", "Origin"],
        [
            "critical",
            "PATCH https://staging.example.com/api/posts/20",
            "https://q7zk2m.invalid-attacker.net · credentialed",
        ],
    ]
    part = section(text, heading)
    assert "Any origin can read responses: 1 finding on 1 target, 1 credentialed." in part
    # The fix snippet is collapsed: a fenced block inside our <details>.
    assert "<details>\n<summary>How to fix</summary>\n\n*generic*: " in part
    assert "\n```text\n" in part
    assert part.rstrip().endswith("</details>")
    # Short finding tables stay open; only the fix is collapsed.
    assert part.count("<details>") == 1


def test_many_findings_of_a_rule_are_collapsed_worst_first(report: Report) -> None:
    vary = finding_of(report, "missing-vary-origin")
    more = [
        vary.model_copy(
            update={
                "url": f"https://a{i}.example.com/",
                "severity": Severity.LOW if i % 2 else Severity.HIGH,
                "latent": bool(i % 2),
                "fingerprint": f"{i:032x}",
            }
        )
        for i in range(8)
    ]
    text = markdown.render(reassembled(report, [*report.findings, *more]))
    check_safe(text)
    heading = rule_heading("high", "missing-vary-origin")
    part = section(text, heading)
    assert (
        "<details>\n<summary>9 findings on 9 targets, 9 credentialed, worst first</summary>" in part
    )
    rows = table_in(text, heading)[1:]
    assert [row[0] for row in rows] == ["high"] * 4 + ["medium"] + ["low (latent)"] * 4
    # The rule now ranks by its worst finding: right after the critical one.
    assert headings(text)[2:4] == ["critical: reflected-origin", "high: missing-vary-origin"]


def test_rule_links_to_help(report: Report) -> None:
    text = markdown.render(report)
    (_, findings, *_) = tables(text)
    for row in findings[1:]:
        rule = row[1]
        link = [child for child in rule.children or [] if child.type == "link_open"]
        assert [str(token.attrs["href"]) for token in link] == [help_uri(inline_text(rule))]
    assert set(links(text)) == {HOMEPAGE, *(help_uri(f.rule) for f in report.findings)}


def test_title_code_notation_becomes_code(report: Report) -> None:
    (_, findings, *_) = tables(markdown.render(report))
    vary = next(row for row in findings if inline_text(row[1]) == "missing-vary-origin")
    codes = [child.content for child in vary[4].children or [] if child.type == "code_inline"]
    assert codes == ["Vary: Origin"]


def test_unscannable_and_targets(report: Report) -> None:
    text = markdown.render(report)
    assert table_in(text, "## Unscannable targets") == [
        ["Target", "Error"],
        [
            "GET https://down.example.com/api/v1/users",
            "timeout: no response within 10.0 s (connect)",
        ],
    ]
    # Worst first: findings (worst severity first), then unscannable, then clean targets.
    assert table_in(text, "## Targets") == [
        ["Grade", "Score", "Findings", "Target"],
        ["F", "20", "3", "PATCH https://staging.example.com/api/posts/20"],
        ["D", "60", "3", "GET https://10.0.4.7:8443/internal/feed"],
        ["-", "n/a", "0", "GET https://down.example.com/api/v1/users"],
        ["A", "100", "0", "GET https://staging.example.com/health"],
    ]
    assert "Grades: A 1 · D 1 · F 1 · \\- 1." in section(text, "## Targets")


def test_empty_report(clean_report: Report) -> None:
    text = markdown.render(clean_report)
    check_safe(text)
    assert headings(text) == ["CORS audit: grade A (100/100)", "Findings", "Targets"]
    assert "No unsuppressed findings." in text
    assert "**Gate: passed** (exit code 0): no unsuppressed finding at or above `high`." in text
    assert "Policy-free judgement" in text
    assert len(tables(text)) == 2  # counts and targets


def test_no_targets(report: Report) -> None:
    text = markdown.render(reassembled(report, [], targets=[]))
    check_safe(text)
    assert "No targets." in text


@pytest.mark.parametrize(
    ("fail_on", "allow_errors", "expected"),
    [
        pytest.param(
            Severity.CRITICAL,
            False,
            "**Gate: failed** (exit code 1): 1 unsuppressed finding at or above `critical`; "
            "1 target could not be scanned.",
            id="critical",
        ),
        pytest.param(
            None,
            False,
            "**Gate: failed** (exit code 3): the findings gate is off (`--fail-on never`); "
            "1 target could not be scanned.",
            id="never-with-errors",
        ),
        pytest.param(
            None,
            True,
            "**Gate: passed** (exit code 0): the findings gate is off (`--fail-on never`); "
            "1 target could not be scanned (allowed by `--allow-errors`).",
            id="never-errors-allowed",
        ),
        pytest.param(
            Severity.INFO,
            True,
            "**Gate: failed** (exit code 1): 6 unsuppressed findings at or above `info`; "
            "1 target could not be scanned (allowed by `--allow-errors`).",
            id="info",
        ),
    ],
)
def test_gate_outcome(fail_on: Severity | None, allow_errors: bool, expected: str) -> None:
    text = markdown.render(gated(fail_on, allow_errors=allow_errors))
    assert expected in text


def test_several_unscannable_targets(report: Report) -> None:
    down = report.targets[3]
    other = down.model_copy(update={"url": "https://down2.example.com/"})
    text = markdown.render(reassembled(report, report.findings, [*report.targets, other]))
    assert "2 targets could not be scanned." in text
    assert len(table_in(text, "## Unscannable targets")) == 3


# --- baseline ------------------------------------------------------------------------------


def baseline_report() -> Report:
    sample = report_fixtures.sample_report()
    reflected = finding_of(sample, "reflected-origin")
    max_age = finding_of(sample, "missing-max-age")
    baseline = Baseline(
        path="cors-baseline.toml",
        entries=(
            BaselineEntry(fingerprint=reflected.fingerprint, reason="legacy `partner` API"),
            BaselineEntry(
                fingerprint=max_age.fingerprint, reason="accepted", expires=date(2026, 1, 1)
            ),
            BaselineEntry(
                fingerprint="a" * 32,
                reason="old wildcard",
                expires=date(2025, 1, 1),
                rule="wildcard-origin",
                url="https://staging.example.com/health",
            ),
            BaselineEntry(
                fingerprint="b" * 32,
                reason="was reflected",
                rule="reflected-origin",
                url="https://staging.example.com/health",
            ),
            BaselineEntry(fingerprint="c" * 32, reason="no url given"),
        ),
    )
    return gated(Severity.HIGH, baseline=baseline)


def test_suppressed_findings_are_collapsed() -> None:
    text = markdown.render(baseline_report())
    check_safe(text)
    assert headings(text) == [
        "CORS audit: grade D (65/100)",
        "Findings",
        "high: private-network-allowed",
        "medium: missing-vary-origin",
        "low: headers-beyond-policy",
        "info: max-age-out-of-range",
        "Unscannable targets",
        "Suppressed findings",
        "Baseline",
        "Expired entries",
        "Fixed entries",
        "Targets",
    ]
    suppressed = section(text, "## Suppressed findings")
    assert "<details>\n<summary>2 findings accepted by the baseline</summary>\n\n|" in suppressed
    assert suppressed.rstrip().endswith("</details>")
    rows = table_in(text, "## Suppressed findings")
    assert rows == [
        ["Severity", "Rule", "Target", "Origin", "Reason", "Expires"],
        [
            "critical",
            "reflected-origin",
            "PATCH https://staging.example.com/api/posts/20",
            "https://q7zk2m.invalid-attacker.net · credentialed",
            "legacy partner API",
            "never",
        ],
        [
            "low",
            "missing-max-age",
            "PATCH https://staging.example.com/api/posts/20",
            "https://app.example.com",
            "accepted",
            "2026-01-01",
        ],
    ]
    # Suppressed findings leave the findings by rule and are counted apart.
    assert len(table_in(text, "## Findings")) - 1 == 4
    assert "reflected-origin" not in section(text, "## Findings")
    counts = [[inline_text(c) for c in row] for row in tables(text)[0]]
    assert counts[1] == ["critical", "0", "1"]
    assert counts[-1] == ["total", "4", "2"]


def test_baseline_expired_and_fixed() -> None:
    text = markdown.render(baseline_report())
    assert "`cors-baseline.toml`: 5 entries, 2 suppressed, 1 expired, 2 fixed." in section(
        text, "## Baseline"
    )
    assert table_in(text, "### Expired entries") == [
        ["Rule", "URL", "Reason", "Expired on", "Fingerprint"],
        [
            "wildcard-origin",
            "https://staging.example.com/health",
            "old wildcard",
            "2025-01-01",
            "a" * 32,
        ],
    ]
    assert table_in(text, "### Fixed entries") == [
        ["Rule", "URL", "Reason", "Fingerprint"],
        ["reflected-origin", "https://staging.example.com/health", "was reflected", "b" * 32],
        ["(any)", "(any)", "no url given", "c" * 32],
    ]


def test_baseline_that_only_suppresses() -> None:
    reflected = finding_of(report_fixtures.sample_report(), "reflected-origin")
    entry = BaselineEntry(fingerprint=reflected.fingerprint, reason="accepted")
    text = markdown.render(gated(Severity.HIGH, baseline=Baseline(path="b.toml", entries=(entry,))))
    check_safe(text)
    assert "`b.toml`: 1 entry, 1 suppressed, 0 expired, 0 fixed." in text
    assert "Expired entries" not in text
    assert "Fixed entries" not in text


def test_suppressed_without_recorded_reason(report: Report) -> None:
    findings = [
        f.model_copy(update={"suppressed": True}) if f.rule == "missing-max-age" else f
        for f in report.findings
    ]
    rows = table_in(markdown.render(reassembled(report, findings)), "## Suppressed findings")
    assert rows[1][4:] == ["(none recorded)", "never"]
    assert "1 finding accepted by the baseline" in markdown.render(reassembled(report, findings))


def test_single_baseline_entry_without_findings(report: Report) -> None:
    text = markdown.render(
        build_report(
            report_fixtures.sample_results(),
            policy={},
            started_at=report.started_at,
            finished_at=report.finished_at,
            baseline=Baseline(
                path="b.toml", entries=(BaselineEntry(fingerprint="d" * 32, reason="x"),)
            ),
        )
    )
    assert "`b.toml`: 1 entry, 0 suppressed, 0 expired, 1 fixed." in text


# --- other report shapes -------------------------------------------------------------------


def test_unknown_rule_is_not_a_link(report: Report) -> None:
    vary = finding_of(report, "missing-vary-origin")
    odd = vary.model_copy(
        update={"rule": "x](javascript:alert(1))", "fingerprint": "e" * 32, "origin": None}
    )
    text = markdown.render(reassembled(report, [*report.findings, odd]))
    check_safe(text)
    row = next(r for r in table_in(text, "## Findings") if r[1].startswith("x]"))
    assert row[1] == "x](javascript:alert(1))"
    assert "### medium: `x](javascript:alert(1))`" in text.split("\n")
    (_, finding) = table_in(text, "### medium: `x](javascript:alert(1))`")
    assert finding[2] == "(none) · credentialed"


def test_shard_and_times(report: Report) -> None:
    tz = timezone(timedelta(hours=2))
    shard = ShardModel(index=2, count=3, total_targets=12)
    text = markdown.render(
        report.model_copy(
            update={
                "shard": shard,
                "started_at": datetime(2025, 3, 14, 11, 0, 0, tzinfo=tz),
                "finished_at": datetime(2025, 3, 14, 11, 2, 5, tzinfo=tz),
            }
        )
    )
    assert "Shard 2/3 of 12 targets." in text
    assert " · 2 min 5 s" in text
    assert " on 2025-03-14 11:00:00+02:00;" in text
    naive = report.model_copy(update={"started_at": datetime(2025, 3, 14, 9, 0, 0)})
    assert " · unknown duration" in markdown.render(naive)
    backwards = report.model_copy(update={"started_at": report.finished_at + timedelta(seconds=3)})
    assert " · 0.0 s" in markdown.render(backwards)
    assert report.started_at.tzinfo is UTC


# --- escaping ------------------------------------------------------------------------------


HOSTILE = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("]]>", id="cdata-end"),
    pytest.param('"', id="quote"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("\x1b[2J", id="ansi-clear"),
    pytest.param("\x1b]8;;http://x\x07link\x1b]8;;\x07", id="osc8-hyperlink"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param("\uffff", id="non-character"),
    pytest.param("line1\nline2\r\n# heading\n---\n> quote\n1. item", id="newlines"),
    pytest.param("a|b||c", id="pipes"),
    pytest.param("\\|", id="backslash-pipe"),
    pytest.param("end\\", id="trailing-backslash"),
    pytest.param("`", id="backtick"),
    pytest.param("``a```b`", id="backtick-runs"),
    pytest.param("[x](javascript:alert(1)) ![i](http://t.example/p.png)", id="link-image"),
    pytest.param("<img src=x onerror=alert(1)> <!-- c --> <details open>", id="html"),
    pytest.param("**b** _i_ ~~s~~ $x^2$", id="emphasis-math"),
    pytest.param("http://evil.example www.evil.example a@evil.example", id="autolinks"),
    pytest.param("@someone #12 owner/repo#3", id="mentions"),
    pytest.param("&lt;b&gt; &amp; &#60;", id="entities"),
    pytest.param("\u202eevil\u202c \u200b", id="bidi"),
]


def hostile(payload: str) -> Report:
    """`hostile_report` with ``payload`` also in a title, a baseline reason and the version;
    payloads its fingerprint helper cannot encode (a lone surrogate) are planted afterwards."""
    marker = "PAYLOAD-MARKER"
    base = hostile_report(marker)
    finding = base.findings[0].model_copy(
        update={
            "title": f"title `{marker}` {marker}",
            "suppressed": True,
            "suppression": SuppressionModel(reason=f"reason {marker}", expires=None),
            "fingerprint": "f" * 32,
        }
    )
    report = assemble(
        base.targets,
        [*base.findings, finding],
        policy=base.policy,
        started_at=base.started_at,
        finished_at=base.finished_at,
        gate=GateSettings(),
        baseline=None,
        shard=None,
    )
    data = report.model_dump()
    data["tool"]["version"] = f"1.0 {marker}"
    return Report.model_validate(_replaced(data, marker, payload))


def _replaced(value: object, marker: str, payload: str) -> object:
    if isinstance(value, str):
        return value.replace(marker, payload)
    if isinstance(value, list):
        return [_replaced(item, marker, payload) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, marker, payload) for key, item in value.items()}
    return value


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_values_stay_text(payload: str) -> None:
    text = markdown.render(hostile(payload))
    check_safe(text)
    text.encode("utf-8")  # strict: a lone surrogate would raise here
    # The payload changes no structure: same elements, attributes and links as a benign one
    # (code spans aside: a title's backtick pairs are code by design, and a backslash before a
    # pipe cannot be written inside a code span in a table, so that value is escaped text).
    benign = markdown.render(hostile("benign"))
    assert html_structure(text, code=False) == html_structure(benign, code=False)
    assert "<script" not in MD.render(text)
    assert len(table_in(text, "## Findings")) == 2
    assert len(table_in(text, "## Targets")) == 3
    # And it shows up as its cleaned self.
    shown = markdown.clean(payload)
    cells = table_in(text, "## Targets")
    assert cells[1][3] == f"GET https://victim.example.com/api?q={shown}"
    if "`" not in payload:  # reasons are prose: backtick pairs in them become code spans
        assert table_in(text, "## Suppressed findings")[1][4] == f"reason {shown}"


def test_hostile_report_fixture_renders_safely() -> None:
    for payload in ("<script>", "]]>", '"', "\x00", "\x1b[2J", "a\nb"):
        check_safe(markdown.render(hostile_report(payload)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("a\nb\r\nc\td", "a b c d", id="line-breaks"),
        pytest.param("\x1b[2Jx\x07", "\\x1b[2Jx\\x07", id="controls-visible"),
        pytest.param("\ud800\uffff", "\\ud800\\uffff", id="unencodable"),
        pytest.param("\u202e", "\\u202e", id="bidi"),
        pytest.param("x" * 400, "x" * 299 + "…", id="capped"),
    ],
)
def test_clean(value: str, expected: str) -> None:
    assert markdown.clean(value) == expected


@pytest.mark.parametrize(
    ("value", "table", "expected"),
    [
        pytest.param("https://x.example/", False, "`https://x.example/`", id="plain"),
        pytest.param("a`b", False, "``a`b``", id="backtick-inside"),
        pytest.param("`a", False, "`` `a ``", id="backtick-first"),
        pytest.param(" a ", False, "`  a  `", id="spaces-kept"),
        pytest.param("", False, "\\(empty\\)", id="empty"),
        pytest.param("   ", False, "\\(blank\\)", id="blank"),
        pytest.param("a|b", True, "`a\\|b`", id="table-pipe"),
        pytest.param("a|b", False, "`a|b`", id="pipe-outside-table"),
        pytest.param("a\\|b", True, "a\\\\\\|b", id="backslash-pipe-in-table"),
    ],
)
def test_code_span(value: str, table: bool, expected: str) -> None:
    assert markdown.code_span(value, table=table) == expected


def test_code_span_round_trips() -> None:
    for value in ("a`b", "`a", " a ", "a``b`", "x<y>&z"):
        (token,) = [t for t in MD.parse(markdown.code_span(value)) if t.type == "inline"]
        assert [(c.type, c.content) for c in token.children or []] == [("code_inline", value)]


def test_escape_text() -> None:
    assert markdown.escape_text("<a href='x'>&") == "&lt;a href\\='x'&gt;&amp;"
    assert markdown.escape_text("[l](u) *e* _e_ #1 a|b") == (
        "\\[l\\]\\(u\\) \\*e\\* \\_e\\_ \\#1 a\\|b"
    )
    assert markdown.escape_text("http://a.b www.c a@b \\") == ("http\\://a\\.b www\\.c a\\@b \\\\")
    for value in ("**x** [y](z) <b>", "a\\|b", "`c`", "&amp;"):
        (token,) = [t for t in MD.parse(markdown.escape_text(value)) if t.type == "inline"]
        assert inline_text(token) == value


def test_prose() -> None:
    assert markdown.prose("use `Vary: Origin` *now*") == "use `Vary: Origin` \\*now\\*"
    assert markdown.prose("a `|` b", table=True) == "a `\\|` b"
    assert markdown.prose("unpaired ` tick") == "unpaired \\` tick"


# --- size cap ------------------------------------------------------------------------------

CUT_LINE = re.compile(
    r"^\*\*Cut to fit GitHub's 64 KiB comment limit\*\* \(worst first kept\): (.+) not shown "
    r"here; the JSON and HTML reports \(`--json`, `--html`\) list everything\.$",
    re.MULTILINE,
)


def hidden_counts(text: str) -> dict[str, int]:
    """What the cut line says was left out: ``{"findings": 9000, "targets": 9900, …}``."""
    match = CUT_LINE.search(text)
    assert match is not None
    return {
        noun: int(count)
        for count, noun in re.findall(r"(\d+) ([a-z ]+?)(?:,| and |$)", match.group(1))
    }


def many_findings(count: int) -> Report:
    base = report_fixtures.sample_report()
    template = finding_of(base, "missing-vary-origin")
    severities = list(Severity)
    findings = [
        template.model_copy(
            update={
                "url": f"https://api{i % 37:02d}.example.com/resource/{i}",
                "severity": severities[i % len(severities)],
                "fingerprint": f"{i:032x}",
            }
        )
        for i in range(count)
    ]
    return reassembled(base, findings)


def big_scan(count: int) -> Report:
    """``count`` targets in scan order: every third one has a finding of one of the sample's
    rules (not critical), every 500th (from the 251st) could not be scanned, the rest are
    clean; the only critical findings (reflected-origin) are on the last 5 targets, so the
    scan order is not the worst-first order."""
    base = report_fixtures.sample_report()
    clean, down = base.targets[2], base.targets[3]
    critical = finding_of(base, "reflected-origin")
    others = [f for f in base.findings if f.rule != "reflected-origin"]
    targets: list[TargetModel] = []
    findings: list[FindingModel] = []
    for i in range(count):
        url = f"https://api{i % 97:02d}.example.com/resource/{i}"
        model = down if i % 500 == 250 else clean
        targets.append(model.model_copy(update={"url": url, "method": "GET", "index": i}))
        template = critical if i >= count - 5 else others[i % len(others)]
        if model is clean and (i % 3 == 0 or i >= count - 5):
            findings.append(
                template.model_copy(
                    update={"url": url, "method": "GET", "fingerprint": f"{i:032x}"}
                )
            )
    return reassembled(base, findings, targets)


def test_ten_thousand_targets_fit_with_the_worst_kept() -> None:
    report = big_scan(10_000)
    text = markdown.render(report)
    check_safe(text)
    rules = ["reflected-origin", *sorted({f.rule for f in report.findings} - {"reflected-origin"})]
    # The overview lists every rule, the critical one first although its findings come last.
    overview = table_in(text, "## Findings")[1:]
    assert len(overview) == len(rules)
    assert overview[0][:4] == ["critical", "reflected-origin", "5", "5"]
    # Every rule keeps its details: its worst findings and its fix.
    groups = [h for h in headings(text) if ": " in h and not h.startswith("CORS")]
    assert sorted(h.split(": ")[1] for h in groups) == sorted(rules)
    for heading in groups:
        severity, rule = heading.split(": ")
        part = section(text, rule_heading(severity, rule))
        assert len(table_in(text, rule_heading(severity, rule))) > 1
        assert "<summary>How to fix</summary>\n\n*generic*: " in part
    critical = table_in(text, rule_heading("critical", "reflected-origin"))[1:]
    assert sorted(row[1] for row in critical) == sorted(
        f"GET https://api{i % 97:02d}.example.com/resource/{i}" for i in range(9995, 10_000)
    )
    assert all(row[0] == "critical" for row in critical)
    # Targets worst first: the five with a critical finding lead the table.
    targets = table_in(text, "## Targets")[1:]
    worst = {f"GET {f.url}" for f in report.findings if f.severity is Severity.CRITICAL}
    assert {row[3] for row in targets[:5]} == worst
    assert all(row[0] != "A" for row in targets[:5])
    # A clear line says what was left out, and the notes add up.
    hidden = hidden_counts(text)
    assert hidden["targets"] + len(targets) == 10_000
    shown_findings = sum(len(table_in(text, rule_heading(*h.split(": ")))) - 1 for h in groups)
    assert hidden["findings"] + shown_findings == len(report.findings)
    assert re.search(
        r"^\*\d+ more targets not shown here \(the table keeps the worst; ", text, re.M
    )
    assert re.search(r"^\*\d+ more findings of this rule not shown here", text, re.M)
    # The unscannable targets (20) are all listed too.
    assert len(table_in(text, "## Unscannable targets")) - 1 == 20
    assert "unscannable targets" not in hidden
    # And the limit is used, not wasted.
    assert len(text.encode("utf-8")) > markdown.MAX_BYTES - 4000


def test_six_hundred_targets_keep_fixes_and_the_worst_targets() -> None:
    # Before issue 17 the summary of 600 targets showed one (clean) target and left most fix
    # snippets out: the findings table took the whole budget.
    report = big_scan(600)
    text = markdown.render(report)
    check_safe(text)
    targets = table_in(text, "## Targets")[1:]
    assert len(targets) >= 20
    assert targets[0][0] != "A"
    assert targets[0][2] != "0"
    assert text.count("<summary>How to fix</summary>") == len({f.rule for f in report.findings})
    assert "fix snippet" not in CUT_LINE.search(text).group(1)  # type: ignore[union-attr]


def test_rules_beyond_the_budget_are_listed_but_not_detailed(report: Report) -> None:
    vary = finding_of(report, "missing-vary-origin")
    odd = [
        vary.model_copy(update={"rule": f"rule-from-elsewhere-{i:04d}", "fingerprint": f"{i:032x}"})
        for i in range(2000)
    ]
    text = markdown.render(reassembled(report, odd))
    check_safe(text)
    note = re.search(r"^\*(\d+) more rules not detailed here \(size limit\)\.\*$", text, re.M)
    assert note is not None
    detailed = [h for h in headings(text) if h.startswith("medium: ")]
    assert detailed
    assert int(note.group(1)) + len(detailed) == 2000
    assert hidden_counts(text)["rules"] + len(table_in(text, "## Findings")) - 1 == 2000
    assert headings(text)[-1] == "Targets"


def test_every_section_is_cut_when_needed() -> None:
    report = many_findings(3000)
    down = report.targets[3]
    targets = [
        down.model_copy(update={"url": f"https://t{i}.example.com/", "index": i})
        for i in range(3000)
    ]
    findings = [
        f.model_copy(
            update={
                "suppressed": True,
                "suppression": SuppressionModel(reason=f"reason {i}", expires=None),
            }
        )
        if i % 2
        else f
        for i, f in enumerate(report.findings)
    ]
    big = reassembled(report, findings, targets)
    text = markdown.render(big)
    check_safe(text)
    assert headings(text)[1:] == [
        "Findings",
        "critical: missing-vary-origin",
        "Unscannable targets",
        "Suppressed findings",
        "Targets",
    ]
    for noun in ("findings of this rule", "unscannable targets", "suppressed findings", "targets"):
        assert re.search(
            rf"\*\d+ more {noun} not shown here \((the table keeps the worst; )?size limit", text
        )
    assert set(hidden_counts(text)) == {
        "findings",
        "unscannable targets",
        "suppressed findings",
        "targets",
    }
    assert section(text, "## Suppressed findings").rstrip().endswith("</details>")
    assert section(text, "## Unscannable targets").rstrip().endswith("</details>")


def test_five_thousand_findings_keep_the_worst() -> None:
    report = many_findings(5000)
    text = markdown.render(report)
    check_safe(text)
    heading = rule_heading("critical", "missing-vary-origin")
    rows = table_in(text, heading)[1:]
    assert 100 < len(rows) < 5000
    assert hidden_counts(text)["findings"] + len(rows) == 5000
    # Worst first: the rows kept are exactly the head of the severity-then-URL order.
    ordered = sorted(report.findings, key=lambda f: (-f.severity.rank, f.url))
    assert [row[0] for row in rows] == [f.severity.value for f in ordered[: len(rows)]]
    assert [row[1] for row in rows] == [f"{f.method} {f.url}" for f in ordered[: len(rows)]]
    assert headings(text)[-1] == "Targets"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("<|`\x1b" * 5000, id="markup-20k"),
        pytest.param("é" * 20000, id="two-byte-20k"),
        pytest.param("\U0001f600" * 20000, id="four-byte-20k"),
        pytest.param("\\|" * 10000, id="backslash-pipe-20k"),
    ],
)
def test_long_hostile_strings_fit(payload: str) -> None:
    text = markdown.render(hostile(payload))
    check_safe(text)
    assert "…" in text
    assert len(table_in(text, "## Findings")) == 2


@pytest.mark.parametrize("count", [250, 400, 900, 2000])
def test_size_limit_is_used_not_wasted(count: int) -> None:
    # A document that fits is whole; a cut one stays within the limit but uses most of it.
    text = markdown.render(many_findings(count))
    size = len(text.encode("utf-8"))
    assert size <= markdown.MAX_BYTES
    cut = CUT_LINE.search(text) is not None
    assert cut == (count > 400)
    assert not cut or size > markdown.MAX_BYTES - 2000
    rows = len(table_in(text, rule_heading("critical", "missing-vary-origin"))) - 1
    assert rows == count if not cut else rows < count
    assert ("more findings of this rule not shown here" in text) == cut
    assert ("not shown here" in text) == cut
