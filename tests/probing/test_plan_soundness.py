"""The probe planner is sound: skipping probes never hides a finding (issue 14, item 2).

A probe may be skipped only when replies already in hand prove what the skipped probe would show
under the browser model. So for any server, the default (adaptive) plan must report everything
the exhaustive plan (``ScanOptions(exhaustive=True)``: the same origin set, discovery
candidates included, with every planner shortcut off) reports.

Generated: servers from ``support.generated_servers`` (exact allowlists with ``null``, ``http://``,
localhost and platform origins; regexes with missing anchors, unescaped dots, any subdomain,
``https?``, platform trust; reflection; static ``*``/origin/``null`` values; answers with or
without credentials and ``Vary: Origin``; static fallbacks for origins not admitted; preflights
answered differently from actual requests, CORS headers for some methods only, preflights with
static or echoed methods and headers and sometimes a non-2xx status), served in-process through
``httpx.MockTransport``. Each is scanned twice for one target (``GET``, ``PATCH``, or a ``GET``
that sends ``Authorization``), with a first-party policy (app/admin.example.com) or none, with
the same attacker label in both scans so both send the same random origins.

Asserted, for every generated server:

- every finding of the exhaustive scan has a finding of the same rule id in the default scan,
  of a severity at least as bad (`Severity.rank`). Top-level findings are compared; ids folded
  into ``reflected-origin`` are not: the default plan may skip narrower origins once an arbitrary
  origin passes, and the ``reflected-origin`` finding they fold into is itself compared;
- ``observed``: every origin the exhaustive scan lists in ``untrusted_allowed``, ``discovered``,
  ``allowed_origins`` or ``credentialed_origins`` is listed there by the default scan too, if a
  page on it can make the target's request at all: for a method that needs a preflight, only
  when one of its preflights passes as a whole (the default plan leaves out the actual request
  behind a refused preflight, which Chromium never sends). ``untrusted_allowed`` is not compared
  when the default scan lists an arbitrary origin: every narrower origin is then implied, and a
  worse (credentialed) exposure of a narrower one is still checked through the findings.

The methods, headers, exposed headers and max-age summaries are not compared: they describe the
preflights that happened to pass, and whatever a rule makes of them is compared as findings.

Examples per run: ``EXAMPLES`` by Hypothesis profile (each example is two scans of some 40 to
90 in-process requests, about 30 ms). The search leans (`hypothesis.target`) towards servers
whose replies to the probes only the exhaustive plan sent echo their origin, where a skip can
matter. Explicit examples pin the servers the issue names and those the search found
(``generated_servers.FOUND``). Plain tests below pin the issue's regressions on the default
plan alone, policy-free, with the rule ids a scan must report.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st
from hypothesis import target as target_
from support import hypothesis_profiles
from support.generated_servers import (
    EXPECTED_RULES,
    FOUND,
    POLICY,
    REGRESSIONS,
    TARGETS,
    Server,
    servers,
)

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.browser import ACAO, header_get, is_cors_safelisted_method, preflight_check
from cors_audit.core.models import Finding, ProbeKind, Target, TargetResult
from cors_audit.probing.origins import ARBITRARY_PARENT, ARBITRARY_SECOND_SUFFIX
from cors_audit.sending.engine import EngineOptions

LABEL = "abcdefghij"
"""One attacker label for both scans, so both plans send the same random origins."""
ARBITRARY = (f"https://{LABEL}.{ARBITRARY_PARENT}", f"https://{LABEL}{ARBITRARY_SECOND_SUFFIX}")

EXAMPLES = {"default": 200, "ci": 1_000, "deep": 5_000}
"""Examples per profile: fewer than the other properties, each one is two whole scans."""

GET, PATCH, _ = TARGETS


def scan_one(server: Server, target: Target, *, policy: bool, exhaustive: bool) -> TargetResult:
    """One scan of ``target`` on ``server``, every exchange kept (for failure messages)."""
    options = ScanOptions(
        engine=EngineOptions(retries=0),
        label=LABEL,
        exhaustive=exhaustive,
        keep_exchanges=True,
        target_deadline=None,
    )
    (result,) = scan([target], POLICY if policy else None, options, transport=server.transport())
    assert result.error is None, result.error
    assert result.observed is not None
    return result


def worst(findings: Iterable[Finding]) -> dict[str, Finding]:
    """The worst finding of each rule id."""
    by_rule: dict[str, Finding] = {}
    for finding in findings:
        if (
            finding.rule not in by_rule
            or finding.severity.rank > by_rule[finding.rule].severity.rank
        ):
            by_rule[finding.rule] = finding
    return by_rule


def missing_findings(default: TargetResult, exhaustive: TargetResult) -> list[str]:
    """Exhaustive findings the default scan lacks, or reports with a milder severity."""
    have = worst(default.findings)
    problems = []
    for rule, finding in worst(exhaustive.findings).items():
        mine = have.get(rule)
        if mine is None:
            problems.append(f"missing {rule} ({finding.severity.value}, {finding.origin})")
        elif mine.severity.rank < finding.severity.rank:
            problems.append(
                f"{rule} is {mine.severity.value} by default, {finding.severity.value} exhaustive"
            )
    return problems


def usable(result: TargetResult, origin: str) -> bool:
    """Whether a page on ``origin`` can make the target's request at all: always for a
    safelisted method (no preflight), else only when one of its preflights in ``result``
    passes as a whole (Chromium's model, without credentials)."""
    if is_cors_safelisted_method(result.target.method):
        return True
    return any(
        e.probe.kind is ProbeKind.PREFLIGHT
        and e.probe.origin is not None
        and e.probe.origin.value == origin
        and e.response is not None
        and preflight_check(
            origin,
            "omit",
            e.probe.request_method,
            list(e.probe.request_headers),
            e.response.status,
            e.response.headers,
        ).allowed
        for e in result.exchanges
    )


def missing_observations(default: TargetResult, exhaustive: TargetResult) -> list[str]:
    """What the exhaustive scan observed and the default one does not (see the docstring)."""
    mine, full = default.observed, exhaustive.observed
    assert mine is not None
    assert full is not None
    problems = []
    arbitrary_passes = any(origin in mine.untrusted_allowed for origin in ARBITRARY)
    for name in ("untrusted_allowed", "discovered", "allowed_origins", "credentialed_origins"):
        if name == "untrusted_allowed" and arbitrary_passes:
            continue
        ours: tuple[str, ...] = getattr(mine, name)
        lacking = [
            origin
            for origin in getattr(full, name)
            if origin not in ours and usable(exhaustive, origin)
        ]
        if lacking:
            problems.append(f"{name} lacks {lacking}")
    return problems


def skipped_echoes(default: TargetResult, exhaustive: TargetResult) -> int:
    """How many probes only the exhaustive plan sent got an ``Access-Control-Allow-Origin`` that
    echoes their origin: the replies a skipped probe could have changed the report with. Fed to
    `hypothesis.target` so the search leans towards servers where skipping matters."""
    sent = {(e.probe.origin, e.probe.kind, e.probe.purpose) for e in default.exchanges}
    return sum(
        1
        for e in exhaustive.exchanges
        if (e.probe.origin, e.probe.kind, e.probe.purpose) not in sent
        and e.probe.origin is not None
        and e.response is not None
        and header_get(e.response.headers, ACAO) == e.probe.origin.value
    )


def summary(result: TargetResult) -> str:
    rules = ", ".join(f"{f.rule}:{f.severity.value}" for f in result.findings) or "none"
    observed = result.observed
    assert observed is not None
    return (
        f"{result.requests} requests; findings {rules}; "
        f"untrusted_allowed {list(observed.untrusted_allowed)}"
    )


# -- the property -----------------------------------------------------------------------------


def _regression(name: str, *, policy: bool = False, target: Target = GET) -> example:
    return example(server=REGRESSIONS[name], target=target, policy=policy)


@settings(max_examples=EXAMPLES[hypothesis_profiles.selected()])
@given(server=servers(), target=st.sampled_from(TARGETS), policy=st.booleans())
@_regression("static-null-credentials")
@_regression("static-null-credentials", policy=True)
@_regression("flask-cors-app-and-null")
@_regression("start-anchored")
@_regression("end-anchored")
@_regression("any-subdomain")
@_regression("unescaped-dot")
@_regression("github-pages")
@_regression("github-pages", target=PATCH)
@example(server=FOUND["preflight-star-but-null"], target=PATCH, policy=False)
@example(server=FOUND["actual-echo-behind-refused-preflight"], target=PATCH, policy=False)
@example(server=FOUND["regex-admits-any-dot-com"], target=GET, policy=False)
def test_default_plan_reports_what_the_exhaustive_plan_reports(
    server: Server, target: Target, policy: bool
) -> None:
    # Given a generated server, one target and a policy (or none)
    note(f"server:\n{server.describe()}\ntarget: {target.method} {target.request_headers}")

    # When it is scanned with the default plan and with the exhaustive one
    default = scan_one(server, target, policy=policy, exhaustive=False)
    exhaustive = scan_one(server, target, policy=policy, exhaustive=True)

    # Then the default plan reports every finding and every exposed origin the exhaustive one does
    target_(skipped_echoes(default, exhaustive), label="echoes only the exhaustive plan saw")
    problems = missing_findings(default, exhaustive) + missing_observations(default, exhaustive)
    assert not problems, (
        f"the default plan skipped probes that mattered: {'; '.join(problems)}\n"
        f"server:\n{server.describe()}\n"
        f"target: {target.method} {target.url} headers={target.request_headers} "
        f"policy={'app/admin' if policy else 'none'}\n"
        f"default:    {summary(default)}\n"
        f"exhaustive: {summary(exhaustive)}"
    )


# -- the concrete regressions on the default plan alone ---------------------------------------


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_policy_free_default_scan_reports_the_regressions(name: str) -> None:
    # Given one of the servers the issue names, and no policy
    server = REGRESSIONS[name]

    # When it is scanned with the default plan
    result = scan_one(server, GET, policy=False, exhaustive=False)

    # Then the rule the mistake calls for is reported (directly or folded into reflected-origin)
    reported = {f.rule for f in result.findings} | {r for f in result.findings for r in f.folded}
    missing = EXPECTED_RULES[name] - reported
    assert not missing, (
        f"{name}: policy-free default scan misses {sorted(missing)}\n"
        f"server:\n{server.describe()}\n{summary(result)}"
    )


def test_the_comparison_catches_a_planner_that_skips_what_matters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the static `null` with credentials of the issue, and a planner that skips every
    # narrower origin as the old "same answer for trusted and arbitrary" shortcut did
    server = REGRESSIONS["static-null-credentials"]
    exhaustive = scan_one(server, GET, policy=False, exhaustive=True)
    monkeypatch.setattr("cors_audit.probing.planner._narrow", lambda *args, **kwargs: ())

    # When the default plan runs
    default = scan_one(server, GET, policy=False, exhaustive=False)

    # Then the comparison names the finding it lost
    assert any("null-origin" in problem for problem in missing_findings(default, exhaustive))
