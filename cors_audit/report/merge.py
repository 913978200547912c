"""One report from several: the shards of one scan (``cors-audit merge``), targets in their
original order, every finding kept, scores, summary, baseline and gate recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from cors_audit.core.errors import UsageError
from cors_audit.report.build import GateSettings, ReportBuilder
from cors_audit.report.model import BaselineModel, FindingModel, Report, ShardModel
from cors_audit.report.spool import SpooledReport


def merge_reports(named: Sequence[tuple[str, Report]], gate: GateSettings) -> Report:
    """One report from several (``(file name, report)``), e.g. the shards of one scan: targets
    in their original order, every finding kept, scores, summary and gate recomputed (in
    memory: `merge_stream` is the same for reports read one at a time).

    Raises ``UsageError`` when the reports cannot belong to one scan: different policies, a
    shard given twice or missing, shards of different splits, the same target twice.
    """
    return merge_stream(iter(named), gate, spooled=False).materialize()


def merge_stream(
    named: Iterable[tuple[str, Report]], gate: GateSettings, *, spooled: bool = True
) -> SpooledReport:
    """`merge_reports` for reports that come one at a time (``cors-audit merge`` loads each file
    only when the previous one is spooled): each report's targets and findings go to the
    spools of a `ReportBuilder` at once, so memory holds one report, a few numbers per target
    and the set of (method, URL) keys that finds a target given twice."""
    builder = ReportBuilder(policy={}, gate=gate, spooled=spooled)
    first: tuple[str, dict[str, Any]] | None = None  # the first file's name and policy
    shards: list[tuple[str, ShardModel | None]] = []
    keys: set[tuple[str, str]] = set()
    baselines: list[BaselineModel] = []
    matched: set[str] = set()
    started: list[datetime] = []
    finished: list[datetime] = []
    flat = 0  # the next index of a target of reports that are not shards
    for name, report in named:
        if first is None:
            first = (name, report.policy)
        elif report.policy != first[1]:
            raise UsageError(
                f"{name} was made with a different policy than {first[0]}; "
                "merge only the reports of one scan"
            )
        shards.append((name, report.shard))
        _check_shards(shards, complete=False)
        started.append(report.started_at)
        finished.append(report.finished_at)
        if report.baseline is not None:
            baselines.append(report.baseline)
        flat = _add_report(builder, name, report, keys, matched, flat)
        del report  # the next file is read without this one held
    if first is None:
        raise UsageError("merge needs at least one report")
    _check_shards(shards, complete=True)
    merged = builder.finish(started_at=min(started), finished_at=max(finished))
    head = merged.head.model_copy(
        update={"policy": first[1], "baseline": _merged_baseline(baselines, matched)}
    )
    return merged.with_head(head)


def _add_report(
    builder: ReportBuilder,
    name: str,
    report: Report,
    keys: set[tuple[str, str]],
    matched: set[str],
    flat: int,
) -> int:
    """Spool ``report``'s targets (renumbered from ``flat`` when it is not a shard) with their
    findings; ``keys`` and ``matched`` (suppressed fingerprints) are added to. The next
    ``flat``."""
    by_target: dict[tuple[str, str], list[FindingModel]] = {}
    for finding in report.findings:
        by_target.setdefault((finding.url, finding.method), []).append(finding)
        if finding.suppressed:
            matched.add(finding.fingerprint)
    for target in report.targets:
        key = (target.url, target.method)
        if key in keys:
            raise UsageError(f"{target.method} {target.url} appears in more than one report")
        keys.add(key)
        if report.shard is None:
            target = target.model_copy(update={"index": flat})
            flat += 1
        builder.add_models(target, by_target.pop(key, []))
    if by_target:
        url, method = next(iter(by_target))
        raise UsageError(f"a finding on {method} {url} belongs to no target of {name}")
    return flat


def _check_shards(shards: Sequence[tuple[str, ShardModel | None]], *, complete: bool) -> None:
    """The reports read so far are one kind (shards or not) and, if shards, of one split, each
    once; ``complete``: every shard of the split is there. Checked as each report is read, so
    the first problem is named before the next file is loaded."""
    kinds = {shard is None for _, shard in shards}
    if len(kinds) > 1:
        plain = next(name for name, shard in shards if shard is None)
        raise UsageError(f"{plain} is not a shard report, but the others are; merge one kind")
    sharded = [(name, shard) for name, shard in shards if shard is not None]
    if not sharded:
        return
    counts = {(shard.count, shard.total_targets) for _, shard in sharded}
    if len(counts) > 1:
        raise UsageError("the shard reports come from different --shard N or target lists")
    count = sharded[0][1].count
    seen: dict[int, str] = {}
    for name, shard in sharded:
        if shard.index in seen:
            raise UsageError(
                f"shard {shard.index}/{count} is given twice ({seen[shard.index]}, {name})"
            )
        seen[shard.index] = name
    if not complete:
        return
    missing = [f"{k}/{count}" for k in range(1, count + 1) if k not in seen]
    if missing:
        raise UsageError(
            f"shard(s) {', '.join(missing)} missing: the merged report would silently lack "
            "their targets"
        )


def _merged_baseline(baselines: Sequence[BaselineModel], matched: set[str]) -> BaselineModel | None:
    """The shards' baseline sections as one (``matched``: the suppressed findings'
    fingerprints)."""
    if not baselines:
        return None
    expired = {e.fingerprint: e for b in baselines for e in b.expired}
    outgrown = {e.fingerprint: e for b in baselines for e in b.outgrown}
    fixed = {
        e.fingerprint: e
        for b in baselines
        for e in b.fixed
        if e.fingerprint not in matched and e.fingerprint not in expired | outgrown.keys()
    }
    return BaselineModel(
        path=baselines[0].path,
        entries=baselines[0].entries,
        suppressed=len(matched),
        outgrown=list(outgrown.values()),
        notes=list(dict.fromkeys(note for b in baselines for note in b.notes)),
        expired=list(expired.values()),
        fixed=list(fixed.values()),
    )
