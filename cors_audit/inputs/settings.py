"""The scan settings table: one row per option of ``cors-audit scan``, and the only place each
option's flags, environment variable, ``[scan]`` key, kind, default and help are written.

Everything else is derived from the rows: the command's typer options (``cli/options.py``), the
validation and the error hints of the policy file's ``[scan]`` table (``policy.load_policy``
given the table), the ``[scan]`` block of the starter policy (`starter_scan_block`), the
precedence of the values (``app/settings.py``: command line, then the ``CORS_AUDIT_*``
environment, then ``[scan]``, then the default here) and the built-in defaults the stages use
(``app/scan.py`` reads ``TARGET_DEADLINE.default``…).

One option per report format (``--json``, ``--html``…) comes from the format registry
(``cors_audit/formats``): `scan_settings` puts those rows in their place. This module imports
only the standard library: ``cors-audit --help`` reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

T = TypeVar("T")

ENV_PREFIX: Final = "CORS_AUDIT_"
"""Every setting's environment variable is this plus its name in capitals."""

FAIL_ON_CHOICES: Final = ("critical", "high", "medium", "low", "info", "never")
"""``--fail-on`` values: a severity, or ``never``."""
BROWSER_MODES: Final = ("chromium", "spec")
"""``--browser-mode`` values (BROWSER-MODEL.md §3.4)."""
JSON_DETAILS: Final = ("full", "compact", "auto")
"""``--json-detail`` values: ``auto`` is compact from 1 000 targets on (``report/compact.py``)."""
BASELINE_FILE_NAME: Final = "cors-baseline.toml"
"""Where ``baseline create`` writes by default (and the starter policy's example)."""


class Kind(Enum):
    """What a ``[scan]`` value must be. ``policy.py`` maps each kind to one validation and one
    hint (the "expected …" of an error message)."""

    FLAG = "flag"
    """true or false."""
    PATH = "path"
    """A file path, relative to the policy file."""
    COUNT = "count"
    """A whole number >= 1."""
    RETRIES = "retries"
    """A whole number >= 0."""
    SECONDS = "seconds"
    """A number of seconds > 0."""
    METHOD = "method"
    """An HTTP method a browser can send."""
    ORIGIN = "origin"
    """A serialized origin."""
    PROXY = "proxy"
    """A proxy URL."""
    RATE = "rate"
    """Requests per second: ``"20/s"`` or ``20``."""
    FAIL_ON = "fail_on"
    """One of `FAIL_ON_CHOICES`."""
    BROWSER_MODE = "browser_mode"
    """One of `BROWSER_MODES`."""
    SHARD = "shard"
    """``"K/N"``, or ``"auto"`` (from the environment)."""
    JSON_DETAIL = "json_detail"
    """One of `JSON_DETAILS`."""

    @property
    def choices(self) -> tuple[str, ...]:
        """The values allowed (empty: not a choice)."""
        if self is Kind.FAIL_ON:
            return FAIL_ON_CHOICES
        if self is Kind.BROWSER_MODE:
            return BROWSER_MODES
        if self is Kind.JSON_DETAIL:
            return JSON_DETAILS
        return ()


@dataclass(frozen=True, eq=False)
class Setting(Generic[T]):
    """One row of the table. ``T`` is the type of the resolved value."""

    name: str
    """The parameter's name; the flag, variable and key derive from it unless given."""
    default: T
    """The built-in default, used when neither the command line, the environment nor
    ``[scan]`` gives a value."""
    help: str
    """The ``--help`` text. ``{default}`` stands for the default (see ``shown``), ``{choices}``
    for the choices joined by ``|``, ``{env}`` for the environment variable."""
    value_type: type = str
    """The type of one command-line value: str, int, float, bool or Path."""
    kind: Kind | None = None
    """What the ``[scan]`` value must be; ``None``: not accepted in ``[scan]`` (secrets,
    inputs, one-off switches)."""
    flags: tuple[str, ...] = ()
    """The option's flags; default ``--name-with-dashes``. ``--a/--b`` declares an on/off
    pair."""
    env: bool = True
    """Whether ``CORS_AUDIT_<NAME>`` gives the value too."""
    env_lines: bool = False
    """The variable holds one value per line and is read by cors-audit, not by the option
    parser (which would split a value such as ``Authorization: Bearer x`` on spaces)."""
    many: bool = False
    """Repeatable: the value is a tuple of every occurrence."""
    argument: bool = False
    """A positional argument instead of an option."""
    metavar: str | None = None
    """The value's name in ``--help``; default: its type."""
    shown: str | None = None
    """How ``{default}`` reads in the help text; default: the default itself."""
    example: str | None = None
    """The value (TOML text) the starter policy shows; default: the default."""

    @property
    def key(self) -> str | None:
        """The ``[scan]`` key, or ``None`` when ``[scan]`` does not accept the setting."""
        return None if self.kind is None else self.name

    @property
    def option_flags(self) -> tuple[str, ...]:
        """The flags of the option (none for an argument)."""
        if self.argument:
            return ()
        return self.flags or (f"--{self.name.replace('_', '-')}",)

    @property
    def envvar(self) -> str | None:
        """The environment variable, or ``None``."""
        return f"{ENV_PREFIX}{self.name.upper()}" if self.env else None

    @property
    def optional(self) -> bool:
        """Whether the option's value is ``None`` when the command line does not give it: the
        value is then resolved from ``[scan]`` or the default."""
        return self.kind is not None or self.default is None or self.many

    @property
    def help_text(self) -> str:
        """``help`` with its placeholders filled in."""
        return self.help.format(
            default=self.shown if self.shown is not None else _shown(self.default),
            choices="|".join(self.kind.choices if self.kind else ()),
            env=self.envvar or "",
        )


AnySetting = Setting[Any]
"""A row of any value type."""


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def toml_value(value: object) -> str:
    """``value`` written as TOML (the types settings have)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _shown(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def report_setting(name: str, help: str, example: str) -> Setting[Path | None]:
    """The row of one report format's output path (``--json``, ``CORS_AUDIT_JSON``, ``[scan]
    json``), made by the format registry."""
    return Setting(name, None, help, value_type=Path, kind=Kind.PATH, example=example)


# -- the table -----------------------------------------------------------------------------------
# In the order of `cors-audit scan --help`; the report formats' rows come after POLICY.

URLS: Final = Setting[tuple[str, ...]](
    "urls", (), "URLs to audit.", argument=True, many=True, env=False
)
FILE: Final = Setting[tuple[str, ...]](
    "file",
    (),
    "File with one URL per line ('-' = stdin); repeatable.",
    flags=("-f", "--file"),
    many=True,
    metavar="FILE",
)
POLICY: Final = Setting[Path | None](
    "policy",
    None,
    "Policy TOML (or a pyproject.toml with [tool.cors-audit]). Default: ./cors-policy.toml or "
    "./pyproject.toml if present; else policy-free.",
    value_type=Path,
)
FAIL_ON: Final = Setting[str](
    "fail_on",
    "high",
    "Exit 1 on findings at or above: {choices} [default: {default}].",
    kind=Kind.FAIL_ON,
)
BASELINE: Final = Setting[Path | None](
    "baseline",
    None,
    "Baseline TOML: findings it lists are suppressed (see `baseline create`).",
    value_type=Path,
    kind=Kind.PATH,
    example=toml_value(BASELINE_FILE_NAME),
)
ALLOW_ERRORS: Final = Setting[bool](
    "allow_errors",
    False,
    "Do not exit 3 when a target cannot be scanned.",
    value_type=bool,
    kind=Kind.FLAG,
    flags=("--allow-errors/--no-allow-errors",),
)
METHOD: Final = Setting[str](
    "method",
    "GET",
    "Method the application uses on the URLs given [default: {default}].",
    kind=Kind.METHOD,
)
SITE_ORIGIN: Final = Setting[str | None](
    "site_origin",
    None,
    "The origin browsers see for these URLs (when scanning via IP, ingress or port-forward); "
    "probe origins derive from it.",
    kind=Kind.ORIGIN,
)
HEADER: Final = Setting[tuple[str, ...]](
    "header",
    (),
    "Extra request header 'Name: value' for actual requests (e.g. auth); never written to "
    "reports. Also {env} (one header per line).",
    flags=("-H", "--header"),
    many=True,
    env_lines=True,
    metavar="HEADER",
)
HEADER_FILE: Final = Setting[Path | None](
    "header_file",
    None,
    "File of 'Name: value' lines added like -H (keeps secrets off the command line); "
    "CORS_AUDIT_HEADER_<NAME> variables add headers too.",
    value_type=Path,
)
COOKIE: Final = Setting[str | None](
    "cookie", None, "Cookie header for actual requests; never written to reports."
)
COOKIE_FILE: Final = Setting[Path | None](
    "cookie_file",
    None,
    "Netscape cookie jar (curl/browser export); the cookies a browser would send to the "
    "targets are used like --cookie.",
    value_type=Path,
)
PROXY: Final = Setting[str | None](
    "proxy", None, "Send requests through this proxy URL.", kind=Kind.PROXY
)
INSECURE: Final = Setting[bool](
    "insecure",
    False,
    "Do not verify TLS certificates [default: {default}].",
    value_type=bool,
    kind=Kind.FLAG,
    flags=("--insecure/--verify-tls",),
    shown="verify",
)
CA_BUNDLE: Final = Setting[Path | None](
    "ca_bundle",
    None,
    "PEM file of CA certificates to trust besides the default ones (an internal CA, e.g. for "
    "staging); SSL_CERT_FILE and SSL_CERT_DIR are honoured too.",
    value_type=Path,
    kind=Kind.PATH,
    metavar="FILE",
)
CONCURRENCY: Final = Setting[int](
    "concurrency",
    20,
    "Requests in flight overall [default: {default}].",
    value_type=int,
    kind=Kind.COUNT,
)
PER_HOST: Final = Setting[int](
    "per_host",
    6,
    "Requests in flight per host [default: {default}].",
    value_type=int,
    kind=Kind.COUNT,
)
RATE: Final = Setting[str | None](
    "rate",
    None,
    "Request rate limit, e.g. 20/s [default: {default}].",
    kind=Kind.RATE,
    shown="none",
    example=toml_value("50/s"),
)
TIMEOUT: Final = Setting[float](
    "timeout",
    10.0,
    "Seconds per request [default: {default}].",
    value_type=float,
    kind=Kind.SECONDS,
)
RETRIES: Final = Setting[int](
    "retries",
    1,
    "Retries on connection errors only [default: {default}].",
    value_type=int,
    kind=Kind.RETRIES,
)
BROWSER_MODE: Final = Setting[str](
    "browser_mode",
    "chromium",
    "Browser model: {default} (default) or spec (Fetch standard).",
    kind=Kind.BROWSER_MODE,
)
JSON_DETAIL: Final = Setting[str](
    "json_detail",
    "full",
    "JSON report form: {choices} [default: {default}]. compact stores each fix text, snippet "
    "and exchange once and findings refer to them by index (schema "
    "report-v1-compact.schema.json); auto is compact from 1000 targets on.",
    kind=Kind.JSON_DETAIL,
)
SHARD: Final = Setting[str | None](
    "shard",
    None,
    "Scan only slice K of N (e.g. 2/5), chosen by a stable hash of each target; combine the "
    "reports with `cors-audit merge`. auto: from JOB_COMPLETION_INDEX (0-based) and "
    "CORS_AUDIT_SHARD_COUNT (Kubernetes Indexed Job), else CI_NODE_INDEX/CI_NODE_TOTAL "
    "(GitLab parallel:), else {env}=K/N.",
    kind=Kind.SHARD,
)
SCOPE: Final = Setting[tuple[str, ...]](
    "scope",
    (),
    "Host glob a scan may contact (repeatable): an upper bound the policy's scope may only "
    "narrow; a target outside it is refused before anything is sent.",
    many=True,
    metavar="GLOB",
)
DRY_RUN: Final = Setting[bool](
    "dry_run",
    False,
    "Print every request the scan may send (secrets masked; --json writes the plan) and exit "
    "0 without sending anything.",
    value_type=bool,
    env=False,
)
OPENAPI: Final = Setting[Path | None](
    "openapi",
    None,
    "OpenAPI 3.x / Swagger 2.0 file (JSON or YAML): one target per path and method, with the "
    "request headers each operation declares.",
    value_type=Path,
)
BASE_URL: Final = Setting[str | None](
    "base_url", None, "Base URL for --openapi (default: the document's first server)."
)
HAR: Final = Setting[Path | None](
    "har",
    None,
    "HAR file (browser DevTools export): one target per cross-origin method + URL.",
    value_type=Path,
)
HAR_CREDENTIALS: Final = Setting[bool](
    "har_credentials",
    False,
    "Use the cookies and auth headers recorded in the HAR (never by default).",
    value_type=bool,
    env=False,
)
TARGET_DEADLINE: Final = Setting[float](
    "target_deadline",
    60.0,
    "Seconds one target may take in all (waiting behind other targets not counted) "
    "[default: {default}].",
    value_type=float,
    kind=Kind.SECONDS,
)
REQUEST_DEADLINE: Final = Setting[float | None](
    "request_deadline",
    None,
    "Seconds one request may take from connect to last byte, however slowly the server "
    "trickles [default: {default}].",
    value_type=float,
    kind=Kind.SECONDS,
    shown="3 x --timeout",
)
MAX_REQUESTS: Final = Setting[int | None](
    "max_requests",
    None,
    "Most requests for the whole scan; targets not reached are reported as not scanned "
    "[default: {default}].",
    value_type=int,
    kind=Kind.COUNT,
    shown="no limit",
)
MAX_REQUESTS_PER_TARGET: Final = Setting[int](
    "max_requests_per_target",
    200,
    "Most probes sent to one target; the rest are skipped with a note [default: {default}].",
    value_type=int,
    kind=Kind.COUNT,
)
FAST_TRANSPORT: Final = Setting[bool](
    "fast_transport",
    True,
    "Send through aiohttp (about 3x the request rate of httpx's own transport); a reply "
    "aiohttp's parser refuses is fetched again through httpx, so malformed replies stay "
    "evidence. --no-fast-transport sends everything through httpx.",
    value_type=bool,
    flags=("--fast-transport/--no-fast-transport",),
)
THOROUGH: Final = Setting[bool](
    "thorough",
    False,
    "Derive bypass origins from every trusted origin, probe every hosting platform and send "
    "both probe kinds at once (about 3x the requests).",
    value_type=bool,
    kind=Kind.FLAG,
    flags=("--thorough",),
)
VERIFY_BROWSER: Final = Setting[bool](
    "verify_browser",
    False,
    "Replay each finding in a real Chromium (extra 'browser') and record whether it reproduces.",
    value_type=bool,
)
LABEL: Final = Setting[str | None](
    "label",
    None,
    "The random label of attacker origins (default: a fresh one per run); fix it to compare "
    "a --dry-run with a scan.",
)
QUIET: Final = Setting[bool](
    "quiet", False, "Print nothing on success.", value_type=bool, flags=("--quiet", "-q"), env=False
)
VERBOSE: Final = Setting[bool](
    "verbose",
    False,
    "Print details and fixes.",
    value_type=bool,
    flags=("--verbose", "-v"),
    env=False,
)

_BEFORE_REPORTS: Final[tuple[AnySetting, ...]] = (URLS, FILE, POLICY)
_AFTER_REPORTS: Final[tuple[AnySetting, ...]] = (
    JSON_DETAIL,
    FAIL_ON,
    BASELINE,
    ALLOW_ERRORS,
    METHOD,
    SITE_ORIGIN,
    HEADER,
    HEADER_FILE,
    COOKIE,
    COOKIE_FILE,
    PROXY,
    INSECURE,
    CA_BUNDLE,
    CONCURRENCY,
    PER_HOST,
    RATE,
    TIMEOUT,
    RETRIES,
    BROWSER_MODE,
    SHARD,
    SCOPE,
    DRY_RUN,
    OPENAPI,
    BASE_URL,
    HAR,
    HAR_CREDENTIALS,
    TARGET_DEADLINE,
    REQUEST_DEADLINE,
    MAX_REQUESTS,
    MAX_REQUESTS_PER_TARGET,
    FAST_TRANSPORT,
    THOROUGH,
    VERIFY_BROWSER,
    LABEL,
    QUIET,
    VERBOSE,
)


def scan_settings(reports: Iterable[Setting[Path | None]]) -> tuple[AnySetting, ...]:
    """The whole table, with the report formats' rows (`report_setting`, one per format of the
    registry) in their place."""
    return (*_BEFORE_REPORTS, *reports, *_AFTER_REPORTS)


# -- the starter policy --------------------------------------------------------------------------

STARTER_KEYS: Final = ("fail_on", "baseline", "sarif", "concurrency", "rate")
"""The ``[scan]`` keys the starter policy shows (commented out), in this order."""

_STARTER_HEAD: Final = """\
# Default options for `cors-audit scan` (the command line and CORS_AUDIT_* variables win).
# Paths are relative to this file. Never put secrets here: use CORS_AUDIT_HEADER / _COOKIE.
# [scan]
"""
_CHOICES_COLUMN: Final = 30


def starter_scan_block(settings: Sequence[AnySetting]) -> str:
    """The commented ``[scan]`` block of the starter policy: `STARTER_KEYS` with their example
    (or default) values, the choices of a choice after it."""
    rows = {row.key: row for row in settings if row.key is not None}
    lines = [_STARTER_HEAD]
    for key in STARTER_KEYS:
        row = rows.get(key)
        if row is None:
            continue
        line = f"{key} = {row.example or toml_value(row.default)}"
        if row.kind is not None and row.kind.choices:
            line = line.ljust(_CHOICES_COLUMN) + "# " + " | ".join(row.kind.choices)
        lines.append(f"# {line}\n")
    return "".join(lines)


__all__ = [
    "BASELINE_FILE_NAME",
    "BROWSER_MODES",
    "ENV_PREFIX",
    "FAIL_ON_CHOICES",
    "JSON_DETAILS",
    "Kind",
    "Setting",
    "report_setting",
    "scan_settings",
    "starter_scan_block",
    "toml_value",
]
