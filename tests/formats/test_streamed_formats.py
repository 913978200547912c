"""A scan's report reaches the writers with its targets and findings spooled to disk
(``report/spool.py``): every format must render it to the very text it renders from the same
report in memory, read each list only a few times, and hold far less than the report's models
while it streams (memory follows the output, not the scan)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TypeVar, overload

import pytest
from pydantic import BaseModel
from support.memory import traced_peak
from support.report_fixtures import empty_report, hostile_report, sample_report
from support.scaled_report import scaled_report

from cors_audit.formats import ReportFormat, console, markdown, render, stream
from cors_audit.formats import json as json_format
from cors_audit.report.model import (
    FindingModel,
    Report,
    ReportView,
    SuppressionModel,
)
from cors_audit.report.spool import SpooledReport, spool_report

M = TypeVar("M", bound=BaseModel)


def spooled(report: Report) -> SpooledReport:
    """``report`` as a scan hands it over: the lists spooled, the rest in ``head``."""
    return spool_report(report)


def _suppress(finding: FindingModel, reason: str) -> FindingModel:
    return finding.model_copy(
        update={
            "suppressed": True,
            "suppression": SuppressionModel(reason=reason, expires=date(2031, 1, 1)),
        }
    )


def _tangled(report: Report, seed: int) -> Report:
    """``report`` with what a hand-merged report may hold: findings out of target order,
    every third one suppressed, a finding of no scanned target and a target listed twice."""
    rng = random.Random(seed)
    findings = [
        _suppress(finding, f"accepted {index}") if index % 3 == 0 else finding
        for index, finding in enumerate(report.findings)
    ]
    rng.shuffle(findings)
    stray = report.findings[0].model_copy(update={"url": "https://gone.example.com/old"})
    findings.insert(len(findings) // 2, stray)
    twice = report.targets[0].model_copy(update={"index": len(report.targets)})
    return report.model_copy(update={"findings": findings, "targets": [*report.targets, twice]})


_REPORTS: dict[str, Callable[[], Report]] = {
    "sample": sample_report,
    "empty": empty_report,
    "hostile": lambda: hostile_report("\x1b[31m<b>|`*\u202e"),
    "tangled": lambda: _tangled(sample_report(), 1),
    "scaled": lambda: scaled_report(120),
    "scaled-tangled": lambda: _tangled(scaled_report(120), 2),
    # Large enough that the Markdown summary is cut, every section past its size cap.
    "cut": lambda: _tangled(scaled_report(1600), 3),
}


@pytest.fixture(scope="module", params=sorted(_REPORTS))
def pair(request: pytest.FixtureRequest) -> tuple[Report, SpooledReport]:
    report = _REPORTS[request.param]()
    return report, spooled(report)


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_every_format_renders_a_spooled_report_as_the_report_in_memory(
    fmt: ReportFormat, pair: tuple[Report, SpooledReport]
) -> None:
    report, view = pair
    expected = render(fmt, report)
    assert render(fmt, view) == expected
    assert "".join(stream(fmt, view)) == expected


@pytest.mark.parametrize("verbose", [False, True])
def test_the_terminal_summary_of_a_spooled_report_is_the_same(
    verbose: bool, pair: tuple[Report, SpooledReport]
) -> None:
    report, view = pair
    assert console.render(view, verbose=verbose) == console.render(report, verbose=verbose)


def test_json_of_a_spooled_report_is_the_models_own_dump(
    pair: tuple[Report, SpooledReport],
) -> None:
    report, view = pair
    assert "".join(json_format.iter_json(view)) == report.to_json()


def test_the_largest_case_cuts_the_markdown_summary() -> None:
    """The "cut" report reaches the bounded selection of rows (`markdown._Worst`): every table
    would be longer than the size cap on its own."""
    report = _REPORTS["cut"]()
    text = markdown.render(spooled(report))
    assert "Cut to fit GitHub's" in text
    assert len(text.encode("utf-8")) <= markdown.MAX_BYTES
    for noun in ("findings of this rule", "suppressed findings", "targets"):
        assert f"more {noun} not shown here" in text


T = TypeVar("T")


class _Counting(Sequence[T]):
    """A list that counts how many of its items were read (by index, slice or iteration)."""

    def __init__(self, items: list[T]) -> None:
        self._items = items
        self.reads = 0

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            part = self._items[index]
            self.reads += len(part)
            return part
        self.reads += 1
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        for item in self._items:
            self.reads += 1
            yield item


_PASSES = 3
"""The most times a writer may read each list: every read of a spooled item parses it."""


def _drain(fmt: ReportFormat) -> Callable[[ReportView], int]:
    """Writing ``fmt`` to nowhere, chunk by chunk: how many characters it wrote."""
    return lambda view: sum(len(chunk) for chunk in stream(fmt, view))


_WRITERS: dict[str, Callable[[ReportView], int]] = {
    **{fmt.value: _drain(fmt) for fmt in ReportFormat},
    "console": lambda view: len(console.render(view)),
}


@pytest.mark.parametrize("name", sorted(_WRITERS))
def test_each_writer_reads_each_list_at_most_three_times(name: str) -> None:
    report = _tangled(scaled_report(200), 4)
    targets, findings = _Counting(report.targets), _Counting(report.findings)
    head = report.model_copy(update={"targets": [], "findings": []})
    assert _WRITERS[name](SpooledReport(head=head, targets=targets, findings=findings)) > 0
    assert 0 < targets.reads <= _PASSES * len(targets), (name, targets.reads)
    assert 0 < findings.reads <= _PASSES * len(findings), (name, findings.reads)


@pytest.fixture(scope="module")
def large() -> tuple[SpooledReport, int]:
    """A spooled report of 2 000 targets and the memory its models take once loaded."""
    view = spooled(scaled_report(2000))
    return view, traced_peak(view.materialize)


_SHARE = 4
"""A writer's peak may be at most this fraction of the loaded models: one holding every
model (or every finding's) would need about all of it."""


@pytest.mark.parametrize("name", sorted(_WRITERS))
def test_streaming_a_spooled_report_holds_far_less_than_its_models(
    name: str, large: tuple[SpooledReport, int]
) -> None:
    view, models = large
    assert models > 20_000_000, models  # the models are what a writer must not hold
    peak = traced_peak(lambda: _WRITERS[name](view))
    assert peak < models / _SHARE, (name, peak, models)
