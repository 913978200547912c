"""The scan settings table: one row per option, the report formats' rows from the registry, and
the precedence every value follows (command line, environment, ``[scan]``, default)."""

from __future__ import annotations

from pathlib import Path

from cors_audit.app.scan import (
    DEFAULT_MAX_REQUESTS_PER_TARGET,
    DEFAULT_TARGET_DEADLINE,
    ScanOptions,
)
from cors_audit.app.settings import SETTINGS, resolve
from cors_audit.formats import ReportFormat
from cors_audit.inputs import settings as s
from cors_audit.inputs.policy import load_policy
from cors_audit.sending.engine import EngineOptions


def test_every_report_format_has_one_row_after_the_policy() -> None:
    names = [row.name for row in SETTINGS]
    start = names.index("policy") + 1
    assert names[start : start + len(ReportFormat)] == [fmt.value for fmt in ReportFormat]


def test_names_flags_and_variables_are_unique() -> None:
    names = [row.name for row in SETTINGS]
    flags = [flag for row in SETTINGS for decl in row.option_flags for flag in decl.split("/")]
    variables = [row.envvar for row in SETTINGS if row.envvar]
    for values in (names, flags, variables):
        assert len(values) == len(set(values)), values
    assert all(v.startswith(s.ENV_PREFIX) for v in variables)


def test_help_shows_the_default_from_the_row() -> None:
    assert s.CONCURRENCY.help_text == "Requests in flight overall [default: 20]."
    assert s.TIMEOUT.help_text == "Seconds per request [default: 10]."
    assert s.INSECURE.help_text.endswith("[default: verify].")
    assert "critical|high|medium|low|info|never [default: high]" in s.FAIL_ON.help_text
    assert "Also CORS_AUDIT_HEADER (one header per line)" in s.HEADER.help_text


def test_the_stages_defaults_are_the_tables() -> None:
    options = ScanOptions()
    assert options.target_deadline == DEFAULT_TARGET_DEADLINE == s.TARGET_DEADLINE.default
    assert options.max_requests_per_target == DEFAULT_MAX_REQUESTS_PER_TARGET
    assert s.MAX_REQUESTS_PER_TARGET.default == DEFAULT_MAX_REQUESTS_PER_TARGET
    assert options.mode == s.BROWSER_MODE.default
    assert options.thorough is s.THOROUGH.default
    engine = EngineOptions()  # its own defaults, for callers without the command line
    assert (engine.concurrency, engine.per_host, engine.timeout, engine.retries) == (
        s.CONCURRENCY.default,
        s.PER_HOST.default,
        s.TIMEOUT.default,
        s.RETRIES.default,
    )


def test_command_line_then_file_then_default(tmp_path: Path) -> None:
    policy = tmp_path / "conf" / "p.toml"
    policy.parent.mkdir()
    policy.write_text(
        '[scan]\nconcurrency = 3\ntimeout = 4\nsarif = "out/r.sarif"\nrate = 9\n', encoding="utf-8"
    )
    stated = load_policy(policy, SETTINGS).scan
    values = resolve({"concurrency": 7, "file": ["a.txt"]}, stated, policy.parent, environ={})
    assert values[s.CONCURRENCY] == 7  # the command line wins
    assert values[s.TIMEOUT] == 4.0
    assert isinstance(values[s.TIMEOUT], float)
    assert values[s.RATE] == "9.0"
    assert values[s.PER_HOST] == s.PER_HOST.default  # then the default
    assert values[s.FILE] == ("a.txt",)
    assert values[s.SCOPE] == ()
    assert values.report(ReportFormat.SARIF) == policy.parent / "out" / "r.sarif"
    assert values.report(ReportFormat.JSON) is None


def test_a_variable_read_line_by_line() -> None:
    environ = {"CORS_AUDIT_HEADER": "Authorization: Bearer x y\n\nX-Other: 1\n"}
    values = resolve({}, None, Path(), environ=environ)
    assert values[s.HEADER] == ("Authorization: Bearer x y", "X-Other: 1")
    given = resolve({"header": ["A: 1"]}, None, Path(), environ=environ)
    assert given[s.HEADER] == ("A: 1",)  # -H replaces the variable
