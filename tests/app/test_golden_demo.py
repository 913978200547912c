"""Golden test: the demo lab's JSON report is the same before and after a change of structure.

The demo scans every lab endpoint with the demo policy; its JSON report is the widest piece of
observable behaviour the project has (every rule, every probe, evidence, remediation, grades and
the summary). This test normalizes what legitimately changes between runs (timestamps, timings,
the loopback port, temporary paths and the random probe labels, and the fingerprints that hash the
URL with its port) and compares the rest with ``tests/golden/demo-report.json``.

When a change of behaviour is intended, regenerate the file with
``CORS_AUDIT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_demo.py`` and review its diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from support.cli import assert_clean, invoke

GOLDEN = Path(__file__).parent / "golden" / "demo-report.json"
_LABEL = re.compile(r"https?://([a-z0-9]{10})\.invalid-attacker\.net")
_LABELLED_LIST = re.compile(r"[a-z0-9-]+(?:,[a-z0-9-]+)*,?x-label\d(?:,[a-z0-9-]+)*")
_VOLATILE_KEYS = {"elapsed_ms", "duration_s", "started_at", "finished_at"}


def normalize(text: str) -> Any:
    """Replace what differs from run to run with stable placeholders, in order of appearance."""
    labels: list[str] = []
    for match in _LABEL.finditer(text):
        if match.group(1) not in labels:
            labels.append(match.group(1))
    for index, label in enumerate(labels):
        text = text.replace(label, f"label{index}")
    # A header list that holds the label (``x-<label>``) is sorted as browsers sort it, so its
    # order depends on the label's letters: sort it again after the replacement.
    text = _LABELLED_LIST.sub(lambda m: ",".join(sorted(m.group(0).split(","))), text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"/[^\s\"]*/tmp[a-z0-9_]+/", "TMP/", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "TIME", text)
    return _scrub(json.loads(text))


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                "VOLATILE"
                if key in _VOLATILE_KEYS
                else "FINGERPRINT"
                if key == "fingerprint"
                else _scrub(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def test_demo_report_matches_golden(tmp_path: Path) -> None:
    result = invoke("demo", "--out-dir", str(tmp_path), "-q")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    report = normalize((tmp_path / "cors-audit.json").read_text(encoding="utf-8"))
    if os.environ.get("CORS_AUDIT_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert report == golden


def test_normalize_keeps_what_matters() -> None:
    """The normalization hides run-to-run noise, not behaviour: a different rule still differs."""
    one = '{"rule": "reflected-origin", "url": "http://127.0.0.1:1/x", "elapsed_ms": 1.0}'
    two = '{"rule": "null-origin", "url": "http://127.0.0.1:2/x", "elapsed_ms": 2.0}'
    same = '{"rule": "reflected-origin", "url": "http://127.0.0.1:3/x", "elapsed_ms": 3.0}'
    assert normalize(one) != normalize(two)
    assert normalize(one) == normalize(same)
