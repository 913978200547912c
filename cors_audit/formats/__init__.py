"""Report formats: the registry of file formats and their renderers (one report in, one
document out, no I/O).

Every file format is one line of `ReportFormat` (a `Format` record) and one module of this
package that exports ``render(report) -> str`` and ``stream(report) -> Iterator[str]`` (the
`Renderer` interface). The record's name gives the rest: the ``--NAME`` option of ``scan`` and
``merge``, the ``CORS_AUDIT_NAME`` variable and the ``[scan]`` key ``NAME`` (its row of the
settings table, `Format.setting`), and the file ``cors-audit.SUFFIX`` that ``demo`` writes.
Adding a format is one new module here and one line in `ReportFormat`.

A large scan's documents run to hundreds of megabytes, so every format can also be produced
piece by piece: `stream` yields chunks whose concatenation is exactly `render`'s text, and
`write` sends them to a text stream the caller opened. Nothing here opens a file. The terminal
summary (``console.render``) and the ``--dry-run`` plan (``plan.py``) are not report formats.
Renderers never reach back into the scan: they read the report only, as a `ReportView`: an
in-memory `Report` or a scan's report whose targets and findings are spooled to disk
(``report/spool.py``). Each list is then read back from disk on every pass, so a renderer makes
few passes (``passes.py`` has the helpers) and keeps only aggregates and what it writes, never
the lists' models: memory follows the output, not the scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, cast

from cors_audit.inputs.settings import Setting, report_setting, toml_value

if TYPE_CHECKING:  # the CLI reads the registry at start-up; the report model is heavy
    from cors_audit.formats.plan import Plan
    from cors_audit.report.model import ReportView

REPORTS_DIR: Final = "reports"
"""Where ``demo`` writes its reports by default (and where examples put them)."""


class Renderer(Protocol):
    """What a format's module exports."""

    def render(self, report: ReportView) -> str:
        """``report`` as one document."""
        ...  # pragma: no cover - a protocol

    def stream(self, report: ReportView) -> Iterator[str]:
        """`render`'s text in chunks; their concatenation is exactly ``render(report)``."""
        ...  # pragma: no cover - a protocol


class PlanRenderer(Renderer, Protocol):
    """What a format's module exports when it also writes the ``--dry-run`` plan."""

    def stream_plan(self, plan: Plan) -> Iterator[str]:
        """The plan as this format's document, in chunks."""
        ...  # pragma: no cover - a protocol


@dataclass(frozen=True, slots=True)
class Format:
    """One report file format: what the registry line states."""

    name: str
    """``json``: the option ``--json``, the variable ``CORS_AUDIT_JSON``, the ``[scan]`` key
    ``json`` and, unless ``module`` says otherwise, the renderer ``cors_audit.formats.json``."""
    suffix: str
    """The file suffix (``junit.xml``)."""
    help: str
    """The help of the ``--NAME`` option."""
    module: str = ""
    """The renderer module's name in this package (default: ``name``)."""
    plan: bool = False
    """Whether ``scan --dry-run`` writes its plan to this format's path (its module then exports
    ``stream_plan(plan)``)."""

    @property
    def option(self) -> str:
        """The command-line option: ``--json``."""
        return f"--{self.name}"

    @property
    def config_key(self) -> str:
        """The ``[scan]`` key: ``json``."""
        return self.name

    @property
    def demo_file(self) -> str:
        """The file ``cors-audit demo`` writes: ``cors-audit.json``."""
        return f"cors-audit.{self.suffix}"

    def setting(self) -> Setting[Path | None]:
        """This format's row of the scan settings table: its option, variable and key."""
        return report_setting(self.name, self.help, toml_value(f"{REPORTS_DIR}/{self.demo_file}"))

    def renderer(self) -> Renderer:
        """The renderer module, imported on first use: the console path then never loads
        jinja2, and ``python -m cors_audit.formats.json`` is not already imported when runpy
        executes it."""
        return cast(Renderer, import_module(f"{__name__}.{self.module or self.name}"))

    def render(self, report: ReportView) -> str:
        """``report`` as this format's document."""
        return self.renderer().render(report)

    def stream(self, report: ReportView) -> Iterator[str]:
        """`render`'s text in chunks."""
        return self.renderer().stream(report)

    def stream_plan(self, plan: Plan) -> Iterator[str]:
        """The ``--dry-run`` plan as this format's document (only when ``plan`` is set)."""
        if not self.plan:
            raise ValueError(f"the {self.name} format does not write a dry-run plan")
        return cast(PlanRenderer, self.renderer()).stream_plan(plan)


class ReportFormat(StrEnum):
    """The registry: every report file format, in the order options, files and summaries list
    them. A member is the format's name (``ReportFormat.JSON == "json"``); ``spec`` is its
    record."""

    JSON = Format("json", "json", "Write the JSON report here.", plan=True)
    HTML = Format("html", "html", "Write the HTML report here.")
    SARIF = Format("sarif", "sarif", "Write a SARIF 2.1.0 log here.")
    JUNIT = Format("junit", "junit.xml", "Write JUnit XML here.")
    MARKDOWN = Format(
        "markdown", "md", "Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)."
    )
    CODEQUALITY = Format(
        "codequality", "codequality.json", "Write a GitLab Code Quality report here."
    )
    OPENMETRICS = Format(
        "openmetrics", "prom", "Write Prometheus metrics here (node_exporter textfile collector)."
    )
    NDJSON = Format(
        "ndjson", "ndjson", "Write one JSON record per line here, appended as targets finish."
    )

    spec: Format

    def __new__(cls, spec: Format) -> ReportFormat:
        member = str.__new__(cls, spec.name)
        member._value_ = spec.name
        member.spec = spec
        return member


def render(fmt: ReportFormat, report: ReportView) -> str:
    """``report`` rendered as ``fmt``."""
    return fmt.spec.render(report)


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


def stream(fmt: ReportFormat, report: ReportView) -> Iterator[str]:
    """``report`` rendered as ``fmt``, in chunks: ``"".join(stream(fmt, report)) ==
    render(fmt, report)``, without the whole document ever being one string."""
    return fmt.spec.stream(report)


def write(fmt: ReportFormat, report: ReportView, out: TextSink) -> None:
    """Write ``render(fmt, report)`` to ``out`` chunk by chunk (see `stream`)."""
    for chunk in stream(fmt, report):
        out.write(chunk)


__all__ = [
    "CHUNK_SIZE",
    "REPORTS_DIR",
    "Format",
    "PlanRenderer",
    "Renderer",
    "ReportFormat",
    "TextSink",
    "batched",
    "render",
    "stream",
    "write",
]
