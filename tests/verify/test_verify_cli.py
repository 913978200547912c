"""`scan --verify-browser`: findings replayed in real Chromium, the result in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.chromium import needs_chromium
from support.cli import assert_clean, invoke

from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")


def test_without_a_browser_the_scan_refuses_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_AUDIT_CHROMIUM", "/nonexistent/chromium")
    with DemoLab() as lab:
        before = lab.request_count
        result = invoke("scan", lab.url("/reflect-credentials"), "--verify-browser")
        assert_clean(result)
        assert result.exit_code == 2
        assert "chromium" in result.stderr.lower()
        assert "pip install 'cors-audit[browser]'" in result.stderr
        assert lab.request_count == before


@needs_chromium
def test_verify_browser_confirms_findings_and_shows_them_everywhere() -> None:
    Path("p.toml").write_text(DEMO_POLICY_TOML, encoding="utf-8")
    with DemoLab() as lab:
        result = invoke(
            "scan", "--policy", "p.toml", "--site-origin", DEMO_SITE_ORIGIN,
            lab.url("/reflect-credentials"), lab.url("/two-origins"), "--verify-browser",
            "--json", "r.json", "--html", "r.html", "--sarif", "r.sarif", "-q",
        )  # fmt: skip
    assert_clean(result)
    assert result.exit_code == 1, result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    verdicts = {f["rule"]: f["verified"] for f in report["findings"]}
    assert verdicts["reflected-origin"]["result"] == "confirmed"
    assert verdicts["reflected-origin"]["browser"].startswith("Chromium ")
    assert verdicts["trusted-origin-denied"]["result"] == "confirmed"
    assert verdicts["trusted-origin-denied"]["cors_error"] == "MultipleAllowOriginValues"
    assert "confirmed</span> in Chromium" in Path("r.html").read_text(encoding="utf-8")
    sarif = json.loads(Path("r.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert all(r["properties"]["verification"]["result"] == "confirmed" for r in results)
