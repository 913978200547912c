"""Target inventories imported from what a team already has, one module per kind of file: API
descriptions (``openapi``: OpenAPI 3.0 and 3.1, Swagger 2.0; JSON or YAML) and browser traffic
(``har``: a DevTools HAR export).

Every source implements `Source` (``base.py``): a name, the command-line option that names its
file, what it reads, and ``load(path, options) -> Inventory``. ``documents.py`` holds what they
share (reading, JSON/YAML parsing, JSON-pointer error messages).

Adding a source is one new module here (a `Source` subclass and ``SOURCE = ThatSource()``) and
its name in `REGISTRY`.

A source reads only the one file it is given. It must not fetch anything: remote and cross-file
``$ref``s are rejected, never resolved. It must not trust an origin on its own (a HAR's are
candidates for the report), and it hands out credentials only when the caller asks for them. It
knows nothing about probes, policies or the engine. A malformed document raises ``UsageError``
naming the file, the JSON pointer (RFC 6901) and what was expected; syntax errors name line and
column.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final

from cors_audit.inputs.sources.base import (
    Credentials,
    ImportOptions,
    Inventory,
    RequestHeaders,
    Source,
)

__all__ = [
    "REGISTRY",
    "Credentials",
    "ImportOptions",
    "Inventory",
    "RequestHeaders",
    "Source",
    "get_source",
    "load_all",
    "sources",
]

REGISTRY: Final = (
    "openapi",
    "har",
)
"""The sources, one module of this package each, in the order their targets are imported. A
module is imported when the sources are first asked for (PyYAML is not paid for at start-up)."""


@cache
def sources() -> tuple[Source, ...]:
    """Every registered source, in `REGISTRY` order."""
    found: list[Source] = []
    for name in REGISTRY:
        module = importlib.import_module(f"{__name__}.{name}")
        source = getattr(module, "SOURCE", None)
        if not isinstance(source, Source) or source.name != name:
            raise TypeError(f"{module.__name__}.SOURCE must be a Source named {name!r}")
        found.append(source)
    return tuple(found)


def get_source(name: str) -> Source:
    """The registered source called ``name`` (``openapi``, ``har``)."""
    for source in sources():
        if source.name == name:
            return source
    raise KeyError(f"no inventory source {name!r} (known: {', '.join(REGISTRY)})")


def load_all(
    files: Mapping[str, Path | None], options: ImportOptions | None = None
) -> list[tuple[Source, Inventory]]:
    """The inventories of ``files`` (source name → path; None or absent: not given), in
    `REGISTRY` order. Raises ``KeyError`` for an unknown source name and ``UsageError`` for a
    file that cannot be imported."""
    for name in files:
        get_source(name)
    return [
        (source, source.load(path, options))
        for source in sources()
        if (path := files.get(source.name)) is not None
    ]
