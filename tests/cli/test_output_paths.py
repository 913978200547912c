"""Writing outputs (issue 15, item 11): every output path is checked before the first request,
a replaced file keeps its mode, `baseline create` and `init` write atomically and never through
a symbolic link, and an interrupt while writing leaves no temporary file (exit 130)."""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import assert_clean, invoke
from support.report_fixtures import sample_report

from cors_audit.demo.lab import DemoLab, Endpoint, Reply, RequestView

pytestmark = pytest.mark.usefixtures("cli_isolated")


@pytest.fixture
def recording() -> Iterator[tuple[DemoLab, list[RequestView]]]:
    seen: list[RequestView] = []

    def handler(request: RequestView) -> Reply:
        seen.append(request)
        return Reply(200, (("Content-Type", "application/json"),), b"{}")

    with DemoLab(endpoints=[Endpoint("/api", "plain", "GET", frozenset(), handler)]) as lab:
        yield lab, seen


@pytest.fixture
def report_file() -> Path:
    path = Path("r.json")
    path.write_text(sample_report().model_dump_json(), encoding="utf-8")
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers() -> list[str]:
    return sorted(p.name for p in Path().rglob(".*") if p.is_file())


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda: Path("out").mkdir(), ["--json", "out"], "--json out is a directory"),
        (
            lambda: Path("file").write_text(""),
            ["--html", "file/r.html"],
            "--html file/r.html: file is not a directory",
        ),
        (lambda: None, ["--json", "a.txt", "--sarif", "a.txt"], "--json and --sarif both write"),
    ],
)
def test_bad_output_paths_are_refused_before_the_first_request(
    recording: tuple[DemoLab, list[RequestView]],
    setup: object,
    args: list[str],
    message: str,
) -> None:
    lab, seen = recording
    assert callable(setup)
    setup()
    result = invoke("scan", lab.url("/api"), *args, "-q")
    assert_clean(result)
    assert result.exit_code == 2
    assert message in result.stderr
    assert seen == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_directory_is_refused(report_file: Path) -> None:
    Path("locked").mkdir()
    Path("locked").chmod(0o500)
    try:
        result = invoke("merge", str(report_file), "--json", "locked/m.json", "-q")
    finally:
        Path("locked").chmod(0o700)
    assert result.exit_code == 2
    assert "the directory locked is not writable" in result.stderr


def test_merge_checks_its_output_paths_too(report_file: Path) -> None:
    Path("out").mkdir()
    result = invoke("merge", str(report_file), "--json", "out", "-q")
    assert result.exit_code == 2
    assert "--json out is a directory" in result.stderr


def test_a_replaced_report_keeps_its_mode_and_a_new_one_follows_the_umask(
    report_file: Path,
) -> None:
    Path("old.json").write_text("{}", encoding="utf-8")
    Path("old.json").chmod(0o640)
    mask = os.umask(0o027)
    try:
        result = invoke("merge", str(report_file), "--json", "old.json", "--html", "new.html", "-q")
    finally:
        os.umask(mask)
    assert result.exit_code == 1, result.output  # the sample has critical findings
    assert _mode(Path("old.json")) == 0o640
    assert _mode(Path("new.html")) == 0o640  # 0o666 & ~0o027
    assert Path("old.json").read_text(encoding="utf-8") != "{}"


@pytest.mark.parametrize("command", ["baseline", "init"])
def test_baseline_create_and_init_never_write_through_a_symlink(
    report_file: Path, command: str
) -> None:
    Path("victim.txt").write_text("precious\n", encoding="utf-8")
    Path("link.toml").symlink_to("victim.txt")
    args = (
        ["baseline", "create", str(report_file), "-o", "link.toml", "--force"]
        if command == "baseline"
        else ["init", "link.toml", "--force"]
    )
    result = invoke(*args)
    assert_clean(result)
    assert result.exit_code == 2
    assert "link.toml is a symbolic link" in result.stderr
    assert Path("victim.txt").read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize("command", ["baseline", "init"])
def test_baseline_create_and_init_replace_atomically_keeping_the_mode(
    report_file: Path, command: str
) -> None:
    Path("out.toml").write_text("old\n", encoding="utf-8")
    Path("out.toml").chmod(0o600)
    args = (
        ["baseline", "create", str(report_file), "-o", "out.toml", "--force"]
        if command == "baseline"
        else ["init", "out.toml", "--force"]
    )
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert _mode(Path("out.toml")) == 0o600
    assert Path("out.toml").read_text(encoding="utf-8") != "old\n"
    assert _leftovers() == []


def test_sigterm_while_writing_exits_130_and_leaves_no_temporary_file(
    report_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cors_audit.formats as formats

    Path("m.json").write_text("previous", encoding="utf-8")
    real = formats.write

    def interrupted(fmt: formats.ReportFormat, report: object, out: formats.TextSink) -> None:
        out.write("partial")
        signal.raise_signal(signal.SIGTERM)
        real(fmt, report, out)  # type: ignore[arg-type]

    monkeypatch.setattr(formats, "write", interrupted)
    result = invoke("merge", str(report_file), "--json", "m.json", "--html", "m.html", "-q")
    assert result.exit_code == 130
    assert "interrupted while writing the reports" in result.stderr
    assert Path("m.json").read_text(encoding="utf-8") == "previous"
    assert not Path("m.html").exists()
    assert _leftovers() == []
