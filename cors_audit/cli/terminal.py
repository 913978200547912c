"""The terminal: where the commands print (``out`` for results, ``err`` for errors, warnings and
the progress bar), how an error ends a command (exit code and one line), and the run's
`TerminalObserver`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

import typer
from rich.console import Console

from cors_audit.core.errors import CorsAuditError
from cors_audit.core.models import ExitCode

if TYPE_CHECKING:
    from rich.progress import TaskID

    from cors_audit.core.models import TargetResult
    from cors_audit.formats import ReportFormat
    from cors_audit.formats.plan import Plan
    from cors_audit.report.model import ReportView

out = Console(highlight=False, soft_wrap=True, emoji=False)
"""Standard output: reports' summaries, plans, listings. Neither console turns ``:name:`` into an
emoji: text from servers is printed as it came (escaped by ``sanitize``)."""
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
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


def summary_console(outputs: Mapping[ReportFormat, Path]) -> Console:
    """Where the human summary goes: standard output, unless a report goes there (``-``)."""
    from cors_audit.app.outputs import to_stdout

    return err if to_stdout(outputs) else out


def print_summary(
    report: ReportView, outputs: Mapping[ReportFormat, Path], *, verbose: bool
) -> None:
    """The report's summary (``formats/console.py``), then where each file went; on stderr when
    a report is written to standard output, which then holds only that document."""
    from cors_audit.app.outputs import is_stdout
    from cors_audit.formats import console

    to = summary_console(outputs)
    to.print(console.render(report, verbose=verbose), markup=False, end="")
    for fmt, path in outputs.items():
        where = "standard output" if is_stdout(path) else str(path)
        to.print(f"{fmt.value} report: {where}", markup=False)


def verdict(report: ReportView) -> str | None:
    """One line saying why the gate failed (exit 1 or 3); ``None`` when it passed."""
    gate, summary = report.gate, report.summary
    if gate.exit_code == 0:
        return None
    reasons = []
    if gate.failing:
        reasons.append(f"{_plural(gate.failing, 'finding')} at or above --fail-on {gate.fail_on}")
    unscanned = summary.errors + summary.incomplete
    if unscanned and not gate.allow_errors:
        reasons.append(f"{_plural(unscanned, 'target')} not scanned (completely)")
    return f"cors-audit: failed (exit {gate.exit_code}): {'; '.join(reasons) or 'see the report'}"


def print_verdict(report: ReportView) -> None:
    """`verdict` on stderr, when the gate failed (``--quiet`` keeps this line)."""
    line = verdict(report)
    if line is not None:
        err.print(line, markup=False, emoji=False)


def print_annotations(
    report: ReportView,
    outputs: Mapping[ReportFormat, Path],
    *,
    file: Path | None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Under GitHub Actions, the failing findings as workflow annotations (``cli/github.py``),
    where the summary goes (the runner reads workflow commands from stdout and stderr)."""
    import os

    from cors_audit.cli.github import in_github_actions, workflow_commands

    if not in_github_actions(os.environ if environ is None else environ):
        return
    where = None
    if file is not None:
        try:
            where = os.path.relpath(file)
        except ValueError:  # pragma: no cover - another drive (Windows)
            where = str(file)
    to = summary_console(outputs)
    for line in workflow_commands(report, file=where):
        to.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)


def print_plan(plan: Plan, console: Console | None = None) -> None:
    """The ``--dry-run`` plan, request by request (on ``console``, default stdout)."""
    from cors_audit.formats.plan import lines

    to = out if console is None else console
    for line in lines(plan):
        to.print(line, markup=False)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


HEARTBEAT_SECONDS: Final = 10.0
"""Off a terminal, the longest a scan stays silent: a heartbeat line after that long."""


class TerminalObserver:
    """A run's `Observer` on the terminal: warnings on stderr (``--quiet`` keeps only those
    about exposed credentials) and the scan's progress on stderr: a rich progress bar on an
    interactive terminal; elsewhere (CI logs) a line per finished target with findings or an
    error, and a heartbeat line whenever nothing was printed for ``heartbeat`` seconds.
    ``clock`` and ``ticker`` (the thread that prints heartbeats while no target finishes) are
    for tests."""

    def __init__(
        self,
        *,
        quiet: bool,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float = HEARTBEAT_SECONDS,
        ticker: bool = True,
    ) -> None:
        self._quiet = quiet
        self._clock = clock
        self._heartbeat = heartbeat
        self._ticker = ticker

    def warn(self, message: str) -> None:
        if not self._quiet:
            self.alert(message)

    def alert(self, message: str) -> None:
        err.print(f"cors-audit: warning: {message}", markup=False)

    def note(self, message: str) -> None:
        if not self._quiet:
            err.print(message, markup=False)

    def scanning(self, total: int) -> AbstractContextManager[Callable[[TargetResult], None]]:
        if self._quiet or total <= 0:
            return nullcontext(_ignore)
        if err.is_terminal:
            return _TargetProgress(total)
        return LogProgress(total, clock=self._clock, interval=self._heartbeat, ticker=self._ticker)


def _ignore(_result: TargetResult) -> None:
    pass


class _Tally:
    """Targets finished, findings, errors and requests so far."""

    def __init__(self, total: int, started: float) -> None:
        self.total = total
        self.started = started
        self.done = 0
        self.findings = 0
        self.errors = 0
        self.requests = 0

    def add(self, result: TargetResult) -> None:
        self.done += 1
        self.findings += len(result.findings)
        self.errors += result.error is not None
        self.requests += result.requests

    def rate(self, now: float) -> float:
        elapsed = now - self.started
        return self.requests / elapsed if elapsed > 0 else 0.0


class _TargetProgress:
    """A rich progress bar over targets (interactive terminal): findings and errors so far,
    requests per second, elapsed time and ETA."""

    def __init__(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._tally = _Tally(total, time.monotonic())
        self._progress: Progress = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "{task.fields[findings]} findings, {task.fields[errors]} errors, "
                "{task.fields[rate]} req/s"
            ),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self._task: TaskID = self._progress.add_task(
            "scan", total=total, findings=0, errors=0, rate=0
        )

    def __enter__(self) -> Callable[[TargetResult], None]:
        self._progress.start()
        return self.advance

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def advance(self, result: TargetResult) -> None:
        tally = self._tally
        tally.add(result)
        self._progress.update(
            self._task,
            advance=1,
            findings=tally.findings,
            errors=tally.errors,
            rate=f"{tally.rate(time.monotonic()):.0f}",
        )


class LogProgress:
    """Progress as log lines on stderr (not a terminal: CI logs): a line per finished target
    with findings or an error, and a heartbeat (``… 120/600 targets, 3 findings, 1 error,
    812 req/s``) whenever nothing was printed for ``interval`` seconds — from a background
    thread (``ticker``), so a scan is never silent longer than that even when no target
    finishes. Lines quote no secret: URLs lose their credentials (``redact_url``)."""

    def __init__(
        self,
        total: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = HEARTBEAT_SECONDS,
        ticker: bool = True,
    ) -> None:
        self._clock = clock
        self._interval = interval
        self._tally = _Tally(total, clock())
        self._last = self._tally.started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if ticker:
            self._thread = threading.Thread(
                target=self._beat, name="cors-audit-heartbeat", daemon=True
            )

    def __enter__(self) -> Callable[[TargetResult], None]:
        if self._thread is not None:
            self._thread.start()
        return self.advance

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self._interval / 4)):
            self.tick()

    def tick(self) -> None:
        """Print a heartbeat if nothing was printed for ``interval`` seconds."""
        with self._lock:
            now = self._clock()
            if now - self._last >= self._interval:
                self._print(self._heartbeat_line(now), now)

    def advance(self, result: TargetResult) -> None:
        """One target finished: its line when it has findings or an error."""
        from cors_audit.core.redaction import redact_url
        from cors_audit.core.text import sanitize

        with self._lock:
            tally = self._tally
            tally.add(result)
            now = self._clock()
            outcome = None
            if result.error is not None:
                message = sanitize(redact_url(result.error.message))[:300]
                outcome = f"error ({sanitize(str(result.error.kind))}): {message}"
            elif result.findings:
                rules = ", ".join(
                    dict.fromkeys(f"{f.severity.value} {f.rule}" for f in result.findings)
                )
                outcome = f"{_plural(len(result.findings), 'finding')} ({rules})"
            if outcome is not None:
                target = result.target
                url = sanitize(redact_url(target.url))
                line = f"cors-audit: [{tally.done}/{tally.total}] {target.method} {url}: {outcome}"
                self._print(line, now)
            elif now - self._last >= self._interval:
                self._print(self._heartbeat_line(now), now)

    def _heartbeat_line(self, now: float) -> str:
        t = self._tally
        return (
            f"cors-audit: … {t.done}/{t.total} targets, {_plural(t.findings, 'finding')}, "
            f"{_plural(t.errors, 'error')}, {t.rate(now):.0f} req/s"
        )

    def _print(self, line: str, now: float) -> None:
        err.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)
        self._last = now


__all__ = [
    "HEARTBEAT_SECONDS",
    "LogProgress",
    "TerminalObserver",
    "err",
    "fail",
    "fail_untrusted",
    "fail_with",
    "out",
    "print_annotations",
    "print_plan",
    "print_summary",
    "print_verdict",
    "summary_console",
    "verdict",
]
