"""The spooled report (``report/spool.py``) and the builder that writes it
(``ReportBuilder``): the same report as the in-memory build, in any arrival order, with the
baseline, redaction and the compact JSON streamed from it."""

from __future__ import annotations

import errno
import random
import tempfile
import weakref
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.memory import traced_peak
from support.report_fixtures import (
    FINISHED,
    POLICY,
    STARTED,
    sample_report,
    sample_results,
)
from support.scaled_report import scaled_report

from cors_audit.core.redaction import Secret
from cors_audit.report.baseline import Baseline, BaselineEntry
from cors_audit.report.build import GateSettings, ReportBuilder, build_report, redact_report
from cors_audit.report.compact import compact_report, iter_compact
from cors_audit.report.merge import merge_reports, merge_stream
from cors_audit.report.model import FindingModel, Report, ShardModel, TargetModel
from cors_audit.report.spool import (
    Spool,
    SpooledSequence,
    SpoolError,
    rewrite,
    spool_report,
    spooling,
)


def test_spooled_sequence_reads_back_every_item_in_order_and_by_index() -> None:
    report = sample_report()
    spooled = spool_report(report)
    assert len(spooled.findings) == len(report.findings) > 0
    assert list(spooled.findings) == report.findings
    assert spooled.findings[-1] == report.findings[-1]
    assert spooled.findings[1:3] == report.findings[1:3]
    assert spooled.targets == report.targets
    assert spooled.materialize() == report


def test_spool_reads_an_order_that_is_not_the_file_order() -> None:
    report = sample_report()
    spool: Spool[FindingModel] = Spool(FindingModel)
    for finding in report.findings:
        spool.add(finding)
    order = list(range(len(spool)))[::-1]
    from array import array

    assert list(SpooledSequence(spool, array("q", order))) == report.findings[::-1]


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_builder_gives_the_in_memory_report_whatever_order_targets_finish_in(
    shuffle: random.Random,
) -> None:
    results = sample_results()
    expected = build_report(results, policy=POLICY, started_at=STARTED, finished_at=FINISHED)
    builder = ReportBuilder(policy=POLICY)
    arrival = list(enumerate(results))
    shuffle.shuffle(arrival)
    for index, result in arrival:
        builder.add(result, index=index)
    built = builder.finish(started_at=STARTED, finished_at=FINISHED)
    assert isinstance(built.findings, SpooledSequence)
    assert built.materialize() == expected


def test_builder_applies_the_baseline_as_the_whole_report_build_does() -> None:
    report = sample_report()
    first, second = report.findings[0], report.findings[1]
    baseline = Baseline(
        path="b.toml",
        entries=(
            BaselineEntry(fingerprint=first.fingerprint, reason="accepted", url=first.url),
            BaselineEntry(
                fingerprint=second.fingerprint,
                reason="old",
                expires=date(2020, 1, 1),
                url=second.url,
            ),
            BaselineEntry(fingerprint="0" * 32, reason="gone", url=report.targets[0].url),
        ),
    )
    results = sample_results()
    today = date(2025, 6, 1)
    expected = build_report(
        results,
        policy=POLICY,
        started_at=STARTED,
        finished_at=FINISHED,
        baseline=baseline,
        today=today,
    )
    builder = ReportBuilder(policy=POLICY, baseline=baseline, today=today)
    for index, result in reversed(list(enumerate(results))):
        builder.add(result, index=index)
    built = builder.finish(started_at=STARTED, finished_at=FINISHED).materialize()
    assert built == expected
    assert built.summary.suppressed == 1
    assert built.baseline is not None
    assert [e.fingerprint for e in built.baseline.fixed] == ["0" * 32]
    assert [e.fingerprint for e in built.baseline.expired] == [second.fingerprint]


def test_a_spooled_report_is_redacted_like_the_whole_one() -> None:
    report = sample_report()
    secret_text = report.findings[0].url.split("//")[1].split("/")[0]
    secrets = [Secret(value=secret_text, source="--header")]
    whole = redact_report(report, secrets, url_parameters=False)
    spooled = redact_report(spool_report(report), secrets, url_parameters=False)
    assert whole != report  # the secret was there to redact
    assert spooled.materialize() == whole


def test_the_compact_document_streams_to_the_same_text() -> None:
    for report in (sample_report(), scaled_report(40)):
        expected = compact_report(report).to_json()
        assert "".join(iter_compact(report)) == expected
        assert "".join(iter_compact(spool_report(report))) == expected


def test_streaming_the_compact_document_holds_far_less_than_the_report() -> None:
    report = scaled_report(1500)
    spooled = spool_report(report)
    whole_size = len(compact_report(report).to_json())
    del report
    written = 0

    def write() -> None:
        nonlocal written
        written = sum(len(chunk) for chunk in iter_compact(spooled))

    peak = traced_peak(write)
    assert written == whole_size
    assert peak < whole_size / 4, (peak, whole_size)


def test_rewrite_passes_every_item_through_the_change() -> None:
    report = sample_report()
    changed = rewrite(
        report.findings, FindingModel, lambda f: f.model_copy(update={"title": f"x {f.title}"})
    )
    assert [f.title for f in changed] == [f"x {f.title}" for f in report.findings]


@pytest.mark.parametrize("index", [-1, 0])
def test_indexing_an_empty_spooled_sequence_is_an_index_error(index: int) -> None:
    empty: Spool[TargetModel] = Spool(TargetModel)
    with pytest.raises(IndexError):
        SpooledSequence(empty, range(0))[index]


def test_merge_reads_the_next_report_only_once_the_previous_one_is_let_go() -> None:
    whole = sample_report()
    halves = [
        whole.model_copy(
            update={
                "targets": whole.targets[i::2],
                "findings": [
                    f
                    for f in whole.findings
                    if (f.url, f.method) in {(t.url, t.method) for t in whole.targets[i::2]}
                ],
                "shard": ShardModel(index=i + 1, count=2, total_targets=len(whole.targets)),
            }
        )
        for i in range(2)
    ]
    alive: list[weakref.ref[Report]] = []

    def one_at_a_time() -> Iterator[tuple[str, Report]]:
        for number, half in enumerate(halves):
            copy = half.model_copy(deep=True)
            del half
            assert all(ref() is None for ref in alive), "a previous report is still held"
            alive.append(weakref.ref(copy))
            yield f"shard-{number}.json", copy
            del copy

    halves_text = [h.model_copy(deep=True) for h in halves]
    del halves[:]
    halves.extend(halves_text)
    merged = merge_stream(one_at_a_time(), GateSettings())
    assert isinstance(merged.findings, SpooledSequence)
    expected = merge_reports(
        [(f"shard-{n}.json", h) for n, h in enumerate(halves_text)], GateSettings()
    )
    assert merged.materialize() == expected
    assert [t.url for t in merged.targets] == [t.url for t in whole.targets]
    assert len(merged.findings) == len(whole.findings)


def test_a_full_disk_while_spooling_is_a_clear_error() -> None:
    with pytest.raises(SpoolError, match=r"No space left on device; point TMPDIR at"):  # noqa: SIM117
        with spooling():
            raise OSError(errno.ENOSPC, "No space left on device")


def test_a_temporary_directory_that_cannot_be_used_stops_the_scan_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from support.cli import assert_clean, invoke

    from cors_audit.demo.lab import DemoLab

    missing = tmp_path / "gone"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    monkeypatch.chdir(tmp_path)
    with DemoLab() as lab:
        result = invoke("scan", lab.url("/strict"), "--json", "r.json", "-q")
    assert_clean(result)
    assert result.exit_code == 2
    assert f"cannot write the report's working files in {missing}" in result.stderr
    assert not (tmp_path / "r.json").exists()
