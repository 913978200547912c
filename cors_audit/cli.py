"""The command line: parse arguments, build options, call the scan, write files, exit.

Only this module knows typer, rich, files and exit codes. It never judges anything itself.
Exit codes (README "Exit codes"): 0 nothing at or above ``--fail-on``; 1 findings at or above
it; 2 usage or policy error; 3 one or more targets could not be scanned (unless
``--allow-errors``). When both 1 and 3 apply, 1 wins: proven findings are the more
actionable signal, and both fail a CI job.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cors_audit import __version__, scoring
from cors_audit.demo import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab
from cors_audit.engine import EngineOptions
from cors_audit.errors import CorsAuditError, UsageError
from cors_audit.formats import ReportFormat, console, render
from cors_audit.models import ExitCode, Severity, TargetResult
from cors_audit.policy import STARTER_POLICY, Policy, discover_policy, load_policy, resolved_dict
from cors_audit.report import Report, build_report
from cors_audit.rules import RULES, get_rule
from cors_audit.scan import ScanOptions, scan
from cors_audit.targets import collect_targets

app = typer.Typer(
    name="cors-audit",
    help="Audit CORS configurations the way Chromium judges them, against the policy you intend.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "info", "never")
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    _err.print(f"cors-audit: error: {message}", markup=False)
    raise typer.Exit(int(code))


def _parse_fail_on(value: str) -> Severity | None:
    value = value.lower()
    if value not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, not {value!r}")
    return None if value == "never" else Severity(value)


def _parse_rate(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().lower().removesuffix("/s")
    try:
        rate = float(text)
    except ValueError:
        raise UsageError(f"--rate must look like 20/s or 20, not {value!r}") from None
    if rate <= 0:
        raise UsageError(f"--rate must be positive, not {value!r}")
    return rate


def _parse_headers(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    for index, value in enumerate(values, 1):
        name, sep, rest = value.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
            # Never echo the value: it may be a secret.
            raise UsageError(f"-H number {index} must look like 'Name: value'")
        if name.strip().lower() == "origin":
            raise UsageError("-H Origin is not allowed: cors-audit chooses the probe origins")
        headers.append((name.strip(), rest.strip()))
    return tuple(headers)


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where to write each report format."""

    paths: dict[ReportFormat, Path]


def _write_outputs(report: Report, outputs: Outputs) -> None:
    rendered = {fmt: render(fmt, report) for fmt in outputs.paths}  # render all before writing
    for fmt, path in outputs.paths.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rendered[fmt], encoding="utf-8")
        except OSError as error:
            _fail(f"cannot write {fmt.value} report to {path}: {error.strerror or error}")


class _TargetProgress:
    """A rich progress bar over targets, shown only on an interactive terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._progress: Progress | None = None
        self._task = None
        if enabled and _err.is_terminal and total > 0:
            self._progress = Progress(
                TextColumn("scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_err,
                transient=True,
            )
            self._task = self._progress.add_task("scan", total=total)

    def __enter__(self) -> Callable[[TargetResult], None]:
        if self._progress is not None:
            self._progress.start()
        return self.advance

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, _result: TargetResult) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)


def _run(
    targets_args: Sequence[str],
    files: Sequence[str],
    policy_path: Path | None,
    options: ScanOptions,
    outputs: Outputs,
    *,
    method: str,
    site_origin: str | None,
    fail_on: Severity | None,
    allow_errors: bool,
    quiet: bool,
    verbose: bool,
) -> tuple[ExitCode, Report]:
    policy: Policy | None = None
    if policy_path is None:
        policy_path = discover_policy(Path.cwd())
    if policy_path is not None:
        policy = load_policy(policy_path)
    policy_targets = [(t.url, t.method, t.site_origin) for t in policy.targets] if policy else []
    targets = collect_targets(
        targets_args,
        files,
        policy_targets,
        method=method,
        site_origin=site_origin,
        stdin=sys.stdin,
    )
    if not targets:
        raise UsageError(
            "no targets: give URLs, -f FILE (or -f - for stdin), or [[target]] in the policy"
        )
    started = datetime.now(UTC)
    with _TargetProgress(len(targets), not quiet) as on_target:
        results = scan(targets, policy, options, on_target=on_target)
    finished = datetime.now(UTC)
    report = build_report(
        results, policy=resolved_dict(policy), started_at=started, finished_at=finished
    )
    _write_outputs(report, outputs)
    if not quiet:
        _out.print(console.render(report, verbose=verbose), markup=False, end="")
        for fmt, path in outputs.paths.items():
            _out.print(f"{fmt.value} report: {path}", markup=False)
    findings = [f for r in results for f in r.findings]
    if scoring.gate_fails(findings, fail_on):
        return ExitCode.FINDINGS, report
    if any(r.error is not None for r in results) and not allow_errors:
        return ExitCode.SCAN_ERRORS, report
    return ExitCode.OK, report


def _engine_options(
    headers: Sequence[str],
    cookie: str | None,
    proxy: str | None,
    insecure: bool,
    concurrency: int,
    per_host: int,
    rate: str | None,
    timeout: float,
    retries: int,
) -> EngineOptions:
    if concurrency < 1 or per_host < 1:
        raise UsageError("--concurrency and --per-host must be at least 1")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    if retries < 0:
        raise UsageError("--retries must be 0 or more")
    return EngineOptions(
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        retries=retries,
        rate=_parse_rate(rate),
        proxy=proxy,
        insecure=insecure,
        headers=_parse_headers(headers),
        cookie=cookie,
        user_agent=f"cors-audit/{__version__}",
    )


@app.command("scan")
def scan_command(
    urls: Annotated[
        list[str] | None, typer.Argument(help="URLs to audit.", show_default=False)
    ] = None,
    file: Annotated[
        list[str] | None,
        typer.Option("-f", "--file", help="File with one URL per line ('-' = stdin); repeatable."),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Policy TOML (or a pyproject.toml with [tool.cors-audit]). Default: "
            "./cors-policy.toml or ./pyproject.toml if present; else policy-free."
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON report here.")
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here.")
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(help="Exit 1 on findings at or above: critical|high|medium|low|info|never."),
    ] = "high",
    allow_errors: Annotated[
        bool, typer.Option("--allow-errors", help="Do not exit 3 when a target cannot be scanned.")
    ] = False,
    method: Annotated[
        str, typer.Option(help="Method the application uses on the URLs given.")
    ] = "GET",
    site_origin: Annotated[
        str | None,
        typer.Option(
            help="The origin browsers see for these URLs (when scanning via IP, ingress "
            "or port-forward); probe origins derive from it."
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "-H",
            "--header",
            help="Extra request header 'Name: value' for actual "
            "requests (e.g. auth); never written to reports.",
            envvar="CORS_AUDIT_HEADER",
        ),
    ] = None,
    cookie: Annotated[
        str | None,
        typer.Option(
            help="Cookie header for actual requests; never written to reports.",
            envvar="CORS_AUDIT_COOKIE",
            show_envvar=True,
        ),
    ] = None,
    proxy: Annotated[str | None, typer.Option(help="Send requests through this proxy URL.")] = None,
    insecure: Annotated[bool, typer.Option(help="Do not verify TLS certificates.")] = False,
    concurrency: Annotated[int, typer.Option(help="Requests in flight overall.")] = 20,
    per_host: Annotated[int, typer.Option(help="Requests in flight per host.")] = 6,
    rate: Annotated[str | None, typer.Option(help="Request rate limit, e.g. 20/s.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 10.0,
    retries: Annotated[int, typer.Option(help="Retries on connection errors only.")] = 1,
    browser_mode: Annotated[
        str, typer.Option(help="Browser model: chromium (default) or spec (Fetch standard).")
    ] = "chromium",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print details and fixes.")
    ] = False,
) -> None:
    """Audit URLs: send CORS probes, judge replies as Chromium would, report findings."""
    try:
        gate = _parse_fail_on(fail_on)
        if browser_mode not in ("chromium", "spec"):
            raise UsageError(f"--browser-mode must be chromium or spec, not {browser_mode!r}")
        options = ScanOptions(
            engine=_engine_options(
                header or [], cookie, proxy, insecure, concurrency, per_host, rate, timeout, retries
            ),
            mode="spec" if browser_mode == "spec" else "chromium",
        )
        outputs = {}
        if json_out is not None:
            outputs[ReportFormat.JSON] = json_out
        if html_out is not None:
            outputs[ReportFormat.HTML] = html_out
        code, _ = _run(
            urls or [],
            file or [],
            policy,
            options,
            Outputs(outputs),
            method=method,
            site_origin=site_origin,
            fail_on=gate,
            allow_errors=allow_errors,
            quiet=quiet,
            verbose=verbose,
        )
    except CorsAuditError as error:
        _fail(str(error))
    raise typer.Exit(int(code))


@app.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where to write the reports.")] = Path(
        "reports"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Start the built-in misconfigured lab on 127.0.0.1, scan it and write reports/."""
    with tempfile.TemporaryDirectory() as tmp, DemoLab() as lab:
        policy_path = Path(tmp) / "cors-policy.toml"
        policy_path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
        urls_path = Path(tmp) / "urls.txt"
        urls_path.write_text("".join(f"{m} {u}\n" for u, m in lab.urls()), encoding="utf-8")
        outputs = Outputs(
            {
                ReportFormat.JSON: out_dir / "cors-audit.json",
                ReportFormat.HTML: out_dir / "cors-audit.html",
            }
        )
        if not quiet:
            _out.print(
                f"demo lab listening on {lab.base_url} (judged as {DEMO_SITE_ORIGIN})", markup=False
            )
        try:
            _, report = _run(
                [],
                [str(urls_path)],
                policy_path,
                ScanOptions(engine=EngineOptions(timeout=5.0)),
                outputs,
                method="GET",
                site_origin=DEMO_SITE_ORIGIN,
                fail_on=None,
                allow_errors=True,
                quiet=quiet,
                verbose=False,
            )
        except CorsAuditError as error:  # pragma: no cover - the demo's own inputs are valid
            _fail(str(error))
        expected = lab.expected()
    found: dict[str, set[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.url, set()).add(finding.rule)
        found[finding.url].update(finding.folded)
    mismatches = [url for url, rules in expected.items() if set(rules) != found.get(url, set())]
    if not quiet:
        total = len(expected)
        if mismatches:
            _out.print(
                f"demo: {total - len(mismatches)}/{total} endpoints judged as expected; "
                f"differences on: {', '.join(mismatches)}",
                markup=False,
            )
        else:
            _out.print(f"demo: all {total} lab endpoints judged as expected", markup=False)
    raise typer.Exit(int(ExitCode.OK))


@app.command("rules")
def rules_command() -> None:
    """List the rule catalogue."""
    width = max(len(rule.id) for rule in RULES)
    for rule in RULES:
        _out.print(f"{rule.id:<{width}}  {rule.default.value:<8}  {rule.title}", markup=False)


@app.command("explain")
def explain_command(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. reflected-origin.")],
) -> None:
    """Explain one rule: what it means, why it matters, how to fix it."""
    try:
        rule = get_rule(rule_id)
    except KeyError as error:
        _fail(str(error.args[0]))
    _out.print(
        f"{rule.id} — {rule.title}\n\n"
        f"Severity: {rule.severity}\nCWE: {rule.cwe}\nFamily: {rule.family}\n\n"
        f"Why it matters:\n  {rule.why}\n\nFix:\n  {rule.fix}",
        markup=False,
    )


@app.command("init")
def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the starter policy.")] = Path(
        "cors-policy.toml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter policy file."""
    if path.exists() and not force:
        _fail(f"{path} already exists (use --force to overwrite)")
    try:
        path.write_text(STARTER_POLICY, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {path}: {error.strerror or error}")
    _out.print(
        f"wrote {path}; edit trusted_origins, then run: cors-audit scan URL --policy {path}",
        markup=False,
    )


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        _out.print(f"cors-audit {__version__}", markup=False)
        raise typer.Exit(0)


def main() -> None:
    """Console-script entry point."""
    app()
