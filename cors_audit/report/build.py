"""The Report model: the JSON contract (``schema_version`` "1") every output is rendered from.

``build_report`` turns scan results into one frozen pydantic ``Report``; the formats only read
it. The JSON Schema shipped in ``cors_audit/formats/schema/report-v1.schema.json`` is generated from
this model (``json_schema()``) and a test keeps the file in sync. Nothing here does I/O.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cors_audit import __version__
from cors_audit.core.errors import UsageError
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
from cors_audit.fixes.remediation import remediation_for
from cors_audit.fixes.stack import Stack, StackGuess, detect_stack
from cors_audit.judging import scoring
from cors_audit.judging.observed import observe
from cors_audit.judging.rules.catalogue import RULES_BY_ID
from cors_audit.report.baseline import Baseline, BaselineEntry, BaselineOutcome, apply_baseline

SCHEMA_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HeaderModel(_Model):
    """One header line, in wire order; repeated names stay repeated."""

    name: str
    value: str


class ErrorModel(_Model):
    """Why a request or a target failed."""

    kind: str = Field(
        description="dns, connect, tls, timeout, reset, protocol, too-large, proxy or other"
    )
    message: str


class RequestModel(_Model):
    """A request as sent; user secrets appear only as `<redacted>`."""

    method: str
    url: str
    headers: list[HeaderModel]


class ResponseModel(_Model):
    """A response head and a digest of its (capped) body."""

    status: int
    reason: str
    http_version: str
    headers: list[HeaderModel]
    body_bytes: int
    body_truncated: bool
    body_sha256: str | None


class EvidenceModel(_Model):
    """One exchange that supports a finding."""

    kind: Literal["actual", "preflight", "private-network-preflight"]
    purpose: str
    origin: str | None
    origin_class: str | None
    credentialed: bool
    request: RequestModel
    response: ResponseModel | None
    error: ErrorModel | None
    elapsed_ms: float


class SuppressionModel(_Model):
    """Why a finding is suppressed (its baseline entry)."""

    reason: str
    expires: date | None


class VerificationModel(_Model):
    """What a real browser did when the finding was replayed (``--verify-browser``)."""

    browser: str = Field(description='e.g. "Chromium 156.0.8078.108"')
    result: Literal["confirmed", "not-reproduced", "error"]
    cors_error: str | None = Field(
        description="DevTools Network.CorsError name when the browser blocked the request."
    )
    detail: str


class RemediationModel(_Model):
    """A configuration snippet that fixes the finding for one stack."""

    stack: str = Field(description='"nginx", "express-cors", "starlette", … or "generic".')
    title: str
    language: str = Field(description="Syntax of the snippet: nginx, javascript, python, …")
    snippet: str
    notes: list[str] = Field(default_factory=list)


class CookieModel(_Model):
    """A cookie the target sets and the attributes that decide cross-site sending."""

    name: str
    same_site: str
    secure: bool
    http_only: bool


class ExploitabilityModel(_Model):
    """The severity factors the replies revealed (BROWSER-MODEL.md §6.0)."""

    cookies: list[CookieModel]
    cross_site_cookies: bool | None = Field(
        description="Some cookie is SameSite=None; Secure (sent cross-site by Chromium); "
        "null when the target set no cookie."
    )
    http_auth: bool
    hsts: bool | None
    content_type: str | None
    per_user: bool | None = Field(
        description="The credentialed reply differed from an anonymous one; null when no "
        "credentials were given."
    )


class FindingModel(_Model):
    """One rule violation on one URL; flat so dashboards need not walk targets."""

    rule: str
    severity: Severity
    url: str
    method: str
    origin: str | None
    title: str
    detail: str
    fix: str
    curl: str
    fingerprint: str
    cwe: str
    credentialed: bool
    cors_error: str | None
    folded: list[str]
    evidence: list[EvidenceModel]
    latent: bool = Field(
        default=False,
        description="True when an invalid or missing Access-Control-Allow-Origin keeps the "
        "browser from reaching this problem today: it applies once that header is fixed "
        "(severity one level lower).",
    )
    suppressed: bool = False
    """True when a baseline entry accepts this finding: it never fails the gate or costs score."""
    suppression: SuppressionModel | None = None
    exploitability: ExploitabilityModel | None = None
    verified: VerificationModel | None = None
    remediation: list[RemediationModel] = Field(
        default_factory=list,
        description="Fix snippets: the detected stack's first, then a generic one.",
    )


class ObservedModel(_Model):
    """What the target's CORS configuration does today (description, not judgement)."""

    allowed_origins: list[str] = Field(
        description="Trusted origins (the policy's or the target's own) that passed the CORS check."
    )
    credentialed_origins: list[str]
    untrusted_allowed: list[str] = Field(
        description="Attacker-class probe origins that passed (each one is behind a finding)."
    )
    wildcard: bool
    methods: list[str]
    headers: list[str]
    exposed: list[str]
    max_age: int | None
    private_network: bool
    discovered: list[str] = Field(
        default_factory=list,
        description="Origins that discovery found the server admits beyond the trusted ones: "
        "first-party candidates (apex, www., app., admin., …) and local development servers. "
        "Together with allowed_origins this is the server's allowlist as seen from outside; "
        "empty when any origin is let in.",
    )


class StackModel(_Model):
    """The server stack guessed from the replies (never changes a finding)."""

    name: str = Field(description='"nginx", "express-cors", "starlette", … or "unknown".')
    confidence: float = Field(ge=0, le=1)
    evidence: list[str]


class TargetModel(_Model):
    """One scanned URL and its outcome."""

    index: int = Field(
        description="Position in the whole target list (before --shard), for merging shards."
    )
    url: str
    method: str
    site_origin: str
    source: str
    score: int
    grade: str
    error: ErrorModel | None
    incomplete: bool = Field(
        default=False,
        description="The plan was cut short by a request budget (--max-requests-per-target, "
        "--max-requests): findings stand, but the target has no grade (`-`) and counts as an "
        "error for the exit code; a note says how many planned probes were not sent.",
    )
    requests: int
    findings: int = Field(description="Findings on this target, suppressed ones excluded.")
    policy_free: bool
    notes: list[str]
    stack: StackModel | None = None
    observed: ObservedModel | None = None


class RequestStatsModel(_Model):
    """How many requests the targets needed (errored targets included): a correct dynamic
    allowlist needs about 28, a target without CORS or with a static one about 10 (README
    "Performance")."""

    min: int
    median: float
    p90: int = Field(description="90th percentile (nearest rank).")
    max: int
    mean: float = Field(description="Rounded to two decimals.")


class SummaryModel(_Model):
    """Totals over the whole scan; suppressed findings are counted only in ``suppressed``."""

    targets: int
    findings: int
    suppressed: int
    by_severity: dict[str, int]
    score: int = Field(description="0 when no target could be scanned (grade `-`).")
    grade: str = Field(
        description='A to F; "-" when no target could be scanned (or every one is incomplete).'
    )
    errors: int
    incomplete: int = Field(
        default=0,
        description="Targets whose plan a request budget cut short; they count as errors for "
        "the exit code.",
    )
    requests: int
    requests_per_target: RequestStatsModel | None = Field(
        default=None, description="The distribution of requests over targets; null: no target."
    )


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


class GateModel(_Model):
    """The CI gate: what fails the run and how the run ended."""

    fail_on: Literal["critical", "high", "medium", "low", "info", "never"]
    allow_errors: bool
    failing: int = Field(description="Unsuppressed findings at or above fail_on.")
    exit_code: Literal[0, 1, 3]


class BaselineEntryModel(_Model):
    """A baseline entry as listed in the report."""

    fingerprint: str
    reason: str
    expires: date | None
    rule: str | None
    url: str | None


class OutgrownEntryModel(BaselineEntryModel):
    """A baseline entry whose finding got worse than the entry accepted."""

    note: str = Field(description="How the finding outgrew the entry.")


class BaselineModel(_Model):
    """What the baseline (``--baseline``) did."""

    path: str
    entries: int
    suppressed: int
    outgrown: list[OutgrownEntryModel] = Field(
        default_factory=list,
        description="Entries whose finding is now more severe, or credentialed where the entry "
        "was not: the finding is not suppressed and counts for the gate.",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="Warnings about the baseline, e.g. entries recording no severity.",
    )
    expired: list[BaselineEntryModel] = Field(
        description="Entries past their expiry date: they suppress nothing any more."
    )
    fixed: list[BaselineEntryModel] = Field(
        description="Entries whose finding is gone although the URL was scanned."
    )


class ShardModel(_Model):
    """Which slice of the targets this report covers (``--shard K/N``)."""

    index: int = Field(ge=1)
    count: int = Field(ge=1)
    total_targets: int = Field(description="Targets before sharding.")


class ToolModel(_Model):
    """Which program wrote the report."""

    name: Literal["cors-audit"] = "cors-audit"
    version: str


class Report(_Model):
    """The whole report (JSON contract, schema_version "1")."""

    schema_version: Literal["1"] = "1"
    tool: ToolModel
    started_at: datetime
    finished_at: datetime
    policy: dict[str, Any]
    summary: SummaryModel
    gate: GateModel
    baseline: BaselineModel | None = None
    shard: ShardModel | None = None
    targets: list[TargetModel]
    findings: list[FindingModel]
    notes: list[str] = Field(
        default_factory=list,
        description="Run notes: skipped imports, origins seen in a HAR (candidates, never "
        "trusted automatically), …",
    )
    interrupted: bool = Field(
        default=False,
        description="True when the scan was stopped (Ctrl-C, SIGTERM); results cover what "
        "finished.",
    )

    def to_json(self) -> str:
        """The report as pretty-printed JSON text."""
        return self.model_dump_json(indent=2) + "\n"


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


@dataclass(frozen=True, slots=True)
class GateSettings:
    """How the run is gated (``--fail-on``, ``--allow-errors``)."""

    fail_on: Severity | None = Severity.HIGH
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
    """Assemble the report from per-target results (order kept). ``indices`` are the targets'
    positions in the whole (unsharded) target list; ``today`` decides baseline expiry."""
    guesses = [None if r.error else _stack(r) for r in results]
    evidence: dict[int, EvidenceModel] = {}  # the results stay alive meanwhile: ids are unique
    findings = [
        finding_model(f, _remediation(f.rule, guess, result), evidence)
        for result, guess in zip(results, guesses, strict=True)
        for f in result.findings
    ]
    targets = [
        TargetModel(
            index=i if indices is None else indices[i],
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
        for i, (result, guess) in enumerate(zip(results, guesses, strict=True))
    ]
    baseline_model = None
    if baseline is not None:
        # An incomplete scan cannot tell that a baselined finding is gone.
        scanned = {t.url for t in targets if t.error is None and not t.incomplete}
        outcome = apply_baseline(baseline, findings, scanned, today or date.today())
        findings = [_suppress(f, outcome.suppressed.get(f.fingerprint)) for f in findings]
        baseline_model = BaselineModel(
            path=baseline.path,
            entries=len(baseline.entries),
            suppressed=sum(1 for f in findings if f.suppressed),
            outgrown=[
                OutgrownEntryModel(**_entry(e).model_dump(), note=why)
                for e, why in outcome.outgrown.values()
            ],
            notes=_baseline_notes(outcome),
            expired=[_entry(e) for e in outcome.expired],
            fixed=[_entry(e) for e in outcome.fixed],
        )
    return assemble(
        targets,
        findings,
        policy=policy,
        started_at=started_at,
        finished_at=finished_at,
        gate=gate or GateSettings(),
        baseline=baseline_model,
        shard=shard,
    )


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


def incomplete_reason(target: TargetModel) -> str:
    """Why a target is incomplete: its note saying which planned probes were not sent."""
    return next(
        (note for note in target.notes if note.startswith("Incomplete:")),
        "a request budget cut its plan short",
    )


def load_report(path: Path) -> Report:
    """A JSON report written by ``--json``; raises ``UsageError`` naming the file and what is
    wrong (unreadable, not JSON, another schema version, a field that does not fit)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: report file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the report: {exc}") from None
    try:
        report = Report.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise UsageError(
                f"{path}: not a JSON file ({first['msg']}); expected a report written by --json"
            ) from None
        pointer = "/" + "/".join(str(part) for part in first["loc"])
        version = first["loc"] == ("schema_version",)
        hint = (
            f"schema_version {SCHEMA_VERSION!r}, written by this version of cors-audit"
            if version
            else "a report written by cors-audit --json"
        )
        raise UsageError(
            f"{path}: {pointer}: {first['msg']} ({len(exc.errors())} problem(s); expected {hint})"
        ) from None
    if "schema_version" not in report.model_fields_set:
        raise UsageError(
            f"{path}: no schema_version; expected a report written by cors-audit --json "
            f"(schema_version {SCHEMA_VERSION!r})"
        )
    return report


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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the report, as shipped in ``cors_audit/schema/``."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cors-audit.invalid/schema/report-v1.schema.json"
    return schema


def redact_report(report: Report, secrets: Sequence[Secret], *, url_parameters: bool) -> Report:
    """The report as every writer must see it: secrets replaced by ``<redacted>`` in every text
    field, except inside the origins and protocol tokens the verdict used, with notes saying
    what was redacted and what had to be left (``core/redaction.py``). Call it after the verdict
    (gate, scores, baseline, browser verification) is made: those need the raw values."""
    redactor = Redactor(secrets, protected=_protected(report), url_parameters=url_parameters)
    if not redactor:
        return report
    redacted = redactor.model(report)
    notes = [n for n in redactor.notes() if n not in redacted.notes]
    if notes:
        redacted = redacted.model_copy(update={"notes": [*redacted.notes, *notes]})
    return redacted


def _protected(report: Report) -> set[str]:
    """The origins the verdict used: every probe origin, the targets' own and site origins,
    the observed and the trusted origins."""
    found: set[str] = set()
    for target in report.targets:
        found.update((target.site_origin, _url_origin(target.url)))
        if target.observed is not None:
            seen = target.observed
            found.update(seen.allowed_origins, seen.credentialed_origins, seen.untrusted_allowed)
            found.update(seen.discovered)
    for finding in report.findings:
        if finding.origin:
            found.add(finding.origin)
        found.update(e.origin for e in finding.evidence if e.origin)
    trusted = report.policy.get("trusted_origins")
    if isinstance(trusted, list):
        found.update(o for o in trusted if isinstance(o, str))
    return found


def _url_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (the whole text when it has no ``//``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    for end in "/?#":
        rest = rest.split(end, 1)[0]
    return f"{scheme}://{rest}"
