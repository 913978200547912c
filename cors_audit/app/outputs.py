"""Writing what a run produces: output paths are checked before the first request is sent, and
every file is staged beside its path and renamed into place (a reader, or a crash, never sees
half a file; a replaced file keeps its mode, a new one follows the umask; a symbolic link at the
path is refused, never written through). Interrupted (Ctrl-C, SIGTERM), nothing is replaced,
no temporary file is left and `Interrupted` is raised.

The path ``-`` (`STDOUT`) is standard output: at most one output may be ``-``, and it is
written last, after every file is in place."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cors_audit import formats
from cors_audit.app.interrupt import Interrupted, Interruptible
from cors_audit.core.errors import UsageError
from cors_audit.formats import ReportFormat

if TYPE_CHECKING:
    from cors_audit.formats import TextSink
    from cors_audit.report.model import ReportView

STDOUT = Path("-")
"""The output path that means standard output (``--json -``)."""


def is_stdout(path: Path) -> bool:
    """Whether ``path`` is ``-``: standard output."""
    return path == STDOUT


def to_stdout(outputs: Mapping[ReportFormat, Path]) -> bool:
    """Whether one of ``outputs`` goes to standard output (then it must hold nothing else)."""
    return any(is_stdout(path) for path in outputs.values())


def check_outputs(outputs: Mapping[ReportFormat, Path]) -> None:
    """Refuse (``UsageError``, before the first request is sent) output paths that could not be
    written: a directory, a parent that is a file or cannot be written to, an existing file that
    is read-only, two formats on one path, more than one format on standard output (``-``).
    Missing parent directories are created when writing."""
    seen: dict[str, ReportFormat] = {}
    on_stdout = [fmt.spec.option for fmt, path in outputs.items() if is_stdout(path)]
    if len(on_stdout) > 1:
        named = ", ".join(on_stdout[:-1]) + f" and {on_stdout[-1]}"
        raise UsageError(
            f"only one report can go to standard output ('-'): {named} "
            f"{'both' if len(on_stdout) == 2 else 'all'} give '-'"
        )
    for fmt, path in outputs.items():
        option = fmt.spec.option
        if is_stdout(path):
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"{seen[key].spec.option} and {option} both write to {path}")
        seen[key] = fmt
        if path.is_dir():
            raise UsageError(f"{option} {path} is a directory; give a file name")
        if path.exists() and not os.access(path, os.W_OK):
            raise UsageError(f"{option} {path} is not writable")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise UsageError(f"{option} {path}: {parent} is not a directory")
        if path.is_file() and not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"{option} {path}: the directory {parent} is not writable")
        if not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"{option} {path}: the directory {parent} is not writable")


def _new_file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _stage(path: Path) -> tuple[int, Path]:
    """A temporary file beside ``path`` (open, for writing) with the mode ``path`` has, or the
    one a new file gets under the umask (``mkstemp`` alone would make it 0600)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, mode)
    except BaseException:
        os.close(handle)
        Path(name).unlink(missing_ok=True)
        raise
    return handle, Path(name)


def write_text_atomic(path: Path, text: str | Iterable[str], *, make_parents: bool) -> None:
    """Write ``text`` (or its chunks, streamed as they come) to ``path`` through a temporary
    file renamed into place. Raises ``UsageError`` when it cannot, `Interrupted` when
    interrupted."""
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; cors-audit does not write through links")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name")
    staged: Path | None = None
    try:
        with Interruptible():
            if make_parents:
                path.parent.mkdir(parents=True, exist_ok=True)
            handle, staged = _stage(path)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                for chunk in [text] if isinstance(text, str) else text:
                    out.write(chunk)
            os.replace(staged, path)
            staged = None
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; {path} was not written") from None
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)


def write_output(path: Path, text: str | Iterable[str]) -> None:
    """`write_text_atomic` (parents made), or to standard output when ``path`` is ``-``."""
    if not is_stdout(path):
        write_text_atomic(path, text, make_parents=True)
        return
    try:
        with Interruptible():
            for chunk in [text] if isinstance(text, str) else text:
                sys.stdout.write(chunk)
            sys.stdout.flush()
    except KeyboardInterrupt:
        raise Interrupted("interrupted while writing to standard output") from None
    except OSError as error:
        raise UsageError(f"cannot write to standard output: {error.strerror or error}") from None


def write_reports(
    report: ReportView, outputs: Mapping[ReportFormat, Path], *, json_detail: str = "full"
) -> None:
    """Stream every report into a temporary file beside its path, then rename them all into
    place: a failure leaves the previous files as they were. Streaming keeps a large report from
    being held twice (model and text). Special files (``/dev/stdout``, a FIFO) are written
    directly, after the others, and standard output (``-``) last. Raises ``UsageError`` when a
    file cannot be written, `Interrupted` when interrupted (the temporary files are removed).
    ``json_detail`` (``--json-detail``: full, compact or auto) chooses the JSON report's form."""
    from cors_audit.report.compact import iter_compact, wants_compact

    compact = wants_compact(json_detail, report)

    def write_one(fmt: ReportFormat, out: TextSink) -> None:
        if compact and fmt is ReportFormat.JSON:
            for chunk in iter_compact(report):
                out.write(chunk)
        else:
            formats.write(fmt, report, out)

    staged: list[tuple[ReportFormat, Path, Path]] = []  # (format, temporary file, path)
    special: list[tuple[ReportFormat, Path]] = []
    stdout: ReportFormat | None = None
    fmt: ReportFormat | None = None  # what the error message names
    path = Path()
    try:
        with Interruptible():
            for fmt, path in outputs.items():
                if is_stdout(path):
                    stdout = fmt
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and not path.is_file():
                    special.append((fmt, path))
                    continue
                handle, staged_file = _stage(path)
                staged.append((fmt, staged_file, path))
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    write_one(fmt, out)
            while staged:
                fmt, staged_file, path = staged[-1]
                os.replace(staged_file, path)
                staged.pop()
            for fmt, path in special:
                with path.open("w", encoding="utf-8") as out:
                    write_one(fmt, out)
            if stdout is not None:
                fmt, path = stdout, STDOUT
                write_one(fmt, sys.stdout)
                sys.stdout.flush()
    except KeyboardInterrupt:
        raise Interrupted("interrupted while writing the reports") from None
    except OSError as error:
        name = fmt.value if fmt is not None else "the"
        raise UsageError(
            f"cannot write {name} report to {path}: {error.strerror or error}"
        ) from None
    finally:
        for _, leftover, _ in staged:
            leftover.unlink(missing_ok=True)


__all__ = [
    "STDOUT",
    "check_outputs",
    "is_stdout",
    "to_stdout",
    "write_output",
    "write_reports",
    "write_text_atomic",
]
