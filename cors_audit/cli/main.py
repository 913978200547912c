"""The command line: parse arguments, build options, call the scan, write files, exit.

Only this module knows typer, rich, files and exit codes. It never judges anything itself.
Exit codes (README "Exit codes"): 0 nothing at or above ``--fail-on``; 1 findings at or above
it; 2 usage or policy error; 3 one or more targets could not be scanned (unless
``--allow-errors``). When both 1 and 3 apply, 1 wins: proven findings are the more
actionable signal, and both fail a CI job.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from cors_audit import __version__
from cors_audit.core.errors import CorsAuditError, UsageError
from cors_audit.core.models import EffectivePolicy, ExitCode, Severity
from cors_audit.formats import ReportFormat

# Start-up (issue 8: `cors-audit --help` well under 0.4 s): the stages, pydantic, httpx, yaml
# and jinja2 are imported by the commands that use them, not here.
if TYPE_CHECKING:
    from rich.progress import Progress

    from cors_audit.app.scan import ScanOptions
    from cors_audit.core.models import Headers, Probe, Target, TargetResult
    from cors_audit.inputs.policy import Policy, ScanSettings
    from cors_audit.report.build import GateSettings, Report
    from cors_audit.sending.engine import EngineOptions

BASELINE_FILE_NAME = "cors-baseline.toml"
"""Where ``baseline create`` writes by default."""

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

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    _err.print(f"cors-audit: error: {message}", markup=False)
    raise typer.Exit(int(code))


def _fail_untrusted(error: CorsAuditError) -> NoReturn:
    """``_fail`` for errors about reports read back (``merge``, ``diff``, ``init
    --from-report``, ``baseline create``): the message may quote them, so control characters
    are shown escaped and nothing from a report starts a line of a terminal or CI log."""
    from cors_audit.core.text import sanitize

    _fail(sanitize(str(error)))


def _parse_fail_on(value: str, where: str = "--fail-on") -> Severity | None:
    from cors_audit.inputs.policy import FAIL_ON_CHOICES

    value = value.lower()
    if value not in FAIL_ON_CHOICES:
        raise UsageError(f"{where} must be one of {', '.join(FAIL_ON_CHOICES)}, not {value!r}")
    return None if value == "never" else Severity(value)


def _parse_rate(value: str | None) -> float | None:
    from cors_audit.inputs.policy import parse_rate

    if value is None:
        return None
    try:
        return parse_rate(value)
    except ValueError as error:
        raise UsageError(f"--rate {error}") from None


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


_OPTIONS: dict[ReportFormat, str] = {fmt: f"--{fmt.value}" for fmt in ReportFormat}


def _check_outputs(outputs: dict[ReportFormat, Path]) -> None:
    """Refuse (``UsageError``, before the first request is sent) output paths that could not be
    written: a directory, a parent that is a file or cannot be written to, an existing file that
    is read-only, two formats on one path. Missing parent directories are created when writing."""
    seen: dict[str, ReportFormat] = {}
    for fmt, path in outputs.items():
        option = _OPTIONS[fmt]
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"{_OPTIONS[seen[key]]} and {option} both write to {path}")
        seen[key] = fmt
        if path.is_dir():
            raise UsageError(f"{option} {path} is a directory; give a file name")
        if path.exists() and not os.access(path, os.W_OK):
            raise UsageError(f"{option} {path} is not writable")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise UsageError(f"{option} {path}: {parent} is not a directory")
        if path.is_file() and not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"{option} {path}: the directory {parent} is not writable")
        if not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"{option} {path}: the directory {parent} is not writable")


def _new_file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _stage(path: Path) -> tuple[int, Path]:
    """A temporary file beside ``path`` (open, for writing) with the mode ``path`` has, or the
    one a new file gets under the umask (``mkstemp`` alone would make it 0600)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, mode)
    except BaseException:
        os.close(handle)
        Path(name).unlink(missing_ok=True)
        raise
    return handle, Path(name)


def _write_text_atomic(path: Path, text: str | Iterable[str], *, make_parents: bool) -> None:
    """Write ``text`` (or its chunks, streamed as they come) to ``path`` through a temporary
    file renamed into place (keeping the mode of the file it replaces). A symbolic link at
    ``path`` is refused, never written through; interrupted (Ctrl-C, SIGTERM), nothing is
    replaced, no temporary file is left and the exit code is 130."""
    if path.is_symlink():
        _fail(f"{path} is a symbolic link; cors-audit does not write through links")
    if path.is_dir():
        _fail(f"{path} is a directory; give a file name")
    staged: Path | None = None
    try:
        with _Interruptible():
            if make_parents:
                path.parent.mkdir(parents=True, exist_ok=True)
            handle, staged = _stage(path)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                for chunk in [text] if isinstance(text, str) else text:
                    out.write(chunk)
            os.replace(staged, path)
            staged = None
    except KeyboardInterrupt:
        _fail(f"interrupted; {path} was not written", ExitCode.INTERRUPTED)
    except OSError as error:
        _fail(f"cannot write {path}: {error.strerror or error}")
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)


def _write_outputs(report: Report, outputs: dict[ReportFormat, Path]) -> None:
    """Stream every report into a temporary file beside its path, then rename them all into
    place: a reader (or a crash) never sees half a report, and a failure leaves the previous
    files as they were. A replaced file keeps its mode; a new one follows the umask. Streaming
    keeps a large report from being held twice (model and text; issue 8). Special files
    (``/dev/stdout``, a FIFO) are written directly, after the others. Interrupted (Ctrl-C,
    SIGTERM), the temporary files are removed and the exit code is 130."""
    from cors_audit.formats import write

    staged: list[tuple[ReportFormat, Path, Path]] = []  # (format, temporary file, path)
    special: list[tuple[ReportFormat, Path]] = []
    fmt, path = ReportFormat.JSON, Path()  # what the error message names
    try:
        with _Interruptible():
            for fmt, path in outputs.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and not path.is_file():
                    special.append((fmt, path))
                    continue
                handle, staged_file = _stage(path)
                staged.append((fmt, staged_file, path))
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    write(fmt, report, out)
            while staged:
                fmt, staged_file, path = staged[-1]
                os.replace(staged_file, path)
                staged.pop()
            for fmt, path in special:
                with path.open("w", encoding="utf-8") as out:
                    write(fmt, report, out)
    except KeyboardInterrupt:
        _fail("interrupted while writing the reports", ExitCode.INTERRUPTED)
    except OSError as error:
        _fail(f"cannot write {fmt.value} report to {path}: {error.strerror or error}")
    finally:
        for _, leftover, _ in staged:
            leftover.unlink(missing_ok=True)


class _Interruptible:
    """During a scan, SIGTERM behaves like Ctrl-C. Ctrl-C itself is asyncio's: the first one
    cancels the scan cleanly (``asyncio.run`` then raises KeyboardInterrupt: what finished is
    reported and the exit code is 130), a second one interrupts at once."""

    def __init__(self) -> None:
        self._previous: object = None

    @staticmethod
    def _terminate(signum: int, frame: object) -> None:
        signal.raise_signal(signal.SIGINT)  # handled like Ctrl-C by whoever handles that

    def __enter__(self) -> _Interruptible:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._terminate)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)  # type: ignore[arg-type]


def _print_summary(report: Report, outputs: dict[ReportFormat, Path], *, verbose: bool) -> None:
    from cors_audit.formats import console

    _out.print(console.render(report, verbose=verbose), markup=False, end="")
    for fmt, path in outputs.items():
        _out.print(f"{fmt.value} report: {path}", markup=False)


class _TargetProgress:
    """A rich progress bar over targets, shown only on an interactive terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._progress: Progress | None = None
        self._task = None
        if enabled and _err.is_terminal and total > 0:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

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


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One scan run, fully resolved from the command line, environment and policy file."""

    targets_args: Sequence[str]
    files: Sequence[str]
    policy: Policy | None
    options: ScanOptions
    outputs: dict[ReportFormat, Path]
    method: str
    site_origin: str | None
    gate: GateSettings
    baseline: Path | None = None
    shard: tuple[int, int] | None = None
    cookie_file: Path | None = None
    scope: Sequence[str] = ()
    openapi: Path | None = None
    base_url: str | None = None
    har: Path | None = None
    har_credentials: bool = False
    dry_run: bool = False
    verify_browser: bool = False
    quiet: bool = False
    verbose: bool = False


def _run(run: RunSpec) -> Report | None:
    """Collect targets, scan, build the report, write the files; the exit code is in
    ``report.gate.exit_code``. ``None`` after a dry run (nothing was sent)."""
    from cors_audit.app.scan import collector_tuned, scan
    from cors_audit.core.redaction import parameter_warning, run_secrets
    from cors_audit.inputs.auth import cookie_from_jar
    from cors_audit.inputs.policy import resolved_dict
    from cors_audit.inputs.targets import collect_targets, shard_of
    from cors_audit.report.baseline import load_baseline
    from cors_audit.report.build import ShardModel, build_report, redact_report

    _check_outputs(run.outputs)
    policy = run.policy
    baseline = None if run.baseline is None else load_baseline(run.baseline)
    policy_targets = [(t.url, t.method, t.site_origin) for t in policy.targets] if policy else []
    imported, run_notes, har_headers = _imports(run)
    targets = collect_targets(
        run.targets_args,
        run.files,
        policy_targets,
        method=run.method,
        site_origin=run.site_origin,
        stdin=sys.stdin,
        imported=imported,
    )
    if not targets:
        raise UsageError(
            "no targets: give URLs, -f FILE (or -f - for stdin), or [[target]] in the policy"
        )
    _check_scope(targets, policy, run.scope)
    options = run.options
    if har_headers:
        engine = options.engine
        options = replace(options, engine=replace(engine, headers=engine.headers + har_headers))
    if run.cookie_file is not None:
        if options.engine.cookie is not None:
            raise UsageError("give either --cookie or --cookie-file, not both")
        cookie = cookie_from_jar(run.cookie_file, [t.url for t in targets])
        options = replace(options, engine=replace(options.engine, cookie=cookie))
    run_notes += _plain_http_warnings(targets, options, run)
    warning = parameter_warning(t.url for t in targets)
    if warning is not None:
        run_notes.append(warning)
        if not run.quiet:
            _err.print(f"cors-audit: warning: {warning}", markup=False)
    indices = list(range(len(targets)))
    shard = None
    if run.shard is not None:
        k, n = run.shard
        indices = [i for i, target in enumerate(targets) if shard_of(target, n) == k]
        shard = ShardModel(index=k, count=n, total_targets=len(targets))
        targets = [targets[i] for i in indices]
    if run.dry_run:
        _dry_run(targets, policy, options, run)
        return None
    started = datetime.now(UTC)
    finished_results: dict[int, TargetResult] = {}
    position = {id(target): i for i, target in enumerate(targets)}
    interrupted = False
    with _TargetProgress(len(targets), not run.quiet) as advance, _Interruptible():

        def on_target(result: TargetResult) -> None:
            finished_results[position[id(result.target)]] = result
            advance(result)

        try:
            results = scan(targets, policy, options, on_target=on_target)
        except KeyboardInterrupt:
            # Ctrl-C or SIGTERM: keep what finished, write the reports, exit 130.
            interrupted = True
            kept = sorted(finished_results)
            results = [finished_results[i] for i in kept]
            indices = [indices[i] for i in kept]
    finished = datetime.now(UTC)
    with collector_tuned():
        report = build_report(
            results,
            policy=resolved_dict(policy),
            started_at=started,
            finished_at=finished,
            gate=run.gate,
            baseline=baseline,
            shard=shard,
            indices=indices,
        )
    finished_count = len(results)
    del results  # the report holds what it needs: let the exchanges go before writing
    finished_results.clear()
    if interrupted:
        run_notes.append(
            f"interrupted: {finished_count} of {len(targets)} targets had finished; the others "
            "are not in this report"
        )
        report = report.model_copy(update={"interrupted": True})
    if run_notes:
        report = report.model_copy(update={"notes": run_notes})
    if run.verify_browser:
        report = _verify(report, options, quiet=run.quiet)
    # The verdict above was made on the replies as received; every output shows them redacted.
    secrets = run_secrets(options.engine.headers, options.engine.cookie, (t.url for t in targets))
    report = redact_report(report, secrets, url_parameters=warning is not None)
    with collector_tuned():
        _write_outputs(report, run.outputs)
    if not run.quiet:
        _print_summary(report, run.outputs, verbose=run.verbose)
    return report


def _check_scope(targets: Sequence[Target], policy: Policy | None, cli: Sequence[str]) -> None:
    """``--scope`` is an upper bound: the policy's ``scope`` may narrow it, never widen it, and
    a policy may not route the scan elsewhere (``[scan] proxy``) or drop TLS checks
    (``insecure``) under it. Raises ``UsageError`` naming the policy file and key."""
    from cors_audit.core.redaction import redact_url
    from cors_audit.inputs.targets import check_scope, in_scope

    narrowed = policy.scope if policy else ()
    if not cli:
        check_scope(targets, narrowed)
        return
    if policy is not None:
        where = policy.source or "the policy"
        settings = policy.scan
        for key, set_ in (
            ("proxy", settings is not None and settings.proxy is not None),
            ("insecure", settings is not None and bool(settings.insecure)),
        ):
            if set_:
                raise UsageError(
                    f"{where}: [scan] {key} is refused when --scope is given on the command "
                    f"line (a policy may not widen what the scan reaches); give --{key} on the "
                    "command line instead"
                )
        for target in targets:
            if target.source == "policy" and not in_scope(target.url, cli):
                raise UsageError(
                    f"{where}: [[target]] {redact_url(target.url)} is outside the --scope given "
                    "on the "
                    f"command line ({', '.join(cli)}); nothing was sent"
                )
    check_scope(targets, cli)
    check_scope(targets, narrowed)


def _plain_http_warnings(
    targets: Sequence[Target], options: ScanOptions, run: RunSpec
) -> list[str]:
    """Warn (on stderr and in the report) before credentials go over plain http to a host the
    user did not name on the command line (a URL argument or a ``--scope`` glob)."""
    from urllib.parse import urlsplit

    from cors_audit.inputs.targets import in_scope

    if not (options.engine.headers or options.engine.cookie):
        return []
    named = {urlsplit(t.url).netloc for t in targets if t.source == "argument"}
    hosts: dict[str, str] = {}
    for target in targets:
        parts = urlsplit(target.url)
        if parts.scheme != "http" or parts.netloc in named:
            continue
        if run.scope and in_scope(target.url, run.scope):
            continue
        hosts.setdefault(parts.netloc, target.source)
    notes = [
        f"credentials are sent over plain http to {host} (from {source}), a host not named on "
        "the command line; anyone on the network path can read them"
        for host, source in hosts.items()
    ]
    for note in notes:
        _err.print(f"cors-audit: warning: {note}", markup=False)
    return notes


def _imports(run: RunSpec) -> tuple[list[Target], list[str], Headers]:
    """Targets from --openapi / --har, run notes, and the HAR's credentials (only with
    --har-credentials)."""
    from cors_audit.inputs.inventory import load_har, load_openapi

    if run.base_url is not None and run.openapi is None:
        raise UsageError("--base-url needs --openapi")
    if run.har_credentials and run.har is None:
        raise UsageError("--har-credentials needs --har")
    targets: list[Target] = []
    notes: list[str] = []
    headers: Headers = ()
    for inventory in (
        None if run.openapi is None else load_openapi(run.openapi, run.base_url),
        None if run.har is None else load_har(run.har, with_credentials=run.har_credentials),
    ):
        if inventory is None:
            continue
        targets += [
            replace(t, request_headers=inventory.request_headers.get((t.method, t.url), ()))
            for t in inventory.targets
        ]
        notes += inventory.notes
        if inventory.origin_candidates:
            notes.append(
                "origins seen calling these URLs in the HAR (candidates only, never trusted "
                "automatically; add them to trusted_origins if intended): "
                + ", ".join(inventory.origin_candidates)
            )
        if run.har_credentials and not inventory.credentials and inventory.credentials_by_origin:
            raise UsageError(
                f"{run.har}: its credentials belong to several origins "
                f"({', '.join(inventory.credentials_by_origin)}); import one site per run"
            )
        headers += inventory.credentials
    return targets, notes, headers


def _verify(report: Report, options: ScanOptions, *, quiet: bool) -> Report:
    """Replay every (unsuppressed) finding in a real Chromium and record what it did."""
    from cors_audit.verify import replay as verify

    findings = [f for f in report.findings if not f.suppressed]
    if not quiet and findings:
        _err.print(f"verifying {len(findings)} finding(s) in Chromium…", markup=False)
    results = verify.verify_findings(
        findings, timeout=options.engine.timeout, insecure=options.engine.insecure
    )
    return report.model_copy(
        update={
            "findings": [
                f.model_copy(update={"verified": results.get(f.fingerprint)})
                for f in report.findings
            ]
        }
    )


def _dry_run(
    targets: Sequence[Target], policy: Policy | None, options: ScanOptions, run: RunSpec
) -> None:
    """Print (and with --json write) every request the scan may send; send nothing. The plan is
    made one target at a time and streamed out (to the JSON file through the same atomic writer
    as the reports, and to the terminal), so memory stays flat however many targets there are."""
    from cors_audit.app.scan import effective_policy
    from cors_audit.core.redaction import redact_url
    from cors_audit.probing.origins import new_label, probe_origins
    from cors_audit.probing.planner import plan_target

    label = options.label or new_label()
    credentialed = bool(options.engine.headers or options.engine.cookie)
    secret_names = [name for name, _ in options.engine.headers]
    if options.engine.cookie:
        secret_names.append("Cookie")

    def plan_of(target: Target) -> list[tuple[int, Probe, Headers]]:
        effective = effective_policy(policy, target)
        # Variants of every trusted origin are listed (the server usually admits them); those
        # of origins discovery may find cannot be known before the scan.
        origins = probe_origins(
            target.origin,
            effective,
            label,
            thorough=options.thorough,
            admitted=effective.trusted_origins,
        )
        rounds = plan_target(
            target, effective, origins, label, credentialed=credentialed, thorough=options.thorough
        )
        requests: list[tuple[int, Probe, Headers]] = []
        for number, probes in enumerate(rounds, 1):
            for probe in probes:
                user = probe.credentialed and not probe.is_preflight
                masked = tuple((name, "<redacted>") for name in secret_names) if user else ()
                requests.append((number, probe, probe.wire_headers() + masked))
        return requests

    def json_chunks() -> Iterator[str]:
        head = {
            "dry_run": True,
            "label": label,
            "note": "rounds 2 and 3 are sent only where earlier replies show they can change the "
            "verdict; variants of origins that discovery finds admitted are derived during the "
            "scan and not listed",
        }
        yield json.dumps(head, indent=2)[:-2] + ',\n  "targets": ['
        for index, target in enumerate(targets):
            entry = {
                "url": redact_url(target.url),
                "method": target.method,
                "requests": [
                    {
                        "round": number,
                        "kind": probe.kind.value,
                        "purpose": probe.purpose,
                        "origin_class": probe.origin.cls.value if probe.origin else None,
                        "method": probe.method,
                        "url": redact_url(probe.url),
                        "headers": [list(header) for header in headers],
                    }
                    for number, probe, headers in plan_of(target)
                ],
            }
            text = json.dumps(entry, indent=2).replace("\n", "\n    ")
            yield ("," if index else "") + "\n    " + text
        yield "\n  ]\n}\n"

    json_path = run.outputs.get(ReportFormat.JSON)
    if json_path is not None:
        _write_text_atomic(json_path, json_chunks(), make_parents=True)
    if run.quiet:
        return
    total = 0
    for target in targets:
        requests = plan_of(target)
        total += len(requests)
        shown_url = redact_url(target.url)
        _out.print(f"{target.method} {shown_url}: up to {len(requests)} requests", markup=False)
        for number, probe, headers in requests:
            shown = "; ".join(f"{name}: {value}" for name, value in headers)
            url = redact_url(probe.url)
            _out.print(f"  [{number}] {probe.method} {url}  {shown}", markup=False)
    _out.print(
        f"dry run: up to {total} requests to {len(targets)} target(s), plus the bypass variants "
        "of any origin that discovery finds admitted; nothing was sent",
        markup=False,
    )


def _engine_options(
    headers: Sequence[tuple[str, str]],
    cookie: str | None,
    proxy: str | None,
    insecure: bool,
    concurrency: int,
    per_host: int,
    rate: str | None,
    timeout: float,
    retries: int,
) -> EngineOptions:
    from cors_audit.sending.engine import EngineOptions

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
        headers=tuple(headers),
        cookie=cookie,
        user_agent=f"cors-audit/{__version__}",
    )


def _check_label(label: str) -> str:
    from cors_audit.probing.origins import probe_origins

    try:
        probe_origins("https://example.com", EffectivePolicy(trusted_origins=()), label)
    except ValueError as error:
        raise UsageError(f"--label: {error}") from None
    return label


def _env(name: str) -> str:
    return f"CORS_AUDIT_{name}"


_T = TypeVar("_T")


def _pick(cli: _T | None, file: _T | None, default: _T) -> _T:
    """Precedence: command line or environment (typer merges those), then the file, then the
    built-in default."""
    if cli is not None:
        return cli
    return default if file is None else file


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _load_policy(path: Path | None) -> Policy | None:
    from cors_audit.inputs.policy import discover_policy, load_policy

    if path is None:
        path = discover_policy(Path.cwd())
    return None if path is None else load_policy(path)


def _file_path(settings: ScanSettings, key: str, policy: Policy | None) -> Path | None:
    """A path from the ``[scan]`` table, relative to the policy file."""
    value = getattr(settings, key)
    if value is None:
        return None
    base = Path(policy.source).parent if policy and policy.source else Path.cwd()
    return base / Path(value).expanduser()


_FORMAT_KEYS: dict[ReportFormat, str] = {
    ReportFormat.JSON: "json_path",
    ReportFormat.HTML: "html",
    ReportFormat.SARIF: "sarif",
    ReportFormat.JUNIT: "junit",
    ReportFormat.MARKDOWN: "markdown",
}


@app.command("scan")
def scan_command(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="URLs to audit.", show_default=False),
    ] = None,
    file: Annotated[
        list[str] | None,
        typer.Option(
            "-f",
            "--file",
            help="File with one URL per line ('-' = stdin); repeatable.",
            metavar="FILE",
            envvar=_env("FILE"),
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Policy TOML (or a pyproject.toml with [tool.cors-audit]). Default: "
            "./cors-policy.toml or ./pyproject.toml if present; else policy-free.",
            envvar=_env("POLICY"),
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the JSON report here.", envvar=_env("JSON")),
    ] = None,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="Write the HTML report here.", envvar=_env("HTML")),
    ] = None,
    sarif_out: Annotated[
        Path | None,
        typer.Option("--sarif", help="Write a SARIF 2.1.0 log here.", envvar=_env("SARIF")),
    ] = None,
    junit_out: Annotated[
        Path | None,
        typer.Option("--junit", help="Write JUnit XML here.", envvar=_env("JUNIT")),
    ] = None,
    markdown_out: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help="Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).",
            envvar=_env("MARKDOWN"),
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            help="Exit 1 on findings at or above: critical|high|medium|low|info|never "
            "[default: high].",
            envvar=_env("FAIL_ON"),
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Baseline TOML: findings it lists are suppressed (see `baseline create`).",
            envvar=_env("BASELINE"),
        ),
    ] = None,
    allow_errors: Annotated[
        bool | None,
        typer.Option(
            "--allow-errors/--no-allow-errors",
            help="Do not exit 3 when a target cannot be scanned.",
            envvar=_env("ALLOW_ERRORS"),
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="Method the application uses on the URLs given [default: GET].",
            envvar=_env("METHOD"),
        ),
    ] = None,
    site_origin: Annotated[
        str | None,
        typer.Option(
            help="The origin browsers see for these URLs (when scanning via IP, ingress "
            "or port-forward); probe origins derive from it.",
            envvar=_env("SITE_ORIGIN"),
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "-H",
            "--header",
            metavar="HEADER",
            help="Extra request header 'Name: value' for actual requests (e.g. auth); never "
            "written to reports. Also CORS_AUDIT_HEADER (one header per line).",
        ),
    ] = None,
    header_file: Annotated[
        Path | None,
        typer.Option(
            help="File of 'Name: value' lines added like -H (keeps secrets off the command "
            "line); CORS_AUDIT_HEADER_<NAME> variables add headers too.",
            envvar=_env("HEADER_FILE"),
        ),
    ] = None,
    cookie: Annotated[
        str | None,
        typer.Option(
            help="Cookie header for actual requests; never written to reports.",
            envvar=_env("COOKIE"),
        ),
    ] = None,
    cookie_file: Annotated[
        Path | None,
        typer.Option(
            help="Netscape cookie jar (curl/browser export); the cookies a browser would send "
            "to the targets are used like --cookie.",
            envvar=_env("COOKIE_FILE"),
        ),
    ] = None,
    proxy: Annotated[
        str | None,
        typer.Option(help="Send requests through this proxy URL.", envvar=_env("PROXY")),
    ] = None,
    insecure: Annotated[
        bool | None,
        typer.Option(
            "--insecure/--verify-tls",
            help="Do not verify TLS certificates [default: verify].",
            envvar=_env("INSECURE"),
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Requests in flight overall [default: 20].", envvar=_env("CONCURRENCY")),
    ] = None,
    per_host: Annotated[
        int | None,
        typer.Option(help="Requests in flight per host [default: 6].", envvar=_env("PER_HOST")),
    ] = None,
    rate: Annotated[
        str | None,
        typer.Option(help="Request rate limit, e.g. 20/s [default: none].", envvar=_env("RATE")),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="Seconds per request [default: 10].", envvar=_env("TIMEOUT")),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(
            help="Retries on connection errors only [default: 1].", envvar=_env("RETRIES")
        ),
    ] = None,
    browser_mode: Annotated[
        str | None,
        typer.Option(
            help="Browser model: chromium (default) or spec (Fetch standard).",
            envvar=_env("BROWSER_MODE"),
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Scan only slice K of N (e.g. 2/5), chosen by a stable hash of each target; "
            "combine the reports with `cors-audit merge`.",
            envvar=_env("SHARD"),
        ),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="Host glob a scan may contact (repeatable): an upper bound the policy's scope "
            "may only narrow; a target outside it is refused before anything is sent.",
            metavar="GLOB",
            envvar=_env("SCOPE"),
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print every request the scan may send (secrets masked; --json writes the "
            "plan) and exit 0 without sending anything.",
        ),
    ] = False,
    openapi: Annotated[
        Path | None,
        typer.Option(
            help="OpenAPI 3.x / Swagger 2.0 file (JSON or YAML): one target per path and "
            "method, with the request headers each operation declares.",
            envvar=_env("OPENAPI"),
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="Base URL for --openapi (default: the document's first server).",
            envvar=_env("BASE_URL"),
        ),
    ] = None,
    har: Annotated[
        Path | None,
        typer.Option(
            help="HAR file (browser DevTools export): one target per cross-origin method + URL.",
            envvar=_env("HAR"),
        ),
    ] = None,
    har_credentials: Annotated[
        bool,
        typer.Option(
            "--har-credentials",
            help="Use the cookies and auth headers recorded in the HAR (never by default).",
        ),
    ] = False,
    target_deadline: Annotated[
        float | None,
        typer.Option(
            help="Seconds one target may take in all (waiting behind other targets not "
            "counted) [default: 60].",
            envvar=_env("TARGET_DEADLINE"),
        ),
    ] = None,
    request_deadline: Annotated[
        float | None,
        typer.Option(
            help="Seconds one request may take from connect to last byte, however slowly the "
            "server trickles [default: 3 x --timeout].",
            envvar=_env("REQUEST_DEADLINE"),
        ),
    ] = None,
    max_requests: Annotated[
        int | None,
        typer.Option(
            help="Most requests for the whole scan; targets not reached are reported as "
            "not scanned [default: no limit].",
            envvar=_env("MAX_REQUESTS"),
        ),
    ] = None,
    max_requests_per_target: Annotated[
        int | None,
        typer.Option(
            help="Most probes sent to one target; the rest are skipped with a note [default: 200].",
            envvar=_env("MAX_REQUESTS_PER_TARGET"),
        ),
    ] = None,
    fast_transport: Annotated[
        bool,
        typer.Option(
            "--fast-transport/--no-fast-transport",
            help="Send through aiohttp (about 3x the request rate of httpx's own transport); a "
            "reply aiohttp's parser refuses is fetched again through httpx, so malformed "
            "replies stay evidence. --no-fast-transport sends everything through httpx.",
            envvar=_env("FAST_TRANSPORT"),
        ),
    ] = True,
    thorough: Annotated[
        bool | None,
        typer.Option(
            "--thorough",
            help="Derive bypass origins from every trusted origin, probe every hosting "
            "platform and send both probe kinds at once (about 3x the requests).",
            envvar=_env("THOROUGH"),
            show_default=False,
        ),
    ] = None,
    verify_browser: Annotated[
        bool,
        typer.Option(
            "--verify-browser",
            help="Replay each finding in a real Chromium (extra 'browser') and record whether "
            "it reproduces.",
            envvar=_env("VERIFY_BROWSER"),
        ),
    ] = False,
    label: Annotated[
        str | None,
        typer.Option(
            help="The random label of attacker origins (default: a fresh one per run); fix it "
            "to compare a --dry-run with a scan.",
            envvar=_env("LABEL"),
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print details and fixes.")
    ] = False,
) -> None:
    """Audit URLs: send CORS probes, judge replies as Chromium would, report findings.

    Every option can also come from a CORS_AUDIT_<OPTION> environment variable or from the
    [scan] table of the policy file; the command line wins over the environment, which wins
    over the file.
    """
    from cors_audit.app.scan import (
        DEFAULT_MAX_REQUESTS_PER_TARGET,
        DEFAULT_TARGET_DEADLINE,
        ScanOptions,
    )
    from cors_audit.inputs.auth import headers_from_env, read_header_file
    from cors_audit.inputs.policy import ScanSettings
    from cors_audit.inputs.targets import parse_shard
    from cors_audit.report.build import GateSettings

    try:
        if verify_browser and not dry_run:
            # Fail fast (exit 2) before scanning when no browser can be used.
            from cors_audit.verify import replay as verify

            verify.find_chromium()
            verify.require_playwright()
        loaded = _load_policy(policy)
        settings = (loaded.scan if loaded else None) or ScanSettings()
        gate = _parse_fail_on(_pick(fail_on, settings.fail_on, "high"))
        mode = _pick(browser_mode, settings.browser_mode, "chromium")
        if mode not in ("chromium", "spec"):
            raise UsageError(f"--browser-mode must be chromium or spec, not {mode!r}")
        file_rate = None if settings.rate is None else str(settings.rate)
        # Read by hand, not through click: click splits a list option's environment variable
        # on whitespace, which would cut "Authorization: Bearer x" into three values.
        env_headers = [line for line in os.environ.get(_env("HEADER"), "").splitlines() if line]
        headers = [
            *_parse_headers(header or env_headers),
            *(read_header_file(header_file) if header_file is not None else ()),
            *headers_from_env(),
        ]
        options = ScanOptions(
            engine=_engine_options(
                headers,
                cookie,
                _pick(proxy, settings.proxy, None),
                _pick(insecure, settings.insecure, False),
                _pick(concurrency, settings.concurrency, 20),
                _pick(per_host, settings.per_host, 6),
                _pick(rate, file_rate, None),
                _pick(timeout, None if settings.timeout is None else float(settings.timeout), 10.0),
                _pick(retries, settings.retries, 1),
            ),
            mode="spec" if mode == "spec" else "chromium",
            label=None if label is None else _check_label(label),
            thorough=_pick(thorough, settings.thorough, False),
            max_requests=_pick(max_requests, settings.max_requests, None),
            target_deadline=_pick(
                target_deadline, _float(settings.target_deadline), DEFAULT_TARGET_DEADLINE
            ),
            max_requests_per_target=_pick(
                max_requests_per_target,
                settings.max_requests_per_target,
                DEFAULT_MAX_REQUESTS_PER_TARGET,
            ),
        )
        options = replace(options, engine=replace(options.engine, fast_transport=fast_transport))
        deadline = _pick(request_deadline, _float(settings.request_deadline), None)
        if deadline is not None:
            if deadline <= 0:
                raise UsageError("--request-deadline must be positive")
            options = replace(options, engine=replace(options.engine, request_deadline=deadline))
        given = {
            ReportFormat.JSON: json_out,
            ReportFormat.HTML: html_out,
            ReportFormat.SARIF: sarif_out,
            ReportFormat.JUNIT: junit_out,
            ReportFormat.MARKDOWN: markdown_out,
        }
        outputs: dict[ReportFormat, Path] = {}
        for fmt, path in given.items():
            chosen = path if path is not None else _file_path(settings, _FORMAT_KEYS[fmt], loaded)
            if chosen is not None:
                outputs[fmt] = chosen
        shard_text = _pick(shard, settings.shard, None)
        report = _run(
            RunSpec(
                targets_args=urls or [],
                files=file or [],
                policy=loaded,
                options=options,
                outputs=outputs,
                method=_pick(method, settings.method, "GET"),
                site_origin=_pick(site_origin, settings.site_origin, None),
                gate=GateSettings(
                    fail_on=gate,
                    allow_errors=_pick(allow_errors, settings.allow_errors, False),
                ),
                baseline=baseline
                if baseline is not None
                else _file_path(settings, "baseline", loaded),
                shard=None if shard_text is None else parse_shard(shard_text),
                cookie_file=cookie_file,
                scope=scope or (),
                dry_run=dry_run,
                verify_browser=verify_browser,
                openapi=openapi,
                base_url=base_url,
                har=har,
                har_credentials=har_credentials,
                quiet=quiet,
                verbose=verbose,
            )
        )
    except CorsAuditError as error:
        _fail(str(error))
    if report is None:
        raise typer.Exit(ExitCode.OK)
    raise typer.Exit(ExitCode.INTERRUPTED if report.interrupted else report.gate.exit_code)


@app.command("merge")
def merge_command(
    reports: Annotated[
        list[Path],
        typer.Argument(help="JSON reports to combine (e.g. one per shard)."),
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the merged JSON report here.")
    ] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write HTML here.")] = None,
    sarif_out: Annotated[Path | None, typer.Option("--sarif", help="Write SARIF here.")] = None,
    junit_out: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    markdown_out: Annotated[
        Path | None, typer.Option("--markdown", help="Write a Markdown summary here.")
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 on findings at or above: critical|high|medium|low|info|never.",
            envvar=_env("FAIL_ON"),
        ),
    ] = "high",
    allow_errors: Annotated[
        bool,
        typer.Option(
            "--allow-errors",
            help="Do not exit 3 for unscannable targets.",
            envvar=_env("ALLOW_ERRORS"),
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Combine shard reports into one: scores, summary and exit code are recomputed."""
    from cors_audit.report.build import GateSettings, load_report, merge_reports

    try:
        gate = GateSettings(fail_on=_parse_fail_on(fail_on), allow_errors=allow_errors)
        merged = merge_reports([(str(path), load_report(path)) for path in reports], gate)
    except CorsAuditError as error:
        _fail_untrusted(error)
    given = {
        ReportFormat.JSON: json_out,
        ReportFormat.HTML: html_out,
        ReportFormat.SARIF: sarif_out,
        ReportFormat.JUNIT: junit_out,
        ReportFormat.MARKDOWN: markdown_out,
    }
    outputs = {fmt: path for fmt, path in given.items() if path is not None}
    try:
        _check_outputs(outputs)
    except CorsAuditError as error:
        _fail(str(error))
    _write_outputs(merged, outputs)
    if not quiet:
        _print_summary(merged, outputs, verbose=False)
    raise typer.Exit(merged.gate.exit_code)


baseline_app = typer.Typer(
    name="baseline",
    help="Accept known findings: a baseline file suppresses them by fingerprint.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(baseline_app)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option} must be an ISO date such as 2027-03-01, not {value!r}"
        ) from None


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
    from cors_audit.report.baseline import render_baseline
    from cors_audit.report.build import load_report

    try:
        until = _parse_date(expires, "--expires")
        lowest = _parse_fail_on(min_severity, "--min-severity") or Severity.INFO
        if not reason.strip():
            raise UsageError("--reason must not be empty")
        if output.exists() and not force:
            raise UsageError(f"{output} already exists (use --force to overwrite)")
        report = load_report(report_path)
    except CorsAuditError as error:
        _fail_untrusted(error)
    entries = []
    for finding in report.findings:
        if not finding.severity.at_least(lowest):
            continue
        kept = finding.suppression
        if kept is not None and (kept.expires is None or kept.expires > date.today()):
            entries.append((finding, finding.severity.value, kept.reason, _iso(kept.expires)))
        else:
            entries.append((finding, finding.severity.value, reason, _iso(until)))
    text = render_baseline(entries, source=str(report_path), created=date.today())
    _write_text_atomic(output, text, make_parents=True)
    _out.print(
        f"wrote {output} accepting {len(entries)} finding(s); "
        f"use it with: cors-audit scan … --baseline {output}",
        markup=False,
    )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


DEMO_SUFFIXES: dict[ReportFormat, str] = {
    ReportFormat.JSON: "json",
    ReportFormat.HTML: "html",
    ReportFormat.SARIF: "sarif",
    ReportFormat.JUNIT: "junit.xml",
    ReportFormat.MARKDOWN: "md",
}


@app.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where to write the reports.")] = Path(
        "reports"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Start the built-in misconfigured lab on 127.0.0.1, scan it and write reports/."""
    from cors_audit.app.scan import ScanOptions
    from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab
    from cors_audit.inputs.policy import load_policy
    from cors_audit.report.build import GateSettings
    from cors_audit.sending.engine import EngineOptions

    with tempfile.TemporaryDirectory() as tmp, DemoLab() as lab:
        policy_path = Path(tmp) / "cors-policy.toml"
        policy_path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
        urls_path = Path(tmp) / "urls.txt"
        urls_path.write_text("".join(f"{m} {u}\n" for u, m in lab.urls()), encoding="utf-8")
        outputs = {fmt: out_dir / f"cors-audit.{DEMO_SUFFIXES[fmt]}" for fmt in ReportFormat}
        if not quiet:
            _out.print(
                f"demo lab listening on {lab.base_url} (judged as {DEMO_SITE_ORIGIN})", markup=False
            )
        try:
            report = _run(
                RunSpec(
                    targets_args=[],
                    files=[str(urls_path)],
                    policy=load_policy(policy_path),
                    options=ScanOptions(engine=EngineOptions(timeout=5.0)),
                    outputs=outputs,
                    method="GET",
                    site_origin=DEMO_SITE_ORIGIN,
                    gate=GateSettings(fail_on=None, allow_errors=True),
                    quiet=quiet,
                )
            )
        except CorsAuditError as error:  # pragma: no cover - the demo's own inputs are valid
            _fail(str(error))
        assert report is not None  # the demo never dry-runs
        expected = lab.expected()
    # The reported rules; those folded into reflected-origin are not compared (they are probed
    # only while reflection is not settled with credentials).
    found: dict[str, set[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.url, set()).add(finding.rule)
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
    from cors_audit.judging.rules import RULES

    width = max(len(rule.id) for rule in RULES)
    for rule in RULES:
        _out.print(f"{rule.id:<{width}}  {rule.default.value:<8}  {rule.title}", markup=False)


@app.command("explain")
def explain_command(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. reflected-origin.")],
    stack: Annotated[
        str | None,
        typer.Option(
            help="Show the fix for this stack: nginx, express-cors, starlette, flask-cors, "
            "django-cors-headers, spring, aspnetcore, go-rs-cors.",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(help="Build the fix snippet from this policy (default: a sample one)."),
    ] = None,
) -> None:
    """Explain one rule: what it means, why it matters, how to fix it (in your stack)."""
    from cors_audit.fixes.remediation import remediation_for
    from cors_audit.inputs.policy import load_policy
    from cors_audit.judging.rules import get_rule

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
    if stack is None:
        return
    try:
        loaded = load_policy(policy) if policy is not None else None
        effective = (
            loaded.for_url("https://api.example.com/")
            if loaded is not None
            else EffectivePolicy(
                trusted_origins=("https://app.example.com",),
                allow_credentials=True,
                allowed_methods=("GET", "POST"),
                allowed_headers=("Content-Type", "Authorization"),
                max_age_min=600,
                max_age_max=86400,
            )
        )
        fixes = remediation_for(rule.id, stack, effective)
    except CorsAuditError as error:
        _fail(str(error))
    for fix in fixes:
        notes = "".join(f"\n  - {note}" for note in fix.notes)
        _out.print(
            f"\n{fix.title} ({fix.stack}, {fix.language}):\n\n{fix.snippet}{notes}", markup=False
        )


@app.command("init")
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
    from cors_audit.inputs.policy import STARTER_POLICY
    from cors_audit.report.build import load_report
    from cors_audit.report.drafting import draft_policy

    if path.exists() and not force:
        _fail(f"{path} already exists (use --force to overwrite)")
    text = STARTER_POLICY
    if from_report is not None:
        try:
            text = draft_policy(load_report(from_report), source=str(from_report))
        except CorsAuditError as error:
            _fail_untrusted(error)
    _write_text_atomic(path, text, make_parents=False)
    what = "review the FLAGGED items" if from_report is not None else "edit trusted_origins"
    _out.print(
        f"wrote {path}; {what}, then run: cors-audit scan URL --policy {path}",
        markup=False,
    )


@app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The earlier JSON report.")],
    new: Annotated[Path, typer.Argument(help="The later JSON report.")],
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when findings at or above this appeared or got worse "
            "(critical|high|medium|low|info|never).",
            envvar=_env("FAIL_ON"),
        ),
    ] = "high",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """List findings that appeared, disappeared or changed severity between two reports."""
    from cors_audit.report.build import load_report
    from cors_audit.report.diff import diff_reports, render_diff

    try:
        gate = _parse_fail_on(fail_on)
        result = diff_reports(load_report(old), load_report(new))
    except CorsAuditError as error:
        _fail_untrusted(error)
    if not quiet:
        _out.print(render_diff(result), markup=False, end="")
    failing = result.failing(gate)
    raise typer.Exit(int(ExitCode.FINDINGS if failing else ExitCode.OK))


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        _out.print(f"cors-audit {__version__}", markup=False)
        raise typer.Exit(0)


def main() -> None:
    """Console-script entry point. A bug must not look like a finding (exit 1) to CI: an
    unexpected exception is reported in one line and exits 2, like any run that produced no
    verdict."""
    try:
        app()
    except Exception as error:  # the last line of defence, see above
        _err.print(
            f"cors-audit: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in cors-audit; please report it with the command you ran.",
            markup=False,
        )
        raise SystemExit(int(ExitCode.USAGE)) from None
