"""The JSON report (the versioned contract) and the JSON Schema shipped beside it.

``render`` serializes the `Report` model unchanged; the schema file
``cors_audit/schema/report-v1.schema.json`` is generated from the same model by
``report.json_schema()`` and a test fails when the two drift apart. Regenerate it with::

    python -m cors_audit.formats.json --write-schema

Rendering does no I/O; only the ``--write-schema`` entry point writes a file.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from cors_audit.report import Report, json_schema

SCHEMA_FILE = "schema/report-v1.schema.json"
"""Where the schema lives, relative to the ``cors_audit`` package (shipped in the wheel)."""

REGENERATE_COMMAND = "python -m cors_audit.formats.json --write-schema"


def render(report: Report) -> str:
    """The report as pretty-printed JSON text (the contract, ``schema_version`` "1")."""
    return report.to_json()


def schema_text() -> str:
    """The JSON Schema of the report exactly as the shipped file must read."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def shipped_schema_text() -> str:
    """The shipped schema file's text, read from the installed package."""
    return files("cors_audit").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def shipped_schema() -> dict[str, Any]:
    """The shipped JSON Schema, parsed."""
    schema: dict[str, Any] = json.loads(shipped_schema_text())
    return schema


def schema_path() -> Path:
    """The schema file in the source tree (for regeneration)."""
    return Path(__file__).resolve().parent.parent / SCHEMA_FILE


def main(argv: Sequence[str] | None = None) -> int:
    """``--write-schema`` regenerates the shipped file; ``--check-schema`` exits 1 on drift."""
    parser = argparse.ArgumentParser(
        prog="python -m cors_audit.formats.json", description="Maintain the report JSON Schema."
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write-schema", action="store_true", help="regenerate the schema file")
    action.add_argument("--check-schema", action="store_true", help="exit 1 if it is stale")
    args = parser.parse_args(argv)
    path = schema_path()
    if args.write_schema:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(schema_text(), encoding="utf-8")
        print(f"wrote {path}")
        return 0
    if path.is_file() and path.read_text(encoding="utf-8") == schema_text():
        print(f"{path} is up to date")
        return 0
    print(f"{path} is stale; run: {REGENERATE_COMMAND}")
    return 1


if __name__ == "__main__":  # pragma: no cover - exercised through main() in the tests
    raise SystemExit(main())
