"""Issue 17: what the command line prints where.

* ``-`` as a report path writes that report to standard output, which then holds only the
  document (the summary goes to standard error); ``-f -`` still reads standard input.
* Off a terminal (CI logs) a scan is never silent: a line per target with findings or an error,
  a heartbeat when nothing was printed for a while; ``-q`` still prints the verdict when the
  gate fails.
* Under GitHub Actions the failing findings become workflow annotations that server text cannot
  break out of.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from support.cli import assert_clean, invoke
from support.report_fixtures import hostile_report, sample_report, sample_results

from cors_audit.cli import terminal as cli_terminal
from cors_audit.cli.github import escape_data, escape_property, workflow_commands
from cors_audit.cli.terminal import LogProgress, TerminalObserver, verdict
from cors_audit.demo.lab import DEMO_SITE_ORIGIN, DemoLab

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running


def strict(lab: DemoLab) -> list[str]:
    return [lab.url("/strict"), "--site-origin", DEMO_SITE_ORIGIN]


# -- "-": standard output --------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--json", "--sarif", "--markdown"])
def test_a_report_to_standard_output_is_all_stdout_holds(lab: DemoLab, option: str) -> None:
    result = invoke("scan", *strict(lab), option, "-")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    if option == "--markdown":
        assert result.stdout.startswith("#")
    else:
        document = json.loads(result.stdout)  # nothing else on stdout
        assert document
    # the human summary went to standard error, saying where the report went
    assert "no findings" in result.stderr
    assert "report: standard output" in result.stderr
    assert not Path("-").exists()


def test_a_report_to_stdout_beside_files(lab: DemoLab) -> None:
    result = invoke("scan", *strict(lab), "--json", "-", "--html", "r.html", "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["targets"] == 1
    assert Path("r.html").is_file()


def test_file_dash_is_still_standard_input(lab: DemoLab) -> None:
    result = invoke(
        "scan",
        "-f",
        "-",
        "--site-origin",
        DEMO_SITE_ORIGIN,
        "--json",
        "-",
        input=lab.url("/strict"),
    )
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["targets"][0]["url"] == lab.url("/strict")


def test_only_one_output_may_be_stdout(lab: DemoLab) -> None:
    before = lab.request_count
    result = invoke("scan", *strict(lab), "--json", "-", "--sarif", "-")
    assert_clean(result)
    assert result.exit_code == 2
    assert "only one report can go to standard output ('-'): --json and --sarif" in result.stderr
    assert result.stdout == ""
    assert lab.request_count == before  # refused before anything was sent


def test_the_environment_can_send_a_report_to_stdout(lab: DemoLab) -> None:
    result = invoke("scan", *strict(lab), "-q", env={"CORS_AUDIT_JSON": "-"})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["targets"] == 1


def test_a_dry_run_plan_to_stdout(lab: DemoLab) -> None:
    before = lab.request_count
    result = invoke("scan", *strict(lab), "--dry-run", "--json", "-")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dry_run"] is True
    assert "GET " + lab.url("/strict") in result.stderr  # the plan's lines, on stderr
    assert lab.request_count == before


def test_merge_to_stdout(lab: DemoLab) -> None:
    assert invoke("scan", *strict(lab), "--json", "one.json", "-q").exit_code == 0
    result = invoke("merge", "one.json", "--json", "-")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["targets"] == 1
    assert "json report: standard output" in result.stderr


# -- CI logs: lines, heartbeats, the verdict -------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stderr_log(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Standard error as a CI log: not a terminal, captured."""
    log = io.StringIO()
    monkeypatch.setattr(cli_terminal, "err", Console(file=log, force_terminal=False, width=300))
    return log


def test_off_a_terminal_heartbeats_fill_the_silences(stderr_log: io.StringIO) -> None:
    posts, _feed, health, down = sample_results()
    clock = Clock()
    progress = LogProgress(4, clock=clock, interval=10.0, ticker=False)
    with progress as advance:
        clock.now += 4
        advance(health)  # clean: no line, and not yet time for a heartbeat
        progress.tick()
        assert stderr_log.getvalue() == ""
        clock.now += 6  # 10 s of silence
        progress.tick()
        clock.now += 9.9
        progress.tick()  # a heartbeat at most every 10 s
        clock.now += 0.1
        advance(posts)  # findings: its own line
        advance(down)  # an error: its own line
        clock.now += 5
        progress.tick()
        clock.now += 5
        progress.tick()
    lines = stderr_log.getvalue().splitlines()
    assert (
        lines[0]
        == f"cors-audit: … 1/4 targets, 0 findings, 0 errors, {health.requests / 10:.0f} req/s"
    )
    assert lines[1].startswith("cors-audit: [2/4] PATCH https://staging.example.com/api/posts/20: ")
    assert "findings (critical reflected-origin" in lines[1]
    assert lines[2] == (
        "cors-audit: [3/4] GET https://down.example.com/api/v1/users: "
        "error (timeout): no response within 10.0 s (connect)"
    )
    requests = health.requests + posts.requests + down.requests
    findings = len(posts.findings)
    assert lines[3] == (
        f"cors-audit: … 3/4 targets, {findings} findings, 1 error, {requests / 30:.0f} req/s"
    )
    assert len(lines) == 4


def test_the_heartbeat_thread_speaks_when_no_target_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spoke = threading.Event()

    class Log(io.StringIO):
        def write(self, text: str) -> int:
            if "targets" in text:
                spoke.set()
            return super().write(text)

    log = Log()
    monkeypatch.setattr(cli_terminal, "err", Console(file=log, force_terminal=False, width=300))
    clock = Clock()
    with LogProgress(7, clock=clock, interval=0.004) as _advance:
        clock.now += 60  # a minute passes with no target finishing
        assert spoke.wait(timeout=30)
    assert "cors-audit: … 0/7 targets, 0 findings, 0 errors, 0 req/s" in log.getvalue()


def test_target_lines_redact_credentials_and_escape_controls(stderr_log: io.StringIO) -> None:
    _posts, _feed, _health, down = sample_results()
    hostile = replace(
        down,
        target=replace(
            down.target, url="https://user:hunter2-pass@down.example.com/x?token=s3cr3t"
        ),
        error=replace(down.error, message="bad \x1b[2J reply") if down.error else None,
    )
    with LogProgress(1, ticker=False) as advance:
        advance(hostile)
    text = stderr_log.getvalue()
    assert "hunter2-pass" not in text
    assert "s3cr3t" not in text
    assert "\x1b" not in text
    assert "\\x1b[2J" in text


def test_a_scan_off_a_terminal_reports_each_target_with_findings(lab: DemoLab) -> None:
    result = invoke("scan", lab.url("/reflect-credentials"), "--fail-on", "never")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert f"cors-audit: [1/1] GET {lab.url('/reflect-credentials')}: " in result.stderr
    assert "reflected-origin" in result.stderr


def test_quiet_still_prints_the_verdict_when_the_gate_fails(lab: DemoLab) -> None:
    result = invoke("scan", lab.url("/reflect-credentials"), "-q")
    assert_clean(result)
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("cors-audit: failed (exit 1): ")
    assert "at or above --fail-on high" in line


def test_quiet_verdict_for_targets_not_scanned() -> None:
    result = invoke("scan", "http://127.0.0.1:9/x", "-q", "--retries", "0")
    assert result.exit_code == 3
    assert result.stderr.strip() == "cors-audit: failed (exit 3): 1 target not scanned (completely)"


def test_quiet_passing_prints_nothing(lab: DemoLab) -> None:
    result = invoke("scan", *strict(lab), "-q")
    assert result.exit_code == 0
    assert result.output == ""


def test_verdict_of_a_passing_report_is_none() -> None:
    report = sample_report()
    assert (
        verdict(report.model_copy(update={"gate": report.gate.model_copy(update={"exit_code": 0})}))
        is None
    )


def test_a_quiet_observer_shows_no_progress(stderr_log: io.StringIO) -> None:
    with TerminalObserver(quiet=True).scanning(3) as advance:
        for result in sample_results():
            advance(result)
    assert stderr_log.getvalue() == ""


# -- GitHub Actions annotations ----------------------------------------------------------------


HOSTILE = "50%\r\n::set-env name=EVIL::1\n::add-mask::x,y:z"


def test_annotations_escape_server_text() -> None:
    report = hostile_report(HOSTILE)
    lines = workflow_commands(report, file="conf/cors-policy.toml")
    assert lines
    for line in lines:
        assert "\n" not in line
        assert "\r" not in line
        assert line.startswith(("::error ", "::warning ", "::notice "))
        # exactly one "::" separates the properties from the message; none other is a command
        head, _, message = line[2:].partition("::")
        for text_line in message.replace("%0A", "\n").replace("%0D", "\r").splitlines():
            assert not text_line.lstrip().startswith("::")
        assert head.count(",") <= 1  # only the separator of file= and title=
    first = lines[0]
    assert first.startswith("::error file=conf/cors-policy.toml,title=cors-audit critical ")
    assert "50%25" in first
    assert "50%25%0D%0A: :set-env name=EVIL::1%0A: :add-mask::x,y:z" in first


def test_escaping_follows_the_runner() -> None:
    assert escape_data("a%b\rc\nd") == "a%25b%0Dc%0Ad"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert escape_data("::stop-commands::tok") == ": :stop-commands::tok"
    assert escape_data("x\n  ::error::boom") == "x%0A  : :error::boom"


def test_annotations_are_capped() -> None:
    report = sample_report()
    report = report.model_copy(update={"gate": report.gate.model_copy(update={"fail_on": "info"})})
    lines = workflow_commands(report, limit=2)
    assert len(lines) == 3
    assert lines[-1].startswith("::notice title=cors-audit::")
    assert f"{len(report.findings) - 2} more finding(s) at or above --fail-on info" in lines[-1]


def test_github_actions_runs_annotate_failing_findings(lab: DemoLab) -> None:
    Path("cors-policy.toml").write_text(
        'trusted_origins = ["https://app.example.com"]\n', encoding="utf-8"
    )
    result = invoke("scan", lab.url("/reflect-credentials"), "-q", env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotations
    assert annotations[0].startswith("::error file=cors-policy.toml,title=cors-audit ")
    # not under GitHub Actions: none
    result = invoke("scan", lab.url("/reflect-credentials"), "-q", env={"GITHUB_ACTIONS": ""})
    assert "::error" not in result.output


def test_annotations_go_to_stderr_when_stdout_holds_the_report(lab: DemoLab) -> None:
    result = invoke(
        "scan", lab.url("/reflect-credentials"), "--json", "-", "-q", env={"GITHUB_ACTIONS": "true"}
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["gate"]["exit_code"] == 1
    assert "::error " in result.stderr


def test_the_progress_bar_counts_findings_and_requests(
    lab: DemoLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = io.StringIO()
    terminal = Console(file=log, force_terminal=True, force_interactive=True, width=160)
    monkeypatch.setattr(cli_terminal, "err", terminal)
    result = invoke("scan", lab.url("/reflect-credentials"), "--fail-on", "never")
    assert result.exit_code == 0, result.output
    drawn = log.getvalue()
    assert "scanning" in drawn
    assert "findings" in drawn
    assert "req/s" in drawn
    assert "ETA" in drawn
    assert "cors-audit: [1/1]" not in drawn  # a terminal gets the bar, not log lines


def test_quiet_merge_prints_the_verdict_when_the_gate_fails(lab: DemoLab) -> None:
    args = (lab.url("/reflect-credentials"), "--fail-on", "never", "--json", "one.json", "-q")
    assert invoke("scan", *args).exit_code == 0
    result = invoke("merge", "one.json", "-q")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("cors-audit: failed (exit 1): ")


def test_annotations_are_printed_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich would turn ":x:" into an emoji: the commands are printed verbatim
    report = hostile_report(":x: :warning:")
    expected = workflow_commands(report)
    printed = io.StringIO()
    monkeypatch.setattr(cli_terminal, "out", Console(file=printed, force_terminal=False, width=80))
    cli_terminal.print_annotations(report, {}, file=None, environ={"GITHUB_ACTIONS": "true"})
    assert printed.getvalue().splitlines() == expected
