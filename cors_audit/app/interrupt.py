"""Ctrl-C and SIGTERM during a run: SIGTERM behaves like Ctrl-C, and whoever handles Ctrl-C
(the scan, a file writer) keeps what finished or removes what it had staged."""

from __future__ import annotations

import signal
import threading

from cors_audit.core.errors import CorsAuditError


class Interrupted(CorsAuditError):
    """Ctrl-C or SIGTERM stopped a step that cannot keep a partial result (writing a file):
    nothing was replaced. The command exits 130."""


class Interruptible:
    """During a scan, SIGTERM behaves like Ctrl-C. Ctrl-C itself is asyncio's: the first one
    cancels the scan cleanly (``asyncio.run`` then raises KeyboardInterrupt: what finished is
    reported and the exit code is 130), a second one interrupts at once."""

    def __init__(self) -> None:
        self._previous: object = None

    @staticmethod
    def _terminate(signum: int, frame: object) -> None:
        signal.raise_signal(signal.SIGINT)  # handled like Ctrl-C by whoever handles that

    def __enter__(self) -> Interruptible:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._terminate)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)  # type: ignore[arg-type]


__all__ = ["Interrupted", "Interruptible"]
