"""The options of ``scan`` and ``merge`` come from the settings table and the format registry:
every row is an option with its flags and environment variable, every format an output."""

from __future__ import annotations

from typing import Any

import typer.main
from support.cli import invoke

from cors_audit.app.settings import SETTINGS
from cors_audit.cli.main import app
from cors_audit.formats import ReportFormat


def command(name: str) -> Any:
    group: Any = typer.main.get_command(app)
    return group.commands[name]


def test_every_setting_is_an_option_of_scan() -> None:
    params = {param.name: param for param in command("scan").params}
    assert list(params) == [row.name for row in SETTINGS]
    for row in SETTINGS:
        param = params[row.name]
        if row.argument:
            assert param.param_type_name == "argument"
            continue
        assert param.param_type_name == "option"
        declared = {*param.opts, *param.secondary_opts}
        assert declared == {f for decl in row.option_flags for f in decl.split("/")}, row.name
        assert param.envvar == (None if row.env_lines else row.envvar), row.name
        assert param.multiple == row.many


def test_merge_writes_every_format_without_reading_the_environment() -> None:
    params = {param.name: param for param in command("merge").params}
    for fmt in ReportFormat:
        param = params[fmt.value]
        assert param.opts == [fmt.spec.option]
        assert param.envvar is None


def test_scan_help_lists_every_variable() -> None:
    result = invoke("scan", "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for row in SETTINGS:
        if row.envvar:
            assert row.envvar in result.stdout, row.name
