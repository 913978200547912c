"""The command line: parse arguments, call the application, draw the terminal, exit.

Only this package knows typer, rich and exit codes; what a command does is the application's
(``cors_audit/app``). The commands live in ``scan.py``, ``reports.py`` (merge, diff, baseline,
init), ``demo.py`` and ``catalogue.py`` (rules, explain); this module puts them together.

Exit codes (README "Exit codes"): 0 nothing at or above ``--fail-on``; 1 findings at or above
it; 2 usage or policy error; 3 one or more targets could not be scanned (unless
``--allow-errors``); 130 interrupted. When both 1 and 3 apply, 1 wins: proven findings are the
more actionable signal, and both fail a CI job.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cors_audit import __version__
from cors_audit.cli.catalogue import explain_command, rules_command
from cors_audit.cli.demo import demo_command
from cors_audit.cli.reports import baseline_app, diff_command, init_command, merge_command
from cors_audit.cli.scan import scan_command
from cors_audit.cli.terminal import err, out
from cors_audit.core.models import ExitCode

# Start-up (issue 8: `cors-audit --help` well under 0.4 s): the stages, pydantic, httpx, yaml
# and jinja2 are imported by the commands that use them, not by these modules.

app = typer.Typer(
    name="cors-audit",
    help="Audit CORS configurations the way Chromium judges them, against the policy you intend.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: rich's help renderer imports markdown-it and pygments (~0.25 s of
    # start-up, issue 8); our help text uses no markup.
    rich_markup_mode=None,
)
app.command("scan")(scan_command)
app.command("merge")(merge_command)
app.add_typer(baseline_app)
app.command("demo")(demo_command)
app.command("rules")(rules_command)
app.command("explain")(explain_command)
app.command("init")(init_command)
app.command("diff")(diff_command)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"cors-audit {__version__}", markup=False)
        raise typer.Exit(0)


def main() -> None:
    """Console-script entry point. A bug must not look like a finding (exit 1) to CI: an
    unexpected exception is reported in one line and exits 2, like any run that produced no
    verdict."""
    try:
        app()
    except Exception as error:  # the last line of defence, see above
        err.print(
            f"cors-audit: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in cors-audit; please report it with the command you ran.",
            markup=False,
        )
        raise SystemExit(int(ExitCode.USAGE)) from None


__all__ = ["app", "main"]
