"""The application's scan settings: the settings table (``inputs/settings.py``) completed with one
row per report format of the registry (``cors_audit/formats``), and how each value is resolved.

Precedence, for every row: the command line, then the ``CORS_AUDIT_*`` environment variable
(the option parser merges those two), then the ``[scan]`` table of the policy file, then the
row's default. Paths from ``[scan]`` are relative to the policy file. This module imports no
stage beyond the two tables: ``cors-audit --help`` reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar, cast

from cors_audit.formats import ReportFormat
from cors_audit.inputs.settings import AnySetting, Setting, scan_settings

T = TypeVar("T")

SETTINGS: Final = scan_settings(fmt.spec.setting() for fmt in ReportFormat)
"""The whole table, in the order of ``cors-audit scan --help``."""

_BY_NAME: Final = {row.name: row for row in SETTINGS}


class Stated(Protocol):
    """What the ``[scan]`` table states (``policy.ScanSettings``)."""

    def value(self, setting: AnySetting) -> object:
        """The value stated for ``setting``; ``None``: not stated."""
        ...  # pragma: no cover - a protocol


class Values:
    """Every setting's resolved value, read by row: ``values[CONCURRENCY]`` is an int."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __getitem__(self, setting: Setting[T]) -> T:
        return cast(T, self._values[setting.name])

    def report(self, fmt: ReportFormat) -> Path | None:
        """Where the ``fmt`` report goes, if anywhere."""
        return self[_BY_NAME[fmt.spec.name]]  # type: ignore[no-any-return]


def resolve(
    given: Mapping[str, Any],
    stated: Stated | None,
    base: Path,
    environ: Mapping[str, str] = os.environ,
) -> Values:
    """The value of every setting: ``given`` on the command line (or in its environment
    variable; ``None``: not given), else stated in ``[scan]`` (paths relative to ``base``, the
    policy file's folder), else the default. A variable read line by line (``env_lines``) is
    read here."""
    values: dict[str, object] = {}
    for row in SETTINGS:
        value = given.get(row.name)
        if value is None and row.env_lines and row.envvar:
            value = [line for line in environ.get(row.envvar, "").splitlines() if line] or None
        if value is None and stated is not None and row.key is not None:
            value = _from_file(row, stated.value(row), base)
        if value is None:
            value = row.default
        elif row.many:
            value = tuple(value)
        values[row.name] = value
    return Values(values)


def _from_file(row: AnySetting, value: object, base: Path) -> object:
    if value is None:
        return None
    if row.value_type is Path:
        return base / Path(str(value)).expanduser()
    return row.value_type(value)  # an int where seconds are a float, a rate given as a number


__all__ = ["SETTINGS", "Stated", "Values", "resolve"]
