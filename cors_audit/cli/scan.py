"""``cors-audit scan``: its options come from the settings table; the run is the application's
(``app/configure.py`` resolves the request, ``app/run.py`` carries it out); this draws it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cors_audit.app.settings import SETTINGS
from cors_audit.cli.options import with_settings
from cors_audit.cli.terminal import (
    TerminalObserver,
    fail_with,
    print_annotations,
    print_plan,
    print_summary,
    print_verdict,
    summary_console,
)
from cors_audit.core.errors import CorsAuditError
from cors_audit.core.models import ExitCode
from cors_audit.inputs.settings import QUIET, VERBOSE


@with_settings(SETTINGS)
def scan_command(**given: Any) -> None:
    """Audit URLs: send CORS probes, judge replies as Chromium would, report findings.

    Every option can also come from a CORS_AUDIT_<OPTION> environment variable or from the
    [scan] table of the policy file; the command line wins over the environment, which wins
    over the file.

    A report option given '-' (e.g. --json -) writes that report to standard output, which then
    holds nothing else: the summary goes to standard error.
    """
    # Start-up (`cors-audit --help`): the stages are imported by the command, not the module.
    from cors_audit.app.configure import scan_request
    from cors_audit.app.run import run
    from cors_audit.formats.plan import Plan

    quiet: bool = given[QUIET.name]
    try:
        request = scan_request(given)
        result = run(request, TerminalObserver(quiet=quiet))
    except CorsAuditError as error:
        fail_with(error)
    if isinstance(result, Plan):
        if not quiet:
            print_plan(result, summary_console(request.outputs))
        raise typer.Exit(ExitCode.OK)
    if not quiet:
        print_summary(result, request.outputs, verbose=given[VERBOSE.name])
    source = None if request.policy is None else request.policy.source
    print_annotations(result, request.outputs, file=None if not source else Path(source))
    if quiet:
        print_verdict(result)
    raise typer.Exit(ExitCode.INTERRUPTED if result.interrupted else result.gate.exit_code)


__all__ = ["scan_command"]
