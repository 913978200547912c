"""The error hierarchy. Only input errors are exceptions; scan failures are data
(``models.ScanError``) so one bad target never aborts a scan.

    CorsAuditError            base of everything the CLI turns into a clean message + exit 2
    ├── UsageError            bad command-line input (a malformed URL, an unknown option value)
    │   └── TargetError       a target that cannot be scanned as given (bad URL, bad scheme)
    └── PolicyError           a policy file that cannot be loaded or validated
"""

from __future__ import annotations


class CorsAuditError(Exception):
    """Base class: the message is complete and safe to print as is."""


class UsageError(CorsAuditError):
    """The command line (or a file it names) asks for something impossible."""


class TargetError(UsageError):
    """A target URL that cannot be scanned: malformed, unsupported scheme, bad origin."""

    def __init__(self, target: str, reason: str, source: str = "argument") -> None:
        from cors_audit.core.redaction import REDACTED, redact_url, userinfo_pieces

        # Never quote credentials: a user:pass@ URL's, or a credential-like query parameter's.
        for piece in userinfo_pieces(target):
            reason = reason.replace(piece, REDACTED)
        target = redact_url(target)
        self.target = target
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: invalid target {target!r}: {reason}")


class PolicyError(CorsAuditError):
    """A policy that cannot be used. ``str()`` names file, line, key and what was expected."""

    def __init__(
        self,
        file: str,
        message: str,
        *,
        line: int | None = None,
        key: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.expected = expected
        self.message = message
        where = file if line is None else f"{file}:{line}"
        text = f"{where}: "
        if key:
            text += f"{key}: "
        text += message
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)
