"""The HTML report: one self-contained page a security engineer reads after a scan.

``render`` fills ``templates/report.html.j2`` from the `Report` and the rule catalogue. The page
has inline CSS, an inline SVG chart, no external assets and works without JavaScript (a tiny
hashed inline script only adds expand/collapse buttons and opens every card for printing). A
Content-Security-Policy ``<meta>`` allows nothing else to run or load.

Everything in the report may come from a hostile server (header names and values, reason
phrases) or a user (URLs): autoescape is on explicitly (``select_autoescape`` does not cover
``.j2``), no report value is ever marked safe, and control characters are shown as visible
``\\xNN`` escapes (`visible` filters, plus a ``finalize`` hook as a backstop for every
expression). ``iter_html`` yields the same page in chunks (jinja2's ``generate``), so a large
report need not be one string. This module does no I/O besides reading its own template.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.core.wire import url_origin
from cors_audit.formats import batched
from cors_audit.formats.console import trusted_list
from cors_audit.judging.rules.catalogue import RULES, RULES_BY_ID
from cors_audit.report.model import FindingModel, Report, TargetModel

TEMPLATE = "report.html.j2"

_SCRIPT = """
(function () {
  "use strict";
  var cards = function () { return document.querySelectorAll("details.finding"); };
  var setAll = function (open) { cards().forEach(function (d) { d.open = open; }); };
  var bar = document.getElementById("finding-tools");
  if (bar && cards().length) {
    [["Expand all", true], ["Collapse all", false]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec[0];
      button.addEventListener("click", function () { setAll(spec[1]); });
      bar.appendChild(button);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("pre.snippet"), function (pre) {
    if (!navigator.clipboard) { return; }
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy";
    copy.textContent = "Copy";
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent).then(function () {
        copy.textContent = "Copied";
      });
    });
    pre.parentNode.insertBefore(copy, pre);
  });
  var before = [];
  window.addEventListener("beforeprint", function () {
    before = Array.prototype.map.call(cards(), function (d) { return d.open; });
    setAll(true);
  });
  window.addEventListener("afterprint", function () {
    cards().forEach(function (d, i) { d.open = before[i] === undefined ? d.open : before[i]; });
  });
})();
"""
"""Progressive enhancement only; it never builds markup from report data."""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)

OPEN_BY_DEFAULT = frozenset({Severity.CRITICAL, Severity.HIGH})
"""Cards open without JavaScript, so the worst findings are visible (and printed) at once."""

_GRADE_CLASS = {"A": "a", "B": "b", "C": "c", "D": "d", "F": "f"}

_CORS_HEADERS = re.compile(r"(?i)^(access-control-|origin$|vary$)")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")

# Chart geometry (SVG user units; the SVG scales to the page width).
_CHART_WIDTH = 640
_LABEL_WIDTH = 92
_BAR_MAX = 470
_ROW = 30
_BAR_HEIGHT = 18


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of the severity chart."""

    severity: str
    count: int
    y: int
    width: int


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """The findings of one severity, in report order."""

    severity: str
    findings: tuple[FindingModel, ...]


@dataclass(frozen=True, slots=True)
class TargetRow:
    """A targets-table row with what the template cannot compute safely itself."""

    target: TargetModel
    grade_class: str
    shown_site_origin: str | None
    """The browser-visible origin when it differs from the URL's own (``--site-origin``)."""
    trusts: tuple[str, ...] = ()
    """The server's allowlist as discovery found it (empty when it found nothing new)."""


def visible(value: object) -> str:
    """A single-line value with every control character (LF and TAB too) visibly escaped."""
    return sanitize(str(value))


def visible_block(value: object) -> str:
    """A multi-line value: control characters escaped, LF and TAB kept."""
    return sanitize(str(value), keep_newlines=True)


def prose(value: object) -> Markup:
    """Escaped text with `` `code` `` spans as ``<code>`` (the rule catalogue's notation).

    The text is escaped *before* the spans are added, so the result is safe for any input.
    """
    escaped = str(escape(visible_block(value)))
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))  # noqa: S704 - escaped above


@lru_cache(maxsize=8192)
def header_line(direction: str, name: str, value: str) -> Markup:
    """One header line of an evidence block (``direction`` is ``>`` or ``<``), escaped.

    Cached: a large report repeats the same few dozen header lines thousands of times, and
    rendering them was most of the page's time (issue 8).
    """
    css = "cors" if _is_cors_header(name) else "hdr"
    return Markup(  # noqa: S704 - every part is escaped here
        f'<span class="dir">{escape(direction)} </span><span class="{css}">'
        f"{escape(visible(name))}: {escape(visible(value))}</span>"
    )


def _finalize(value: Any) -> Any:
    # Backstop: any plain string printed without a `visible` filter still cannot carry raw
    # control characters. Markup is ours (already escaped) and passes through.
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible_block(value)
    return value


def _timestamp(value: datetime) -> str:
    if value.utcoffset() == timedelta(0):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat(sep=" ", timespec="seconds")


def _duration(report: Report) -> str:
    seconds = max(0.0, (report.finished_at - report.started_at).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _is_cors_header(name: object) -> bool:
    return bool(_CORS_HEADERS.match(str(name)))


def grade_class(grade: str) -> str:
    """CSS class suffix of a grade; ``none`` for an ungraded (errored) target."""
    return _GRADE_CLASS.get(grade, "none")


def chart_bars(by_severity: dict[str, int]) -> list[Bar]:
    """One bar per severity, worst first, widths relative to the largest count."""
    counts = [(severity.value, by_severity.get(severity.value, 0)) for severity in Severity]
    largest = max((count for _, count in counts), default=0)
    return [
        Bar(
            severity=severity,
            count=count,
            y=index * _ROW + 6,
            width=round(_BAR_MAX * count / largest) if largest else 0,
        )
        for index, (severity, count) in enumerate(counts)
    ]


def finding_groups(findings: Sequence[FindingModel]) -> list[FindingGroup]:
    """Findings grouped by severity, critical first; empty groups left out."""
    groups = [
        FindingGroup(
            severity=severity.value,
            findings=tuple(finding for finding in findings if finding.severity is severity),
        )
        for severity in Severity
    ]
    return [group for group in groups if group.findings]


def _site_origin_shown(target: TargetModel) -> str | None:
    try:
        own = url_origin(target.url)
    except ValueError:  # a malformed port in a hand-edited report: show what we have
        own = None
    return None if target.site_origin == own else target.site_origin


def _policy_source(policy: dict[str, Any]) -> str | None:
    for key in ("source", "path", "file"):
        value = policy.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cors_audit.formats", "templates"),
        autoescape=True,  # explicit: select_autoescape() would not cover .html.j2
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["visible"] = visible
    env.filters["visible_block"] = visible_block
    env.filters["prose"] = prose
    env.filters["timestamp"] = _timestamp
    env.globals["header_line"] = header_line
    return env


_ENV = _environment()


def render(report: Report) -> str:
    """The report as one self-contained HTML page."""
    return _ENV.get_template(TEMPLATE).render(_context(report))


def iter_html(report: Report) -> Iterator[str]:
    """`render`'s page in chunks of about 64 KiB (jinja2's ``generate``): their concatenation
    is byte for byte ``render(report)``, but the page is never one string."""
    return batched(_ENV.get_template(TEMPLATE).generate(_context(report)))


def stream(report: Report) -> Iterator[str]:
    """The registry's name (``formats.Renderer``) for `iter_html`."""
    return iter_html(report)


def _context(report: Report) -> dict[str, Any]:
    rule_counts: dict[str, int] = {}
    for finding in report.findings:
        rule_counts[finding.rule] = rule_counts.get(finding.rule, 0) + 1
    policy_free = any(target.policy_free for target in report.targets) or (
        report.policy.get("policy_free") is True
    )
    return {
        "report": report,
        "summary": report.summary,
        "grade_class": grade_class(report.summary.grade),
        "duration": _duration(report),
        "policy_free": policy_free,
        "policy_source": _policy_source(report.policy),
        "policy_json": json.dumps(report.policy, indent=2, sort_keys=True, default=str),
        "severities": [severity.value for severity in Severity],
        "bars": chart_bars(report.summary.by_severity),
        "chart": {
            "width": _CHART_WIDTH,
            "height": len(Severity) * _ROW + 6,
            "label_width": _LABEL_WIDTH,
            "bar_max": _BAR_MAX,
            "bar_height": _BAR_HEIGHT,
        },
        "target_rows": [
            TargetRow(
                target=target,
                grade_class=grade_class(target.grade),
                shown_site_origin=_site_origin_shown(target),
                trusts=tuple(trusted_list(target)),
            )
            for target in report.targets
        ],
        "groups": finding_groups(report.findings),
        "open_by_default": {severity.value for severity in OPEN_BY_DEFAULT},
        "rules": RULES,
        "rules_by_id": RULES_BY_ID,
        "rule_counts": rule_counts,
        "csp": CONTENT_SECURITY_POLICY,
        "script": Markup(_SCRIPT),  # noqa: S704 - a constant of this module, hashed in the CSP
    }
