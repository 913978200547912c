"""The JSON report (the versioned contract) and the JSON Schema shipped beside it.

``render`` serializes the report model (a `ReportView`) unchanged; the schema file
``cors_audit/formats/schema/report-v1.schema.json`` is generated from the same model by
``report.json_schema()`` and a test fails when the two drift apart. Regenerate it with::

    python -m cors_audit.formats.json --write-schema

A large scan's document is hundreds of megabytes, so ``iter_json`` / ``write_json`` produce the
very same text piece by piece: every top-level field but the two lists that grow with the scan
(``targets``, ``findings``) is serialized by pydantic exactly as ``render`` does, and each list
item on its own and re-indented, so peak memory is bounded by the largest single item instead
of the whole document. Rendering does no I/O; ``write_json`` writes only to the stream it is
given and only the ``--write-schema`` entry point writes a file. A scan's report may have its
lists spooled to disk (``report/spool.py``): they are read one item at a time, never whole.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from cors_audit.formats import TextSink, batched
from cors_audit.formats.plan import Plan
from cors_audit.report.compact import compact_json_schema, compact_report
from cors_audit.report.model import FindingModel, Report, ReportView, TargetModel, json_schema

SCHEMA_FILE = "schema/report-v1.schema.json"
"""Where the schema lives, relative to the ``cors_audit`` package (shipped in the wheel)."""
COMPACT_SCHEMA_FILE = "schema/report-v1-compact.schema.json"
"""The schema of the compact form (``--json-detail compact``), beside it."""

REGENERATE_COMMAND = "python -m cors_audit.formats.json --write-schema"


_INDENT = "  "
"""pydantic's ``indent=2``; `render` and `iter_json` must use the same."""

_STREAMED: dict[str, TypeAdapter[Any]] = {
    "targets": TypeAdapter(TargetModel),
    "findings": TypeAdapter(FindingModel),
}
"""The report's list fields that grow with the scan, with their item type's serializer."""


def render(report: ReportView) -> str:
    """The report as pretty-printed JSON text (the contract, ``schema_version`` "1"): what
    ``Report.to_json`` writes, built item by item so that a spooled report works too."""
    return "".join(_chunks(report))


def iter_json(report: ReportView) -> Iterator[str]:
    """`render`'s text in chunks (about 64 KiB each, or one large list item): their
    concatenation is byte for byte ``render(report)``, but only one item is built at a time."""
    return batched(_chunks(report))


def stream(report: ReportView) -> Iterator[str]:
    """The registry's name (``formats.Renderer``) for `iter_json`."""
    return iter_json(report)


def render_compact(report: Report) -> str:
    """The report in the compact form (``--json-detail compact``, ``report/compact.py``): fix
    texts, snippets and exchanges stored once in top-level tables, referenced by index."""
    return compact_report(report).to_json()


def write_compact(report: Report, out: TextSink) -> None:
    """Write ``render_compact(report)`` to ``out``."""
    out.write(render_compact(report))


def stream_plan(plan: Plan) -> Iterator[str]:
    """The ``--dry-run`` plan as JSON (``{"dry_run": true, "label", "note", "targets": [{"url",
    "method", "requests": [...]}]}``), one target at a time."""
    head = {"dry_run": True, "label": plan.label, "note": plan.note}
    yield json.dumps(head, indent=2)[:-2] + ',\n  "targets": ['
    for index, target in enumerate(plan.targets):
        entry = {
            "url": target.url,
            "method": target.method,
            "requests": [
                {
                    "round": request.round,
                    "kind": request.kind,
                    "purpose": request.purpose,
                    "origin_class": request.origin_class,
                    "method": request.method,
                    "url": request.url,
                    "headers": [list(header) for header in request.headers],
                }
                for request in target.requests
            ],
        }
        text = json.dumps(entry, indent=2).replace("\n", "\n    ")
        yield ("," if index else "") + "\n    " + text
    yield "\n  ]\n}\n"


def write_json(report: ReportView, out: TextSink) -> None:
    """Write ``render(report)`` to ``out`` (a text stream) without building it in memory."""
    for chunk in iter_json(report):
        out.write(chunk)


def _chunks(report: ReportView) -> Iterator[str]:
    # Every field but the two lists is dumped from the head (its lists may be empty); the
    # lists are read from the view, one item at a time.
    # pydantic writes an object as "{", then per field "\n" + indent + '"key": value' joined
    # by ",", then "\n}"; a nested value's lines are indented once more per level. So each
    # field is cut out of a one-field dump ("{\n" ... "\n}") and each list item's own dump is
    # shifted right by two levels (JSON text never holds a raw newline inside a string).
    head = report.head
    separator = "{\n"
    for name in type(head).model_fields:
        adapter = _STREAMED.get(name)
        if adapter is None:
            text = head.model_dump_json(indent=2, include={name})
            if text != "{}":  # a field pydantic leaves out (none today) stays out
                yield separator + text[2:-2]
                separator = ",\n"
            continue
        items = getattr(report, name)
        # The key exactly as pydantic spells it (alias rules included): dump an empty list.
        empty = head.model_copy(update={name: []}).model_dump_json(indent=2, include={name})
        yield separator + empty[2:-4]  # '  "targets": ' without the "[]"
        separator = ",\n"
        if not len(items):
            yield "[]"
            continue
        item_separator = "[\n"
        shift = "\n" + _INDENT * 2
        for item in items:
            text = adapter.dump_json(item, indent=2).decode("utf-8")
            yield item_separator + _INDENT * 2 + text.replace("\n", shift)
            item_separator = ",\n"
        yield "\n" + _INDENT + "]"
    yield "\n}\n"


def schema_text() -> str:
    """The JSON Schema of the report exactly as the shipped file must read."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def compact_schema_text() -> str:
    """The JSON Schema of the compact report exactly as the shipped file must read."""
    return json.dumps(compact_json_schema(), indent=2, sort_keys=True) + "\n"


def shipped_compact_schema() -> dict[str, Any]:
    """The shipped JSON Schema of the compact form, parsed."""
    text = files("cors_audit.formats").joinpath(COMPACT_SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def shipped_schema_text() -> str:
    """The shipped schema file's text, read from the installed package."""
    return files("cors_audit.formats").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def shipped_schema() -> dict[str, Any]:
    """The shipped JSON Schema, parsed."""
    schema: dict[str, Any] = json.loads(shipped_schema_text())
    return schema


def schema_path() -> Path:
    """The schema file in the source tree (for regeneration)."""
    return Path(__file__).resolve().parent / SCHEMA_FILE


def compact_schema_path() -> Path:
    """The compact form's schema file in the source tree (for regeneration)."""
    return Path(__file__).resolve().parent / COMPACT_SCHEMA_FILE


def main(argv: Sequence[str] | None = None) -> int:
    """``--write-schema`` regenerates the shipped file; ``--check-schema`` exits 1 on drift."""
    parser = argparse.ArgumentParser(
        prog="python -m cors_audit.formats.json", description="Maintain the report JSON Schema."
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write-schema", action="store_true", help="regenerate the schema file")
    action.add_argument("--check-schema", action="store_true", help="exit 1 if it is stale")
    args = parser.parse_args(argv)
    wanted = [(schema_path(), schema_text()), (compact_schema_path(), compact_schema_text())]
    if args.write_schema:
        for path, text in wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
        return 0
    stale = [
        path
        for path, text in wanted
        if not (path.is_file() and path.read_text(encoding="utf-8") == text)
    ]
    for path in stale:
        print(f"{path} is stale; run: {REGENERATE_COMMAND}")
    if stale:
        return 1
    print(f"{schema_path()} is up to date")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through main() in the tests
    raise SystemExit(main())
