"""``cors-audit demo``: start the built-in lab, run the application's scan of it
(``app/lab.py``) and say whether every endpoint was judged as the lab expects."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from cors_audit.cli.terminal import fail_with, out, print_summary
from cors_audit.core.errors import CorsAuditError
from cors_audit.core.models import ExitCode
from cors_audit.formats import REPORTS_DIR


def demo_command(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where to write the reports.")] = Path(
        REPORTS_DIR
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Start the built-in misconfigured lab on 127.0.0.1, scan it and write reports/."""
    from cors_audit.app.lab import lab_request, unexpected
    from cors_audit.app.run import run
    from cors_audit.cli.terminal import TerminalObserver
    from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab
    from cors_audit.formats.plan import Plan

    with tempfile.TemporaryDirectory() as tmp, DemoLab() as lab:
        policy_file = Path(tmp) / "cors-policy.toml"
        policy_file.write_text(DEMO_POLICY_TOML, encoding="utf-8")
        if not quiet:
            out.print(
                f"demo lab listening on {lab.base_url} (judged as {DEMO_SITE_ORIGIN})", markup=False
            )
        try:
            request = lab_request(lab.urls(), policy_file, DEMO_SITE_ORIGIN, out_dir)
            report = run(request, TerminalObserver(quiet=quiet))
        except CorsAuditError as error:  # pragma: no cover - the demo's own inputs are valid
            fail_with(error)
        assert not isinstance(report, Plan)  # the demo never dry-runs
        if not quiet:
            print_summary(report, request.outputs, verbose=False)
        expected = lab.expected()
    # The reported rules; those folded into reflected-origin are not compared (they are probed
    # only while reflection is not settled with credentials).
    mismatches = unexpected(report, expected)
    if not quiet:
        total = len(expected)
        if mismatches:
            out.print(
                f"demo: {total - len(mismatches)}/{total} endpoints judged as expected; "
                f"differences on: {', '.join(mismatches)}",
                markup=False,
            )
        else:
            out.print(f"demo: all {total} lab endpoints judged as expected", markup=False)
    raise typer.Exit(int(ExitCode.OK))


__all__ = ["demo_command"]
