"""Report renderers: one `Report` in, one document (text) out, no I/O.

Each file format has a `ReportFormat` member and a renderer ``render(report) -> str``; the CLI
picks them through `render` (exhaustive over the enum, so a new member without a renderer fails
mypy) and writes the files itself. The terminal summary (``console.render``) is not a file format
and is called by the CLI directly. Renderers never reach back into the scan: they read the
`Report` only.

A large scan's documents run to hundreds of megabytes, so every format can also be produced
piece by piece: `stream` yields chunks whose concatenation is exactly `render`'s text (each
format's ``iter_*`` function; Markdown is capped at 64 KiB and is yielded whole), and `write`
sends them to a text stream the caller opened. Nothing here opens a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, assert_never

if TYPE_CHECKING:  # the CLI imports ReportFormat at start-up; the report model is heavy
    from cors_audit.report.build import Report


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


CHUNK_SIZE = 1 << 16
"""About how many characters `batched` gathers into one chunk."""


class TextSink(Protocol):
    """Where a streamed document goes: a text file, ``sys.stdout``, an ``io.StringIO``…"""

    def write(self, text: str, /) -> object:
        """Append ``text``."""
        ...  # pragma: no cover - a protocol


def batched(chunks: Iterable[str], size: int = CHUNK_SIZE) -> Iterator[str]:
    """``chunks`` regrouped into strings of at least ``size`` characters (the last may be
    shorter): a writer then makes a few large writes rather than millions of tiny ones, while
    memory stays bounded by ``size`` plus the largest single chunk."""
    pending: list[str] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(pending)
            pending.clear()
            length = 0
    if pending:
        yield "".join(pending)


def stream(fmt: ReportFormat, report: Report) -> Iterator[str]:
    """``report`` rendered as ``fmt``, in chunks: ``"".join(stream(fmt, report)) ==
    render(fmt, report)``, without the whole document ever being one string."""
    if fmt is ReportFormat.JSON:
        from cors_audit.formats import json

        return json.iter_json(report)
    if fmt is ReportFormat.HTML:
        from cors_audit.formats import html

        return html.iter_html(report)
    if fmt is ReportFormat.SARIF:
        from cors_audit.formats import sarif

        return sarif.iter_sarif(report)
    if fmt is ReportFormat.JUNIT:
        from cors_audit.formats import junit

        return junit.iter_junit(report)
    if fmt is ReportFormat.MARKDOWN:
        # At most markdown.MAX_BYTES (64 KiB) by construction: nothing to gain by streaming.
        return iter([_render_markdown(report)])
    assert_never(fmt)


def write(fmt: ReportFormat, report: Report, out: TextSink) -> None:
    """Write ``render(fmt, report)`` to ``out`` chunk by chunk (see `stream`)."""
    for chunk in stream(fmt, report):
        out.write(chunk)


__all__ = [
    "CHUNK_SIZE",
    "RENDERERS",
    "ReportFormat",
    "TextSink",
    "batched",
    "render",
    "stream",
    "write",
]
