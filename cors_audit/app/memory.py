"""What a scan keeps in memory, and the garbage collector while it runs.

Memory grows with the findings, not with the requests: a finished target keeps only the
exchanges its findings cite as evidence (`settle`), after the summaries the report needs from
all of them (``observed``, ``stack``) were computed, and equal header lines, replies and
policies are shared (`Interner`). The collector runs with `GC_THRESHOLDS` during a scan and
while a large report is built and written (`collector_tuned`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Final, TypeVar, cast

from cors_audit.core.models import Exchange, Finding, Headers, RequestRecord, TargetResult
from cors_audit.fixes.stack import detect_stack
from cors_audit.judging.observed import observe

INTERNED_MAX: Final = 20_000
"""Most distinct values `Interner` remembers before it starts afresh (a hostile server that
sends a new value every time must not make the table itself grow without end)."""

GC_THRESHOLDS: Final = (50_000, 50, 100)
"""The collector's thresholds during `scan` (CPython's default is (2000, 10, 10) on 3.13+,
(700, 10, 10) before). A scan allocates a few hundred short-lived objects per request and
creates almost no cycles, so with the defaults the collector ran every few requests over a
heap that grows with the results: these thresholds took a quarter off the CPU time of a
10 000-target scan (issue 8, README "Performance")."""

_T = TypeVar("_T")


class Interner:
    """One shared object for each distinct value among the evidence a scan keeps: the targets
    behind one server get the same header lines (often the same whole replies) over and over,
    and each kept finding would otherwise hold its own copy of every line."""

    def __init__(self, limit: int = INTERNED_MAX) -> None:
        self._limit = limit
        self._seen: dict[object, object] = {}

    def __call__(self, value: _T) -> _T:
        try:
            shared = self._seen.get(value)
        except TypeError:  # unhashable (a list somewhere inside): keep it as it is
            return value
        if shared is not None:
            return shared  # type: ignore[return-value]  # equal to value, so of its type
        if len(self._seen) >= self._limit:
            self._seen.clear()
        self._seen[value] = value
        return value

    def headers(self, headers: Headers) -> Headers:
        """One shared tuple of shared lines. A header list seen before is shared whole, with
        one look-up instead of one per line (the replies of one server repeat)."""
        try:
            shared = self._seen.get(headers)
        except TypeError:  # unhashable: each line is shared as it can be
            shared = None
        if shared is not None:
            return cast("Headers", shared)  # equal to headers, so a header tuple
        return self(tuple(self(line) for line in headers))

    def exchange(self, exchange: Exchange) -> Exchange:
        request, response = exchange.request, exchange.response
        if response is not None:
            headers = self.headers(response.headers)
            body = None if response.body_sha256 is None else self(response.body_sha256)
            if headers is not response.headers or body is not response.body_sha256:
                # `replace` builds a whole new record: only when a part is to be shared.
                response = replace(response, headers=headers, body_sha256=body)
            response = self(response)
        probe = exchange.probe
        origin = None if probe.origin is None else self(probe.origin)
        request_headers = self(probe.request_headers)
        if origin is not probe.origin or request_headers is not probe.request_headers:
            probe = replace(probe, origin=origin, request_headers=request_headers)
        return replace(
            exchange,
            probe=probe,
            request=RequestRecord(request.method, request.url, self.headers(request.headers)),
            response=response,
        )

    def finding(self, finding: Finding, evidence: tuple[Exchange, ...]) -> Finding:
        context = finding.exploitability
        return replace(
            finding,
            evidence=evidence,
            exploitability=None if context is None else self(context),
        )


def settle(
    result: TargetResult, *, keep_exchanges: bool = False, interner: Interner | None = None
) -> TargetResult:
    """``result`` with the report's summaries of its exchanges (``observed``, ``stack``; none
    for a target in error, whose report shows neither) computed now, and, unless
    ``keep_exchanges``, only the exchanges its findings cite as evidence left on it, their
    equal header lines shared through ``interner`` (one per scan)."""
    observed, stack = (
        (None, None)
        if result.error is not None
        else (observe(result.exchanges), detect_stack(result.exchanges))
    )
    if keep_exchanges:
        return replace(result, observed=observed, stack=stack)
    share = interner or Interner()
    slim: dict[int, Exchange] = {}
    for finding in result.findings:
        for exchange in finding.evidence:
            if id(exchange) not in slim:
                slim[id(exchange)] = share.exchange(exchange)
    findings = tuple(
        share.finding(finding, tuple(slim[id(e)] for e in finding.evidence))
        for finding in result.findings
    )
    exchanges = tuple(slim[id(e)] for e in result.exchanges if id(e) in slim)
    # Targets behind one configuration get equal policies and summaries: one copy each.
    return replace(
        result,
        policy=share(result.policy),
        exchanges=exchanges,
        findings=findings,
        observed=None if observed is None else share(observed),
        stack=None if stack is None else share(stack),
    )


@contextmanager
def collector_tuned() -> Iterator[None]:
    """Run the block with `GC_THRESHOLDS` and with every object alive on entry (modules,
    the caller's data) moved out of the collector's sight; both are undone on exit. Used for
    the scan and, by the command, for building and writing a large report (not nested)."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


__all__ = ["GC_THRESHOLDS", "INTERNED_MAX", "Interner", "collector_tuned", "settle"]
