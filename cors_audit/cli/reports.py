"""The commands on reports already written: ``merge``, ``diff``, ``baseline create`` and
``init``. Each parses its arguments, calls the application (``app/reports.py``) and prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cors_audit.cli.options import parameter, with_parameters
from cors_audit.cli.terminal import (
    fail_untrusted,
    fail_with,
    out,
    print_summary,
    print_verdict,
)
from cors_audit.core.errors import CorsAuditError
from cors_audit.core.models import ExitCode
from cors_audit.formats import ReportFormat
from cors_audit.inputs.settings import (
    ALLOW_ERRORS,
    BASELINE_FILE_NAME,
    FAIL_ON,
    FAIL_ON_CHOICES,
    JSON_DETAIL,
)

_FAIL_ON_CHOICES = "|".join(FAIL_ON_CHOICES)


@with_parameters(
    [*(parameter(fmt.spec.setting(), env=False) for fmt in ReportFormat), parameter(JSON_DETAIL)],
    after="reports",
)
def merge_command(
    reports: Annotated[
        list[Path],
        typer.Argument(help="JSON reports to combine (e.g. one per shard)."),
    ],
    fail_on: Annotated[
        str,
        typer.Option(
            help=f"Exit 1 on findings at or above: {_FAIL_ON_CHOICES}.", envvar=FAIL_ON.envvar
        ),
    ] = FAIL_ON.default,
    allow_errors: Annotated[
        bool,
        typer.Option(
            "--allow-errors",
            help="Do not exit 3 for unscannable targets.",
            envvar=ALLOW_ERRORS.envvar,
        ),
    ] = ALLOW_ERRORS.default,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    **given: Any,
) -> None:
    """Combine shard reports into one: scores, summary and exit code are recomputed."""
    from cors_audit.app.configure import parse_fail_on, parse_json_detail
    from cors_audit.app.outputs import check_outputs, write_reports
    from cors_audit.app.reports import merge_files
    from cors_audit.report.build import GateSettings

    try:
        gate = GateSettings(fail_on=parse_fail_on(fail_on), allow_errors=allow_errors)
        json_detail = parse_json_detail(given[JSON_DETAIL.name])
        merged = merge_files(reports, gate)
    except CorsAuditError as error:
        fail_untrusted(error)
    outputs = {fmt: given[fmt.value] for fmt in ReportFormat if given[fmt.value] is not None}
    try:
        check_outputs(outputs)
        write_reports(merged, outputs, json_detail=json_detail)
    except CorsAuditError as error:
        fail_with(error)
    if not quiet:
        print_summary(merged, outputs, verbose=False)
    else:
        print_verdict(merged)
    raise typer.Exit(merged.gate.exit_code)


baseline_app = typer.Typer(
    name="baseline",
    help="Accept known findings: a baseline file suppresses them by fingerprint.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@baseline_app.command("create")
def baseline_create_command(
    report_path: Annotated[Path, typer.Argument(help="A JSON report written by --json.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the baseline.")
    ] = Path(BASELINE_FILE_NAME),
    reason: Annotated[
        str, typer.Option(help="Why these findings are accepted (written on every entry).")
    ] = "accepted when the baseline was created; triage pending",
    expires: Annotated[
        str | None,
        typer.Option(help="ISO date from which the entries stop suppressing, e.g. 2027-03-01."),
    ] = None,
    min_severity: Annotated[
        str, typer.Option(help="Only accept findings at or above this severity.")
    ] = "info",
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a baseline accepting every finding of a report (suppressed ones keep their reason)."""
    from cors_audit.app.reports import create_baseline

    try:
        accepted = create_baseline(
            report_path,
            output,
            reason=reason,
            expires=expires,
            min_severity=min_severity,
            force=force,
        )
    except CorsAuditError as error:
        fail_with(error)
    out.print(
        f"wrote {output} accepting {accepted} finding(s); "
        f"use it with: cors-audit scan … --baseline {output}",
        markup=False,
    )


def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the policy.")] = Path(
        "cors-policy.toml"
    ),
    from_report: Annotated[
        Path | None,
        typer.Option(
            "--from-report",
            help="Draft the policy from what a scan's JSON report saw the servers do today.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter policy, or draft one from a report (--from-report)."""
    from cors_audit.app.reports import write_policy

    try:
        write_policy(path, from_report=from_report, force=force)
    except CorsAuditError as error:
        fail_with(error)
    what = "review the FLAGGED items" if from_report is not None else "edit trusted_origins"
    out.print(
        f"wrote {path}; {what}, then run: cors-audit scan URL --policy {path}",
        markup=False,
    )


def diff_command(
    old: Annotated[Path, typer.Argument(help="The earlier JSON report.")],
    new: Annotated[Path, typer.Argument(help="The later JSON report.")],
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when findings at or above this appeared or got worse "
            f"({_FAIL_ON_CHOICES}).",
            envvar=FAIL_ON.envvar,
        ),
    ] = FAIL_ON.default,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """List findings that appeared, disappeared or changed severity between two reports."""
    from cors_audit.app.configure import parse_fail_on
    from cors_audit.app.reports import diff_files
    from cors_audit.report.diff import render_diff

    try:
        gate = parse_fail_on(fail_on)
        result = diff_files(old, new)
    except CorsAuditError as error:
        fail_untrusted(error)
    if not quiet:
        out.print(render_diff(result), markup=False, end="")
    failing = result.failing(gate)
    raise typer.Exit(int(ExitCode.FINDINGS if failing else ExitCode.OK))


__all__ = [
    "baseline_app",
    "baseline_create_command",
    "diff_command",
    "init_command",
    "merge_command",
]
