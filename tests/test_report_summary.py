"""The JSON summary's distribution of requests per target (issue 8)."""

from __future__ import annotations

import pytest
from report_fixtures import sample_report

from cors_audit.report import GateSettings, RequestStatsModel, merge_reports, request_stats


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
