"""The terminal: where the commands print (``out`` for results, ``err`` for errors, warnings and
the progress bar), how an error ends a command (exit code and one line), and the run's
`TerminalObserver`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from cors_audit.core.errors import CorsAuditError
from cors_audit.core.models import ExitCode

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from cors_audit.core.models import TargetResult
    from cors_audit.formats import ReportFormat
    from cors_audit.formats.plan import Plan
    from cors_audit.report.model import Report

out = Console(highlight=False, soft_wrap=True)
"""Standard output: reports' summaries, plans, listings."""
err = Console(stderr=True, highlight=False, soft_wrap=True)
"""Standard error: errors, warnings, the progress bar."""


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    """End the command: ``cors-audit: error: message`` on stderr, exit ``code``."""
    err.print(f"cors-audit: error: {message}", markup=False)
    raise typer.Exit(int(code))


def fail_untrusted(error: CorsAuditError) -> NoReturn:
    """`fail` for errors about reports read back (``merge``, ``diff``, ``init --from-report``,
    ``baseline create``): the message may quote them, so control characters are shown escaped
    and nothing from a report starts a line of a terminal or CI log."""
    from cors_audit.core.text import sanitize

    fail(sanitize(str(error)))


def fail_with(error: CorsAuditError) -> NoReturn:
    """`fail` with what the application raised: exit 130 when it was interrupted, sanitized
    when it is about a report read back, exit 2 otherwise."""
    from cors_audit.app.interrupt import Interrupted
    from cors_audit.app.reports import ReportReadError

    if isinstance(error, Interrupted):
        fail(str(error), ExitCode.INTERRUPTED)
    if isinstance(error, ReportReadError):
        fail_untrusted(error)
    fail(str(error))


def print_summary(report: Report, outputs: Mapping[ReportFormat, Path], *, verbose: bool) -> None:
    """The report's summary (``formats/console.py``), then where each file went."""
    from cors_audit.formats import console

    out.print(console.render(report, verbose=verbose), markup=False, end="")
    for fmt, path in outputs.items():
        out.print(f"{fmt.value} report: {path}", markup=False)


def print_plan(plan: Plan) -> None:
    """The ``--dry-run`` plan, request by request."""
    from cors_audit.formats.plan import lines

    for line in lines(plan):
        out.print(line, markup=False)


class TerminalObserver:
    """A run's `Observer` on the terminal: warnings on stderr (``--quiet`` keeps only those
    about exposed credentials) and a progress bar on an interactive terminal."""

    def __init__(self, *, quiet: bool) -> None:
        self._quiet = quiet

    def warn(self, message: str) -> None:
        if not self._quiet:
            self.alert(message)

    def alert(self, message: str) -> None:
        err.print(f"cors-audit: warning: {message}", markup=False)

    def note(self, message: str) -> None:
        if not self._quiet:
            err.print(message, markup=False)

    def scanning(self, total: int) -> _TargetProgress:
        return _TargetProgress(total, enabled=not self._quiet)


class _TargetProgress:
    """A rich progress bar over targets, shown only on an interactive terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled and err.is_terminal and total > 0:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self._task = self._progress.add_task("scan", total=total)

    def __enter__(self) -> Callable[[TargetResult], None]:
        if self._progress is not None:
            self._progress.start()
        return self.advance

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, _result: TargetResult) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)


__all__ = [
    "TerminalObserver",
    "err",
    "fail",
    "fail_untrusted",
    "fail_with",
    "out",
    "print_plan",
    "print_summary",
]
