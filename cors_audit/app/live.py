"""The NDJSON log written while the scan runs (``--ndjson FILE``): the ``scan`` line when the
scan starts, each target's lines as soon as it finishes (flushed, so ``tail -f`` and Filebeat
see them at once), the ``summary`` line once the report is made. The records are those of
``formats/ndjson.py``.

Each finished target is turned into a one-target report (`build_report`, the baseline
applied) and redacted with the run's secrets exactly like the final report (`redact_report`)
before a line is written: nothing a scanned server sent reaches the file unredacted. Its score
and grade are the target's own, as in the final report.

The file is written in place, not staged and renamed (a reader could not follow a renamed
file). What an interrupted scan leaves: Ctrl-C or SIGTERM still ends with a ``summary`` line
saying ``"interrupted": true`` (the report covers the targets that finished); a scan killed
outright (SIGKILL, a crash) leaves the lines of the targets that finished and no ``summary``
line, which is how a reader tells. A line is written in one call, so only a kill in the middle
of that call can leave a last line cut short. If writing fails mid-scan (a full disk), the
scan goes on, a warning says so and the file stops where it failed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cors_audit.app.request import Observer
from cors_audit.core.errors import UsageError
from cors_audit.core.models import TargetResult
from cors_audit.core.redaction import Secret
from cors_audit.formats import ReportFormat, ndjson
from cors_audit.report.baseline import Baseline
from cors_audit.report.build import GateSettings, build_report, redact_report
from cors_audit.report.model import ReportView, ShardModel

STDOUT = "-"
"""The path that means standard output."""


class LiveLog:
    """The ``--ndjson`` file of one scan, open from its start to its summary. Without
    ``--ndjson`` every method does nothing (`LiveLog.start` returns an inactive one)."""

    def __init__(
        self,
        out: TextIO | None,
        *,
        started: datetime,
        policy: dict[str, Any],
        gate: GateSettings,
        baseline: Baseline | None,
        secrets: Sequence[Secret],
        url_parameters: bool,
        observer: Observer,
        close: bool,
    ) -> None:
        self._out = out
        self._started = started
        self._policy = policy
        self._gate = gate
        self._baseline = baseline
        self._secrets = secrets
        self._url_parameters = url_parameters
        self._observer = observer
        self._close = close
        self._id = ndjson.scan_id(started)

    @classmethod
    def start(
        cls,
        outputs: Mapping[ReportFormat, Path],
        *,
        started: datetime,
        targets: int,
        shard: ShardModel | None,
        policy: dict[str, Any],
        gate: GateSettings,
        baseline: Baseline | None,
        secrets: Sequence[Secret],
        url_parameters: bool,
        observer: Observer,
    ) -> LiveLog:
        """Open the ``--ndjson`` file (if asked for) and write the ``scan`` line. Raises
        ``UsageError`` when the file cannot be opened."""
        path = outputs.get(ReportFormat.NDJSON)
        out: TextIO | None = None
        close = True
        if path is not None and str(path) == STDOUT:
            out, close = sys.stdout, False
        elif path is not None:
            if path.is_symlink():
                raise UsageError(
                    f"--ndjson {path} is a symbolic link; cors-audit does not write through links"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                out = path.open("w", encoding="utf-8", newline="\n")
            except OSError as error:
                raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
        log = cls(
            out,
            started=started,
            policy=policy,
            gate=gate,
            baseline=baseline,
            secrets=secrets,
            url_parameters=url_parameters,
            observer=observer,
            close=close,
        )
        log._write(ndjson.line(ndjson.scan_record(log._id, started, targets=targets, shard=shard)))
        return log

    @property
    def active(self) -> bool:
        """Whether lines are being written."""
        return self._out is not None

    def target(self, result: TargetResult, index: int) -> None:
        """Write the lines of a target that just finished (redacted; ``index``: its place in
        the whole target list)."""
        if self._out is None:
            return
        now = datetime.now(UTC)
        report = build_report(
            [result],
            policy=self._policy,
            started_at=self._started,
            finished_at=now,
            gate=self._gate,
            baseline=self._baseline,
            indices=[index],
        )
        report = redact_report(report, self._secrets, url_parameters=self._url_parameters)
        records = ndjson.target_records(self._id, now, report.targets[0], report.findings)
        self._write("".join(ndjson.line(record) for record in records))

    def finish(self, report: ReportView) -> None:
        """Write the ``summary`` line of the finished (redacted) report and close the file."""
        if self._out is None:
            return
        self._write(ndjson.line(ndjson.summary_record(self._id, report)))
        self.close()

    def close(self) -> None:
        """Close the file (idempotent)."""
        out, self._out = self._out, None
        if out is not None and self._close:
            with suppress(OSError):  # a full disk: the warning is already given
                out.close()

    def others(self, outputs: Mapping[ReportFormat, Path]) -> dict[ReportFormat, Path]:
        """``outputs`` without the file this log writes (it is not written again at the end)."""
        return {fmt: path for fmt, path in outputs.items() if fmt is not ReportFormat.NDJSON}

    def _write(self, text: str) -> None:
        if self._out is None:
            return
        try:
            self._out.write(text)
            self._out.flush()
        except OSError as error:
            self._observer.warn(
                f"--ndjson: cannot write any more ({error.strerror or error}); the scan goes on "
                "and the file stops here"
            )
            self.close()


__all__ = ["STDOUT", "LiveLog"]
