"""One report from several: the shards of one scan (``cors-audit merge``), targets in their
original order, every finding kept, scores, summary, baseline and gate recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence

from cors_audit.core.errors import UsageError
from cors_audit.report.build import GateSettings, assemble
from cors_audit.report.model import BaselineModel, FindingModel, Report, TargetModel


def merge_reports(named: Sequence[tuple[str, Report]], gate: GateSettings) -> Report:
    """One report from several (``(file name, report)``), e.g. the shards of one scan: targets
    in their original order, every finding kept, scores, summary and gate recomputed.

    Raises ``UsageError`` when the reports cannot belong to one scan: different policies, a
    shard given twice or missing, shards of different splits, the same target twice.
    """
    if not named:
        raise UsageError("merge needs at least one report")
    first_name, first = named[0]
    for name, report in named[1:]:
        if report.policy != first.policy:
            raise UsageError(
                f"{name} was made with a different policy than {first_name}; "
                "merge only the reports of one scan"
            )
    targets = _merged_targets(named)
    by_target: dict[tuple[str, str], list[FindingModel]] = {}
    for _, report in named:
        for finding in report.findings:
            by_target.setdefault((finding.url, finding.method), []).append(finding)
    findings = [f for t in targets for f in by_target.pop((t.url, t.method), [])]
    if by_target:
        url, method = next(iter(by_target))
        raise UsageError(f"a finding on {method} {url} belongs to no target of the reports")
    return assemble(
        targets,
        findings,
        policy=first.policy,
        started_at=min(report.started_at for _, report in named),
        finished_at=max(report.finished_at for _, report in named),
        gate=gate,
        baseline=_merged_baseline([report for _, report in named], findings),
        shard=None,
    )


def _merged_targets(named: Sequence[tuple[str, Report]]) -> list[TargetModel]:
    shards = [(name, report.shard) for name, report in named]
    sharded = [(name, shard) for name, shard in shards if shard is not None]
    if sharded and len(sharded) != len(shards):
        plain = next(name for name, shard in shards if shard is None)
        raise UsageError(f"{plain} is not a shard report, but the others are; merge one kind")
    targets: list[TargetModel]
    if sharded:
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
        missing = [f"{k}/{count}" for k in range(1, count + 1) if k not in seen]
        if missing:
            raise UsageError(
                f"shard(s) {', '.join(missing)} missing: the merged report would silently lack "
                "their targets"
            )
        targets = sorted((t for _, r in named for t in r.targets), key=lambda t: t.index)
    else:
        flat = [t for _, r in named for t in r.targets]
        targets = [t.model_copy(update={"index": i}) for i, t in enumerate(flat)]
    keys: set[tuple[str, str]] = set()
    for target in targets:
        key = (target.url, target.method)
        if key in keys:
            raise UsageError(f"{target.method} {target.url} appears in more than one report")
        keys.add(key)
    return targets


def _merged_baseline(
    reports: Sequence[Report], findings: Sequence[FindingModel]
) -> BaselineModel | None:
    baselines = [r.baseline for r in reports if r.baseline is not None]
    if not baselines:
        return None
    matched = {f.fingerprint for f in findings if f.suppressed}
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
