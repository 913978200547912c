"""One run of ``cors-audit scan`` (or of the demo): collect the targets (onto disk), keep this
shard's, scan them, spool each finished target into the report (`ReportBuilder`), verify it,
redact it and write every output from the spools: memory does not grow with the findings.

Ctrl-C or SIGTERM during the scan keeps what finished: the report covers those targets, is
marked ``interrupted`` with a note saying how many of how many finished, and is written like
any other (the command then exits 130). With ``dry_run`` nothing is sent: the plan is written
(to the formats that write plans) and returned instead of a report.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import overload

from cors_audit.app import scan as scan_module
from cors_audit.app.collect import collect
from cors_audit.app.interrupt import Interruptible
from cors_audit.app.live import LiveLog
from cors_audit.app.outputs import check_outputs, write_output, write_reports
from cors_audit.app.plan import make_plan
from cors_audit.app.request import Observer, RunRequest
from cors_audit.app.scan import ScanOptions, collector_tuned
from cors_audit.core.models import Target, TargetResult
from cors_audit.core.records import RecordSequence
from cors_audit.core.redaction import run_secrets
from cors_audit.formats.plan import Plan
from cors_audit.inputs.policy import resolved_dict
from cors_audit.inputs.targets import shard_of
from cors_audit.report.baseline import load_baseline
from cors_audit.report.build import ReportBuilder, redact_report
from cors_audit.report.model import FindingModel, ShardModel
from cors_audit.report.spool import SpooledReport, rewrite


def run(request: RunRequest, observer: Observer) -> SpooledReport | Plan:
    """Carry out ``request``; the exit code is in ``report.gate.exit_code`` (130 when
    ``report.interrupted``). Raises ``CorsAuditError`` for anything that stops the run before
    a report (a bad input, an output that cannot be written, an interrupt while writing)."""
    check_outputs(request.outputs)
    baseline = None if request.baseline is None else load_baseline(request.baseline)
    collected = collect(request, observer)
    targets, options, notes = collected.targets, collected.options, collected.notes
    indices: Sequence[int] = range(len(targets))
    shard = None
    if request.shard is not None:
        indices = array("q", shard_targets(targets, request.shard))
        k, n = request.shard
        shard = ShardModel(index=k, count=n, total_targets=len(targets))
        targets = _subset(targets, indices)
    if request.dry_run:
        plan = make_plan(targets, request.policy, options)
        for fmt, path in request.outputs.items():
            if fmt.spec.plan:
                write_output(path, fmt.spec.stream_plan(plan))
        return plan
    started = datetime.now(UTC)
    secrets = run_secrets(options.engine.headers, options.engine.cookie, (t.url for t in targets))
    live = LiveLog.start(  # --ndjson: written as targets finish (app/live.py)
        request.outputs,
        started=started,
        targets=len(targets),
        shard=shard,
        policy=resolved_dict(request.policy),
        gate=request.gate,
        baseline=baseline,
        secrets=secrets,
        url_parameters=collected.url_parameters,
        observer=observer,
    )
    builder = ReportBuilder(
        policy=resolved_dict(request.policy),
        gate=request.gate,
        baseline=baseline,
        shard=shard,
    )
    interrupted = _scan(targets, indices, request, options, observer, live, builder)
    finished = datetime.now(UTC)
    finished_count = len(builder)
    if interrupted:
        notes.append(
            f"interrupted: {finished_count} of {len(targets)} targets had finished; the others "
            "are not in this report"
        )
    report = builder.finish(
        started_at=started, finished_at=finished, notes=notes, interrupted=interrupted
    )
    if request.verify:
        report = _verify(report, options, observer)
    # The verdict above was made on the replies as received; every output shows them redacted.
    report = redact_report(
        report,
        secrets,
        url_parameters=collected.url_parameters,
        protected=builder.protected,
    )
    live.finish(report)
    with collector_tuned():
        write_reports(report, live.others(request.outputs), json_detail=request.json_detail)
    return report


def _scan(
    targets: Sequence[Target],
    indices: Sequence[int],
    request: RunRequest,
    options: ScanOptions,
    observer: Observer,
    live: LiveLog,
    builder: ReportBuilder,
) -> bool:
    """Scan ``targets`` into ``builder`` as each one finishes (``indices``: their places in
    the whole target list); whether the scan was interrupted (then only the targets that
    finished are in the builder). Nothing holds the results: each is spooled by the builder."""
    handed = _Handed(targets)
    with observer.scanning(len(targets)) as advance, Interruptible():

        def on_target(result: TargetResult) -> None:
            index = indices[handed.position(result.target)]
            builder.add(result, index=index)
            advance(result)
            live.target(result, index)

        try:
            # Looked up on the module at each run: tests replace it (conftest.py).
            scan_module.scan(
                handed, request.policy, options, on_target=on_target, keep_results=False
            )
        except KeyboardInterrupt:
            # Ctrl-C or SIGTERM: keep what finished; the report is written, the exit is 130.
            return True
    return False


class _Handed(Sequence[Target]):
    """``targets`` as the scan pulls them, remembering the position of each one until it is
    finished (`position`). The targets are read from disk as they are pulled, so the object a
    result carries is known only from then on: this keeps one entry per target in flight, not
    one per target."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self._targets = targets
        self._in_flight: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._targets)

    @overload
    def __getitem__(self, index: int) -> Target: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Target]: ...

    def __getitem__(self, index: int | slice) -> Target | Sequence[Target]:
        return self._targets[index]

    def __iter__(self) -> Iterator[Target]:
        for position, target in enumerate(self._targets):
            self._in_flight[id(target)] = position
            yield target

    def position(self, target: Target) -> int:
        """Where ``target`` (as pulled) is in the list; forgotten once asked."""
        return self._in_flight.pop(id(target))


def _subset(targets: Sequence[Target], positions: Sequence[int]) -> Sequence[Target]:
    """The targets at ``positions``, in that order (a view of a list on disk, else a list)."""
    if isinstance(targets, RecordSequence):
        return targets.subset(positions)
    return [targets[i] for i in positions]


def _verify(report: SpooledReport, options: ScanOptions, observer: Observer) -> SpooledReport:
    """Replay every (unsuppressed) finding in a real Chromium and record what it did. The
    findings replayed are loaded together (each needs a browser page: ``--verify-browser`` is
    for the findings of a scan a person reads, not for 100 000 targets)."""
    from cors_audit.verify import replay as verify

    findings = [f for f in report.findings if not f.suppressed]
    if findings:
        observer.note(f"verifying {len(findings)} finding(s) in Chromium…")
    results = verify.verify_findings(
        findings, timeout=options.engine.timeout, insecure=options.engine.insecure
    )
    del findings
    verified = rewrite(
        report.findings,
        FindingModel,
        lambda f: f.model_copy(update={"verified": results.get(f.fingerprint)}),
    )
    return SpooledReport(head=report.head, targets=report.targets, findings=verified)


def shard_targets(targets: Sequence[Target], shard: tuple[int, int]) -> list[int]:
    """The indices of the targets in slice K of N (``shard``), by a stable hash of each."""
    k, n = shard
    return [i for i, target in enumerate(targets) if shard_of(target, n) == k]


__all__ = ["run", "shard_targets"]
