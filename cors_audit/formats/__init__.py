"""Report renderers: one `Report` in, one document (text) out, no I/O.

Each file format has a `ReportFormat` member and a renderer ``render(report) -> str``; the CLI
picks them through `render` (exhaustive over the enum, so a new member without a renderer fails
mypy) and writes the files itself. The terminal summary (``console.render``) is not a file format
and is called by the CLI directly. Renderers never reach back into the scan: they read the
`Report` only.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, assert_never

if TYPE_CHECKING:  # the CLI imports ReportFormat at start-up; the report model is heavy
    from cors_audit.report import Report


class ReportFormat(StrEnum):
    """The file formats a scan can write (``--json``, ``--html`` …)."""

    JSON = "json"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"


# The renderer modules are imported on first use: the console path then never loads jinja2,
# and ``python -m cors_audit.formats.json`` is not already imported when runpy executes it.
def _render_json(report: Report) -> str:
    from cors_audit.formats import json

    return json.render(report)


def _render_html(report: Report) -> str:
    from cors_audit.formats import html

    return html.render(report)


def _render_sarif(report: Report) -> str:
    from cors_audit.formats import sarif

    return sarif.render(report)


def _render_junit(report: Report) -> str:
    from cors_audit.formats import junit

    return junit.render(report)


def _render_markdown(report: Report) -> str:
    from cors_audit.formats import markdown

    return markdown.render(report)


def _renderer(fmt: ReportFormat) -> Callable[[Report], str]:
    if fmt is ReportFormat.JSON:
        return _render_json
    if fmt is ReportFormat.HTML:
        return _render_html
    if fmt is ReportFormat.SARIF:
        return _render_sarif
    if fmt is ReportFormat.JUNIT:
        return _render_junit
    if fmt is ReportFormat.MARKDOWN:
        return _render_markdown
    assert_never(fmt)


RENDERERS: dict[ReportFormat, Callable[[Report], str]] = {
    fmt: _renderer(fmt) for fmt in ReportFormat
}
"""Every format and its renderer."""


def render(fmt: ReportFormat, report: Report) -> str:
    """``report`` rendered as ``fmt``."""
    return _renderer(fmt)(report)


__all__ = ["RENDERERS", "ReportFormat", "render"]
