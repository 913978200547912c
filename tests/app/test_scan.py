"""Tests for the scan wiring: adaptive two-round planning, per-target failures as data, labels,
credentials, callbacks.

The demo lab's pure `respond` answers through an ``httpx.MockTransport`` (the ``transport=``
seam of `scan`), so nothing goes over the network and every request the scan makes is
recorded. Target URLs point at 127.0.0.1 so that even a mistake could not reach anything else.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from support.rule_builders import NARROW_CLASSES

from cors_audit.app.memory import GC_THRESHOLDS, Interner
from cors_audit.app.scan import (
    ScanOptions,
    effective_policy,
    scan,
    scan_async,
)
from cors_audit.browser import header_get, is_browser_sendable_origin
from cors_audit.core.models import (
    ErrorKind,
    Exchange,
    OriginClass,
    ProbeKind,
    Target,
    TargetResult,
)
from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, ENDPOINTS, RequestView, respond
from cors_audit.inputs.policy import Policy, load_policy
from cors_audit.judging import scoring
from cors_audit.report.build import build_report
from cors_audit.report.model import Report
from cors_audit.sending.engine import REDACTED, EngineOptions

BASE = "http://127.0.0.1:9"
DEMO_BY_PATH = {endpoint.path: endpoint for endpoint in ENDPOINTS}
SECRET_HEADER = ("Authorization", "Bearer SECRET123")
SECRET_COOKIE = "session=COOKIESECRET"
REFLECTION_SKIP = "two unrelated origins can read this response with credentials"

Fault = Callable[[httpx.Request], Exception | None]


class Lab:
    """The demo lab's behaviour table as a mock transport that records every request."""

    def __init__(self, fault: Fault | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._fault = fault

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self._fault is not None and (error := self._fault(request)) is not None:
            raise error
        view = RequestView(
            request.method,
            request.url.path,
            tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw),
        )
        reply = respond(view)
        return httpx.Response(reply.status, headers=list(reply.headers), content=reply.body)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    path = tmp_path_factory.mktemp("scan") / "cors-policy.toml"
    path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    return load_policy(path)


def target(path: str, *, site_origin: str | None = DEMO_SITE_ORIGIN) -> Target:
    return Target(url=BASE + path, method=DEMO_BY_PATH[path].method, site_origin=site_origin)


def options(**engine: object) -> ScanOptions:
    # Every exchange is kept: these tests check what went over the wire.
    return ScanOptions(engine=EngineOptions(retries=0, **engine), keep_exchanges=True)  # type: ignore[arg-type]


def run(
    targets: Sequence[Target],
    policy: Policy | None,
    lab: Lab | None = None,
    scan_options: ScanOptions | None = None,
) -> list[TargetResult]:
    lab = lab or Lab()
    return scan(targets, policy, scan_options or options(), transport=lab.transport)


def origin_classes(result: TargetResult) -> set[OriginClass]:
    return {e.probe.origin.cls for e in result.exchanges if e.probe.origin is not None}


def wire_origin(exchange: Exchange) -> str | None:
    return header_get(exchange.request.headers, "Origin")


def label_of(exchange: Exchange) -> str:
    """The per-run label inside an attacker origin, found through the origin's template."""
    origin = exchange.probe.origin
    assert origin is not None
    prefix, suffix = origin.template.split("{label}")
    assert origin.value.startswith(prefix)
    assert origin.value.endswith(suffix)
    return origin.value[len(prefix) : len(origin.value) - len(suffix)]


def arbitrary(result: TargetResult) -> list[Exchange]:
    return [
        e
        for e in result.exchanges
        if e.probe.origin is not None and e.probe.origin.cls is OriginClass.ARBITRARY
    ]


# -- adaptive planning ---------------------------------------------------------------------------


def test_reflected_arbitrary_origin_skips_round_two(policy: Policy) -> None:
    # Given an endpoint that reflects every origin, and one with an exact allowlist
    reflect, strict = target("/reflect-credentials"), target("/strict")

    # When both are scanned
    reflected, allowlisted = run([reflect, strict], policy)

    # Then the reflecting one got round 1 only, with a note saying why
    assert origin_classes(reflected) == {OriginClass.TRUSTED, OriginClass.ARBITRARY}
    assert any(REFLECTION_SKIP in note for note in reflected.notes)
    assert reflected.requests == len(reflected.exchanges)
    assert reflected.requests < allowlisted.requests
    assert [f.rule for f in reflected.findings] == ["reflected-origin"]
    assert reflected.grade == "F"
    assert reflected.error is None


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/anon/wildcard", id="static-star"),
        pytest.param("/public/catalog", id="public-star"),
        pytest.param("/wildcard-credentials", id="star-with-credentials"),
        pytest.param("/two-origins", id="static-value"),
    ],
)
def test_static_allow_origin_still_gets_every_narrow_probe(policy: Policy, path: str) -> None:
    # Given an endpoint whose Access-Control-Allow-Origin is the same for the trusted and the
    # arbitrary origin (an allowlist with a static fallback looks exactly like this, and a
    # static value may itself be `null`: nothing in hand proves no other origin gets in)
    lab = Lab()

    # When it is scanned
    (result,) = run([target(path)], policy, lab)

    # Then every narrower origin class was tried, no note claims a skip, and the findings are
    # the lab's
    assert origin_classes(result) >= NARROW_CLASSES | {OriginClass.TRUSTED}
    assert not any("skipped" in note for note in result.notes)
    assert result.requests == len(lab.requests)
    assert {f.rule for f in result.findings} == set(DEMO_BY_PATH[path].expected)


def test_reflected_origin_costs_round_one_and_one_confirmation(policy: Policy) -> None:
    # Given the demo policy's two trusted origins and an endpoint that reflects every origin
    lab = Lab()

    # When it is scanned
    (result,) = run([target("/reflect-credentials")], policy, lab)

    # Then it costs the baseline, 3 + 2 for the trusted origins, the arbitrary origin's actual
    # request and preflight, the second arbitrary origin (C03) and the private-network
    # preflight, and stops there
    assert result.requests == len(lab.requests) == 10
    assert {f.rule for f in result.findings} == set(DEMO_BY_PATH["/reflect-credentials"].expected)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/strict", id="correct-allowlist"),
        pytest.param("/prefix", id="startswith"),
        pytest.param("/null", id="null-allowed"),
        pytest.param("/suffix", id="endswith"),
    ],
)
def test_dynamic_allowlist_runs_round_two(policy: Policy, path: str) -> None:
    # Given an endpoint that answers trusted origins and refuses an arbitrary one
    lab = Lab()

    # When it is scanned
    (result,) = run([target(path)], policy, lab)

    # Then the narrower bypass origins were all tried, and the findings are the lab's
    assert origin_classes(result) >= NARROW_CLASSES | {OriginClass.TRUSTED}
    assert not any("skipped" in note for note in result.notes)
    assert result.requests == len(result.exchanges) == len(lab.requests)
    assert {f.rule for f in result.findings} == set(DEMO_BY_PATH[path].expected)
    null = [e for e in result.exchanges if wire_origin(e) == "null"]
    assert null
    assert all(e.probe.origin is not None for e in null)


def test_every_origin_sent_is_browser_sendable(policy: Policy) -> None:
    # Given endpoints that exercise both rounds, with and without a policy
    targets = [target(p) for p in ("/strict", "/reflect-credentials", "/anon/wildcard")]
    lab = Lab()

    # When they are scanned
    results = run(targets, policy, lab) + run(targets, None, lab)

    # Then every Origin header on the wire is what a browser could send, and matches its probe
    origins = [wire_origin(e) for r in results for e in r.exchanges]
    assert len([o for o in origins if o is not None]) > 50
    for result in results:
        for exchange in result.exchanges:
            sent = wire_origin(exchange)
            if exchange.probe.origin is None:
                assert sent is None
                continue
            assert sent == exchange.probe.origin.value
            assert is_browser_sendable_origin(sent), sent
    for request in lab.requests:
        if "origin" in request.headers:
            assert is_browser_sendable_origin(request.headers["origin"])


def test_each_run_uses_one_fresh_label(policy: Policy) -> None:
    # Given two separate runs over the same two targets (the reflecting one gets a second
    # arbitrary origin in round 2 to confirm the first)
    targets = [target("/strict"), target("/reflect-credentials")]

    # When they are scanned
    first = run(targets, policy)
    second = run(targets, policy)

    # Then within a run both random arbitrary origins (of every target) share one label
    def labels(results: list[TargetResult]) -> set[str]:
        return {label_of(e) for r in results for e in arbitrary(r)}

    for results in (first, second):
        values = {e.probe.origin.value for r in results for e in arbitrary(r) if e.probe.origin}
        assert len(values) == 2  # two different attacker origins …
        assert len(labels(results)) == 1  # … built on the same per-run label
    # And the next run draws a different label
    assert labels(first) != labels(second)


def test_a_given_label_is_used(policy: Policy) -> None:
    (result,) = run(
        [target("/strict")],
        policy,
        scan_options=ScanOptions(
            engine=EngineOptions(retries=0), keep_exchanges=True, label="fixedlabel7"
        ),
    )
    assert {label_of(e) for e in arbitrary(result)} == {"fixedlabel7"}


# -- credentials ---------------------------------------------------------------------------------


def test_credentials_go_on_actual_requests_and_never_on_preflights(policy: Policy) -> None:
    # Given user credentials
    lab = Lab()
    scan_options = options(headers=(SECRET_HEADER,), cookie=SECRET_COOKIE)

    # When a target needing both rounds is scanned
    (result,) = run([target("/strict")], policy, lab, scan_options)

    # Then every actual request carried them, no preflight did
    preflights = [r for r in lab.requests if r.method == "OPTIONS"]
    actual = [r for r in lab.requests if r.method != "OPTIONS"]
    assert preflights
    assert actual
    for request in preflights:
        assert "cookie" not in request.headers
        assert "authorization" not in request.headers
    for request in actual:
        assert request.headers.get_list("cookie") == [SECRET_COOKIE]
        assert request.headers.get_list("authorization") == [SECRET_HEADER[1]]
    # And the probes say so, while the records keep only <redacted>
    for exchange in result.exchanges:
        assert exchange.probe.credentialed is (exchange.probe.kind is ProbeKind.ACTUAL)
        text = repr(exchange.request)
        assert "SECRET123" not in text
        assert "COOKIESECRET" not in text
        if not exchange.probe.is_preflight:
            assert header_get(exchange.request.headers, "Cookie") == REDACTED


def test_without_credentials_nothing_is_credentialed(policy: Policy) -> None:
    lab = Lab()
    (result,) = run([target("/strict")], policy, lab)
    assert not any(e.probe.credentialed for e in result.exchanges)
    assert not any("cookie" in r.headers or "authorization" in r.headers for r in lab.requests)


# -- policies ------------------------------------------------------------------------------------


def test_effective_policy_without_a_policy_trusts_the_targets_own_origin() -> None:
    as_site = effective_policy(None, target("/strict"))
    assert as_site.policy_free is True
    assert as_site.trusted_origins == (DEMO_SITE_ORIGIN,)
    own = effective_policy(None, target("/strict", site_origin=None))
    assert own.trusted_origins == (BASE,)
    assert own.allowed_methods is None


def test_effective_policy_applies_overrides(policy: Policy) -> None:
    public = effective_policy(policy, target("/public/catalog"))
    private = effective_policy(policy, target("/strict"))
    assert public.public is True
    assert public.allowed_methods == ("GET",)
    assert private.public is False
    assert private.allowed_methods == ("GET", "POST", "PATCH")
    assert private.policy_free is False


def test_policy_free_scan_notes_it_and_never_denies_trusted_origins() -> None:
    # Given endpoints that break the demo policy's trusted origins, and no policy
    paths = ("/two-origins", "/wildcard-credentials", "/preflight-only", "/strict")

    # When they are scanned policy-free
    results = run([target(p) for p in paths], None)

    # Then each result is policy-free, says so, and trusted-origin-denied never appears
    for result in results:
        assert result.policy.policy_free is True
        assert result.policy.trusted_origins == (DEMO_SITE_ORIGIN,)
        assert any("No policy was given" in note for note in result.notes)
        assert "trusted-origin-denied" not in {f.rule for f in result.findings}
    by_url = {r.target.url: {f.rule for f in r.findings} for r in results}
    assert "invalid-allow-origin" in by_url[BASE + "/two-origins"]


def test_spec_mode_is_passed_to_the_rules(policy: Policy) -> None:
    scan_options = ScanOptions(engine=EngineOptions(retries=0), keep_exchanges=True, mode="spec")
    (result,) = run([target("/reflect-credentials")], policy, scan_options=scan_options)
    assert [f.rule for f in result.findings] == ["reflected-origin"]


# -- failures are data ---------------------------------------------------------------------------


def _refuse_all(request: httpx.Request) -> Exception:
    return httpx.ConnectError("[Errno 111] Connection refused", request=request)


def test_unreachable_target_is_a_result_with_an_error(policy: Policy) -> None:
    # Given a target that refuses every connection, next to a working one
    dead = Target(url="http://127.0.0.1:9/down", site_origin=DEMO_SITE_ORIGIN)

    def refuse_down(request: httpx.Request) -> Exception | None:
        return _refuse_all(request) if request.url.path == "/down" else None

    lab = Lab(refuse_down)

    # When both are scanned (without a policy, so the policy-free note is kept too)
    down, up = run([dead, target("/reflect-credentials")], None, lab)

    # Then the dead one records why, keeps its round-1 evidence and is not graded
    assert down.error is not None
    assert down.error.kind is ErrorKind.CONNECT
    assert down.findings == ()
    assert down.grade == scoring.NO_GRADE
    assert down.score == 0
    assert down.requests == len(down.exchanges) > 1
    assert all(e.error is not None for e in down.exchanges)
    assert any("No policy was given" in note for note in down.notes)
    assert not any(REFLECTION_SKIP in note for note in down.notes)
    # And the working one is fully judged
    assert up.error is None
    assert {f.rule for f in up.findings} == {"reflected-origin"}


def test_probes_without_reply_are_noted_and_left_out(policy: Policy) -> None:
    # Given a target whose preflights time out while its actual requests are answered
    def preflights_time_out(request: httpx.Request) -> Exception | None:
        if request.method == "OPTIONS":
            return httpx.ReadTimeout("timed out", request=request)
        return None

    # When it is scanned
    (result,) = run([target("/strict")], policy, Lab(preflights_time_out))

    # Then it is still judged, with a note counting the probes that got no reply
    assert result.error is None
    failed = [e for e in result.exchanges if e.error is not None]
    assert failed
    assert all(e.probe.is_preflight for e in failed)
    expected = f"{len(failed)} of {len(result.exchanges)} probes got no reply (timeout)"
    assert any(note.startswith(expected) for note in result.notes), result.notes
    assert result.grade != scoring.NO_GRADE


# -- ordering and callbacks ----------------------------------------------------------------------


def test_results_keep_target_order_and_callbacks_see_everything(policy: Policy) -> None:
    # Given several targets, a per-target callback and a per-exchange observer
    paths = ["/null", "/strict", "/anon/wildcard", "/reflect-credentials", "/posts/20"]
    targets = [target(p) for p in paths]
    finished: list[TargetResult] = []
    seen: list[Exchange] = []

    class Observer:
        def on_exchange(self, exchange: Exchange) -> None:
            seen.append(exchange)

    lab = Lab()
    scan_options = ScanOptions(
        engine=EngineOptions(retries=0), keep_exchanges=True, max_targets_in_flight=2
    )

    # When they are scanned with at most two targets in flight
    results = asyncio.run(
        scan_async(
            targets,
            policy,
            scan_options,
            observer=Observer(),
            on_target=finished.append,
            transport=lab.transport,
        )
    )

    # Then results follow the targets, each reported once to the callback
    assert [r.target for r in results] == targets
    assert sorted(r.target.url for r in finished) == sorted(t.url for t in targets)
    assert all(any(r is f for f in finished) for r in results)
    # And the observer saw every exchange, as many as requests were made
    assert len(seen) == sum(r.requests for r in results) == len(lab.requests)
    for result in results:
        assert {f.rule for f in result.findings} == set(
            DEMO_BY_PATH[result.target.url.removeprefix(BASE)].expected
        )
        assert result.score == scoring.target_score(result.findings)
        assert result.grade == scoring.grade_for(result.score)


def test_the_collector_is_tuned_during_a_scan_and_restored_after(policy: Policy) -> None:
    # Given the collector as the caller left it, and garbage the caller made before the scan
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    during: list[tuple[tuple[int, int, int], int]] = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    def on_target(result: TargetResult) -> None:
        during.append((gc.get_threshold(), gc.get_freeze_count()))

    # When a scan runs
    garbage = Cycle()
    alive = weakref.ref(garbage)
    del garbage
    lab = Lab()
    scan(
        [target("/strict"), target("/null")],
        policy,
        options(),
        on_target=on_target,
        transport=lab.transport,
    )

    # Then the scan ran with the scan's thresholds and the caller's objects frozen
    assert during
    assert all(t == GC_THRESHOLDS and frozen > frozen_before for t, frozen in during)
    # And afterwards everything is as before: same thresholds, nothing left frozen, and the
    # cycle made before the scan is collectable again
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before
    gc.collect()
    assert alive() is None


def test_no_targets_no_requests(policy: Policy) -> None:
    lab = Lab()
    assert run([], policy, lab) == []
    assert lab.requests == []


@pytest.mark.parametrize("with_policy", [True, False], ids=["policy", "policy-free"])
def test_demo_lab_is_judged_as_expected_through_the_scan(policy: Policy, with_policy: bool) -> None:
    # Given every lab endpoint (with the site origin the lab is judged as)
    targets = [target(endpoint.path) for endpoint in ENDPOINTS]

    # When the whole lab is scanned with the demo policy, or without any
    results = run(targets, policy if with_policy else None)

    # Then each endpoint's findings are exactly the rules its row expects for that run (the
    # narrower rules folded into reflected-origin are not counted: they are probed only when
    # reflection is not settled with credentials)
    mismatches = {}
    for result in results:
        assert result.error is None, result.target.url
        assert result.policy.policy_free is not with_policy
        endpoint = DEMO_BY_PATH[result.target.url.removeprefix(BASE)]
        expected = endpoint.expected if with_policy else endpoint.expected_without_policy
        found = {f.rule for f in result.findings}
        if found != expected:
            mismatches[endpoint.path] = (sorted(found), sorted(expected))
    assert mismatches == {}


# -- memory: what a finished target keeps --------------------------------------------------------

MIXED = [
    "/null",
    "/strict",
    "/anon/wildcard",
    "/reflect-credentials",
    "/posts/20",
    "/public/catalog",
]


def slim(**fields: object) -> ScanOptions:
    """The default: a finished target keeps only its findings' evidence."""
    return ScanOptions(engine=EngineOptions(retries=0), **fields)  # type: ignore[arg-type]


def evidence_ids(result: TargetResult) -> set[int]:
    return {id(e) for f in result.findings for e in f.evidence}


def live_exchanges() -> int:
    gc.collect()
    # type(), not isinstance(): a lazy object (Django settings) must not be woken up.
    return sum(1 for obj in gc.get_objects() if type(obj) is Exchange)


def test_a_finished_target_keeps_only_the_exchanges_its_findings_cite(policy: Policy) -> None:
    # Given targets with and without findings, scanned with the default options
    lab = Lab()
    results = run([target(p) for p in MIXED], policy, lab, slim())

    # Then each result keeps exactly its findings' evidence, in scan order, and no more
    assert any(not r.findings for r in results)
    for result in results:
        assert {id(e) for e in result.exchanges} == evidence_ids(result)
        assert len(result.exchanges) == len(evidence_ids(result))
        # while the request count and the report's summaries still cover every exchange
        assert result.observed is not None
        assert result.stack is not None
    assert sum(r.requests for r in results) == len(lab.requests)


def test_no_exchange_outlives_its_target_beyond_the_evidence(policy: Policy) -> None:
    # Given many targets (most without findings) and nothing else that holds exchanges
    targets = [target(p) for p in ("/strict", "/posts/20", "/null") * 10]
    before = live_exchanges()

    # When they are scanned
    results = run(targets, policy, scan_options=slim())

    # Then the only exchanges still alive are the findings' evidence: nothing kept per request
    evidence = {id(e) for r in results for f in r.findings for e in f.evidence}
    assert sum(r.requests for r in results) > 10 * len(evidence)
    assert live_exchanges() - before == len(evidence)


def test_slim_results_give_the_same_report_as_every_exchange(policy: Policy) -> None:
    # Given the same targets scanned keeping every exchange and keeping only the evidence
    targets = [target(p) for p in MIXED]
    full = run(targets, policy, scan_options=slim(label="samelabel9", keep_exchanges=True))
    slim_ = run(targets, policy, scan_options=slim(label="samelabel9"))
    assert sum(len(r.exchanges) for r in slim_) < sum(len(r.exchanges) for r in full)

    # Then their reports agree on every target (stack, observed) and every finding
    def report(results: list[TargetResult]) -> Report:
        moment = datetime(2025, 1, 1, tzinfo=UTC)
        return build_report(results, policy={}, started_at=moment, finished_at=moment)

    full_report, slim_report = report(full), report(slim_)
    assert slim_report.targets == full_report.targets
    assert any(t.observed and t.observed.allowed_origins for t in slim_report.targets)
    assert any(t.stack and t.stack.evidence for t in slim_report.targets)
    assert [f.model_copy(update={"evidence": []}) for f in slim_report.findings] == [
        f.model_copy(update={"evidence": []}) for f in full_report.findings
    ]
    assert slim_report.summary == full_report.summary
    # And the evidence is the same but for its timing
    for f_full, f_slim in zip(full, slim_, strict=True):
        for a, b in zip(f_full.findings, f_slim.findings, strict=True):
            assert [replace(e, elapsed_ms=0) for e in a.evidence] == [
                replace(e, elapsed_ms=0) for e in b.evidence
            ]


def test_a_target_in_error_keeps_no_exchanges() -> None:
    # Given an unreachable target, scanned with the default options
    lab = Lab(fault=lambda request: httpx.ConnectError("refused", request=request))
    (down,) = run([target("/strict")], None, lab, slim())

    # Then the error and the request count are kept, the exchanges and summaries are not
    assert down.error is not None
    assert down.requests == len(lab.requests) > 0
    assert down.exchanges == ()
    assert down.observed is None
    assert down.stack is None


def test_targets_are_pulled_by_a_bounded_pool(policy: Policy) -> None:
    # Given many targets and at most two in flight
    targets = [target("/anon/wildcard") for _ in range(150)]
    tasks: list[int] = []

    class Counting(Lab):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            tasks.append(len(asyncio.all_tasks()))
            return super().__call__(request)

    lab = Counting()
    scan_options = slim(max_targets_in_flight=2)

    # When they are scanned
    results = asyncio.run(scan_async(targets, policy, scan_options, transport=lab.transport))

    # Then every target is done, in order, yet never were there tasks for all of them at once:
    # the workers pull targets one at a time (a task per target would be 150 and more; two
    # targets in flight hold at most one round of probes each)
    assert [r.target for r in results] == targets
    assert len(tasks) == len(lab.requests) > len(targets)
    assert max(tasks) < 100


def test_equal_values_are_shared_and_the_table_stays_bounded() -> None:
    # Given an interner that remembers at most three values
    share = Interner(limit=3)
    first = ("Vary", "Origin")

    # Then an equal value gives back the first object
    assert share(("Vary", "Origin")) is first or share(first) is first
    assert share(("Vary", "Origin")) is first
    # And once full it starts afresh instead of growing
    for n in range(5):
        share(("X-N", str(n)))
    copy = ("Vary", "Origin")
    assert share(copy) is copy
    # And an unhashable value is kept as it is
    listed = (["a"],)
    assert share(listed) is listed
