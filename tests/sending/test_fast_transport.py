"""--fast-transport (aiohttp under httpx) judges the demo lab exactly like the default
transport: same findings, same fingerprints, same request counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import ErrorKind, Target
from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab
from cors_audit.inputs.policy import load_policy
from cors_audit.sending.engine import EngineOptions

pytest.importorskip("aiohttp", reason="the 'fast' extra (aiohttp) is not installed")


def run(lab: DemoLab, policy_path: Path, *, fast: bool) -> list[tuple[str, str, str]]:
    policy = load_policy(policy_path)
    targets = [Target(url, method, DEMO_SITE_ORIGIN) for url, method in lab.urls()]
    options = ScanOptions(engine=EngineOptions(fast_transport=fast), label="samelabel1")
    results = scan(targets, policy, options)
    return sorted(
        (r.target.url, f.rule, f.fingerprint) for r in results for f in r.findings
    ) + sorted((r.target.url, "requests", str(r.requests)) for r in results)


def test_fast_transport_gives_the_same_judgement(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    with DemoLab() as lab:
        assert run(lab, policy, fast=True) == run(lab, policy, fast=False)


def test_fast_transport_records_errors_as_data() -> None:
    options = ScanOptions(engine=EngineOptions(fast_transport=True, retries=0, timeout=2))
    (result,) = scan([Target("http://127.0.0.1:9/x")], None, options)
    assert result.error is not None
    assert result.error.kind is ErrorKind.CONNECT
