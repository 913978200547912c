"""What a run is asked to do (`RunRequest`, everything resolved) and whom it tells about its
progress (`Observer`, which the command line implements on the terminal)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cors_audit.inputs.settings import METHOD

if TYPE_CHECKING:
    from cors_audit.app.scan import ScanOptions
    from cors_audit.core.models import Target, TargetResult
    from cors_audit.formats import ReportFormat
    from cors_audit.inputs.policy import Policy
    from cors_audit.report.build import GateSettings


@dataclass(frozen=True, slots=True)
class TargetSources:
    """Where the targets come from, besides the policy's ``[[target]]`` and the inventories."""

    urls: tuple[str, ...] = ()
    """URL arguments."""
    files: tuple[str, ...] = ()
    """Target files (``-``: standard input)."""
    given: tuple[Target, ...] = ()
    """Targets made in memory (the demo lab's), already normalized."""
    method: str = METHOD.default
    """The method of URLs and file lines that state none (``--method``)."""
    site_origin: str | None = None
    """The site origin of targets that have none of their own (``--site-origin``)."""


@dataclass(frozen=True, slots=True)
class Inventories:
    """Targets imported from API descriptions and browser recordings."""

    openapi: Path | None = None
    base_url: str | None = None
    """The server URL for ``openapi`` (default: the document's first)."""
    har: Path | None = None
    har_credentials: bool = False
    """Use the credentials the HAR recorded."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One run, fully resolved from the command line, the environment and the policy file."""

    targets: TargetSources
    policy: Policy | None
    options: ScanOptions
    outputs: Mapping[ReportFormat, Path]
    """Where each report (and with ``dry_run``, the plan) is written."""
    gate: GateSettings
    baseline: Path | None = None
    shard: tuple[int, int] | None = None
    """``(K, N)``: scan only slice K of N."""
    scope: tuple[str, ...] = ()
    """Host globs from the command line: an upper bound the policy's scope may only narrow."""
    cookie_file: Path | None = None
    inventories: Inventories = field(default_factory=Inventories)
    dry_run: bool = False
    """Plan the requests, send nothing."""
    verify: bool = False
    """Replay every finding in a real Chromium."""
    json_detail: str = "full"
    """``--json-detail``: full, compact or auto (compact from 1 000 targets on)."""


class Observer(Protocol):
    """Whom a run tells what happens (the command line draws it on the terminal)."""

    def warn(self, message: str) -> None:
        """A warning the user may silence (``--quiet``)."""
        ...  # pragma: no cover - a protocol

    def alert(self, message: str) -> None:
        """A warning shown even when quiet: credentials are about to be exposed."""
        ...  # pragma: no cover - a protocol

    def note(self, message: str) -> None:
        """What a long step is doing (``--quiet`` silences it)."""
        ...  # pragma: no cover - a protocol

    def scanning(self, total: int) -> AbstractContextManager[Callable[[TargetResult], None]]:
        """Around the scan of ``total`` targets; gives what to call as each one finishes."""
        ...  # pragma: no cover - a protocol


__all__ = ["Inventories", "Observer", "RunRequest", "TargetSources"]
