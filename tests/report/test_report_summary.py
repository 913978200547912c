"""The JSON summary: the distribution of requests per target (issue 8), and no grade when no
target could be scanned (issue 14)."""

from __future__ import annotations

import pytest
from support.report_fixtures import FINISHED, POLICY, STARTED, sample_report, sample_results

from cors_audit.core.models import TargetResult
from cors_audit.formats import console, html, markdown
from cors_audit.judging.scoring import NO_GRADE
from cors_audit.report.build import GateSettings, build_report, request_stats
from cors_audit.report.merge import merge_reports
from cors_audit.report.model import Report, RequestStatsModel


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        pytest.param([], None, id="no-targets"),
        pytest.param([7], RequestStatsModel(min=7, median=7, p90=7, max=7, mean=7), id="one"),
        pytest.param(
            [10, 28, 10, 10],
            RequestStatsModel(min=10, median=10, p90=28, max=28, mean=14.5),
            id="even",
        ),
        pytest.param(
            [*range(1, 11)], RequestStatsModel(min=1, median=5.5, p90=9, max=10, mean=5.5), id="p90"
        ),
        pytest.param(
            [3, 1, 2], RequestStatsModel(min=1, median=2, p90=3, max=3, mean=2), id="unsorted"
        ),
    ],
)
def test_request_stats(counts: list[int], expected: RequestStatsModel | None) -> None:
    assert request_stats(counts) == expected


def test_summary_carries_the_distribution_of_its_targets() -> None:
    report = sample_report()
    counts = [t.requests for t in report.targets]
    stats = report.summary.requests_per_target
    assert stats is not None
    assert (stats.min, stats.max) == (min(counts), max(counts))
    assert report.summary.requests == sum(counts)


def test_merge_recomputes_the_distribution() -> None:
    report = sample_report()
    merged = merge_reports([("a.json", report)], GateSettings(fail_on=None, allow_errors=True))
    assert merged.summary.requests_per_target == report.summary.requests_per_target


# --- A scan in which no target could be scanned has no grade (issue 14) ----------------------


def _report(results: list[TargetResult], *, allow_errors: bool = False) -> Report:
    return build_report(
        results,
        policy=POLICY,
        started_at=STARTED,
        finished_at=FINISHED,
        gate=GateSettings(allow_errors=allow_errors),
    )


def _failed() -> list[TargetResult]:
    failed = [r for r in sample_results() if r.error is not None]
    assert failed
    return failed


@pytest.mark.parametrize(
    ("allow_errors", "exit_code"),
    [pytest.param(False, 3, id="errors-fail"), pytest.param(True, 0, id="allow-errors")],
)
def test_every_target_failed_means_no_grade(allow_errors: bool, exit_code: int) -> None:
    report = _report(_failed(), allow_errors=allow_errors)
    assert report.summary.grade == NO_GRADE
    assert report.summary.score == 0
    assert report.summary.errors == report.summary.targets == 1
    assert report.gate.exit_code == exit_code  # the exit-code contract is unchanged


def test_one_scanned_target_is_enough_for_a_grade() -> None:
    clean = [r for r in sample_results() if r.error is None and not r.findings]
    report = _report(clean + _failed())
    assert (report.summary.grade, report.summary.score) == ("A", 100)
    assert report.gate.exit_code == 3


def test_merging_failed_shards_keeps_no_grade() -> None:
    merged = merge_reports([("a.json", _report(_failed()))], GateSettings())
    assert merged.summary.grade == NO_GRADE
    assert merged.gate.exit_code == 3


def test_formats_say_no_grade_instead_of_a_score() -> None:
    report = _report(_failed())
    assert "Total: no grade (no target could be scanned);" in console.render(report)
    assert markdown.render(report).startswith("# CORS audit: no grade (no target could be scanned)")
    page = html.render(report)
    assert '<span class="score" id="overall-score">not scanned</span>' in page
    assert "0/100" not in page
    graded = sample_report()
    assert "Total: grade F, score" in console.render(graded)
    assert f'id="overall-score">{graded.summary.score}/100<' in html.render(graded)
