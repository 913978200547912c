"""The NDJSON log (``--ndjson``): every line validates against the shipped schema, the records
match the report, a scan writes them as its targets finish (flushed: ``tail -f`` sees them),
an interrupted scan still closes with a summary, and the lines are redacted like every other
output."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support.report_fixtures import hostile_report

from cors_audit.app import scan as scan_module
from cors_audit.app.live import LiveLog
from cors_audit.app.request import RunRequest, TargetSources
from cors_audit.app.run import run
from cors_audit.app.scan import ScanOptions
from cors_audit.core.errors import UsageError
from cors_audit.core.models import Severity, Target, TargetResult
from cors_audit.demo.handlers import Endpoint, Reply, RequestView
from cors_audit.demo.lab import DemoLab
from cors_audit.formats import ReportFormat, ndjson, render
from cors_audit.report.build import GateSettings
from cors_audit.report.model import Report
from cors_audit.report.spool import SpooledReport
from cors_audit.sending.engine import EngineOptions

TOKEN = "S3CR3T-TOKEN-5f0a9d2e"
URL_KEY = "S3CR3T-URLKEY-2b7c4e1d"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    text = files("cors_audit.formats").joinpath(ndjson.SCHEMA_FILE).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def lines(text: str, validator: Draft202012Validator) -> list[dict[str, Any]]:
    """Every line parsed and validated; the text is ASCII and ends with a newline."""
    assert text.endswith("\n")
    text.encode("ascii")
    records = []
    for raw in text.splitlines():
        record = json.loads(raw)
        errors = sorted(validator.iter_errors(record), key=str)
        assert not errors, (raw, [e.message for e in errors])
        records.append(record)
    return records


def check_order(records: Sequence[dict[str, Any]], *, closed: bool = True) -> None:
    kinds = [r["record"] for r in records]
    assert kinds[0] == "scan"
    assert "scan" not in kinds[1:]
    if closed:
        assert kinds[-1] == "summary"
        assert kinds.count("summary") == 1
    else:
        assert "summary" not in kinds
    assert kinds[1] in {"target", "summary"}  # a finding follows its target
    assert len({r["scan_id"] for r in records}) == 1


def test_the_records_are_the_reports(report: Report, validator: Draft202012Validator) -> None:
    assert ReportFormat.NDJSON.spec.demo_file == "cors-audit.ndjson"
    records = lines(render(ReportFormat.NDJSON, report), validator)
    check_order(records)
    head, *middle, summary = records
    assert head["scan_id"] == ndjson.scan_id(report.started_at)
    assert head["targets"] == len(report.targets)
    targets = [r for r in middle if r["record"] == "target"]
    findings = [r for r in middle if r["record"] == "finding"]
    assert [t["url"] for t in targets] == [t.url for t in report.targets]
    assert [(t["grade"], t["score"]) for t in targets] == [
        (t.grade, t.score) for t in report.targets
    ]
    assert sorted(f["fingerprint"] for f in findings) == sorted(
        f.fingerprint for f in report.findings
    )
    for record in findings:
        severity = Severity(record["severity"])
        assert record["severity_level"] == severity.rank
        # each finding comes right after its target (or a sibling finding)
        position = middle.index(record)
        owner = next(r for r in reversed(middle[:position]) if r["record"] == "target")
        assert (owner["url"], owner["method"]) == (record["url"], record["method"])
        assert record["host"] == owner["host"]
    assert {r["severity_level"] for r in findings} >= {4, 0}  # the sample has every severity
    assert summary["by_severity"] == report.summary.by_severity
    assert summary["findings"] == report.summary.findings
    assert summary["exit_code"] == report.gate.exit_code
    assert summary["duration_seconds"] == pytest.approx(
        (report.finished_at - report.started_at).total_seconds()
    )
    errored = [t for t in targets if t["error"] is not None]
    assert errored
    assert errored[0]["grade"] == "-"


@pytest.mark.parametrize(
    "payload", ['"quoted"', "back\\slash", "line\nbreak\r\u2028", "\x1b[2J\x00", "\ud800"]
)
def test_hostile_values_stay_inside_their_line(
    payload: str, validator: Draft202012Validator
) -> None:
    report = hostile_report(payload)
    text = render(ReportFormat.NDJSON, report)
    records = lines(text, validator)
    check_order(records)
    assert len(records) == 1 + len(report.targets) + len(report.findings) + 1
    finding = next(r for r in records if r["record"] == "finding")
    assert finding["url"] == report.findings[0].url  # kept exactly, as JSON escapes


# -- the live file -----------------------------------------------------------------------------


@dataclass
class Recorder:
    """An `Observer` that keeps what it is told."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def alert(self, message: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    @contextmanager
    def scanning(self, total: int) -> Iterator[Callable[[TargetResult], None]]:
        yield lambda result: None


def _reflecting(request: RequestView) -> Reply:
    origin = request.get("Origin") or ""
    headers = [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Content-Type", "application/json"),
    ]
    return Reply(200, tuple(headers), b"{}")


def _echoing(request: RequestView) -> Reply:
    # A debugging server that puts the caller's token where a rule quotes it.
    token = (request.get("Authorization") or "").split(" ")[-1]
    return Reply(200, (("Access-Control-Allow-Origin", f"https://{token}, *"),), b"{}")


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    endpoints = [
        Endpoint("/reflect", "reflect", "GET", frozenset(), _reflecting),
        Endpoint("/echo", "echo", "GET", frozenset(), _echoing),
        Endpoint("/plain", "plain", "GET", frozenset(), lambda r: Reply(200, (), b"{}")),
    ]
    with DemoLab(endpoints=endpoints) as running:
        yield running


def request_for(lab: DemoLab, out: Path, **changes: object) -> RunRequest:
    targets = tuple(
        Target(url=lab.url(path), source="test")
        for path in ("/reflect", f"/echo?api_key={URL_KEY}", "/plain")
    )
    engine = EngineOptions(timeout=5.0, headers=(("Authorization", f"Bearer {TOKEN}"),))
    defaults: dict[str, object] = {
        "targets": TargetSources(given=targets),
        "policy": None,
        "options": ScanOptions(engine=engine),
        "outputs": {ReportFormat.NDJSON: out, ReportFormat.JSON: out.with_suffix(".json")},
        "gate": GateSettings(fail_on=None),
    }
    return RunRequest(**(defaults | changes))  # type: ignore[arg-type]


pytestmark_live = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")


@pytestmark_live
def test_a_scan_appends_each_targets_lines_as_it_finishes(
    lab: DemoLab, validator: Draft202012Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = Path("live/scan.ndjson")
    seen: list[list[str]] = []  # the file's records each time a target had finished
    real = scan_module.scan

    def watched(*args: Any, on_target: Callable[[TargetResult], None], **kwargs: Any) -> Any:
        def finished(result: TargetResult) -> None:
            on_target(result)
            # What a reader tailing the file sees right now (flushed, not buffered)
            text = out.read_text(encoding="utf-8")
            seen.append([r["record"] for r in lines(text, validator)])

        return real(*args, on_target=finished, **kwargs)

    monkeypatch.setattr(scan_module, "scan", watched)
    report = run(request_for(lab, out), Recorder())
    assert isinstance(report, SpooledReport)

    assert [kinds.count("target") for kinds in seen] == [1, 2, 3]
    assert all("summary" not in kinds for kinds in seen)
    text = out.read_text(encoding="utf-8")
    records = lines(text, validator)
    check_order(records)
    # The same scan as the JSON report: one id, the same numbers
    assert records[0]["scan_id"] == ndjson.scan_id(report.started_at)
    summary = records[-1]
    assert summary["findings"] == report.summary.findings > 0
    assert summary["interrupted"] is False
    findings = [r for r in records if r["record"] == "finding"]
    assert sorted(r["fingerprint"] for r in findings) == sorted(
        f.fingerprint for f in report.findings
    )
    targets = {r["index"]: r for r in records if r["record"] == "target"}
    assert {i: (r["grade"], r["score"]) for i, r in targets.items()} == {
        t.index: (t.grade, t.score) for t in report.targets
    }
    # Redacted like every output: the token the server echoed, the credential parameter
    assert TOKEN not in text
    assert URL_KEY not in text
    assert "api_key=<redacted>" in text
    echoed = [r for r in findings if "/echo" in r["url"]]
    assert any("<redacted>" in r["detail"] for r in echoed)
    # The run wrote the JSON report too, and did not write the NDJSON file a second time
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["findings"]


@pytestmark_live
def test_an_interrupted_scan_still_closes_the_file_with_a_summary(
    lab: DemoLab, validator: Draft202012Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = Path("stopped.ndjson")
    real = scan_module.scan

    def stopped(*args: Any, on_target: Callable[[TargetResult], None], **kwargs: Any) -> Any:
        done: list[TargetResult] = []

        def finished(result: TargetResult) -> None:
            if not done:  # only the first target finishes before Ctrl-C
                done.append(result)
                on_target(result)

        real(*args, on_target=finished, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(scan_module, "scan", stopped)
    report = run(request_for(lab, out), Recorder())
    assert isinstance(report, SpooledReport)
    assert report.interrupted
    records = lines(out.read_text(encoding="utf-8"), validator)
    check_order(records)
    assert [r["record"] for r in records].count("target") == 1
    assert records[0]["targets"] == 3
    assert records[-1]["interrupted"] is True
    assert records[-1]["targets"] == 1


@pytestmark_live
def test_a_file_that_fails_mid_scan_is_a_warning_not_a_failed_scan(
    lab: DemoLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = Path("full.ndjson")
    real = scan_module.scan
    broken: list[bool] = []

    def full_disk(*args: Any, on_target: Callable[[TargetResult], None], **kwargs: Any) -> Any:
        def finished(result: TargetResult) -> None:
            if not broken:  # the disk fills up before the first target's lines
                monkeypatch.setattr(LiveLog, "_write", _failing_write(LiveLog._write))
                broken.append(True)
            on_target(result)

        return real(*args, on_target=finished, **kwargs)

    monkeypatch.setattr(scan_module, "scan", full_disk)
    observer = Recorder()
    report = run(request_for(lab, out), observer)
    assert isinstance(report, SpooledReport)
    assert len(report.targets) == 3
    warned = [w for w in observer.warnings if w.startswith("--ndjson")]
    assert len(warned) == 1
    assert "No space left on device" in warned[0]
    kinds = [json.loads(raw)["record"] for raw in out.read_text(encoding="utf-8").splitlines()]
    assert kinds == ["scan"]  # the file stops where writing failed


def _failing_write(original: Callable[..., None]) -> Callable[..., None]:
    """``LiveLog._write`` whose file write raises ENOSPC (the error handling is the real one)."""

    class Full:
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            pass

        def close(self) -> None:
            pass

    def write(self: Any, text: str) -> None:
        if self._out is not None and not isinstance(self._out, Full):
            self._out.close()
            self._out = Full()
        original(self, text)

    return write


@pytestmark_live
def test_a_symbolic_link_is_refused_before_anything_is_sent(lab: DemoLab, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.ndjson"
    link = tmp_path / "link.ndjson"
    link.symlink_to(target)
    with pytest.raises(UsageError, match="symbolic link"):
        run(request_for(lab, link), Recorder())
    assert not target.exists()


@pytestmark_live
def test_dash_streams_the_records_to_standard_output(
    lab: DemoLab, validator: Draft202012Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    request = request_for(lab, Path("unused"), outputs={ReportFormat.NDJSON: Path("-")})
    report = run(request, Recorder())
    assert isinstance(report, SpooledReport)
    records = lines(capsys.readouterr().out, validator)
    check_order(records)
    assert [r["record"] for r in records].count("target") == 3
    assert not Path("-").exists()
