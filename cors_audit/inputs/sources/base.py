"""The inventory-source interface: what one source (an OpenAPI document, a HAR, …) declares and
gives back. A source reads one local file and returns an `Inventory`: the targets it describes
and what else it tells about them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from cors_audit.core.models import Target
from cors_audit.inputs.sources.documents import parse_document, read_text

RequestHeaders = dict[tuple[str, str], tuple[str, ...]]
"""``(method, url)`` → the lowercased, sorted CORS-unsafe request header names of that target."""

Credentials = tuple[tuple[str, str], ...]
"""``(header name, value)`` pairs: a ``Cookie`` header and auth headers."""


@dataclass(frozen=True, slots=True)
class Inventory:
    """The targets one imported file describes, and what else it tells about them."""

    targets: tuple[Target, ...]
    """One per distinct ``(method, url)``, in document (or HAR entry) order. ``source`` points
    into the file: ``openapi:/paths/~1users~1{id}/get`` or ``har:entries/12``."""
    request_headers: RequestHeaders = field(default_factory=dict)
    """Every target's ``(method, url)`` → the CORS-unsafe request header names a browser sends
    for it (lowercased, sorted, BROWSER-MODEL.md §3.1); an empty tuple when there are none."""
    origin_candidates: tuple[str, ...] = ()
    """HAR: the serialized origins that requested the targets. Report them as candidates for
    ``trusted_origins``; never trust them silently."""
    credentials: Credentials = field(default=(), repr=False)
    """HAR with ``with_credentials``: the most recent ``Cookie`` and auth header per name, when
    every target has the same origin (so they cannot leak to another host). Empty otherwise.
    Secret: kept out of ``repr``."""
    credentials_by_origin: dict[str, Credentials] = field(default_factory=dict, repr=False)
    """HAR with ``with_credentials``: target origin → its most recent credentials, for callers
    that can attach credentials per target. Empty otherwise."""
    notes: tuple[str, ...] = ()
    """Human notes: what was skipped and why, what was substituted."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """The command-line settings a source may read besides its file; each source reads only
    those it names in `Source.extra_options`."""

    base_url: str | None = None
    """``--base-url`` (OpenAPI): the server the document's paths are resolved against."""
    with_credentials: bool = False
    """``--har-credentials`` (HAR): hand out the HAR's cookies and auth headers."""


class Source(ABC):
    """One kind of inventory file. A subclass names itself and implements `inventory`; the
    default `read` parses JSON or YAML (override it for a stricter format)."""

    name: str
    """Short name, as in target sources (``openapi``, ``har``) and messages."""
    option: str
    """The command-line option that names the file (``--openapi``)."""
    reads: str
    """What the file is, for help and messages (``a DevTools HAR export``)."""
    extra_options: tuple[str, ...] = ()
    """Other command-line options only this source reads (``--base-url``): they need
    `option`."""

    def read(self, path: Path) -> object:
        """The parsed document: JSON for ``.json`` files and text that starts like JSON, YAML
        otherwise. Raises ``UsageError`` naming the file (and line and column)."""
        return parse_document(read_text(path), path)

    @abstractmethod
    def inventory(self, document: object, file: str, options: ImportOptions) -> Inventory:
        """The targets of an already-parsed document (``file`` names it in messages). Raises
        ``UsageError`` naming the file, the JSON pointer and what was expected."""

    def load(self, path: Path, options: ImportOptions | None = None) -> Inventory:
        """Read ``path`` and return its inventory. Reads only that file; fetches nothing."""
        return self.inventory(self.read(path), str(path), options or ImportOptions())

    def __repr__(self) -> str:
        return f"<inventory source {self.name} ({self.option})>"
