"""Scan results → `Report`: evidence and finding models, scores, observed summaries, stack and
remediation per target, baseline suppression and the gate, and output-time redaction of secrets
(``redact_report``). `ReportBuilder` takes one finished target at a time, in any order, and
spools its models (``report/spool.py``: the only I/O here, to anonymous temporary files);
``build_report`` is the same in memory, and ``assemble`` recomputes the derived numbers of
models put together by hand (tests).
"""

from __future__ import annotations

import math
import statistics
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final, Generic, NamedTuple, TypeVar, overload

from pydantic import BaseModel

from cors_audit import __version__
from cors_audit.core.models import (
    EffectivePolicy,
    Exchange,
    Exploitability,
    Finding,
    Headers,
    ScanError,
    Severity,
    TargetResult,
)
from cors_audit.core.redaction import Redactor, Secret
from cors_audit.core.wire import url_origin
from cors_audit.fixes.remediation import remediation_for
from cors_audit.fixes.stack import Stack, StackGuess, detect_stack
from cors_audit.inputs.settings import FAIL_ON
from cors_audit.judging import scoring
from cors_audit.judging.observed import observe
from cors_audit.judging.rules.catalogue import RULES_BY_ID
from cors_audit.report.baseline import (
    Baseline,
    BaselineEntry,
    BaselineOutcome,
    apply_baseline,
    outgrowth,
)
from cors_audit.report.model import (
    BaselineEntryModel,
    BaselineModel,
    CookieModel,
    ErrorModel,
    EvidenceModel,
    ExploitabilityModel,
    FindingModel,
    GateModel,
    HeaderModel,
    ObservedModel,
    OutgrownEntryModel,
    RemediationModel,
    Report,
    RequestModel,
    RequestStatsModel,
    ResponseModel,
    ShardModel,
    StackModel,
    SummaryModel,
    SuppressionModel,
    TargetModel,
    ToolModel,
)
from cors_audit.report.spool import Spool, SpooledReport, SpooledSequence, rewrite

_M = TypeVar("_M", bound=BaseModel)


def request_stats(counts: Sequence[int]) -> RequestStatsModel | None:
    """Min, median, 90th percentile, max and mean of ``counts`` (``None`` when empty)."""
    if not counts:
        return None
    ordered = sorted(counts)
    return RequestStatsModel(
        min=ordered[0],
        median=float(statistics.median(ordered)),
        p90=ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)],
        max=ordered[-1],
        mean=round(sum(ordered) / len(ordered), 2),
    )


def _headers(headers: Headers) -> list[HeaderModel]:
    return [_header(name, value) for name, value in headers]


@lru_cache(maxsize=4096)
def _header(name: str, value: str) -> HeaderModel:
    # The models are frozen, so every evidence list may share one per distinct line: a large
    # scan's replies repeat the same few dozen lines thousands of times.
    return HeaderModel(name=name, value=value)


def _error(error: ScanError | None) -> ErrorModel | None:
    return None if error is None else ErrorModel(kind=error.kind.value, message=error.message)


def evidence_model(exchange: Exchange) -> EvidenceModel:
    """The JSON form of one exchange."""
    probe = exchange.probe
    response = exchange.response
    return EvidenceModel(
        kind=probe.kind.value,
        purpose=probe.purpose,
        origin=probe.origin.value if probe.origin else None,
        origin_class=probe.origin.cls.value if probe.origin else None,
        credentialed=probe.credentialed,
        request=RequestModel(
            method=exchange.request.method,
            url=exchange.request.url,
            headers=_headers(exchange.request.headers),
        ),
        response=None
        if response is None
        else ResponseModel(
            status=response.status,
            reason=response.reason,
            http_version=response.http_version,
            headers=_headers(response.headers),
            body_bytes=response.body_bytes,
            body_truncated=response.body_truncated,
            body_sha256=response.body_sha256,
        ),
        error=_error(exchange.error),
        elapsed_ms=round(exchange.elapsed_ms, 3),
    )


def finding_model(
    finding: Finding,
    remediation: Sequence[RemediationModel] = (),
    evidence: dict[int, EvidenceModel] | None = None,
) -> FindingModel:
    """The JSON form of one finding. ``evidence`` (exchange id → model, one per report build)
    lets the findings that cite one exchange share its model: the models are frozen, and a large
    report would otherwise hold each cited exchange once per finding."""
    shared = {} if evidence is None else evidence
    return FindingModel(
        rule=finding.rule,
        severity=finding.severity,
        url=finding.url,
        method=finding.method,
        origin=finding.origin,
        title=finding.title,
        detail=finding.detail,
        fix=finding.fix,
        curl=finding.curl,
        fingerprint=finding.fingerprint,
        cwe=RULES_BY_ID[finding.rule].cwe,
        credentialed=finding.credentialed,
        cors_error=finding.cors_error,
        folded=list(finding.folded),
        evidence=[_shared_evidence(exchange, shared) for exchange in finding.evidence],
        latent=finding.latent,
        exploitability=_exploitability(finding.exploitability),
        remediation=list(remediation),
    )


def _shared_evidence(exchange: Exchange, shared: dict[int, EvidenceModel]) -> EvidenceModel:
    model = shared.get(id(exchange))
    if model is None:
        model = shared[id(exchange)] = evidence_model(exchange)
    return model


def _exploitability(context: Exploitability | None) -> ExploitabilityModel | None:
    if context is None:
        return None
    return ExploitabilityModel(
        cookies=[
            CookieModel(name=c.name, same_site=c.same_site, secure=c.secure, http_only=c.http_only)
            for c in context.cookies
        ],
        cross_site_cookies=context.cross_site_cookies,
        http_auth=context.http_auth,
        hsts=context.hsts,
        content_type=context.content_type,
        per_user=context.per_user,
    )


_DEFAULT_FAIL_ON: Final = Severity(FAIL_ON.default)


@dataclass(frozen=True, slots=True)
class GateSettings:
    """How the run is gated (``--fail-on``, ``--allow-errors``)."""

    fail_on: Severity | None = _DEFAULT_FAIL_ON
    allow_errors: bool = False


def build_report(
    results: Sequence[TargetResult],
    *,
    policy: dict[str, Any],
    started_at: datetime,
    finished_at: datetime,
    gate: GateSettings | None = None,
    baseline: Baseline | None = None,
    today: date | None = None,
    shard: ShardModel | None = None,
    indices: Sequence[int] | None = None,
) -> Report:
    """Assemble the report from per-target results (order kept), in memory. ``indices`` are
    the targets' positions in the whole (unsharded) target list; ``today`` decides baseline
    expiry. A scan's run uses `ReportBuilder` with a spool instead (same report, on disk)."""
    builder = ReportBuilder(
        policy=policy, gate=gate, baseline=baseline, today=today, shard=shard, spooled=False
    )
    for i, result in enumerate(results):
        builder.add(result, index=i if indices is None else indices[i])
    return builder.finish(started_at=started_at, finished_at=finished_at).materialize()


class _Kept(Generic[_M]):
    """A `Spool`'s interface over a list: what `ReportBuilder` uses for small reports."""

    def __init__(self) -> None:
        self.items: list[_M] = []

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: _M) -> int:
        self.items.append(item)
        return len(self.items) - 1


class _Placed(NamedTuple):
    """Where one added target's records are: its place in the report and its record numbers."""

    position: int
    target: int
    first_finding: int
    findings: int


class _Severe(NamedTuple):
    """A stand-in finding for `scoring.overall_score`, which reads rule and severity only."""

    rule: str
    severity: Severity


class ReportBuilder:
    """The report built one finished target at a time, in any order (`add`), then completed
    (`finish`): each target's models are made, baseline-suppressed and scored as it comes and
    then written to a `Spool` (``spooled``, a scan's run) or kept in lists (`build_report`).
    What stays in memory per target is a few numbers (`_Placed`, its score and request count),
    plus the origins the redactor must leave alone and, for baseline fingerprints only, the
    finding that matched. The result is the one `build_report` makes from the same results."""

    def __init__(
        self,
        *,
        policy: dict[str, Any],
        gate: GateSettings | None = None,
        baseline: Baseline | None = None,
        today: date | None = None,
        shard: ShardModel | None = None,
        spooled: bool = True,
    ) -> None:
        self._policy = policy
        self._gate = gate or GateSettings()
        self._baseline = baseline
        self._today = today or date.today()
        self._shard = shard
        self._targets: Spool[TargetModel] | _Kept[TargetModel] = (
            Spool(TargetModel) if spooled else _Kept()
        )
        self._findings: Spool[FindingModel] | _Kept[FindingModel] = (
            Spool(FindingModel) if spooled else _Kept()
        )
        self._placed: list[_Placed] = []
        self._entries = {} if baseline is None else {e.fingerprint: e for e in baseline.entries}
        self._entry_urls = {e.url for e in self._entries.values() if e.url is not None}
        self._present: dict[str, FindingModel] = {}
        """Findings whose fingerprint is in the baseline (the last one seen of each)."""
        self._scanned: set[str] = set()
        """URLs scanned without error that some baseline entry names."""
        self._by_severity = {severity.value: 0 for severity in Severity}
        self._severities: set[Severity] = set()
        self._suppressed = 0
        self._failing = 0
        self._errors = 0
        self._incomplete = 0
        self._graded: list[int] = []
        self._requests: list[int] = []
        self.protected: set[str] = set()
        """The origins the verdict used (see `redact_report`): left alone by the redactor."""

    def __len__(self) -> int:
        """How many targets were added."""
        return len(self._placed)

    def add(self, result: TargetResult, *, index: int) -> tuple[TargetModel, list[FindingModel]]:
        """Add one finished target (``index``: its place in the whole target list, which orders
        the report); its target and finding models as written."""
        guess = None if result.error else _stack(result)
        evidence: dict[int, EvidenceModel] = {}  # the findings citing one exchange share it
        findings = [
            self._suppressed_model(finding_model(f, _remediation(f.rule, guess, result), evidence))
            for f in result.findings
        ]
        target = TargetModel(
            index=index,
            url=result.target.url,
            method=result.target.method,
            site_origin=result.target.origin,
            source=result.target.source,
            score=0,
            grade=scoring.NO_GRADE,
            error=_error(result.error),
            incomplete=result.incomplete,
            requests=result.requests,
            findings=0,
            policy_free=result.policy.policy_free,
            notes=list(result.notes),
            observed=None if result.error else _observed(result),
            stack=None
            if guess is None
            else StackModel(
                name=guess.name.value, confidence=guess.confidence, evidence=list(guess.evidence)
            ),
        )
        return self.add_models(target, findings), findings

    def add_models(self, target: TargetModel, findings: Sequence[FindingModel]) -> TargetModel:
        """Add one target's models as they stand (``target.index`` orders the report; its score,
        grade and finding count are computed here from ``findings``, whose suppression is kept
        as it is): `add` for a scan, ``merge`` for reports read back. The target as written."""
        active = [f for f in findings if not f.suppressed]
        ungradable = target.error is not None or target.incomplete
        score = 0 if ungradable else scoring.target_score(active)
        target = target.model_copy(
            update={
                "score": score,
                "grade": scoring.NO_GRADE if ungradable else scoring.grade_for(score),
                "findings": len(active),
            }
        )
        self._tally(target, findings, active)
        record = self._targets.add(target)
        first = len(self._findings)
        for finding in findings:
            self._findings.add(finding)
        self._placed.append(_Placed(target.index, record, first, len(findings)))
        return target

    def _suppressed_model(self, finding: FindingModel) -> FindingModel:
        entry = self._entries.get(finding.fingerprint)
        if entry is None:
            return finding
        self._present[finding.fingerprint] = finding
        if entry.expired(self._today) or outgrowth(entry, finding) is not None:
            return finding
        return _suppress(finding, entry)

    def _tally(
        self, target: TargetModel, findings: Sequence[FindingModel], active: list[FindingModel]
    ) -> None:
        for finding in active:
            self._by_severity[finding.severity.value] += 1
            self._severities.add(finding.severity)
        self._suppressed += len(findings) - len(active)
        self._failing += scoring.failing(active, self._gate.fail_on)
        self._requests.append(target.requests)
        if target.error is not None:
            self._errors += 1
        elif target.incomplete:
            self._incomplete += 1
        else:
            self._graded.append(target.score)
            if target.url in self._entry_urls:
                self._scanned.add(target.url)
        _protect(self.protected, target, findings)

    def finish(
        self,
        *,
        started_at: datetime,
        finished_at: datetime,
        notes: Sequence[str] = (),
        interrupted: bool = False,
    ) -> SpooledReport:
        """The report of every target added, in target order."""
        placed = sorted(self._placed)
        targets = array("q", (p.target for p in placed))
        findings = array(
            "q",
            (n for p in placed for n in range(p.first_finding, p.first_finding + p.findings)),
        )
        gate = self._gate
        count = len(placed)
        # No target could be graded: "A 100" would read as a clean scan.
        ungraded = bool(count) and not self._graded
        score = (
            0
            if ungraded
            else scoring.overall_score(self._graded, [_Severe("", s) for s in self._severities])
        )
        head = Report(
            tool=ToolModel(version=__version__),
            started_at=started_at,
            finished_at=finished_at,
            policy=self._policy,
            summary=SummaryModel(
                targets=count,
                findings=sum(self._by_severity.values()),
                suppressed=self._suppressed,
                by_severity=dict(self._by_severity),
                score=score,
                grade=scoring.NO_GRADE if ungraded else scoring.grade_for(score),
                errors=self._errors,
                incomplete=self._incomplete,
                requests=sum(self._requests),
                requests_per_target=request_stats(self._requests),
            ),
            gate=GateModel(
                fail_on="never" if gate.fail_on is None else gate.fail_on.value,
                allow_errors=gate.allow_errors,
                failing=self._failing,
                # An incomplete target counts as an error: a budget cut its plan short, so a
                # clean result there proves nothing.
                exit_code=scoring.exit_code(
                    self._failing, self._errors + self._incomplete, allow_errors=gate.allow_errors
                ).value,
            ),
            baseline=self._baseline_model(),
            shard=self._shard,
            targets=[],
            findings=[],
            notes=list(notes),
            interrupted=interrupted,
        )
        return SpooledReport(
            head=head,
            targets=_sequence(self._targets, targets),
            findings=_sequence(self._findings, findings),
        )

    def _baseline_model(self) -> BaselineModel | None:
        baseline = self._baseline
        if baseline is None:
            return None
        outcome = apply_baseline(baseline, self._present.values(), self._scanned, self._today)
        return BaselineModel(
            path=baseline.path,
            entries=len(baseline.entries),
            suppressed=self._suppressed,
            outgrown=[
                OutgrownEntryModel(**_entry(e).model_dump(), note=why)
                for e, why in outcome.outgrown.values()
            ],
            notes=_baseline_notes(outcome),
            expired=[_entry(e) for e in outcome.expired],
            fixed=[_entry(e) for e in outcome.fixed],
        )


def _sequence(store: Spool[_M] | _Kept[_M], order: array[int]) -> Sequence[_M]:
    if isinstance(store, _Kept):
        return [store.items[i] for i in order]
    return SpooledSequence(store, order)


def _remediation(
    rule: str, guess: StackGuess | None, result: TargetResult
) -> tuple[RemediationModel, ...]:
    name = Stack.UNKNOWN if guess is None else guess.name
    return _remediation_models(rule, name, result.policy)


@lru_cache(maxsize=1024)
def _remediation_models(
    rule: str, name: Stack, policy: EffectivePolicy
) -> tuple[RemediationModel, ...]:
    # Shared (frozen) models: a large scan has thousands of findings but a handful of distinct
    # (rule, stack, policy) fixes, and the snippets are most of a report's text.
    return tuple(
        RemediationModel(
            stack=str(r.stack),
            title=r.title,
            language=r.language,
            snippet=r.snippet,
            notes=list(r.notes),
        )
        for r in remediation_for(rule, name, policy)
    )


def _stack(result: TargetResult) -> StackGuess:
    # The scan guesses before it lets go of the exchanges; results built otherwise carry them.
    return result.stack if result.stack is not None else detect_stack(result.exchanges)


def _observed(result: TargetResult) -> ObservedModel:
    seen = result.observed if result.observed is not None else observe(result.exchanges)
    return ObservedModel(
        allowed_origins=list(seen.allowed_origins),
        credentialed_origins=list(seen.credentialed_origins),
        untrusted_allowed=list(seen.untrusted_allowed),
        wildcard=seen.wildcard,
        methods=list(seen.methods),
        headers=list(seen.headers),
        exposed=list(seen.exposed),
        max_age=seen.max_age,
        private_network=seen.private_network,
        discovered=list(seen.discovered),
    )


def _suppress(finding: FindingModel, entry: BaselineEntry | None) -> FindingModel:
    if entry is None:
        return finding
    return finding.model_copy(
        update={
            "suppressed": True,
            "suppression": SuppressionModel(reason=entry.reason, expires=entry.expires),
        }
    )


def _baseline_notes(outcome: BaselineOutcome) -> list[str]:
    if not outcome.unrated:
        return []
    return [
        f"{len(outcome.unrated)} baseline entr{'y' if len(outcome.unrated) == 1 else 'ies'} "
        "record no severity or credentials (an older baseline): they suppress as before but "
        "cannot notice a finding getting worse; re-create the baseline with `baseline create`"
    ]


def _entry(entry: BaselineEntry) -> BaselineEntryModel:
    return BaselineEntryModel(
        fingerprint=entry.fingerprint,
        reason=entry.reason,
        expires=entry.expires,
        rule=entry.rule,
        url=entry.url,
    )


def assemble(
    targets: Sequence[TargetModel],
    findings: Sequence[FindingModel],
    *,
    policy: dict[str, Any],
    started_at: datetime,
    finished_at: datetime,
    gate: GateSettings,
    baseline: BaselineModel | None,
    shard: ShardModel | None,
) -> Report:
    """The report with every derived number (target scores and grades, summary, gate) computed
    from ``targets`` and ``findings``: used for a fresh scan and to merge shard reports.
    Suppressed findings cost no score and never fail the gate."""
    active = [f for f in findings if not f.suppressed]
    per_target: dict[tuple[str, str], list[FindingModel]] = {}
    for finding in active:
        per_target.setdefault((finding.url, finding.method), []).append(finding)
    scored: list[TargetModel] = []
    for target in targets:
        own = per_target.get((target.url, target.method), [])
        ungradable = target.error is not None or target.incomplete
        score = 0 if ungradable else scoring.target_score(own)
        scored.append(
            target.model_copy(
                update={
                    "score": score,
                    "grade": scoring.NO_GRADE if ungradable else scoring.grade_for(score),
                    "findings": len(own),
                }
            )
        )
    by_severity = {severity.value: 0 for severity in Severity}
    for finding in active:
        by_severity[finding.severity.value] += 1
    errors = sum(1 for t in scored if t.error is not None)
    incomplete = sum(1 for t in scored if t.error is None and t.incomplete)
    graded = [t.score for t in scored if t.error is None and not t.incomplete]
    # No target could be graded: "A 100" would read as a clean scan.
    ungraded = bool(scored) and not graded
    score = 0 if ungraded else scoring.overall_score(graded, active)
    failing = scoring.failing(active, gate.fail_on)
    return Report(
        tool=ToolModel(version=__version__),
        started_at=started_at,
        finished_at=finished_at,
        policy=policy,
        summary=SummaryModel(
            targets=len(scored),
            findings=len(active),
            suppressed=len(findings) - len(active),
            by_severity=by_severity,
            score=score,
            grade=scoring.NO_GRADE if ungraded else scoring.grade_for(score),
            errors=errors,
            incomplete=incomplete,
            requests=sum(t.requests for t in scored),
            requests_per_target=request_stats([t.requests for t in scored]),
        ),
        gate=GateModel(
            fail_on="never" if gate.fail_on is None else gate.fail_on.value,
            allow_errors=gate.allow_errors,
            failing=failing,
            # An incomplete target counts as an error: a budget cut its plan short, so a clean
            # result there proves nothing.
            exit_code=scoring.exit_code(
                failing, errors + incomplete, allow_errors=gate.allow_errors
            ).value,
        ),
        baseline=baseline,
        shard=shard,
        targets=scored,
        findings=list(findings),
    )


@overload
def redact_report(report: Report, secrets: Sequence[Secret], *, url_parameters: bool) -> Report: ...


@overload
def redact_report(
    report: SpooledReport,
    secrets: Sequence[Secret],
    *,
    url_parameters: bool,
    protected: set[str] | None = None,
) -> SpooledReport: ...


def redact_report(
    report: Report | SpooledReport,
    secrets: Sequence[Secret],
    *,
    url_parameters: bool,
    protected: set[str] | None = None,
) -> Report | SpooledReport:
    """The report as every writer must see it: secrets replaced by ``<redacted>`` in every text
    field, except inside the origins and protocol tokens the verdict used (``protected``, or
    gathered from the report), with notes saying what was redacted and what had to be left
    (``core/redaction.py``). Call it after the verdict (gate, scores, baseline, browser
    verification) is made: those need the raw values. A spooled report is redacted into new
    spools, one item at a time."""
    found = protected if protected is not None else _protected(report)
    redactor = Redactor(
        secrets, protected=_with_trusted(found, report.policy), url_parameters=url_parameters
    )
    if not redactor:
        return report
    if isinstance(report, Report):
        redacted = redactor.model(report)
    else:
        targets = rewrite(report.targets, TargetModel, redactor.model)
        findings = rewrite(report.findings, FindingModel, redactor.model)
        redacted_head = redactor.model(report.head)
        notes = [n for n in redactor.notes() if n not in redacted_head.notes]
        head = redacted_head.model_copy(update={"notes": [*redacted_head.notes, *notes]})
        return SpooledReport(head=head, targets=targets, findings=findings)
    notes = [n for n in redactor.notes() if n not in redacted.notes]
    if notes:
        redacted = redacted.model_copy(update={"notes": [*redacted.notes, *notes]})
    return redacted


def _protect(found: set[str], target: TargetModel, findings: Iterable[FindingModel]) -> None:
    """Add the origins the verdict used on ``target`` to ``found``: its own and site origins,
    the observed origins, every probe origin of its findings."""
    found.update((target.site_origin, url_origin(target.url)))
    if target.observed is not None:
        seen = target.observed
        found.update(seen.allowed_origins, seen.credentialed_origins, seen.untrusted_allowed)
        found.update(seen.discovered)
    _protect_findings(found, findings)


def _protected(report: Report | SpooledReport) -> set[str]:
    """The origins the verdict used, over the whole report (see `_protect`)."""
    found: set[str] = set()
    for target in report.targets:
        _protect(found, target, ())
    _protect_findings(found, report.findings)
    return found


def _protect_findings(found: set[str], findings: Iterable[FindingModel]) -> None:
    for finding in findings:
        if finding.origin:
            found.add(finding.origin)
        found.update(e.origin for e in finding.evidence if e.origin)


def _with_trusted(found: set[str], policy: dict[str, Any]) -> set[str]:
    """``found`` and the policy's trusted origins."""
    trusted = policy.get("trusted_origins")
    if isinstance(trusted, list):
        return found | {o for o in trusted if isinstance(o, str)}
    return found
