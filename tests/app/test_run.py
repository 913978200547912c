"""The application layer without the command line: `run(request, observer)` on a request built
in memory, what it tells the observer, and the dry-run plan as data."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cors_audit.app.lab import SOURCE, lab_request, unexpected
from cors_audit.app.request import RunRequest, TargetSources
from cors_audit.app.run import run
from cors_audit.app.scan import ScanOptions
from cors_audit.core.errors import UsageError
from cors_audit.core.models import Target, TargetResult
from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab, Endpoint, Reply
from cors_audit.formats import ReportFormat
from cors_audit.formats.plan import Plan
from cors_audit.report.build import GateSettings
from cors_audit.report.spool import SpooledReport
from cors_audit.sending.engine import EngineOptions

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")


@dataclass
class Recorder:
    """An `Observer` that keeps what it is told."""

    warnings: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scanned: list[tuple[int, int]] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def alert(self, message: str) -> None:
        self.alerts.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)

    @contextmanager
    def scanning(self, total: int) -> Iterator[Callable[[TargetResult], None]]:
        done: list[TargetResult] = []
        yield done.append
        self.scanned.append((total, len(done)))


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    endpoint = Endpoint("/api", "plain", "GET", frozenset(), lambda r: Reply(200, (), b"{}"))
    with DemoLab(endpoints=[endpoint]) as running:
        yield running


def request_for(lab: DemoLab, **changes: object) -> RunRequest:
    target = Target(url=lab.url("/api"), source="test")
    defaults: dict[str, object] = {
        "targets": TargetSources(given=(target,)),
        "policy": None,
        "options": ScanOptions(engine=EngineOptions(timeout=5.0)),
        "outputs": {ReportFormat.JSON: Path("r.json")},
        "gate": GateSettings(),
    }
    return RunRequest(**(defaults | changes))  # type: ignore[arg-type]


def test_a_run_of_targets_made_in_memory_writes_its_report(lab: DemoLab) -> None:
    observer = Recorder()
    report = run(request_for(lab), observer)
    assert isinstance(report, SpooledReport)
    assert [t.source for t in report.targets] == ["test"]
    assert observer.scanned == [(1, 1)]
    written = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert written["targets"][0]["url"] == lab.url("/api")


def test_credentials_over_plain_http_are_an_alert_and_a_note(lab: DemoLab) -> None:
    engine = EngineOptions(timeout=5.0, headers=(("Authorization", "Bearer x"),))
    observer = Recorder()
    report = run(request_for(lab, options=ScanOptions(engine=engine)), observer)
    assert isinstance(report, SpooledReport)
    assert len(observer.alerts) == 1
    assert "credentials are sent over plain http" in observer.alerts[0]
    assert observer.alerts[0] in report.notes
    assert observer.warnings == []


def test_a_dry_run_returns_the_plan_and_writes_it_only_where_plans_go(lab: DemoLab) -> None:
    outputs = {ReportFormat.JSON: Path("plan.json"), ReportFormat.HTML: Path("plan.html")}
    observer = Recorder()
    plan = run(request_for(lab, outputs=outputs, dry_run=True), observer)
    assert isinstance(plan, Plan)
    assert observer.scanned == []  # nothing was sent
    targets = list(plan.targets)
    assert [t.url for t in targets] == [lab.url("/api")]
    assert list(plan.targets) == targets  # planned anew, the same, on every iteration
    written = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert written["label"] == plan.label
    assert len(written["targets"][0]["requests"]) == len(targets[0].requests)
    assert not Path("plan.html").exists()


def test_no_targets_is_a_usage_error() -> None:
    request = RunRequest(
        targets=TargetSources(),
        policy=None,
        options=ScanOptions(),
        outputs={},
        gate=GateSettings(),
    )
    with pytest.raises(UsageError, match="no targets"):
        run(request, Recorder())


def test_the_lab_request_scans_every_url_in_memory(tmp_path: Path) -> None:
    policy_file = tmp_path / "cors-policy.toml"
    policy_file.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    with DemoLab() as lab:
        request = lab_request(lab.urls(), policy_file, DEMO_SITE_ORIGIN, tmp_path / "out")
        assert {t.url for t in request.targets.given} == {url for url, _ in lab.urls()}
        assert {t.source for t in request.targets.given} == {SOURCE}
        assert set(request.outputs) == set(ReportFormat)
        assert request.outputs[ReportFormat.JUNIT].name == "cors-audit.junit.xml"
        report = run(request, Recorder())
        assert isinstance(report, SpooledReport)
        assert unexpected(report, lab.expected()) == []
        wrong = {lab.url("/strict"): {"reflected-origin"}}
        assert unexpected(report, wrong) == [lab.url("/strict")]


def test_a_report_to_standard_output(lab: DemoLab, capsys: pytest.CaptureFixture[str]) -> None:
    # "-" is standard output: the document is all that is written there, and no file "-"
    report = run(request_for(lab, outputs={ReportFormat.JSON: Path("-")}), Recorder())
    assert isinstance(report, SpooledReport)
    written = json.loads(capsys.readouterr().out)
    assert written["summary"]["targets"] == 1
    assert not Path("-").exists()


def test_two_reports_to_standard_output_are_refused(lab: DemoLab) -> None:
    outputs = {ReportFormat.JSON: Path("-"), ReportFormat.SARIF: Path("-")}
    before = lab.request_count
    with pytest.raises(UsageError, match="only one report can go to standard output"):
        run(request_for(lab, outputs=outputs), Recorder())
    assert lab.request_count == before


@dataclass
class Watcher(Recorder):
    """A `Recorder` that, as each target finishes, counts the results still alive."""

    alive_at_most: int = 0
    finished: int = 0

    @contextmanager
    def scanning(self, total: int) -> Iterator[Callable[[TargetResult], None]]:
        def advance(result: TargetResult) -> None:
            # (A slotted dataclass takes no weak reference: count the live ones instead.)
            self.finished += 1
            gc.collect()
            alive = sum(isinstance(o, TargetResult) for o in gc.get_objects())
            self.alive_at_most = max(self.alive_at_most, alive)

        yield advance
        self.scanned.append((total, self.finished))


def test_a_run_holds_no_finished_target_it_has_spooled(lab: DemoLab) -> None:
    # Each result goes to the report's spool as it comes; the scan keeps no list of them.
    targets = tuple(Target(url=lab.url(f"/api?n={n}"), source="test") for n in range(12))
    options = ScanOptions(engine=EngineOptions(timeout=5.0), max_targets_in_flight=2)
    observer = Watcher()
    report = run(request_for(lab, targets=TargetSources(given=targets), options=options), observer)
    assert isinstance(report, SpooledReport)
    assert observer.scanned == [(12, 12)]
    assert [t.url for t in report.targets] == [t.url for t in targets]
    # The ones being handed over (at most one per worker) may be alive; the others are gone.
    assert observer.alive_at_most <= 3, observer.alive_at_most
