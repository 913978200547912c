"""Helpers shared by the command-line test modules (imported by name: there is no
tests/__init__.py). Their fixtures live in conftest.py."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

import cors_audit
from cors_audit.cli.main import app

SCHEMA_PATH = Path(cors_audit.__file__).parent / "formats" / "schema" / "report-v1.schema.json"


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=True)


def assert_clean(result: Result) -> None:
    """No Python exception escaped and nothing printed a traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
